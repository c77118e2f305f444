// The "Done when" scenario, driven by the official CometD JavaScript client (cometd 9
// + cometd-nodejs-client 2, from the repository's node_modules) against the mock server:
//
//   1. GET /api/v2/me as MaratTest (Basic): the JSESSIONID cookie and the CSRF token;
//   2. CometD handshake with that cookie (as a browser would send it), subscribe /v2/me/workitems;
//   3. POST the seed pull → {statusCode:0, referenceId:N};
//   4. the WorkitemStateChangeMessage carrying N arrives on /v2/me/workitems;
//   5. the same pull again → statusCode 2;
//   6. disconnect.
//
// Usage: node mockserver/testdata/seed-cometd.mjs <base URL>
// Every step prints one JSON line on stdout; a failure prints {"step":"error"} and exits 1.
// The whole run is bounded by TOTAL_MS.

import { adapt } from "cometd-nodejs-client";
import { CometD } from "cometd";

const TOTAL_MS = 30000;
const STEP_MS = 10000;
const USER = "MaratTest";
const WORKBIN = "3434543fafwe987";
const WORKITEM = "02F0ASAK8EAFA00W";

function out(step, extra = {}) {
    console.log(JSON.stringify({ step, ...extra }));
}

function fail(msg) {
    out("error", { error: String(msg) });
    console.error("seed-cometd: " + msg);
    process.exit(1);
}

const base = process.argv[2];
if (!base) {
    fail("usage: node seed-cometd.mjs <base URL>");
}
setTimeout(() => fail(`timed out after ${TOTAL_MS} ms`), TOTAL_MS).unref();
process.on("unhandledRejection", (e) => fail(e && e.stack ? e.stack : e));

function within(what, p) {
    let timer;
    const t = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no ${what} within ${STEP_MS} ms`)), STEP_MS);
    });
    return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

// 1. The session: Basic credentials on GET /api/v2/me.
const me = await fetch(base + "/api/v2/me", {
    headers: { Authorization: "Basic " + Buffer.from(`${USER}:${USER}`).toString("base64") },
});
const meBody = await me.json();
const setCookie = me.headers.get("set-cookie") || "";
const session = setCookie.split(";")[0];
const csrfHeader = me.headers.get("x-csrf-header");
const csrfToken = me.headers.get("x-csrf-token");
if (me.status !== 200 || !session.startsWith("JSESSIONID=") || !csrfHeader || !csrfToken) {
    fail(`GET /api/v2/me: HTTP ${me.status} cookie ${JSON.stringify(setCookie)} csrf ${csrfHeader}`);
}
out("me", { status: me.status, statusCode: meBody.statusCode, userName: meBody.user && meBody.user.userName, csrfHeader });

async function pull() {
    const res = await fetch(`${base}/api/v2/workbins/${WORKBIN}`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Cookie: session, [csrfHeader]: csrfToken },
        body: JSON.stringify({ operationName: "PullWorkitem", id: WORKITEM }),
    });
    return { status: res.status, body: await res.json() };
}

// 2. CometD in the same session: the cookie jar of the adapter holds JSESSIONID, as a
// browser's would.
const options = {};
adapt(options);
options.globalCookies[new URL(base).hostname] = { JSESSIONID: session };

const events = [];
let waiters = [];
function onEvent(m) {
    events.push(m);
    waiters = waiters.filter((w) => !w(m));
}
function waitEvent(what, pred) {
    const seen = events.find(pred);
    if (seen) {
        return Promise.resolve(seen);
    }
    return within(what, new Promise((resolve) => {
        waiters.push((m) => (pred(m) ? (resolve(m), true) : false));
    }));
}

const cometd = new CometD();
cometd.configure({ url: base + "/api/v2/notifications", logLevel: process.env.COMETD_LOG || "warn" });
const subscribed = new Promise((resolve) => {
    cometd.addListener("/meta/handshake", (m) => {
        if (!m.successful) {
            if (!(m.failure && m.failure.connectionType === "websocket")) {
                fail(`handshake: ${m.error}`);
            }
            return;
        }
        out("handshake", { clientId: !!m.clientId });
        cometd.subscribe("/v2/me/workitems", onEvent, (r) => {
            if (!r.successful) {
                fail(`subscribe: ${r.error}`);
            }
            resolve();
        });
    });
});
cometd.handshake();
await within("subscription", subscribed);
out("subscribed", { channel: "/v2/me/workitems" });

// 3. The pull, and 4. its notification.
const first = await pull();
out("pulled", { status: first.status, body: first.body });
const n = first.body.referenceId;
const ev = await waitEvent("WorkitemStateChangeMessage", (m) =>
    m.channel === "/v2/me/workitems" && m.data && m.data.referenceId === n);
out("notified", {
    channel: ev.channel, messageType: ev.data.messageType, notificationType: ev.data.notificationType,
    referenceId: ev.data.referenceId, id: ev.data.workitem.id, state: ev.data.workitem.state,
    capabilities: ev.data.workitem.capabilities,
});

// 5. The second pull fails.
const second = await pull();
out("pulled-again", { status: second.status, body: second.body });

// 6. Bye.
const bye = await within("disconnect reply", new Promise((resolve) => cometd.disconnect(resolve)));
out("disconnected", { successful: !!bye.successful });
process.exit(bye.successful ? 0 : 1);
