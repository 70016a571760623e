// DesktopConnection keeps a noVNC session connected to one Atrium session
// through the core's relay, reconnecting after network drops and when the
// core it went through restarts.
import RFB from "@novnc/novnc";
import { api } from "../api/client";
import { ApiError, messageOf } from "../api/problem";
import type { ConnectTicket } from "../api/types";

export type ConnectionStatus =
  | { kind: "connecting"; attempt: number; restarting?: boolean }
  | { kind: "connected" }
  | { kind: "lost"; attempt: number; retryInSeconds: number; restarting?: boolean }
  | { kind: "offline" }
  | { kind: "failed"; message: string };

export interface Callbacks {
  onStatus: (s: ConnectionStatus) => void;
  /** onClipboard gets text copied inside the remote desktop. */
  onClipboard: (text: string) => void;
  /**
   * onRefused is called when the core will not connect us (the session is
   * no longer running, or gone), so the page can re-read its state.
   */
  onRefused: () => void;
}

const maxBackoffSeconds = 15;

/**
 * The close a core sends its relays when it drains before it stops (a
 * rolling restart): code 1001 with this reason, from the core's wsclose
 * package. The session runs on, so the page reconnects by itself.
 */
const goingAway = 1001;
const coreRestarting = "core restarting";

/**
 * restartJitterSeconds spreads the reconnects of everyone a restarting
 * core served, so the replicas left are not hit all in the same instant.
 */
function restartJitterSeconds(): number {
  return 0.2 + Math.random() * 0.8;
}

/** wsURL turns the relay path the core returns into a WebSocket URL. */
function wsURL(path: string): string {
  const u = new URL(path, location.href);
  u.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  return u.href;
}

export class DesktopConnection {
  private rfb: RFB | null = null;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  /** restarting is set while reconnecting after a core restart's close. */
  private restarting = false;
  private readonly onOnline = () => this.reconnectNow();
  private readonly onOffline = () => {
    if (this.rfb) return; // noVNC notices by itself if the socket dies
    clearTimeout(this.timer);
    this.cb.onStatus({ kind: "offline" });
  };

  constructor(
    private readonly target: HTMLElement,
    private readonly sessionId: string,
    private readonly cb: Callbacks,
  ) {
    window.addEventListener("online", this.onOnline);
    window.addEventListener("offline", this.onOffline);
    void this.connect();
  }

  /** reconnectNow skips the wait before the next attempt. */
  reconnectNow(): void {
    if (this.closed || this.rfb) return;
    clearTimeout(this.timer);
    void this.connect();
  }

  /** sendClipboard puts text on the remote desktop's clipboard. */
  sendClipboard(text: string): void {
    this.rfb?.clipboardPasteFrom(text);
  }

  focus(): void {
    this.rfb?.focus({ preventScroll: true });
  }

  /** close disconnects for good (page left, or the session stopped). */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    window.removeEventListener("online", this.onOnline);
    window.removeEventListener("offline", this.onOffline);
    this.rfb?.disconnect();
    this.rfb = null;
  }

  private async connect(): Promise<void> {
    this.attempt++;
    this.cb.onStatus({ kind: "connecting", attempt: this.attempt, restarting: this.restarting });
    if (!navigator.onLine) {
      this.cb.onStatus({ kind: "offline" });
      return;
    }
    let ticket: ConnectTicket;
    try {
      // Tickets are single-use and short-lived: fetch one per attempt.
      ticket = await api.post<ConnectTicket>(`/sessions/${encodeURIComponent(this.sessionId)}/connect`);
    } catch (err) {
      if (this.closed) return;
      if (err instanceof ApiError && err.status >= 400 && err.status < 500) {
        this.cb.onStatus({ kind: "failed", message: messageOf(err) });
        this.cb.onRefused();
        return;
      }
      this.scheduleRetry();
      return;
    }
    if (this.closed) return;
    // The page opens the WebSocket itself, to read the close code and
    // reason noVNC does not pass on. The relay authenticates to the VNC
    // server itself, so noVNC sends no password (security type None).
    const ws = new WebSocket(wsURL(ticket.url), ["binary"]);
    let restart = false;
    ws.addEventListener("close", (e) => {
      restart = e.code === goingAway && e.reason === coreRestarting;
    });
    const rfb = new RFB(this.target, ws, { shared: true });
    rfb.scaleViewport = true; // fit the window when the server cannot resize
    rfb.resizeSession = true; // ask the server to match the window
    rfb.background = "transparent";
    let refusal = "";
    rfb.addEventListener("connect", () => {
      this.attempt = 0;
      this.restarting = false;
      this.cb.onStatus({ kind: "connected" });
      rfb.focus({ preventScroll: true });
    });
    rfb.addEventListener("disconnect", () => {
      if (this.rfb !== rfb) return;
      this.rfb = null;
      if (this.closed) return;
      if (restart) {
        // The core went away, not the session: fetch a new ticket through
        // whichever core answers now, without asking the page to re-read
        // the session (the restarting core cannot answer that).
        this.restarting = true;
        this.scheduleRetry(restartJitterSeconds());
        return;
      }
      if (refusal) {
        // Retrying cannot fix a refused handshake; say why and stop.
        this.cb.onStatus({ kind: "failed", message: refusal });
        return;
      }
      this.cb.onRefused(); // let the page check whether the session still runs
      this.scheduleRetry();
    });
    rfb.addEventListener("securityfailure", ((e: CustomEvent<{ reason?: string }>) => {
      refusal = "The desktop refused the connection" + (e.detail.reason ? `: ${e.detail.reason}` : ".");
    }) as EventListener);
    rfb.addEventListener("clipboard", ((e: CustomEvent<{ text: string }>) => this.cb.onClipboard(e.detail.text)) as EventListener);
    this.rfb = rfb;
  }

  /** scheduleRetry waits wait seconds (default: backoff by attempt). */
  private scheduleRetry(wait = Math.min(maxBackoffSeconds, 2 ** Math.min(this.attempt, 4))): void {
    if (this.closed) return;
    if (!navigator.onLine) {
      this.cb.onStatus({ kind: "offline" });
      return; // the online event resumes
    }
    this.cb.onStatus({ kind: "lost", attempt: this.attempt, retryInSeconds: Math.ceil(wait), restarting: this.restarting });
    this.timer = setTimeout(() => void this.connect(), wait * 1000);
  }
}
