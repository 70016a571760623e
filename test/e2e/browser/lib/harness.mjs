// @ts-check
// The browser tests' harness: a real `atrium server` (with its embedded
// PostgreSQL, and the Docker runtime for the session tests), users made
// with `atrium admin create-user`, and Debian's Chromium driven by
// playwright-core.
//
// Environment:
//   ATRIUM_BIN        the atrium binary, with the plugins beside it (default:
//                     bin/atrium, from `make build`)
//   ATRIUM_DESKTOP_IMAGE, ATRIUM_CODE_IMAGE, ATRIUM_JUPYTER_IMAGE
//                     the session images (default atrium/desktop:1,
//                     atrium/code:1, atrium/jupyter:1; `make images`)
//   CHROMIUM          the browser (default: /usr/bin/chromium)
//   ATRIUM_E2E_REQUIRE_SESSIONS=1   fail, rather than skip, the session
//                     tests when the core or the machine cannot run
//                     sessions (`make test` sets it)
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, "../../../..");
export const atriumBin = process.env.ATRIUM_BIN ?? join(repoRoot, "bin/atrium");
/** binDir holds the plugins, built beside atrium by `make build`. */
export const binDir = dirname(atriumBin);
export const chromiumBin = process.env.CHROMIUM ?? "/usr/bin/chromium";
/** artifacts is where screenshots go (git-ignored: /test/artifacts/). */
export const artifacts = join(repoRoot, "test/artifacts/browser");

export const adminPassword = "browser-admin-password-1";
export const memberPassword = "browser-member-password-1";

/** freePort finds a loopback port nobody listens on right now. */
async function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      s.close(() => ok(typeof addr === "object" && addr ? addr.port : 0));
    });
  });
}

function sha256(path) {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/**
 * run runs atrium with args to completion and returns its output; it throws
 * with the output when atrium fails.
 * @param {string[]} args
 * @param {string} [stdin]
 */
export async function runAtrium(args, stdin = "") {
  return new Promise((ok, fail) => {
    const p = spawn(atriumBin, args, { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (b) => (out += b));
    p.stderr.on("data", (b) => (out += b));
    p.on("error", fail);
    p.on("close", (code) => (code === 0 ? ok(out) : fail(new Error(`atrium ${args.join(" ")}: exit ${code}\n${out}`))));
    p.stdin.end(stdin);
  });
}

/**
 * @typedef {object} Core
 * @property {string} url       the core's origin, e.g. http://127.0.0.1:41234
 * @property {number} port      its port
 * @property {string} config    its config file
 * @property {() => string} log what it printed so far
 * @property {() => Promise<void>} stop  stops the core, then removes every
 *   container and home volume its sessions left (see removeSessions)
 * @property {() => Promise<number | null>} restart  stops the core with
 *   SIGTERM (it drains) and starts it again on the same port, config and
 *   database; returns the stopped core's exit code
 */

/**
 * docker runs the docker CLI and returns its stdout.
 * @param {string[]} args
 * @returns {Promise<string>}
 */
export function docker(args) {
  return new Promise((ok, fail) =>
    execFile("docker", args, { maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      err ? fail(new Error(`docker ${args.join(" ")}: ${err.message}\n${stderr}`)) : ok(stdout),
    ),
  );
}

/**
 * removeSessions removes what a run's sessions left on the Docker engine:
 * every container that mounts a home volume named with the run's prefix
 * (running, stopped or hibernated), then those volumes. The prefix is
 * unique to the run, so other runs and a developer's own sessions on the
 * same engine are left alone. It runs at teardown whatever happened: a
 * test that fails halfway must not leave its containers running.
 * @param {string} volumePrefix
 */
export async function removeSessions(volumePrefix) {
  const volumes = (await docker(["volume", "ls", "-q", "--filter", "label=atrium.managed=true", "--filter", "name=" + volumePrefix]))
    .split("\n")
    .filter((v) => v.startsWith(volumePrefix));
  for (const v of volumes) {
    const ids = (await docker(["ps", "-aq", "--filter", "volume=" + v])).split("\n").filter(Boolean);
    if (ids.length) await docker(["rm", "-f", "-v", ...ids]);
    await docker(["volume", "rm", "-f", v]);
  }
}

/**
 * startCore writes a config (server block, plus extra HCL) into a fresh
 * directory, starts `atrium server` and waits for /healthz. A session
 * config from sessionsConfig has its leftovers removed by stop.
 * @param {string | { hcl: string, volumePrefix?: string }} [extra] more HCL,
 *   e.g. plugins and templates, or sessionsConfig's answer
 * @param {{ appDomain?: string, server?: string }} [opts] appDomain sets
 *   server { app_domain }; server is more HCL for the server block
 * @returns {Promise<Core>}
 */
export async function startCore(extra = "", opts = {}) {
  if (!existsSync(atriumBin)) throw new Error(`${atriumBin} is missing: run \`make build\` first (or set ATRIUM_BIN)`);
  const hcl = typeof extra === "string" ? extra : extra.hcl;
  const volumePrefix = typeof extra === "string" ? "" : (extra.volumePrefix ?? "");
  // Not under a private temp folder: run as root, the embedded PostgreSQL
  // runs as the postgres user and must traverse every parent directory.
  const dir = mkdtempSync(join(tmpdir(), "atrium-browser-"));
  chmodSync(dir, 0o711);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = join(dir, "atrium.hcl");
  const appDomain = (opts.appDomain ? `  app_domain = "${opts.appDomain}"\n` : "") + (opts.server ? `  ${opts.server}\n` : "");
  writeFileSync(
    config,
    `server {\n  listen = "127.0.0.1:${port}"\n  public_url = "${url}"\n  state_dir = "${join(dir, "state")}"\n${appDomain}}\n` + hcl,
  );
  let log = "";
  /** @type {import("node:child_process").ChildProcess} */
  let proc;
  /** @type {Promise<number | null>} */
  let exited;
  const spawnCore = () => {
    proc = spawn(atriumBin, ["server", "-config", config, "-log-level", "debug"], { stdio: ["ignore", "pipe", "pipe"] });
    proc.stdout?.on("data", (b) => (log += b));
    proc.stderr?.on("data", (b) => (log += b));
    exited = new Promise((ok) => proc.on("close", (code) => ok(code)));
  };
  /** terminate sends SIGTERM and returns the exit code (SIGKILL after 30 s). */
  const terminate = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 30_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  const stop = async () => {
    await terminate();
    try {
      if (volumePrefix) await removeSessions(volumePrefix);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const waitServing = async () => {
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`atrium exited early:\n${log}`);
      try {
        if ((await fetch(url + "/healthz")).ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`atrium did not answer /healthz within 90 s:\n${log}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  /** restart stops the core with SIGTERM and starts it again: same port, config and database. */
  const restart = async () => {
    const code = await terminate();
    spawnCore();
    await waitServing();
    return code;
  };
  spawnCore();
  try {
    await waitServing();
    const home = await fetch(url + "/sessions");
    if (!(home.headers.get("content-type") ?? "").startsWith("text/html") || home.status !== 200) {
      throw new Error(
        `${url}/sessions answered ${home.status} ${home.headers.get("content-type")}, not the web UI: ` +
          "the core must mount web.Handler() (core/internal/web) and be built with `make build`",
      );
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, port, config, log: () => log, stop, restart };
}

/**
 * createUser makes a password account with the admin CLI.
 * @param {Core} core
 * @param {string} username
 * @param {string} password
 * @param {string[]} flags e.g. ["-admin"] or ["-org", "team", "-role", "member"]
 */
export async function createUser(core, username, password, flags = []) {
  await runAtrium(["admin", "create-user", "-config", core.config, "-username", username, ...flags], password + "\n");
}

/**
 * apiSession logs in through the API, for setting up data behind the UI.
 * @param {Core} core
 */
export async function apiSession(core, username, password) {
  const res = await fetch(core.url + "/api/v1/auth/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  if (!res.ok) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
  const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  const { csrf_token: csrf } = await res.json();
  /** @param {string} method @param {string} path @param {unknown} [body] */
  return async (method, path, body) => {
    const r = await fetch(core.url + "/api/v1" + path, {
      method,
      headers: { Cookie: cookie, "X-CSRF-Token": csrf, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : undefined };
  };
}

/** launch starts headless Chromium with the flags that keep it offline. */
export async function launch() {
  if (!existsSync(chromiumBin)) throw new Error(`${chromiumBin} is missing: apt-get install chromium`);
  return chromium.launch({
    executablePath: chromiumBin,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/**
 * newPage opens a page on a fresh browser context and records console
 * errors, failed scripts and CSP violations, which checkClean then reports.
 * @param {import("playwright-core").Browser} browser
 * @param {Core} core
 * @param {{ width: number, height: number }} [viewport]
 */
export async function newPage(browser, core, viewport = { width: 1280, height: 800 }) {
  const ctx = await browser.newContext({ baseURL: core.url, viewport });
  await ctx.grantPermissions(["clipboard-read", "clipboard-write"], { origin: core.url });
  const page = await ctx.newPage();
  /** @type {string[]} */
  const problems = [];
  page.on("pageerror", (e) => problems.push("page error: " + e.message));
  page.on("console", (m) => {
    // Failed API calls are logged by the browser as resource errors; the
    // tests expect some (a bad password is a 401). CSP violations and
    // script errors are never expected.
    if (m.type() === "error" && !/status of (4\d\d)/.test(m.text())) problems.push("console: " + m.text());
  });
  return { page, problems };
}

/**
 * screenshot saves test/artifacts/browser/<name>.png.
 * @param {import("playwright-core").Page} page
 * @param {string} name
 */
export async function screenshot(page, name) {
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, name + ".png"), fullPage: true });
}

/**
 * signIn fills the sign-in form and waits for the sessions page.
 * @param {import("playwright-core").Page} page
 */
export async function signIn(page, username, password) {
  await page.goto("/");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { level: 1, name: "Sessions" }).waitFor();
}

/**
 * sessionsConfig is sessions.hcl filled in — the Docker runtime, and the
 * desktop, VS Code and Jupyter workspaces and templates — with a home
 * volume prefix unique to this run; or the reason it cannot be.
 * @returns {Promise<{ hcl: string, volumePrefix: string, reason?: undefined } | { reason: string, hcl?: undefined }>}
 */
export async function sessionsConfig() {
  const images = {
    DESKTOP_IMAGE: process.env.ATRIUM_DESKTOP_IMAGE ?? "atrium/desktop:1",
    CODE_IMAGE: process.env.ATRIUM_CODE_IMAGE ?? "atrium/code:1",
    JUPYTER_IMAGE: process.env.ATRIUM_JUPYTER_IMAGE ?? "atrium/jupyter:1",
  };
  const plugins = {
    RUNTIME_DOCKER: "atrium-runtime-docker",
    WORKSPACE_VNC: "atrium-workspace-vnc",
    WORKSPACE_CODE: "atrium-workspace-code",
    WORKSPACE_JUPYTER: "atrium-workspace-jupyter",
  };
  const volumePrefix = `atrium-e2e-browser-${randomBytes(4).toString("hex")}-`;
  let hcl = readFileSync(join(here, "../sessions.hcl"), "utf8").replaceAll("%BIN%", binDir).replaceAll("%VOLUME_PREFIX%", volumePrefix);
  for (const [key, name] of Object.entries(plugins)) {
    const path = join(binDir, name);
    if (!existsSync(path)) return { reason: `${path} is missing (make build)` };
    hcl = hcl.replaceAll(`%SHA_${key}%`, sha256(path));
  }
  if (!existsSync("/var/run/docker.sock")) return { reason: "no Docker engine (/var/run/docker.sock; bash scripts/docker-up.sh)" };
  for (const [key, image] of Object.entries(images)) {
    try {
      await docker(["image", "inspect", "--format", "{{.Id}}", image]);
    } catch {
      return { reason: `the image ${image} is missing (make images)` };
    }
    hcl = hcl.replaceAll(`%${key}%`, image);
  }
  return { hcl, volumePrefix };
}

/**
 * needSessions reports whether a session test must stop because its file
 * could not set sessions up (reason is why; "" when it could): the test is
 * skipped, or failed when ATRIUM_E2E_REQUIRE_SESSIONS=1 demands sessions.
 * @param {import("node:test").TestContext} t
 * @param {string} reason
 */
export function needSessions(t, reason) {
  if (!reason) return false;
  if (process.env.ATRIUM_E2E_REQUIRE_SESSIONS === "1") assert.fail("cannot run the session tests: " + reason);
  t.skip(reason);
  return true;
}

/**
 * stopAll closes the browser and stops the core, printing the core's log
 * first when a test failed.
 * @param {import("playwright-core").Browser | undefined} browser
 * @param {{ log(): string, stop(): Promise<void> } | undefined} core
 */
export async function stopAll(browser, core) {
  await browser?.close();
  if (core && process.exitCode) console.error(core.log());
  await core?.stop();
}
