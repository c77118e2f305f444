// Drives the Go Bayeux server with the official CometD JavaScript client (cometd 9 +
// cometd-nodejs-client 2, from the repository's node_modules).
//
// Usage: node bayeux/testdata/cometd-interop.mjs <base URL>
// The server must serve Bayeux at <base>/cometd and two test triggers:
//   POST <base>/trigger/publish {"channel": ..., "data": ...}  publishes from server code
//   POST <base>/trigger/expire                                 expires every session
// Every step prints one JSON line on stdout; any failure prints {"step":"error"} and exits 1.
// The whole run is bounded by TOTAL_MS.

import { adapt } from "cometd-nodejs-client";
import { CometD } from "cometd";

const TOTAL_MS = 30000;
const STEP_MS = 10000;

function out(step, extra = {}) {
    console.log(JSON.stringify({ step, ...extra }));
}

function fail(msg) {
    out("error", { error: String(msg) });
    console.error("cometd-interop: " + msg);
    process.exit(1);
}

const base = process.argv[2];
if (!base) {
    fail("usage: node cometd-interop.mjs <base URL>");
}
setTimeout(() => fail(`timed out after ${TOTAL_MS} ms`), TOTAL_MS).unref();
process.on("unhandledRejection", (e) => fail(e && e.stack ? e.stack : e));

// within rejects if p does not settle in STEP_MS.
function within(what, p) {
    let timer;
    const t = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no ${what} within ${STEP_MS} ms`)), STEP_MS);
    });
    return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

async function trigger(path, body) {
    const res = await fetch(base + path, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body ?? {}),
    });
    if (!res.ok) {
        fail(`trigger ${path}: HTTP ${res.status} ${await res.text()}`);
    }
    return res.json();
}

// Events received by the subscriptions, and waiters for them.
const events = [];
let eventWaiters = [];
function onEvent(m) {
    events.push(m);
    eventWaiters = eventWaiters.filter((w) => !w(m));
}
function waitEvent(what, pred) {
    const seen = events.find(pred);
    if (seen) {
        return Promise.resolve(seen);
    }
    return within(what, new Promise((resolve) => {
        eventWaiters.push((m) => (pred(m) ? (resolve(m), true) : false));
    }));
}

// Each successful handshake (first or after the server forgot the session) subscribes
// again: the client drops its subscriptions on a re-handshake.
const handshakes = [];
let subscribed = [];
let subscribedWaiters = [];
function waitSubscribed(n) {
    return within(`subscriptions after handshake ${n}`, new Promise((resolve) => {
        const check = () => (subscribed.filter((s) => s.round === n).length >= 2 ? (resolve(), true) : false);
        if (!check()) {
            subscribedWaiters.push(check);
        }
    }));
}

adapt();
const cometd = new CometD();
cometd.configure({ url: base + "/cometd", logLevel: process.env.COMETD_LOG || "warn" });

cometd.addListener("/meta/handshake", (m) => {
    if (!m.successful) {
        // adapt() installs a WebSocket, so the client first tries it; the server speaks
        // long-polling only, and the client falls back.
        if (m.failure && m.failure.connectionType === "websocket") {
            out("websocket-fallback");
        } else {
            out("handshake-failed", { error: m.error });
        }
        return;
    }
    handshakes.push(m);
    const round = handshakes.length;
    out("handshake", { round, clientId: m.clientId, reestablish: !!m.reestablish });
    cometd.batch(() => {
        for (const channel of ["/x/**", "/plain"]) {
            cometd.subscribe(channel, onEvent, (r) => {
                if (!r.successful) {
                    fail(`subscribe ${channel}: ${r.error}`);
                }
                subscribed.push({ round, channel });
                subscribedWaiters = subscribedWaiters.filter((w) => !w());
            });
        }
    });
});
// Failed meta messages other than the WebSocket attempt; reported with "resubscribed"
// (the forced expiry must make exactly one connect fail with 402 and advice handshake).
const failures = [];
cometd.addListener("/meta/unsuccessful", (m) => {
    if (!(m.failure && m.failure.connectionType === "websocket")) {
        failures.push(`${m.channel} ${m.error} ${m.advice && m.advice.reconnect}`);
    }
});

async function main() {
    cometd.handshake();
    await waitSubscribed(1);
    out("subscribed", { round: 1, channels: subscribed.filter((s) => s.round === 1).map((s) => s.channel) });

    await trigger("/trigger/publish", { channel: "/x/y/z", data: { n: 1 } });
    let ev = await waitEvent("event on /x/y/z", (m) => m.channel === "/x/y/z" && m.data && m.data.n === 1);
    out("received", { channel: ev.channel, data: ev.data });

    await trigger("/trigger/publish", { channel: "/plain", data: { n: 2 } });
    ev = await waitEvent("event on /plain", (m) => m.channel === "/plain" && m.data && m.data.n === 2);
    out("received", { channel: ev.channel, data: ev.data });

    // A publish from this client reaches its own subscription through the server.
    const pub = await within("publish reply", new Promise((resolve) => cometd.publish("/plain", { n: 3 }, resolve)));
    if (!pub.successful) {
        fail(`publish: ${pub.error}`);
    }
    ev = await waitEvent("own event on /plain", (m) => m.channel === "/plain" && m.data && m.data.n === 3);
    out("published", { channel: ev.channel, data: ev.data });

    // The server forgets the session: the client must handshake again and re-subscribe.
    const expired = await trigger("/trigger/expire");
    out("expired", { sessions: expired.expired });
    await waitSubscribed(2);
    if (handshakes.length < 2 || handshakes[1].clientId === handshakes[0].clientId) {
        fail("no new session after the expiry");
    }
    out("resubscribed", { round: 2, clientId: handshakes[1].clientId, failures });

    await trigger("/trigger/publish", { channel: "/x/after", data: { n: 4 } });
    ev = await waitEvent("event after re-handshake", (m) => m.channel === "/x/after" && m.data && m.data.n === 4);
    out("received", { channel: ev.channel, data: ev.data });

    const bye = await within("disconnect reply", new Promise((resolve) => cometd.disconnect(resolve)));
    out("disconnected", { successful: !!bye.successful, failures });
    process.exit(bye.successful ? 0 : 1);
}

main().catch((e) => fail(e && e.message ? e.message : e));
