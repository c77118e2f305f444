// The dashboard in headless Chromium (Debian's, driven by playwright-core) against a running
// mock, as a frontend developer would use it while an agent app (the official CometD client
// here) works against the same mock:
//
//   1. the page goes live; place an interaction from the form (keyboard only) and see it in
//      its workbin;
//   2. pull it through the REST API: it leaves the workbin, its CometD event appears in Live
//      events, and the event's referenceId opens the request in the journal;
//   3. a refused request (the same pull again) shows in the journal with its rule, whose link
//      opens that rule's section of docs/rules.md;
//   4. a deviation switched on from the page puts the warning at the top; switched off, the
//      page says the contract is kept;
//   5. the Users view shows the agent's CometD session; expiring it from there ends it;
//   6. a self-check violation (strict mode, an unknown request member) shows at the top too;
//   7. an HTTP fault added from the form takes the agent's next request and shows in the
//      journal as an injected fault; a CometD fault is added and cleared;
//   8. a fixture set loads from a directory (FIXTURES_DIR), and reset takes a placed item away;
//   9. every control has an accessible name; no request leaves the mock's origin; no error in
//      the console. Screenshots of each view go to the artifacts directory.
//
// With --token TOKEN (a mock started with that admin token) it only checks that the page
// asks for the token, goes live with it, and can place an interaction.
//
// Usage: node dashboard.mjs <mock base URL> <chromium> <artifacts dir> [--token TOKEN]
// Every step prints one JSON line on stdout; a failure prints {"step":"error"} and exits 1.
// Every wait is bounded (STEP_MS), and so is the whole run (TOTAL_MS).

import { chromium } from "playwright-core";
import { adapt } from "cometd-nodejs-client";
import { CometD } from "cometd";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const TOTAL_MS = 90000;
const STEP_MS = 5000;
const USER = "MaratTest";
const WORKBIN = "3434543fafwe987";
const ITEM = "DASH-TEST-0001";
const DEVIATION = "wrong-reference-id";

const [base, executablePath, artifacts, flag, adminToken] = process.argv.slice(2);
let browser;

function out(step, extra = {}) {
    console.log(JSON.stringify({ step, ...extra }));
}

async function fail(msg) {
    out("error", { error: String(msg) });
    console.error("dashboard.mjs: " + msg);
    try {
        await page?.screenshot({ path: join(artifacts, "failure.png"), fullPage: true });
    } catch { /* the page may be gone */ }
    await browser?.close().catch(() => {});
    process.exit(1);
}

if (!base || !executablePath || !artifacts || (flag && (flag !== "--token" || !adminToken))) {
    await fail("usage: node dashboard.mjs <mock base URL> <chromium> <artifacts dir> [--token TOKEN]");
}
setTimeout(() => fail(`timed out after ${TOTAL_MS} ms`), TOTAL_MS).unref();
process.on("unhandledRejection", (e) => fail(e && e.stack ? e.stack : e));
process.on("uncaughtException", (e) => fail(e && e.stack ? e.stack : e));
mkdirSync(artifacts, { recursive: true });

const origin = new URL(base).origin;
const external = [];
const consoleErrors = [];

browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
// A laptop screen.
const context = await browser.newContext({ viewport: { width: 1366, height: 860 } });
// No request may leave the mock's origin: each one is looked at, and any other is refused.
await context.route("**/*", (route) => {
    const url = route.request().url();
    if (new URL(url).origin !== origin) {
        external.push(url);
        return route.abort();
    }
    return route.continue();
});
var page = await context.newPage();
page.setDefaultTimeout(STEP_MS);
page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
page.on("pageerror", (e) => consoleErrors.push(String(e)));

async function shot(name) {
    const path = join(artifacts, name + ".png");
    await page.screenshot({ path });
    out("screenshot", { name, path });
}

async function waitText(selector, text) {
    await page.locator(selector).filter({ hasText: text }).first().waitFor({ state: "visible" });
}

// The agent's REST session: Basic on GET /me gives JSESSIONID and the CSRF token.
async function login(user) {
    const me = await fetch(base + "/api/v2/me", {
        headers: { Authorization: "Basic " + Buffer.from(`${user}:${user}`).toString("base64") },
    });
    const session = (me.headers.get("set-cookie") || "").split(";")[0];
    const csrf = me.headers.get("x-csrf-token");
    if (me.status !== 200 || !session.startsWith("JSESSIONID=") || !csrf) {
        await fail(`GET /api/v2/me as ${user}: HTTP ${me.status}`);
    }
    return { session, csrf };
}

async function post(agent, path, body) {
    const res = await fetch(base + path, {
        method: "POST",
        headers: { "Content-Type": "application/json", Cookie: agent.session, "X-CSRF-TOKEN": agent.csrf },
        body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
}

// admin calls the control plane as another client would (curl, a test).
async function admin(method, path, body) {
    const res = await fetch(base + path, { method, headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    if (!res.ok) await fail(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
    return res.json();
}

async function placeFromForm(id) {
    // Keyboard only: the form's fields in tab order, Enter submits.
    await page.locator("#place-form select[name=workbinId]").focus();
    await page.locator("#place-form select[name=workbinId]").selectOption(WORKBIN);
    await page.keyboard.press("Tab");
    await page.locator("#place-form select[name=media]").selectOption("workitem");
    await page.keyboard.press("Tab");
    await page.keyboard.type(id);
    await page.keyboard.press("Enter");
    await waitText("#place-form .result", `Placed ${id}`);
}

if (flag === "--token") {
    // Without the token the page asks for it; with it, it goes live and can steer.
    await page.goto(base + "/_mock/ui/");
    await page.locator("#token-form").waitFor({ state: "visible" });
    out("token-asked");
    await page.getByLabel("Admin token").fill(adminToken);
    await page.keyboard.press("Enter");
    await page.locator("#conn.live").waitFor();
    await placeFromForm(ITEM);
    await page.locator(`#workbins tr[data-item="${ITEM}"]`).waitFor();
    out("token-live");
    // The address form the banner prints: …/_mock/ui/#token=…
    const second = await context.newPage();
    await second.goto(base + "/_mock/ui/#token=" + encodeURIComponent(adminToken));
    await second.locator("#conn.live").waitFor({ timeout: STEP_MS });
    out("token-in-address", { addressKeepsToken: second.url().includes(adminToken) });
    await browser.close();
    // The page's first call is refused (401) before it asks for the token; Chromium logs that.
    const others = consoleErrors.filter((e) => !/status of 401/.test(e));
    out("done", { external, consoleErrors: others });
    process.exit(external.length || others.length ? 1 : 0);
}

// 1. Live, and a placement from the form.
await page.goto(base + "/_mock/ui/");
await page.locator("#conn.live").waitFor();
await page.locator("#contract-clean").waitFor();
out("live");

const agent = await login(USER);
const options = {};
adapt(options);
options.globalCookies[new URL(base).hostname] = { JSESSIONID: agent.session };
const cometd = new CometD();
cometd.configure({ url: base + "/api/v2/notifications", logLevel: "warn" });
const subscribed = new Promise((resolve, reject) => {
    cometd.addListener("/meta/handshake", (m) => {
        if (!m.successful) {
            if (!(m.failure && m.failure.connectionType === "websocket")) reject(new Error(`handshake: ${m.error}`));
            return;
        }
        cometd.batch(() => {
            cometd.subscribe("/v2/me/workitems", () => {});
            cometd.subscribe("/v2/me/workbins", () => {}, (r) => (r.successful ? resolve() : reject(new Error(r.error))));
        });
    });
});
cometd.handshake();
await subscribed;
const sub = await post(agent, `/api/v2/workbins/${WORKBIN}`, { operationName: "Subscribe" });
out("agent-ready", { subscribe: sub.status });

await placeFromForm(ITEM);
const row = page.locator(`#workbins tr[data-item="${ITEM}"]`);
await row.waitFor();
out("placed", { row: (await row.innerText()).replace(/\s+/g, " ").trim() });
await row.scrollIntoViewIfNeeded();
await shot("1-workbins");
// Its resource, on demand.
await row.locator("td.ud summary").click();
await row.locator("pre.json").filter({ hasText: `"id": "${ITEM}"` }).waitFor();

// 2. The pull: gone from the workbin, its event live, its referenceId leads to the request.
const pulled = await post(agent, `/api/v2/workbins/${WORKBIN}`, { operationName: "PullWorkitem", id: ITEM });
const pullStart = Date.now();
if (pulled.status !== 200) await fail(`pull: ${JSON.stringify(pulled)}`);
const ref = pulled.body.referenceId;
await row.waitFor({ state: "detached" });
const leftAfter = Date.now() - pullStart;
const tabs = page.getByRole("tab", { name: /Live events/ });
await page.getByRole("tab", { name: "Workbins" }).focus();
await page.keyboard.press("ArrowRight"); // Users & sessions
await page.keyboard.press("ArrowRight"); // Live events
if ((await tabs.getAttribute("aria-selected")) !== "true") await fail("the arrow keys do not move between the views");
const event = page.locator("#events li.event", { hasText: ITEM }).filter({ hasText: "StatusChange" });
await event.first().waitFor();
const eventAfter = Date.now() - pullStart;
const link = event.first().locator("a.reflink");
out("pulled", { referenceId: ref, leftWorkbinMs: leftAfter, eventShownMs: eventAfter, link: await link.innerText() });
await event.first().locator("summary").click(); // the JSON, expanded
await event.first().locator("pre.json").waitFor();
await shot("2-events");
await link.click();
const journalRow = page.locator("#journal li.row[data-seq] details[open]").filter({ hasText: `ref ${ref}` });
await journalRow.first().waitFor();
out("request-opened", {
    journalSelected: await page.getByRole("tab", { name: /Journal/ }).getAttribute("aria-selected"),
    focusedInRequest: await page.evaluate(() => !!document.activeElement?.closest("#journal li")),
});

// 3. A refused request: the same pull again.
const again = await post(agent, `/api/v2/workbins/${WORKBIN}`, { operationName: "PullWorkitem", id: ITEM });
const refused = page.locator("#journal li.refused").first();
await refused.waitFor();
await refused.locator("summary.journal-grid").click();
const ruleLink = refused.locator("a.rule");
await ruleLink.waitFor();
out("refused", {
    status: again.status, statusCode: again.body.statusCode,
    ruleCell: await refused.locator(".rulecell").innerText(),
    ruleLink: await ruleLink.innerText(), ruleHref: await ruleLink.getAttribute("href"),
});
await shot("3-journal");
const [rules] = await Promise.all([context.waitForEvent("page"), ruleLink.click()]);
const anchor = decodeURIComponent((await ruleLink.getAttribute("href")).split("#")[1]);
await rules.locator(`[id="${anchor}"]`).waitFor();
out("rule-page", { heading: await rules.locator(`[id="${anchor}"]`).innerText() });
await rules.setViewportSize({ width: 1366, height: 860 });
await rules.screenshot({ path: join(artifacts, "4-rule.png") });
out("screenshot", { name: "4-rule", path: join(artifacts, "4-rule.png") });
await rules.close();

// 4. A deviation from the page: the warning at the top, impossible to miss; and off again.
const sw = page.locator(`#dev-list input[value="${DEVIATION}"]`);
await sw.scrollIntoViewIfNeeded();
await sw.focus();
await page.keyboard.press("Space");
const warning = page.locator("#deviation-warning");
await warning.filter({ hasText: DEVIATION }).waitFor();
const box = await warning.boundingBox();
out("deviation-on", { role: await warning.getAttribute("role"), top: box.y, text: (await warning.innerText()).split("\n")[0] });
await page.getByRole("tab", { name: "Workbins" }).click();
await shot("5-deviation");
await page.getByRole("button", { name: "Switch all deviations off" }).click();
await page.locator("#contract-clean").waitFor();
out("deviation-off");

// 5. Users and sessions; expire the agent's CometD session from there.
await page.getByRole("tab", { name: "Users & sessions" }).click();
const userRow = page.locator(`#users tr[data-user="${USER}"]`);
await userRow.filter({ hasText: "/v2/me/workitems" }).waitFor();
out("users", { owns: (await userRow.locator("td").nth(2).innerText()).includes(ITEM) });
await shot("6-users");
// The agent's client handshakes again at once (402 at its next connect), so the proof is the
// control plane's answer, which the page shows.
await page.getByRole("button", { name: `Expire ${USER}'s CometD sessions` }).click();
await waitText("#conn", `CometD session(s) of ${USER} expired`);
out("expired", { text: await page.locator("#conn").innerText() });
cometd.disconnect();

// 6. A self-check violation is at the top too. Strict mode reports an unknown request
// member as one (the mock's own output is never wrong on purpose); set by another client.
await admin("PATCH", "/_mock/options", { strict: true });
await post(agent, `/api/v2/workbins/${WORKBIN}`, { operationName: "Subscribe", notInTheContract: 1 });
const viol = page.locator("#violation-warning");
await viol.waitFor();
out("violation", { role: await viol.getAttribute("role"), top: (await viol.boundingBox()).y, text: (await viol.innerText()).split("\n")[0] });
await shot("7-violation");
await page.getByRole("button", { name: "Clear the violations" }).click();
await admin("PATCH", "/_mock/options", { strict: false });
await page.locator("#contract-clean").waitFor();

// 7. Faults from the forms: an HTTP fault takes the agent's next GET /me and shows in the
// journal as such; a CometD drop is taken and cleared.
await page.locator("#faults-section > summary").focus();
await page.keyboard.press("Enter"); // opens the section
const ff = page.locator("#fault-form");
await ff.locator("[name=path]").fill("/api/v2/me");
await ff.locator("[name=statusCode]").selectOption("4");
await ff.locator("[name=count]").fill("1");
await ff.getByRole("button", { name: "Add the HTTP fault" }).click();
await waitText("#fault-form .result", "takes the next 1 matching request");
await page.locator("#faults-pending li").first().waitFor();
const faultedMe = await fetch(base + "/api/v2/me", { headers: { Cookie: agent.session } });
await page.getByRole("tab", { name: /Journal/ }).click();
const faulted = page.locator("#journal li.refused").filter({ hasText: "injected fault" }).first();
await faulted.waitFor();
await page.locator("#faults-pending").filter({ hasText: "No HTTP fault pending" }).waitFor();
out("http-fault", { status: faultedMe.status, row: (await faulted.locator("summary.journal-grid").innerText()).replace(/\s+/g, " ").trim() });
const cf = page.locator("#cometd-fault-form");
await cf.locator("[name=user]").selectOption(USER);
await cf.locator("[name=count]").fill("2");
await cf.getByRole("button", { name: "Add the CometD fault" }).click();
await waitText("#cometd-fault-form .result", `The next 2 event(s) of ${USER} will be dropped.`);
await cf.getByRole("button", { name: "Clear the CometD faults" }).click();
await waitText("#cometd-fault-form .result", "CometD faults cleared.");
out("cometd-fault");

// 8. Data: load a fixture set from a directory on the mock's disk, and reset.
await page.getByRole("tab", { name: "Workbins" }).click();
await page.locator("#data-section > summary").click();
if (process.env.FIXTURES_DIR) {
    await page.locator("#fixtures-form [name=dir]").fill(process.env.FIXTURES_DIR);
    await page.getByRole("button", { name: "Load the directory" }).click();
    await waitText("#fixtures-form .result", "Loaded the fixture set of");
    out("fixtures-loaded", { text: await page.locator("#fixtures-form .result").innerText() });
    // The same set chosen as a directory from this computer: its .json files go as a bundle.
    await page.locator("#fixtures-form [name=files]").setInputFiles(process.env.FIXTURES_DIR);
    await page.getByRole("button", { name: "Load the chosen files" }).click();
    await waitText("#fixtures-form .result", "Loaded ");
    out("fixtures-uploaded", { text: await page.locator("#fixtures-form .result").innerText() });
}
await placeFromForm("DASH-TEST-0002");
await page.locator(`#workbins tr[data-item="DASH-TEST-0002"]`).waitFor();
await page.getByRole("button", { name: "Reset to the fixtures" }).click();
await waitText("#reset-form .result", "Reset to the fixtures.");
await page.locator(`#workbins tr[data-item="DASH-TEST-0002"]`).waitFor({ state: "detached" });
out("reset");

// 9. Accessible names, no external request, no console error.
const unnamed = await page.evaluate(() => {
    const name = (el) => (el.getAttribute("aria-label") || "").trim() || (el.labels && [...el.labels].map((l) => l.textContent).join(" ").trim())
        || (el.getAttribute("aria-labelledby") || "").split(/\s+/).map((id) => document.getElementById(id)?.textContent ?? "").join(" ").trim()
        || ((el.tagName === "BUTTON" || el.tagName === "A" || el.tagName === "SUMMARY") && el.textContent.trim()) || (el.getAttribute("title") || "").trim();
    return [...document.querySelectorAll("button, input, select, textarea, a[href], summary, [role=tab]")]
        .filter((el) => !name(el)).map((el) => el.outerHTML.slice(0, 120));
});
out("accessibility", { unnamed });
await browser.close();
out("done", { external, consoleErrors });
process.exit(0);
