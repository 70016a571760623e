// Live session state: one shared EventSource on /api/v1/sessions/events for
// every subscriber. When the stream cannot be opened (the core refuses it,
// or does not offer it) subscribers are told to poll instead.
import type { SessionEvent } from "./types";

type Handler = (e: SessionEvent) => void;
type Mode = "live" | "reconnecting" | "polling";
type ModeHandler = (m: Mode) => void;

const handlers = new Set<Handler>();
const modeHandlers = new Set<ModeHandler>();
let source: EventSource | null = null;
let mode: Mode = "reconnecting";
/** reopenMillis is how long a refused stream waits before it is tried again. */
const reopenMillis = 15_000;

function setMode(m: Mode): void {
  mode = m;
  modeHandlers.forEach((fn) => fn(m));
}

function open(): void {
  source = new EventSource("/api/v1/sessions/events", { withCredentials: true });
  source.onopen = () => setMode("live");
  source.onmessage = (msg) => {
    let ev: SessionEvent;
    try {
      ev = JSON.parse(msg.data as string) as SessionEvent;
    } catch {
      return; // comments and keep-alives carry no state
    }
    if (ev && typeof ev.id === "string") handlers.forEach((fn) => fn(ev));
  };
  source.onerror = () => {
    // EventSource retries by itself after a dropped stream (CONNECTING);
    // it gives up (CLOSED) when the answer was not an event stream, as a
    // load balancer's 502 while a core restarts is: subscribers poll, and
    // the stream is tried again later.
    const closed = source?.readyState === EventSource.CLOSED;
    setMode(closed ? "polling" : "reconnecting");
    if (closed) {
      const dead = source;
      setTimeout(() => {
        if (source === dead && handlers.size > 0) open();
      }, reopenMillis);
    }
  };
}

/**
 * subscribeSessions calls onEvent for every session state change and
 * onMode when the stream goes live, drops, or falls back to polling.
 */
export function subscribeSessions(onEvent: Handler, onMode: ModeHandler): () => void {
  handlers.add(onEvent);
  modeHandlers.add(onMode);
  if (!source || source.readyState === EventSource.CLOSED) open();
  onMode(mode);
  return () => {
    handlers.delete(onEvent);
    modeHandlers.delete(onMode);
    if (handlers.size === 0 && source) {
      source.close();
      source = null;
      mode = "reconnecting";
    }
  };
}
