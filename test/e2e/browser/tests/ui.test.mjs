// @ts-check
// Sign in, API keys, and the admin pages, against a core with no plugins.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  adminPassword,
  apiSession,
  createUser,
  launch,
  memberPassword,
  newPage,
  screenshot,
  signIn,
  startCore,
  stopAll,
} from "../lib/harness.mjs";

/** @type {import("../lib/harness.mjs").Core} */
let core;
/** @type {import("playwright-core").Browser} */
let browser;

before(async () => {
  core = await startCore();
  await createUser(core, "admin", adminPassword, ["-admin", "-org", "team", "-role", "org_admin"]);
  await createUser(core, "member", memberPassword, ["-org", "team", "-role", "member"]);
  browser = await launch();
});

after(() => stopAll(browser, core));

/** clean fails the test if the page logged script errors or CSP violations. */
function clean(problems) {
  assert.deepEqual(problems, [], "the page logged errors");
}

describe("sign in", () => {
  it("shows an error for a bad password, and stays signed out", async () => {
    const { page, problems } = await newPage(browser, core);
    await page.goto("/sessions");
    await page.getByRole("heading", { name: "Sign in to Atrium" }).waitFor();
    await screenshot(page, "sign-in");
    await page.getByLabel("Username").fill("admin");
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    const alert = page.getByRole("alert");
    await alert.waitFor();
    assert.equal((await alert.textContent())?.trim(), "Wrong username or password.");
    assert.equal(await page.getByLabel("Password").inputValue(), "", "the wrong password is cleared");
    await screenshot(page, "sign-in-bad-password");
    assert.equal(new URL(page.url()).pathname, "/login");
    clean(problems);
    await page.context().close();
  });

  it("signs in with a good password, returns to the page asked for, and signs out", async () => {
    const { page, problems } = await newPage(browser, core);
    await page.goto("/api-keys");
    await page.getByLabel("Username").fill("admin");
    await page.getByLabel("Password").fill(adminPassword);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { level: 1, name: "API keys" }).waitFor();
    await page.getByRole("link", { name: "Sessions" }).first().click();
    await page.getByRole("heading", { level: 1, name: "Sessions" }).waitFor();
    // Focus moves to the new page's heading for screen readers and keyboards.
    assert.equal(await page.evaluate(() => document.activeElement?.tagName), "H1");
    await screenshot(page, "sessions");
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in to Atrium" }).waitFor();
    await page.goto("/sessions");
    await page.getByRole("heading", { name: "Sign in to Atrium" }).waitFor();
    clean(problems);
    await page.context().close();
  });
});

describe("API keys", () => {
  it("creates a key shown once, lists it, and revokes it", async () => {
    const { page, problems } = await newPage(browser, core);
    await signIn(page, "admin", adminPassword);
    await page.getByRole("link", { name: "API keys" }).click();
    await page.getByLabel("Name").fill("ci pipeline");
    await page.getByLabel("Allow changes").check();
    await page.getByRole("button", { name: "Create key" }).click();
    const secret = await page.getByLabel("New API key").inputValue();
    assert.match(secret, /^atr_/);
    await page.getByRole("button", { name: "Copy" }).click();
    await page.getByText("Copied.").waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
    await screenshot(page, "api-key-created");

    // The key works against the API.
    const me = await fetch(core.url + "/api/v1/me", { headers: { Authorization: "Bearer " + secret } });
    assert.equal(me.status, 200);

    await page.getByRole("button", { name: "I have copied it" }).click();
    assert.equal(await page.getByLabel("New API key").count(), 0, "the secret is gone once dismissed");
    const row = page.getByRole("row", { name: /ci pipeline/ });
    assert.match((await row.textContent()) ?? "", /Read and write/);
    await screenshot(page, "api-keys");

    await row.getByRole("button", { name: /Revoke/ }).click();
    const dialog = page.getByRole("dialog", { name: /Revoke/ });
    await dialog.waitFor();
    await screenshot(page, "api-key-revoke-dialog");
    await dialog.getByRole("button", { name: "Revoke key" }).click();
    await dialog.waitFor({ state: "detached" });
    await row.getByText(/Revoked/).waitFor();
    const again = await fetch(core.url + "/api/v1/me", { headers: { Authorization: "Bearer " + secret } });
    assert.equal(again.status, 401, "a revoked key no longer works");
    clean(problems);
    await page.context().close();
  });
});

describe("admin pages", () => {
  const pages = [
    ["Users", "/admin/users", "admin-users"],
    ["Organisations", "/admin/orgs", "admin-orgs"],
    ["Templates", "/admin/templates", "admin-templates"],
    ["Plugins", "/admin/plugins", "admin-plugins"],
    ["Audit log", "/admin/audit", "admin-audit"],
  ];

  it("are reachable for a platform admin from the navigation", async () => {
    const { page, problems } = await newPage(browser, core);
    await signIn(page, "admin", adminPassword);
    const nav = page.getByRole("navigation", { name: "Administration" });
    for (const [name, path, shot] of pages) {
      await nav.getByRole("link", { name }).click();
      await page.getByRole("heading", { level: 1, name }).waitFor();
      assert.equal(new URL(page.url()).pathname, path);
      await page.waitForLoadState("networkidle");
      await screenshot(page, shot);
    }
    // The user list shows both accounts; the audit log records their creation.
    await page.goto("/admin/users");
    await page.getByRole("row", { name: /member/ }).waitFor();
    await page.goto("/admin/audit?action=user.create");
    await page.getByRole("row", { name: /user\.create/ }).first().waitFor();
    assert.equal(await page.getByLabel("Action").inputValue(), "user.create", "filters come from the URL");

    await page.goto("/admin/orgs");
    await page.getByRole("link", { name: "team" }).click();
    await page.getByRole("heading", { level: 2, name: "Quota" }).waitFor();
    await page.getByRole("row", { name: /member/ }).waitFor();
    await page.waitForLoadState("networkidle");
    await screenshot(page, "admin-org");
    clean(problems);
    await page.context().close();
  });

  it("are refused to a member, in the UI and by the API", async () => {
    const { page, problems } = await newPage(browser, core);
    await signIn(page, "member", memberPassword);
    assert.equal(await page.getByRole("navigation", { name: "Administration" }).count(), 0, "no admin navigation");
    for (const [, path] of pages) {
      await page.goto(path);
      await page.getByRole("heading", { level: 1, name: "Not allowed" }).waitFor();
    }
    await screenshot(page, "member-admin-refused");
    const api = await apiSession(core, "member", memberPassword);
    assert.equal((await api("GET", "/plugins")).status, 403);
    assert.equal((await api("POST", "/users", { username: "x", password: "long enough password" })).status, 403);
    clean(problems);
    await page.context().close();
  });
});

describe("phone-sized screens", () => {
  it("show list pages as cards without sideways scrolling", async () => {
    const { page, problems } = await newPage(browser, core, { width: 390, height: 844 });
    await signIn(page, "admin", adminPassword);
    for (const [path, shot] of [
      ["/admin/users", "phone-admin-users"],
      ["/api-keys", "phone-api-keys"],
      ["/sessions", "phone-sessions"],
    ]) {
      await page.goto(path);
      await page.waitForLoadState("networkidle");
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${path} scrolls sideways by ${overflow}px`);
      await screenshot(page, shot);
    }
    clean(problems);
    await page.context().close();
  });
});
