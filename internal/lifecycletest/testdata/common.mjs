// Shared by the lifecycle scripts: a GWS session (GET /api/v2/me with Basic credentials,
// JSESSIONID + CSRF token), the official CometD client on that session, bounded waits for
// events, and one JSON line per step on stdout. Nothing here sleeps: every wait is for an
// event or a reply, bounded by STEP_MS, and the whole run by TOTAL_MS.

import { adapt } from "cometd-nodejs-client";
import { CometD } from "cometd";

export const TOTAL_MS = 30000;
export const STEP_MS = 10000;

export function out(step, extra = {}) {
    console.log(JSON.stringify({ step, ...extra }));
}

export function fail(msg) {
    out("error", { error: String(msg) });
    console.error(process.argv[1] + ": " + msg);
    process.exit(1);
}

export function start(usage) {
    const base = process.argv[2];
    if (!base) {
        fail("usage: " + usage);
    }
    setTimeout(() => fail(`timed out after ${TOTAL_MS} ms`), TOTAL_MS).unref();
    process.on("unhandledRejection", (e) => fail(e && e.message ? e.message : e));
    process.on("uncaughtException", (e) => fail(e && e.message ? e.message : e));
    return base;
}

export function within(what, p) {
    let timer;
    const t = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no ${what} within ${STEP_MS} ms`)), STEP_MS);
    });
    return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

// login opens the HTTP session of user (password = user name, as the built-in fixtures).
export async function login(base, user) {
    const me = await fetch(base + "/api/v2/me", {
        headers: { Authorization: "Basic " + Buffer.from(`${user}:${user}`).toString("base64") },
    });
    await me.json();
    const setCookie = me.headers.get("set-cookie") || "";
    const cookie = setCookie.split(";")[0];
    const csrfHeader = me.headers.get("x-csrf-header");
    const csrfToken = me.headers.get("x-csrf-token");
    if (me.status !== 200 || !cookie.startsWith("JSESSIONID=") || !csrfHeader || !csrfToken) {
        fail(`GET /api/v2/me: HTTP ${me.status} cookie ${JSON.stringify(setCookie)} csrf ${csrfHeader}`);
    }
    const session = {
        base, cookie,
        async post(path, body) {
            const res = await within("reply to POST " + path, fetch(base + path, {
                method: "POST",
                headers: { "Content-Type": "application/json", Cookie: cookie, [csrfHeader]: csrfToken },
                body: JSON.stringify(body),
            }));
            return { status: res.status, body: await res.json() };
        },
        async get(path) {
            const res = await within("reply to GET " + path, fetch(base + path, { headers: { Cookie: cookie } }));
            return { status: res.status, body: await res.json() };
        },
    };
    out("me", { status: me.status });
    return session;
}

// listen handshakes the official CometD client in session's cookie and subscribes to
// channel; it returns waitEvent(what, pred), which resolves with the first event (already
// received or to come) that pred accepts, and cometd.
export async function listen(session, channel) {
    const options = {};
    adapt(options);
    options.globalCookies[new URL(session.base).hostname] = { JSESSIONID: session.cookie }; // the jar keeps "name=value"
    const events = [];
    let waiters = [];
    const cometd = new CometD();
    cometd.configure({ url: session.base + "/api/v2/notifications", logLevel: process.env.COMETD_LOG || "warn" });
    const subscribed = new Promise((resolve) => {
        cometd.addListener("/meta/handshake", (m) => {
            if (!m.successful) {
                if (!(m.failure && m.failure.connectionType === "websocket")) {
                    fail(`handshake: ${m.error}`);
                }
                return;
            }
            cometd.subscribe(channel, (m) => {
                events.push(m);
                waiters = waiters.filter((w) => !w(m));
            }, (r) => {
                if (!r.successful) {
                    fail(`subscribe: ${r.error}`);
                }
                resolve();
            });
        });
    });
    cometd.handshake();
    await within("subscription to " + channel, subscribed);
    out("subscribed", { channel });
    // from: only events received from that index on (the length of events when the request
    // went out: an event may come before the HTTP reply).
    const mark = () => events.length;
    const waitEvent = (what, pred, from = 0) => {
        const seen = events.slice(from).find(pred);
        if (seen) {
            return Promise.resolve(seen);
        }
        return within(what, new Promise((resolve) => {
            waiters.push((m) => (pred(m) ? (resolve(m), true) : false));
        }));
    };
    const disconnect = () => within("disconnect reply", new Promise((resolve) => cometd.disconnect(resolve)));
    return { waitEvent, mark, disconnect };
}
