// @ts-check
// VS Code and Jupyter through the UI, in origin isolation mode: each
// session's app on its own host under *.apps.localhost, which Chromium
// resolves to loopback by itself. A session is started from the UI, opened
// with Open into a new tab, and used there: a file written in VS Code's
// editor lands in the home volume; a notebook runs 1+1 over the kernel's
// WebSocket. Then a page on an app's host tries to use the core's API as
// the user, and app hosts are opened without their cookie or with another
// app's link. Needs what desktop.test.mjs needs, plus the atrium/code and
// atrium/jupyter images; without them the tests skip, or fail with
// ATRIUM_E2E_REQUIRE_SESSIONS=1. The core's stop removes the run's
// containers and home volumes, whether the tests passed or not.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import {
  adminPassword,
  apiSession,
  createUser,
  docker,
  launch,
  needSessions,
  newPage,
  screenshot,
  sessionsConfig,
  signIn,
  startCore,
  stopAll,
} from "../lib/harness.mjs";

const startTimeout = 180_000;
const appDomain = "*.apps.localhost";

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
  core = await startCore(cfg, { appDomain });
  await createUser(core, "ada", adminPassword, ["-org", "team", "-role", "member"]);
  browser = await launch();
});

after(() => stopAll(browser, core));

/** appHost is the host (with port) of a session's app in isolation mode. */
function appHost(id) {
  assert.ok(core);
  return `${id}.apps.localhost:${core.port}`;
}

/** The sessions the tests start, by template. */
const started = { code: "", jupyter: "" };

/**
 * startFromUI starts a session of the template shown as label from the
 * New session page and waits on the sessions list until it runs; it
 * returns the session's id and its row.
 * @param {import("playwright-core").Page} page
 * @param {RegExp} label
 * @param {string} kind what the list's Kind column must say
 */
async function startFromUI(page, label, kind) {
  await page.getByRole("link", { name: "New session" }).click();
  await page.getByRole("heading", { level: 1, name: "New session" }).waitFor();
  await page.getByRole("radio", { name: label }).check();
  await screenshot(page, "apps-new-session");
  const created = page.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname === "/api/v1/sessions");
  await page.getByRole("button", { name: "Start session" }).click();
  const res = await created;
  assert.equal(res.status(), 202, "the core accepts the session");
  const { id } = await res.json();
  // A web app's start is followed on the sessions list, not on a page of
  // its own: there is nothing to show until it runs, and then it opens in
  // a tab.
  await page.getByRole("heading", { level: 1, name: "Sessions" }).waitFor();
  const row = page.locator(`tr[data-session="${id}"]`);
  assert.equal((await row.locator('[data-label="Kind"]').textContent())?.trim(), kind);
  await page.locator(`tr[data-session="${id}"][data-state="running"]`).waitFor({ timeout: startTimeout });
  return { id, row };
}

/**
 * openFromList presses the row's Open and returns the app's tab once it
 * is on the app's own origin.
 * @param {import("playwright-core").Page} page
 * @param {import("playwright-core").Locator} row
 * @param {string} id
 */
async function openFromList(page, row, id) {
  const [tab] = await Promise.all([page.context().waitForEvent("page"), row.getByRole("button", { name: /^Open/ }).click()]);
  // The tab opens blank in the click and is then sent to the single-use
  // link, which sets the app's cookie and redirects into the app.
  await tab.waitForURL((u) => u.host === appHost(id) && u.pathname !== "/_atrium/auth", { timeout: 30_000 });
  await tab.waitForLoadState("load");
  assert.equal(await tab.evaluate(() => window.opener), null, "the app's tab has no way back to Atrium's page");
  return tab;
}

/**
 * homeFile reads a file from the session's home volume with a container
 * of its own, so the answer comes from the volume, not from the session.
 * @param {string} sessionId
 * @param {string} name
 */
async function homeFile(sessionId, name) {
  const ids = (await docker(["ps", "-aq", "--filter", `label=atrium.session=${sessionId}`])).split("\n").filter(Boolean);
  assert.equal(ids.length, 1, `one container for session ${sessionId}`);
  const mounts = JSON.parse(await docker(["inspect", "--format", "{{json .Mounts}}", ids[0]]));
  const home = mounts.find((/** @type {{ Destination: string }} */ m) => m.Destination === "/home/atrium");
  assert.ok(home?.Type === "volume" && home.Name, `the session mounts a home volume: ${JSON.stringify(mounts)}`);
  return docker(["run", "--rm", "--network", "none", "-v", `${home.Name}:/h:ro`, "--entrypoint", "cat", "atrium/code:1", `/h/${name}`]);
}

/**
 * createFile creates name in the workspace folder through the Explorer and
 * waits for its editor tab. Early in the workbench's life the Explorer
 * re-renders as the home folder's first files appear, which can take the
 * name box away between typing and Enter; so it starts over, unless the
 * file's tab has opened meanwhile.
 * @param {import("playwright-core").Page} tab
 * @param {string} name
 */
async function createFile(tab, name) {
  const editorTab = tab.getByRole("tab", { name: new RegExp(name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")) });
  for (let attempt = 1; ; attempt++) {
    try {
      if ((await editorTab.count()) === 0) {
        const nameBox = await explorerNewFile(tab);
        await nameBox.fill(name, { timeout: 5_000 });
        await nameBox.press("Enter", { timeout: 5_000 });
      }
      await editorTab.first().waitFor({ timeout: 10_000 });
      return;
    } catch (err) {
      if (attempt === 5) {
        await screenshot(tab, "vscode-create-file-failed");
        throw err;
      }
    }
  }
}

/**
 * explorerNewFile opens the Explorer's inline name box for a new file and
 * returns it. The palette lists two commands as "File: New File..." (the
 * Explorer's, and the welcome page's file-type picker) in an order that
 * changes with use, so the Explorer's own title-bar action comes first,
 * and the palette is the fallback.
 * @param {import("playwright-core").Page} tab
 */
async function explorerNewFile(tab) {
  const nameBox = tab.locator(".explorer-folders-view .monaco-inputbox input, .explorer-folders-view .monaco-inputbox textarea");
  for (let attempt = 1; ; attempt++) {
    try {
      await tab.keyboard.press("Escape");
      if (attempt % 2 === 1) {
        const header = tab.locator(".explorer-viewlet .pane-header").filter({ has: tab.locator(".codicon-explorer-new-file, .codicon-new-file") }).first();
        await header.hover({ timeout: 5_000 });
        await header.locator(".codicon-explorer-new-file, .codicon-new-file").first().click({ timeout: 5_000 });
      } else {
        await runCommand(tab, "File: New File...");
      }
      await nameBox.waitFor({ timeout: 5_000 });
      return nameBox;
    } catch (err) {
      if (attempt === 6) {
        await screenshot(tab, "vscode-new-file-failed");
        throw err;
      }
    }
  }
}

/**
 * runCommand runs a VS Code command from the command palette. Right after
 * the workbench appears, the palette may still lack commands that
 * extensions contribute, or lose the keystroke that opens it; so it tries
 * again a few times before giving up.
 * @param {import("playwright-core").Page} tab
 * @param {string} name the command's title, as the palette lists it
 */
async function runCommand(tab, name) {
  const palette = tab.locator(".quick-input-widget input");
  // Click the exact entry: Enter would take the first match, which may be
  // another command ("Create: New File..." for "File: New File...").
  const option = tab.getByRole("option", { name: new RegExp("^" + name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")) }).first();
  for (let attempt = 1; ; attempt++) {
    try {
      await tab.keyboard.press("Escape");
      await tab.keyboard.press("F1");
      await palette.waitFor({ timeout: 5_000 });
      await palette.fill(">" + name);
      await option.click({ timeout: 5_000 });
      return;
    } catch (err) {
      if (attempt === 5) {
        await screenshot(tab, "vscode-palette-failed");
        throw err;
      }
    }
  }
}

describe("VS Code", () => {
  it("starts from the UI, opens on its own origin and saves a file into the home volume", async (t) => {
    if (needSessions(t, skip) || !core || !browser) return;
    const { page, problems } = await newPage(browser, core);
    await signIn(page, "ada", adminPassword);
    const { id, row } = await startFromUI(page, /VS Code/, "VS Code");
    started.code = id;
    await screenshot(page, "apps-sessions");

    const tab = await openFromList(page, row, id);
    await tab.locator(".monaco-workbench").waitFor({ timeout: 120_000 });
    await tab.locator(".explorer-folders-view").waitFor({ timeout: 60_000 });

    // A new file through the Explorer's inline name box, which creates it
    // on disk at once; then the text is typed into the editor and saved.
    // (The save-as dialog would also work, but its path box fills itself
    // in asynchronously and races with typing.)
    const line = `Atrium proof ${randomBytes(6).toString("hex")}: written in VS Code through the app proxy`;
    await createFile(tab, "atrium-proof.txt");
    const editor = tab.locator(".editor-instance .monaco-editor").first();
    await editor.click();
    await tab.keyboard.type(line);
    await tab.keyboard.press("Control+s");
    // Saved: the editor's tab is no longer marked dirty.
    await tab.locator(".tab.active.dirty").waitFor({ state: "detached" });
    await screenshot(tab, "vscode");

    assert.equal(await homeFile(id, "atrium-proof.txt"), line, "the file in the home volume holds what was typed");
    assert.deepEqual(problems, []);
    await page.context().close();
  });

  it("lists sessions by kind at phone width", async (t) => {
    if (needSessions(t, skip) || !core || !browser) return;
    assert.ok(started.code, "the previous test started a VS Code session");
    const { page, problems } = await newPage(browser, core, { width: 390, height: 844 });
    await signIn(page, "ada", adminPassword);
    const row = page.locator(`tr[data-session="${started.code}"]`);
    assert.equal((await row.locator('[data-label="Kind"]').textContent())?.trim(), "VS Code");
    const open = row.getByRole("button", { name: /^Open/ });
    const box = await open.boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `Open fits the screen: ${JSON.stringify(box)}`);
    // Nothing makes the page scroll sideways.
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), "no horizontal scroll");
    await screenshot(page, "apps-sessions-phone");
    assert.deepEqual(problems, []);
    await page.context().close();
  });
});

describe("Jupyter", () => {
  it("runs 1+1 in a new notebook through the kernel's WebSocket", async (t) => {
    if (needSessions(t, skip) || !core || !browser) return;
    const { page, problems } = await newPage(browser, core);
    await signIn(page, "ada", adminPassword);
    const { id, row } = await startFromUI(page, /Jupyter/, "Jupyter");
    started.jupyter = id;

    // Every WebSocket any tab opens, with whether frames came back on it.
    /** @type {{ url: string, received: number }[]} */
    const sockets = [];
    page.context().on("page", (p) =>
      p.on("websocket", (ws) => {
        const s = { url: ws.url(), received: 0 };
        sockets.push(s);
        ws.on("framereceived", () => s.received++);
      }),
    );

    const tab = await openFromList(page, row, id);
    // Jupyter opens on its file list.
    await tab.waitForURL((u) => u.pathname === "/tree");
    await tab.locator("#notebook_list").waitFor();
    await screenshot(tab, "jupyter-tree");

    // The classic interface opens a new notebook in a tab of its own.
    await tab.locator("#new-dropdown-button").click();
    const [nb] = await Promise.all([page.context().waitForEvent("page"), tab.locator("#kernel-python3 a").click()]);
    await nb.waitForURL((u) => u.host === appHost(id) && u.pathname.startsWith("/notebooks/"), { timeout: 30_000 });
    await nb.locator("#kernel_indicator_icon.kernel_idle_icon").waitFor({ timeout: 60_000 });
    await nb.locator("#notebook .cell .CodeMirror").first().click();
    await nb.keyboard.type("1+1");
    await nb.keyboard.press("Shift+Enter");
    const out = nb.locator(".output_area .output_result pre").first();
    await out.waitFor({ timeout: 60_000 });
    assert.equal((await out.textContent())?.trim(), "2");
    await screenshot(nb, "jupyter-notebook");

    const kernel = sockets.filter((s) => {
      const u = new URL(s.url);
      return u.protocol === "ws:" && u.host === appHost(id) && /^\/api\/kernels\/[0-9a-f-]+\/channels/.test(u.pathname);
    });
    assert.ok(
      kernel.some((s) => s.received > 0),
      `the kernel's WebSocket ran on the app's host: ${JSON.stringify(sockets)}`,
    );
    assert.deepEqual(problems, []);
    await page.context().close();
  });
});

describe("isolation", () => {
  it("a page on an app's host cannot use the core's API as the user", async (t) => {
    if (needSessions(t, skip) || !core || !browser) return;
    assert.ok(started.jupyter, "the Jupyter test started a session");
    const { page } = await newPage(browser, core);
    await signIn(page, "ada", adminPassword);
    const tab = await openFromList(page, page.locator(`tr[data-session="${started.jupyter}"]`), started.jupyter);
    await tab.locator("#notebook_list").waitFor();

    // What the browser really sends to the core from the app's page.
    /** @type {Promise<Record<string, string>>[]} */
    const sending = [];
    const api = core.url + "/api/v1/sessions";
    tab.on("request", (r) => {
      if (r.url() === api) sending.push(r.allHeaders());
    });
    const answer = await tab.evaluate(async (url) => {
      try {
        const r = await fetch(url, { credentials: "include" });
        return { status: r.status, body: await r.text() };
      } catch (e) {
        return { error: String(e) };
      }
    }, api);
    // CORS is closed: the core allows no other origin, so the page never
    // sees an answer.
    assert.ok("error" in answer, `the app's page read the core's answer: ${JSON.stringify(answer)}`);
    assert.match(answer.error ?? "", /TypeError/);
    // And the login cookie was not sent: the core's cookie is host-only
    // and SameSite=Lax, and the app's host is another site.
    const sent = await Promise.all(sending);
    assert.ok(sent.length >= 1, "the browser sent the request");
    for (const h of sent) assert.ok(!/atrium_session/.test(h.cookie ?? ""), `the core's cookie went along: ${h.cookie}`);

    // On its own host the path reaches the app, never the core's API.
    const same = await tab.evaluate(async () => {
      const r = await fetch("/api/v1/sessions", { credentials: "include" });
      return { status: r.status, body: await r.text() };
    });
    assert.ok(!same.body.includes(started.jupyter) && !same.body.includes('"items"'), `the app's host served the core's API: ${JSON.stringify(same)}`);
    await screenshot(tab, "isolation-app-page");
    await page.context().close();
  });

  it("an app's host refuses a browser without its cookie, and another app's link", async (t) => {
    if (needSessions(t, skip) || !core || !browser) return;
    assert.ok(started.code && started.jupyter, "the earlier tests started both sessions");

    // A fresh browser: no cookies at all.
    const fresh = await browser.newContext();
    const p = await fresh.newPage();
    const res = await p.goto(`http://${appHost(started.jupyter)}/tree`);
    assert.equal(res?.status(), 401);
    assert.match(await p.content(), /app-unauthenticated/);
    await screenshot(p, "isolation-no-cookie");
    await fresh.close();

    // Logged in to Atrium, but the app was never opened in this browser:
    // the core's cookie does not open the app.
    const { page } = await newPage(browser, core);
    await signIn(page, "ada", adminPassword);
    const tab = await page.context().newPage();
    const again = await tab.goto(`http://${appHost(started.jupyter)}/tree`);
    assert.equal(again?.status(), 401, "Atrium's login alone opens no app");

    // A link issued for the VS Code session, taken to Jupyter's host, is
    // refused and spent: it then opens VS Code neither.
    const link = await page.evaluate(async (id) => {
      const me = await (await fetch("/api/v1/me")).json();
      const r = await fetch(`/api/v1/sessions/${id}/open`, { method: "POST", headers: { "X-CSRF-Token": me.csrf_token } });
      return (await r.json()).url;
    }, started.code);
    const u = new URL(link);
    assert.equal(u.host, appHost(started.code), "the link points at VS Code's own host");
    const stolen = new URL(link);
    stolen.host = appHost(started.jupyter);
    assert.equal((await tab.goto(stolen.href))?.status(), 403, "VS Code's link does not open Jupyter");
    assert.equal((await tab.goto(link))?.status(), 403, "the link was spent by the refused try");
    await page.context().close();
  });
});
