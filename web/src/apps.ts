// Opening a session's web app (VS Code, Jupyter) in a tab of its own.
import { api } from "./api/client";
import type { OpenedApp } from "./api/types";

/**
 * openApp opens the session's app in a new tab. Call it straight from a
 * click handler: popup blockers let window.open through only during the
 * click, and the core's answer (a single-use link on the app's own origin)
 * arrives after it. So the tab opens blank at once and is sent on once the
 * link is known; if anything fails, it is closed and the error thrown.
 */
export async function openApp(sessionId: string): Promise<void> {
  const tab = window.open("", "_blank");
  if (!tab) throw new Error("The browser blocked the new tab. Allow pop-ups for Atrium, then press Open again.");
  // The app runs code Atrium does not control: cut its way back to this
  // page (window.opener) before it loads, as rel="noopener" would. The
  // "noopener" feature cannot be used here, because window.open then
  // returns no handle to send the tab on with.
  tab.opener = null;
  try {
    tab.document.title = "Opening…";
    tab.document.body.textContent = "Opening…";
  } catch {
    // Cosmetic only; some browsers keep the blank page closed to scripts.
  }
  try {
    const opened = await api.post<OpenedApp>(`/sessions/${encodeURIComponent(sessionId)}/open`);
    const url = new URL(opened.url);
    // Only ever navigate to a web page: a javascript: URL would run here.
    if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error("The server answered a link that is not a web page.");
    // replace: the blank page stays out of the tab's history.
    tab.location.replace(url.href);
  } catch (err) {
    tab.close();
    throw err;
  }
}
