// @ts-check
// A core restart under an open desktop: SIGTERM drains the core (its
// /readyz fails, then the relay closes with 1001 "core restarting"), the
// core comes back on the same port and database, and the desktop page
// reconnects by itself, with a fresh ticket, showing that Atrium is
// restarting meanwhile — nobody clicks. The browser suite runs one core,
// so the restarted core stands in for "another replica"; the Go test
// TestDrainHandsDesktopToAnotherCore (test/e2e) covers two cores on one
// PostgreSQL. Needs what desktop.test.mjs needs; skips without it.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { adminPassword, apiSession, createUser, launch, needSessions, newPage, screenshot, sessionsConfig, signIn, startCore, stopAll } from "../lib/harness.mjs";

const startTimeout = 180_000;
const drainGraceSeconds = 2;

/** @type {import("../lib/harness.mjs").Core | undefined} */
let core;
/** @type {import("playwright-core").Browser | undefined} */
let browser;
let skip = "";

before(async () => {
  const cfg = await sessionsConfig();
  if (!cfg.hcl) {
    skip = cfg.reason;
    return;
  }
  core = await startCore(cfg, { server: `drain_grace = "${drainGraceSeconds}s"` });
  await createUser(core, "admin", adminPassword, ["-admin", "-org", "team", "-role", "org_admin"]);
  browser = await launch();
});

after(() => stopAll(browser, core));

/**
 * canvasStamp is a digest of what noVNC's canvas shows, or "" while it
 * shows nothing real (too small, or fewer than four colours).
 * @param {import("playwright-core").Page} page
 */
async function canvasStamp(page) {
  return page.evaluate(() => {
    const c = document.querySelector("main.screen canvas");
    if (!(c instanceof HTMLCanvasElement) || c.width < 200 || c.height < 150) return "";
    const ctx = c.getContext("2d");
    if (!ctx) return "";
    const data = ctx.getImageData(0, 0, c.width, c.height).data;
    const colours = new Set();
    for (let i = 0; i < data.length; i += 4 * 97) colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    return colours.size >= 4 ? `${c.width}x${c.height}/${colours.size}` : "";
  });
}

describe("a core restart", () => {
  it("brings the open desktop back without a click", async (t) => {
    if (needSessions(t, skip) || !core || !browser) return;
    const api = await apiSession(core, "admin", adminPassword);
    const created = await api("POST", "/sessions", { template: "desktop" });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const id = created.body.id;

    const { page, problems } = await newPage(browser, core);
    // Every relay the page opens, and how each ended.
    /** @type {{ url: string, closed: boolean }[]} */
    const sockets = [];
    page.on("websocket", (ws) => {
      if (!ws.url().includes("/vnc")) return;
      const rec = { url: ws.url(), closed: false };
      sockets.push(rec);
      ws.on("close", () => (rec.closed = true));
    });
    await signIn(page, "admin", adminPassword);
    await page.goto(`/sessions/${id}`);
    const connected = page.getByRole("status").filter({ hasText: "Connected to the desktop." });
    await connected.waitFor({ state: "attached", timeout: startTimeout });
    await page.waitForFunction(() => document.querySelector("main.screen canvas") !== null, undefined, { timeout: startTimeout });
    for (let i = 0; !(await canvasStamp(page)); i++) {
      assert.ok(i < 600, "the desktop was never drawn");
      await page.waitForTimeout(250);
    }
    await screenshot(page, "drain-before");
    assert.equal(sockets.length, 1, "one relay before the restart");

    // Restart the core; watch /readyz fail during the grace, while the
    // core still answers.
    let readyzFailed = false;
    const began = Date.now();
    const restarted = core.restart();
    while (Date.now() - began < (drainGraceSeconds - 0.5) * 1000) {
      try {
        const r = await fetch(core.url + "/readyz");
        if (r.status === 503) {
          const body = await r.json();
          if (String(body.type).endsWith("/draining")) readyzFailed = true;
        }
      } catch {
        // the core stopped answering: too late to look
      }
      if (readyzFailed) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(readyzFailed, "/readyz did not answer 503 draining while the core drained");

    // The page says Atrium is restarting, without an error or a button to press.
    const restarting = page.locator(".banner").filter({ hasText: "Atrium is restarting" });
    await restarting.waitFor({ timeout: 30_000 });
    await screenshot(page, "drain-restarting");
    assert.equal(await restarting.getByRole("button").count(), 0, "the restarting banner asks for a click");
    assert.equal(await page.getByRole("heading", { name: "Session unavailable" }).count(), 0);

    const exitCode = await restarted;
    assert.equal(exitCode, 0, "the drained core exited with a failure");

    // Back by itself: a second relay, connected, and the desktop drawn.
    await connected.waitFor({ state: "attached", timeout: 60_000 });
    for (let i = 0; !(await canvasStamp(page)); i++) {
      assert.ok(i < 240, "the desktop was not drawn again after the restart");
      await page.waitForTimeout(250);
    }
    await screenshot(page, "drain-after");
    assert.ok(sockets.length >= 2, `the page opened ${sockets.length} relay(s); want a new one after the restart`);
    assert.ok(sockets[0].closed, "the first relay did not close");
    assert.notEqual(sockets[0].url, sockets.at(-1)?.url, "the page reused its old ticket");
    assert.ok(!sockets.at(-1)?.closed, "the new relay is closed");
    const log = core.log();
    assert.match(log, /draining: \/readyz fails from now on/);
    assert.match(log, /drained/);
    const s = await (await apiSession(core, "admin", adminPassword))("GET", `/sessions/${id}`);
    assert.equal(s.body.state, "running", "the session is no longer running after the restart");
    assert.deepEqual(
      problems.filter((p) => p.startsWith("page error")),
      [],
    );
    await page.context().close();
  });
});
