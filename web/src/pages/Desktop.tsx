import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../api/client";
import { subscribeSessions } from "../api/events";
import { ApiError, messageOf } from "../api/problem";
import type { Session } from "../api/types";
import { Alert } from "../components/Alert";
import { Link } from "../components/Link";
import { SessionActions } from "../components/SessionActions";
import { StateBadge } from "../components/StateBadge";
import { DesktopConnection, type ConnectionStatus } from "../desktop/connection";
import { applyEvent, isOver, kindLabel, startPhases, stateLabel } from "../sessions";

const pollMillis = 3000;

/**
 * DesktopPage shows one session's desktop filling the window, or, while it
 * is not running, what it is doing: starting (with progress), hibernated
 * (with Resume), or stopped.
 */
export function DesktopPage({ id }: { id: string }) {
  const [session, setSession] = useState<Session>();
  const known = useRef<Session | undefined>(undefined);
  known.current = session;
  const [error, setError] = useState("");
  const [generation, setGeneration] = useState(0);
  const [live, setLive] = useState<"live" | "reconnecting" | "polling">("reconnecting");
  const path = `/sessions/${encodeURIComponent(id)}`;

  useEffect(() => {
    let alive = true;
    api
      .get<Session>(path)
      .then((s) => alive && (setSession(s), setError("")))
      .catch((e: unknown) => {
        if (!alive) return;
        // No answer, or a 5xx, while a core restarts says nothing about
        // the session: keep showing it (the desktop reconnects by itself)
        // and let the next poll ask again.
        const refused = e instanceof ApiError && e.status >= 400 && e.status < 500;
        if (known.current && !refused) return;
        setError(e instanceof ApiError && e.status === 404 ? "This session does not exist, or it is not yours." : messageOf(e));
      });
    return () => {
      alive = false;
    };
  }, [path, generation]);

  useEffect(
    () =>
      subscribeSessions(
        (ev) => {
          if (ev.id === id) setSession((s) => s && applyEvent(s, ev));
        },
        setLive,
        () => setGeneration((g) => g + 1), // changes may have been missed: reload
      ),
    [id],
  );

  useEffect(() => {
    if (live === "live") return;
    const t = setInterval(() => setGeneration((g) => g + 1), pollMillis);
    return () => clearInterval(t);
  }, [live]);

  useEffect(() => {
    document.title = `${session?.template ?? "Session"} · Atrium`;
  }, [session?.template]);

  const refresh = () => setGeneration((g) => g + 1);

  if (error)
    return (
      <main id="main" class="narrow">
        <h1>Session unavailable</h1>
        <Alert>{error}</Alert>
        <p>
          <Link href="/sessions">Back to your sessions</Link>
        </p>
      </main>
    );
  if (!session) return <p class="boot">Loading session…</p>;

  const running = session.state === "running";
  return (
    <div class="desktop-page">
      {running && session.kind === "vnc" ? (
        <Screen session={session} onRefused={refresh} onChanged={refresh} />
      ) : (
        <main id="main" class="narrow session-status">
          <Toolbar session={session} onChanged={refresh} />
          <StatusPanel session={session} />
        </main>
      )}
    </div>
  );
}

function Toolbar({ session, onChanged, children }: { session: Session; onChanged: () => void; children?: ComponentChildren }) {
  return (
    <div class="desktop-toolbar" role="toolbar" aria-label="Session">
      <Link href="/sessions" class="button">
        ← Sessions
      </Link>
      <span class="desktop-title">{session.template}</span>
      <StateBadge state={session.state} />
      {children}
      <SessionActions session={session} onChanged={onChanged} showOpen={false} />
    </div>
  );
}

function StatusPanel({ session }: { session: Session }) {
  const s = session.state;
  const what = session.kind === "http" ? kindLabel(session) : "your desktop";
  let text: string;
  if (s === "pending") text = "Waiting for a place to run your session…";
  else if (s === "starting") text = `Starting ${what}. This usually takes a few seconds.`;
  else if (s === "resuming") text = `Resuming ${what} where you left it…`;
  else if (s === "hibernating") text = "Hibernating: saving the session so you can resume it later…";
  else if (s === "hibernated") text = "This session is hibernated. Resume it to continue where you left off.";
  else if (s === "stopping") text = "The session is stopping.";
  else if (s === "stopped") text = "This session has stopped. Files in your home folder are kept.";
  else if (s === "failed") text = "This session failed.";
  else if (s === "running") text = `${kindLabel(session)} is running. Open it in a new tab with Open above.`;
  else text = "This session was deleted.";
  return (
    <section class={`status-panel ${isOver(s) ? "over" : ""}`} aria-live="polite">
      <h1 tabIndex={-1}>{stateLabel[s] ?? s}</h1>
      <p>{text}</p>
      {(s === "pending" || s === "starting" || s === "resuming") && <StartCard session={session} />}
      {session.error && <Alert>{session.error}</Alert>}
      {isOver(s) && (
        <p>
          <Link href="/sessions/new" class="button primary">
            Start a new session
          </Link>
        </p>
      )}
    </section>
  );
}

/**
 * StartCard shows how far a start or resume has got: the steps, the
 * current one in words, and what the runtime said about it. Before the
 * first report it says the start was asked for.
 */
function StartCard({ session }: { session: Session }) {
  const current = startPhases.findIndex((p) => p.phase === session.start_phase);
  const label = current >= 0 ? startPhases[current].label : session.state === "pending" ? "Queued" : "Asking the runtime to start it";
  return (
    <section class="start-card" aria-label="Start progress" data-phase={session.start_phase ?? ""}>
      <p class="start-phase">
        <strong>{label}</strong>
      </p>
      {session.start_message && <p class="start-message">{session.start_message}</p>}
      <ol class="start-steps">
        {startPhases.map((p, i) => (
          <li key={p.phase} class={i < current ? "done" : i === current ? "current" : ""} aria-current={i === current ? "step" : undefined}>
            {p.label}
          </li>
        ))}
      </ol>
    </section>
  );
}

interface ScreenProps {
  session: Session;
  onRefused: () => void;
  onChanged: () => void;
}

function Screen({ session, onRefused, onChanged }: ScreenProps) {
  const screen = useRef<HTMLDivElement>(null);
  const page = useRef<HTMLDivElement>(null);
  const conn = useRef<DesktopConnection | null>(null);
  const [status, setStatus] = useState<ConnectionStatus>({ kind: "connecting", attempt: 1 });
  const [clipOpen, setClipOpen] = useState(false);
  const [remoteClip, setRemoteClip] = useState("");
  const [full, setFull] = useState(false);
  const [countdown, setCountdown] = useState(0);

  useEffect(() => {
    const c = new DesktopConnection(screen.current!, session.id, {
      onStatus: setStatus,
      onClipboard: (text) => {
        setRemoteClip(text);
        // Best effort: browsers allow this while the page has focus.
        navigator.clipboard?.writeText(text).catch(() => undefined);
      },
      onRefused,
    });
    conn.current = c;
    return () => {
      c.close();
      conn.current = null;
    };
  }, [session.id]);

  // Text copied in this computer reaches the desktop when the window gets
  // focus back, if the person allowed clipboard reading; the panel below
  // works without that permission.
  useEffect(() => {
    const onFocus = async () => {
      try {
        const perm = await navigator.permissions.query({ name: "clipboard-read" as PermissionName });
        if (perm.state !== "granted") return;
        const text = await navigator.clipboard.readText();
        if (text) conn.current?.sendClipboard(text);
      } catch {
        // No permission API or clipboard: the panel remains.
      }
    };
    window.addEventListener("focus", onFocus);
    return () => window.removeEventListener("focus", onFocus);
  }, []);

  useEffect(() => {
    const onChange = () => setFull(document.fullscreenElement === page.current);
    document.addEventListener("fullscreenchange", onChange);
    return () => document.removeEventListener("fullscreenchange", onChange);
  }, []);

  useEffect(() => {
    if (status.kind !== "lost") return;
    setCountdown(status.retryInSeconds);
    const t = setInterval(() => setCountdown((n) => Math.max(0, n - 1)), 1000);
    return () => clearInterval(t);
  }, [status]);

  async function toggleFull() {
    if (document.fullscreenElement) await document.exitFullscreen();
    else await page.current?.requestFullscreen();
    conn.current?.focus();
  }

  return (
    <div class="screen-page" ref={page}>
      <Toolbar session={session} onChanged={onChanged}>
        <button type="button" aria-pressed={clipOpen} aria-controls="clipboard-panel" onClick={() => setClipOpen(!clipOpen)}>
          Clipboard
        </button>
        <button type="button" aria-pressed={full} onClick={() => void toggleFull()}>
          {full ? "Exit full screen" : "Full screen"}
        </button>
      </Toolbar>
      <ConnectionBanner status={status} countdown={countdown} onRetry={() => conn.current?.reconnectNow()} />
      {clipOpen && (
        <section id="clipboard-panel" class="clipboard-panel" aria-label="Clipboard">
          <label for="clip-send">Send text to the desktop's clipboard</label>
          <textarea
            id="clip-send"
            rows={3}
            onInput={(e) => conn.current?.sendClipboard(e.currentTarget.value)}
          />
          <label for="clip-recv">Last text copied in the desktop</label>
          <textarea id="clip-recv" rows={3} readOnly value={remoteClip} />
        </section>
      )}
      <main
        id="main"
        class={`screen ${status.kind === "connected" ? "" : "dimmed"}`}
        ref={screen}
        aria-label={`Remote desktop ${session.template}`}
      />
    </div>
  );
}

/** restartingText is the banner while a core restarts under the desktop. */
const restartingText = "Atrium is restarting. Reconnecting to your desktop, which keeps running…";

function ConnectionBanner({ status, countdown, onRetry }: { status: ConnectionStatus; countdown: number; onRetry: () => void }) {
  if (status.kind === "connected") return <div class="visually-hidden" role="status">Connected to the desktop.</div>;
  let text: string;
  let retry = false;
  const restarting = (status.kind === "lost" || status.kind === "connecting") && status.restarting === true;
  switch (status.kind) {
    case "connecting":
      if (status.restarting) text = restartingText;
      else text = status.attempt > 1 ? `Reconnecting to the desktop (attempt ${status.attempt})…` : "Connecting to the desktop…";
      break;
    case "lost":
      text = status.restarting
        ? restartingText
        : `The connection to the desktop was lost. Your session is still running. Reconnecting in ${countdown} s…`;
      retry = !status.restarting;
      break;
    case "offline":
      text = "You are offline. The desktop reconnects when your network is back; your session keeps running.";
      retry = true;
      break;
    case "failed":
      text = status.message;
      retry = true;
      break;
  }
  return (
    // A restart is expected and mends itself: shown as information, not
    // as a fault.
    <div class={`banner banner-${restarting ? "restarting" : status.kind}`} role={status.kind === "failed" ? "alert" : "status"}>
      <span>{text}</span>
      {retry && (
        <button type="button" onClick={onRetry}>
          Reconnect now
        </button>
      )}
    </div>
  );
}
