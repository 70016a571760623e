// @ts-check
// The browser tests' harness: a real `atrium server` (with its embedded
// PostgreSQL, or the Docker runtime for the desktop tests), users made with
// `atrium admin create-user`, and Debian's Chromium driven by playwright-core.
//
// Environment:
//   ATRIUM_BIN        the atrium binary, with the plugins beside it (default:
//                     bin/atrium, from `make build`)
//   ATRIUM_DESKTOP_IMAGE  the desktop image (default atrium/desktop:1)
//   CHROMIUM          the browser (default: /usr/bin/chromium)
//   ATRIUM_E2E_REQUIRE_SESSIONS=1   fail, rather than skip, the desktop tests
//                     when the core or the machine cannot run sessions
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
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
 * @property {string} config    its config file
 * @property {() => string} log what it printed so far
 * @property {() => Promise<void>} stop
 */

/**
 * startCore writes a config (server block, plus extra HCL) into a fresh
 * directory, starts `atrium server` and waits for /healthz.
 * @param {string} [extra] more HCL, e.g. plugins and templates
 * @returns {Promise<Core>}
 */
export async function startCore(extra = "") {
  if (!existsSync(atriumBin)) throw new Error(`${atriumBin} is missing: run \`make build\` first (or set ATRIUM_BIN)`);
  // Not under a private temp folder: run as root, the embedded PostgreSQL
  // runs as the postgres user and must traverse every parent directory.
  const dir = mkdtempSync(join(tmpdir(), "atrium-browser-"));
  chmodSync(dir, 0o711);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = join(dir, "atrium.hcl");
  writeFileSync(
    config,
    `server {\n  listen = "127.0.0.1:${port}"\n  public_url = "${url}"\n  state_dir = "${join(dir, "state")}"\n}\n` + extra,
  );
  let log = "";
  const proc = spawn(atriumBin, ["server", "-config", config, "-log-level", "debug"], { stdio: ["ignore", "pipe", "pipe"] });
  proc.stdout.on("data", (b) => (log += b));
  proc.stderr.on("data", (b) => (log += b));
  const exited = new Promise((ok) => proc.on("close", ok));
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
  const home = await fetch(url + "/sessions");
  if (!(home.headers.get("content-type") ?? "").startsWith("text/html") || home.status !== 200) {
    proc.kill("SIGTERM");
    await exited;
    throw new Error(
      `${url}/sessions answered ${home.status} ${home.headers.get("content-type")}, not the web UI: ` +
        "the core must mount web.Handler() (core/internal/web) and be built with `make build`",
    );
  }
  return {
    url,
    config,
    log: () => log,
    stop: async () => {
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 30_000);
      await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
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

/** desktopConfig is desktop.hcl filled in, or the reason it cannot be. */
export function desktopConfig(image = process.env.ATRIUM_DESKTOP_IMAGE ?? "atrium/desktop:1") {
  const plugins = { RUNTIME_DOCKER: "atrium-runtime-docker", WORKSPACE_VNC: "atrium-workspace-vnc" };
  let hcl = readFileSync(join(here, "../desktop.hcl"), "utf8").replaceAll("%BIN%", binDir).replaceAll("%DESKTOP_IMAGE%", image);
  for (const [key, name] of Object.entries(plugins)) {
    const path = join(binDir, name);
    if (!existsSync(path)) return { reason: `${path} is missing (make build)` };
    hcl = hcl.replaceAll(`%SHA_${key}%`, sha256(path));
  }
  if (!existsSync("/var/run/docker.sock")) return { reason: "no Docker engine (/var/run/docker.sock)" };
  return { hcl };
}
