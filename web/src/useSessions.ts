// The caller's sessions, kept current by the event stream (or by polling
// when the stream is unavailable).
import { useEffect, useState } from "preact/hooks";
import { api } from "./api/client";
import { subscribeSessions } from "./api/events";
import { messageOf } from "./api/problem";
import type { List, Session, SessionEvent } from "./api/types";
import { applyEvent, isStateChange, stateLabel } from "./sessions";

const pollMillis = 5000;

export interface SessionsView {
  sessions: Session[] | undefined;
  error: string;
  live: "live" | "reconnecting" | "polling";
  /** announcement is the latest change, for a polite live region. */
  announcement: string;
  reload: () => void;
}

async function fetchAll(): Promise<Session[]> {
  const out: Session[] = [];
  let cursor = "";
  do {
    const page = await api.get<List<Session>>("/sessions" + (cursor ? "?cursor=" + encodeURIComponent(cursor) : ""));
    out.push(...page.items);
    cursor = page.next_cursor ?? "";
  } while (cursor);
  return out;
}

export function useSessions(): SessionsView {
  const [sessions, setSessions] = useState<Session[]>();
  const [error, setError] = useState("");
  const [live, setLive] = useState<SessionsView["live"]>("reconnecting");
  const [announcement, setAnnouncement] = useState("");
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    let alive = true;
    fetchAll()
      .then((s) => alive && (setSessions(s), setError("")))
      .catch((e: unknown) => alive && setError(messageOf(e)));
    return () => {
      alive = false;
    };
  }, [generation]);

  useEffect(() => {
    const onEvent = (ev: SessionEvent) => {
      let known = false;
      setSessions((list) =>
        list?.flatMap((s) => {
          if (s.id !== ev.id) return [s];
          known = true;
          if (ev.state === "deleted") return [];
          return [applyEvent(s, ev)];
        }),
      );
      if (!known) setGeneration((g) => g + 1); // created elsewhere: fetch it
      if (isStateChange(ev)) setAnnouncement(`Session ${ev.id.slice(0, 8)}: ${stateLabel[ev.state] ?? ev.state}`);
    };
    // Changes may have been missed: fetch the list again.
    return subscribeSessions(onEvent, setLive, () => setGeneration((g) => g + 1));
  }, []);

  useEffect(() => {
    if (live !== "polling") return;
    const t = setInterval(() => setGeneration((g) => g + 1), pollMillis);
    return () => clearInterval(t);
  }, [live]);

  return { sessions, error, live, announcement, reload: () => setGeneration((g) => g + 1) };
}
