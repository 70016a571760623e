// @ts-check
// A desktop session through the UI: start, see it drawn by noVNC through the
// relay, hibernate, resume, stop; and a member cannot reach it. Needs the
// sessions API, the Docker engine, the plugins from `make build` and the
// desktop image (images/desktop/build.sh); without them the tests skip,
// or fail with ATRIUM_E2E_REQUIRE_SESSIONS=1. The core's stop removes the
// run's containers and home volumes, whether the tests passed or not.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  adminPassword,
  apiSession,
  createUser,
  launch,
  memberPassword,
  needSessions,
  newPage,
  screenshot,
  sessionsConfig,
  signIn,
  startCore,
  stopAll,
} from "../lib/harness.mjs";

const startTimeout = 180_000;

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
  await createUser(core, "member", memberPassword, ["-org", "team", "-role", "member"]);
  const api = await apiSession(core, "admin", adminPassword);
  const templates = await api("GET", "/templates");
  if (templates.status !== 200) {
    skip = `the core has no sessions API yet (GET /api/v1/templates: ${templates.status})`;
    return;
  }
  browser = await launch();
});

after(() => stopAll(browser, core));

/**
 * drawn waits until noVNC's canvas shows a real picture: a sensible size
 * and more than a handful of distinct colours (a blank or single-colour
 * canvas means nothing arrived from the VNC server).
 * @param {import("playwright-core").Page} page
 */
async function waitDrawn(page) {
  await page.waitForFunction(
    () => {
      const c = document.querySelector("main.screen canvas");
      if (!(c instanceof HTMLCanvasElement) || c.width < 200 || c.height < 150) return false;
      const ctx = c.getContext("2d");
      if (!ctx) return false;
      const data = ctx.getImageData(0, 0, c.width, c.height).data;
      const colours = new Set();
      const step = 4 * 97; // sample about one pixel in a hundred
      for (let i = 0; i < data.length; i += step) colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      return colours.size >= 4;
    },
    undefined,
    { timeout: startTimeout, polling: 500 },
  );
}

let sessionPath = "";

describe("a desktop session", () => {
  it("starts with visible progress and shows the desktop", async (t) => {
    if (needSessions(t, skip) || !core || !browser) return;
    const { page, problems } = await newPage(browser, core);
    await signIn(page, "admin", adminPassword);
    await page.getByRole("link", { name: "New session" }).click();
    await page.getByRole("heading", { level: 1, name: "New session" }).waitFor();
    await page.getByRole("radio", { name: /Desktop/ }).check();
    await screenshot(page, "new-session");
    await page.getByRole("button", { name: "Start session" }).click();
    await page.waitForURL(/\/sessions\/[0-9a-f-]{36}$/);
    sessionPath = new URL(page.url()).pathname;
    await screenshot(page, "desktop-starting");
    await page.getByRole("status").filter({ hasText: "Connected to the desktop." }).waitFor({ state: "attached", timeout: startTimeout });
    await waitDrawn(page);
    await screenshot(page, "desktop");
    // The screen fills the window below the toolbar.
    const box = await page.locator("main.screen").boundingBox();
    assert.ok(box && box.width >= 1270 && box.height >= 700, `the screen is ${JSON.stringify(box)}`);
    assert.deepEqual(problems, []);
    await page.context().close();
  });

  it("is out of a member's reach", async (t) => {
    if (needSessions(t, skip) || !core || !browser) return;
    assert.ok(sessionPath, "the previous test started a session");
    const { page } = await newPage(browser, core);
    await signIn(page, "member", memberPassword);
    assert.equal(await page.locator("tr[data-session]").count(), 0, "the member's list shows no sessions");
    await page.goto(sessionPath);
    await page.getByRole("heading", { level: 1, name: "Session unavailable" }).waitFor();
    await screenshot(page, "member-other-session");
    const api = await apiSession(core, "member", memberPassword);
    const id = sessionPath.split("/").pop();
    assert.equal((await api("GET", `/sessions/${id}`)).status, 404);
    assert.equal((await api("POST", `/sessions/${id}/connect`)).status, 404);
    assert.equal((await api("POST", `/sessions/${id}/stop`)).status, 404);
    await page.context().close();
  });

  it("hibernates, resumes and stops", async (t) => {
    if (needSessions(t, skip) || !core || !browser) return;
    assert.ok(sessionPath, "the first test started a session");
    const { page, problems } = await newPage(browser, core);
    await signIn(page, "admin", adminPassword);
    await page.goto(sessionPath);
    await waitDrawn(page);

    await page.getByRole("button", { name: "Hibernate" }).click();
    await page.getByRole("heading", { level: 1, name: "Hibernated" }).waitFor({ timeout: startTimeout });
    await screenshot(page, "desktop-hibernated");

    await page.getByRole("button", { name: "Resume" }).click();
    await waitDrawn(page);
    await screenshot(page, "desktop-resumed");

    await page.getByRole("button", { name: "Stop" }).click();
    const dialog = page.getByRole("dialog", { name: "Stop this session?" });
    await dialog.getByRole("button", { name: "Stop session" }).click();
    await page.getByRole("heading", { level: 1, name: "Stopped" }).waitFor({ timeout: startTimeout });
    await screenshot(page, "desktop-stopped");

    await page.getByRole("link", { name: "← Sessions" }).click();
    const row = page.locator(`tr[data-session="${sessionPath.split("/").pop()}"]`);
    assert.equal(await row.getAttribute("data-state"), "stopped");
    await screenshot(page, "sessions-after-stop");
    assert.deepEqual(problems, []);
    await page.context().close();
  });
});
