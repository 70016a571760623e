// Live session state: one shared EventSource on /api/v1/sessions/events for
// every subscriber. When the stream cannot be opened (the core refuses it,
// or does not offer it) subscribers are told to poll instead. When changes
// may have been missed — the core says "resync" (its database feed was lost
// and is back), or the stream dropped and reopened — subscribers are told
// to reload what they show.
import type { SessionEvent } from "./types";

type Handler = (e: SessionEvent) => void;
type Mode = "live" | "reconnecting" | "polling";
type ModeHandler = (m: Mode) => void;
type ResyncHandler = () => void;

const handlers = new Set<Handler>();
const modeHandlers = new Set<ModeHandler>();
const resyncHandlers = new Set<ResyncHandler>();
let source: EventSource | null = null;
let mode: Mode = "reconnecting";
/** reopenMillis is how long a refused stream waits before it is tried again. */
const reopenMillis = 15_000;

function setMode(m: Mode): void {
  mode = m;
  modeHandlers.forEach((fn) => fn(m));
}

function resync(): void {
  resyncHandlers.forEach((fn) => fn());
}

function open(): void {
  source = new EventSource("/api/v1/sessions/events", { withCredentials: true });
  // A stream that opens again after a drop has missed whatever happened
  // in between.
  let dropped = false;
  source.onopen = () => {
    setMode("live");
    if (dropped) resync();
    dropped = false;
  };
  source.addEventListener("resync", resync);
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
    dropped = true;
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
 * subscribeSessions calls onEvent for every session state change, onMode
 * when the stream goes live, drops, or falls back to polling, and onResync
 * when changes may have been missed and what is shown must be reloaded.
 */
export function subscribeSessions(onEvent: Handler, onMode: ModeHandler, onResync: ResyncHandler): () => void {
  handlers.add(onEvent);
  modeHandlers.add(onMode);
  resyncHandlers.add(onResync);
  if (!source || source.readyState === EventSource.CLOSED) open();
  onMode(mode);
  return () => {
    handlers.delete(onEvent);
    modeHandlers.delete(onMode);
    resyncHandlers.delete(onResync);
    if (handlers.size === 0 && source) {
      source.close();
      source = null;
      mode = "reconnecting";
    }
  };
}
