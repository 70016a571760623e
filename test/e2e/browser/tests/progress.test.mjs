// @ts-check
// Start progress in the UI: while a desktop starts, its page shows the
// "Starting" card with the phase the runtime (Docker) or the core reports,
// live from the event stream, before the desktop itself. Needs what
// desktop.test.mjs needs; without it the test skips, or fails with
// ATRIUM_E2E_REQUIRE_SESSIONS=1.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { adminPassword, apiSession, createUser, launch, needSessions, newPage, screenshot, sessionsConfig, signIn, startCore, stopAll } from "../lib/harness.mjs";

const startTimeout = 180_000;
const phases = ["scheduled", "image_ready", "container_started", "waiting_for_app"];

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
  core = await startCore(cfg);
  await createUser(core, "admin", adminPassword, ["-admin", "-org", "team", "-role", "org_admin"]);
  const api = await apiSession(core, "admin", adminPassword);
  const templates = await api("GET", "/templates");
  if (templates.status !== 200) {
    skip = `the core has no sessions API yet (GET /api/v1/templates: ${templates.status})`;
    return;
  }
  browser = await launch();
});

after(() => stopAll(browser, core));

describe("start progress", () => {
  it("shows the Starting card with the start's phase before the desktop", async (t) => {
    if (needSessions(t, skip) || !core || !browser) return;
    const { page, problems } = await newPage(browser, core);
    // Record every phase and message the card shows, and whether the
    // screen was there yet, from the first paint on: a Docker start takes
    // about a second, quicker than polling from here could follow.
    await page.addInitScript(() => {
      /** @type {{ phase: string, message: string, label: string, screen: boolean }[]} */
      const seen = [];
      Object.assign(window, { __startSeen: seen });
      new MutationObserver(() => {
        const card = document.querySelector("section.start-card");
        if (!(card instanceof HTMLElement)) return;
        const phase = card.dataset.phase ?? "";
        const message = card.querySelector(".start-message")?.textContent ?? "";
        const label = card.querySelector(".start-phase")?.textContent ?? "";
        const last = seen[seen.length - 1];
        if (!last || last.phase !== phase || last.message !== message)
          seen.push({ phase, message, label, screen: !!document.querySelector("main.screen") });
      }).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
    });
    await signIn(page, "admin", adminPassword);
    await page.getByRole("link", { name: "New session" }).click();
    await page.getByRole("radio", { name: /Desktop/ }).check();
    await page.getByRole("button", { name: "Start session" }).click();
    await page.waitForURL(/\/sessions\/[0-9a-f-]{36}$/);
    await page.locator("section.start-card[data-phase]:not([data-phase=''])").waitFor({ timeout: 30_000 }).catch(() => undefined);
    await screenshot(page, "start-progress");
    await page.getByRole("status").filter({ hasText: "Connected to the desktop." }).waitFor({ state: "attached", timeout: startTimeout });

    /** @type {{ phase: string, message: string, label: string, screen: boolean }[]} */
    const seen = await page.evaluate(() => /** @type {any} */ (window).__startSeen);
    t.diagnostic(`the card showed ${JSON.stringify(seen)}`);
    const reported = seen.filter((s) => s.phase);
    assert.ok(reported.length > 0, `the Starting card never showed a phase; it showed ${JSON.stringify(seen)}`);
    const ranks = reported.map((s) => phases.indexOf(s.phase));
    assert.ok(!ranks.includes(-1), `unknown phases shown: ${JSON.stringify(reported)}`);
    assert.deepEqual(ranks, [...ranks].sort((a, b) => a - b), `phases out of order: ${JSON.stringify(reported)}`);
    assert.ok(reported.every((s) => !s.screen), "the card showed a phase beside the desktop");
    for (const s of reported) {
      assert.ok(s.message.length > 0 && s.label.length > 0, `phase ${s.phase} shown without words: ${JSON.stringify(s)}`);
      if (s.phase === "waiting_for_app") assert.equal(s.message, "waiting for Linux desktop to answer");
      if (s.phase === "container_started") assert.match(s.message, /^container \S+ started$/);
      if (s.phase === "image_ready") assert.match(s.message, /^image \S+ is present$/);
    }
    // Once the desktop shows, the card is gone.
    assert.equal(await page.locator("section.start-card").count(), 0);
    assert.deepEqual(problems, []);
    await page.context().close();
  });
});
