// @ts-check
// A desktop session through the UI: start, see it drawn by noVNC through the
// relay, hibernate, resume, stop; and a member cannot reach it. Needs the
// sessions API, the Docker engine, the plugins from `make build` and the
// desktop image (images/desktop/build.sh); without them the tests skip,
// or fail with ATRIUM_E2E_REQUIRE_SESSIONS=1. The core's stop removes the
// run's containers and home volumes, whether the tests passed or not.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import {
  adminPassword,
  apiSession,
  createUser,
  docker,
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

const startPhases = ["scheduled", "image_ready", "container_started", "waiting_for_app"];

/**
 * recordStartCard has the page record every phase and message its
 * Starting card shows, and whether the desktop's screen was there yet,
 * from the first paint on: a Docker start takes about a second, quicker
 * than polling from here could follow. startCardSeen reads the record.
 * @param {import("playwright-core").Page} page
 */
async function recordStartCard(page) {
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
}

/**
 * checkStartCard asserts the card showed at least one phase, known phases
 * only, in order, each in words with the runtime's or the core's message,
 * and never beside the desktop.
 * @param {import("playwright-core").Page} page
 * @param {import("node:test").TestContext} t
 */
async function checkStartCard(page, t) {
  /** @type {{ phase: string, message: string, label: string, screen: boolean }[]} */
  const seen = await page.evaluate(() => /** @type {any} */ (window).__startSeen);
  t.diagnostic(`the Starting card showed ${JSON.stringify(seen)}`);
  const reported = seen.filter((s) => s.phase);
  assert.ok(reported.length > 0, `the Starting card never showed a phase; it showed ${JSON.stringify(seen)}`);
  const ranks = reported.map((s) => startPhases.indexOf(s.phase));
  assert.ok(!ranks.includes(-1), `unknown phases shown: ${JSON.stringify(reported)}`);
  assert.deepEqual(ranks, [...ranks].sort((a, b) => a - b), `phases out of order: ${JSON.stringify(reported)}`);
  assert.ok(reported.every((s) => !s.screen), "the card showed a phase beside the desktop");
  for (const s of reported) {
    assert.ok(s.message.length > 0 && s.label.length > 0, `phase ${s.phase} shown without words: ${JSON.stringify(s)}`);
    if (s.phase === "waiting_for_app") assert.equal(s.message, "waiting for Linux desktop to answer");
    if (s.phase === "container_started") assert.match(s.message, /^container \S+ started$/);
    if (s.phase === "image_ready") assert.match(s.message, /^image \S+ is present$/);
  }
  assert.equal(await page.locator("section.start-card").count(), 0, "the card stays once the desktop shows");
}

describe("a desktop session", () => {
  it("starts with visible progress and shows the desktop", async (t) => {
    if (needSessions(t, skip) || !core || !browser) return;
    const { page, problems } = await newPage(browser, core);
    await recordStartCard(page);
    await signIn(page, "admin", adminPassword);
    await page.getByRole("link", { name: "New session" }).click();
    await page.getByRole("heading", { level: 1, name: "New session" }).waitFor();
    await page.getByRole("radio", { name: /Desktop/ }).check();
    await screenshot(page, "new-session");
    await page.getByRole("button", { name: "Start session" }).click();
    await page.waitForURL(/\/sessions\/[0-9a-f-]{36}$/);
    sessionPath = new URL(page.url()).pathname;
    await page.locator("section.start-card[data-phase]:not([data-phase=''])").waitFor({ timeout: 30_000 }).catch(() => undefined);
    await screenshot(page, "desktop-starting");
    await page.getByRole("status").filter({ hasText: "Connected to the desktop." }).waitFor({ state: "attached", timeout: startTimeout });
    await checkStartCard(page, t);
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

  it("shows an orphaned session to the platform admin, who destroys it and keeps the home", async (t) => {
    if (needSessions(t, skip) || !core || !browser) return;
    assert.ok(sessionPath, "the first test started a session");
    // An orphan as a database restored from backup leaves one: a container
    // carrying this installation's labels for a session the database does
    // not know. It is a copy of the running desktop's container's labels
    // with a new session id, mounting the same home (so teardown finds it).
    const id = sessionPath.split("/").pop() ?? "";
    const cid = (await docker(["ps", "-q", "--filter", `label=atrium.session=${id}`])).trim();
    assert.ok(cid, `no running container for session ${id}`);
    const [info] = JSON.parse(await docker(["inspect", cid]));
    const home = info.Mounts.find((/** @type {{Type: string}} */ m) => m.Type === "volume");
    assert.ok(home, "the desktop's container mounts no home volume");
    const orphanID = randomUUID();
    const labels = { ...info.Config.Labels, "atrium.session": orphanID };
    const orphanName = `atrium-orphan-${orphanID.slice(0, 8)}`;
    await docker([
      "run", "-d", "--name", orphanName,
      ...Object.entries(labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]),
      "-v", `${home.Name}:/mnt/home:ro`, "--entrypoint", "sleep", info.Config.Image, "infinity",
    ]);

    const { page, problems } = await newPage(browser, core);
    await signIn(page, "admin", adminPassword);
    await page.getByRole("link", { name: "Orphans" }).click();
    await page.getByRole("heading", { level: 1, name: "Orphaned sessions" }).waitFor();
    // The resync (every 30 s) records it; the page shows what it recorded.
    const row = page.locator("tr", { hasText: orphanID });
    const deadline = Date.now() + 75_000;
    while (!(await row.count())) {
      assert.ok(Date.now() < deadline, "the orphan was not listed within 75 s");
      await new Promise((r) => setTimeout(r, 3000));
      await page.reload();
      await page.getByRole("heading", { level: 1, name: "Orphaned sessions" }).waitFor();
    }
    assert.match((await row.textContent()) ?? "", /desktop/, "the row names the template");
    await screenshot(page, "admin-orphans");

    await row.getByRole("button", { name: `Destroy ${orphanID}` }).click();
    const dialog = page.getByRole("dialog", { name: "Destroy this session?" });
    await screenshot(page, "admin-orphan-destroy");
    await dialog.getByRole("button", { name: "Destroy session" }).click();
    await page.getByRole("status").filter({ hasText: `Session ${orphanID} destroyed.` }).waitFor();
    await row.waitFor({ state: "detached" });
    assert.equal((await docker(["ps", "-aq", "--filter", `name=${orphanName}`])).trim(), "", "the orphan's container is still there");
    assert.equal((await docker(["volume", "ls", "-q", "--filter", `name=${home.Name}`])).trim(), home.Name, "the home volume went too");
    assert.deepEqual(problems, []);
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
