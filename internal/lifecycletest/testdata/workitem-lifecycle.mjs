// The issue 12 "Done when", workitem half, with the official CometD JavaScript client (cometd 9
// + cometd-nodejs-client 2) against the mock:
//
//   1. GET /api/v2/me as MaratTest; CometD handshake in that session, subscribe /v2/me/workitems;
//   2. pull the seed workitem → StatusChange Processing;
//   3. AttachUserData → PropertiesUpdated carrying the data;
//   4. Complete → StatusChange Completed with no capabilities;
//   5. GET /api/v2/me?subresources=* no longer lists the workitem among the agent's;
//   6. disconnect.
//
// Usage: node workitem-lifecycle.mjs <base URL>. One JSON line per step; a failure prints
// {"step":"error"} and exits 1.

import { out, fail, start, login, listen } from "./common.mjs";

const base = start("node workitem-lifecycle.mjs <base URL>");
const WORKBIN = "3434543fafwe987";
const WORKITEM = "02F0ASAK8EAFA00W";
const DATA = { UserData1: "DATA1", UserData2: 123456789 };

const s = await login(base, "MaratTest");
const l = await listen(s, "/v2/me/workitems");
const about = (nt, ref) => (m) =>
    m.channel === "/v2/me/workitems" && m.data && m.data.workitem && m.data.workitem.id === WORKITEM &&
    m.data.notificationType === nt && (ref === undefined || m.data.referenceId === undefined || m.data.referenceId === ref);
const summary = (m) => ({
    channel: m.channel, messageType: m.data.messageType, notificationType: m.data.notificationType,
    referenceId: m.data.referenceId, id: m.data.workitem.id, state: m.data.workitem.state,
    capabilities: m.data.workitem.capabilities, userData: m.data.workitem.userData,
});

async function operate(step, body, nt) {
    const from = l.mark();
    const r = await s.post(`/api/v2/me/workitems/${WORKITEM}`, body);
    out(step, { status: r.status, body: r.body });
    if (r.status !== 200) {
        fail(`${body.operationName}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
    }
    const ev = await l.waitEvent(`${nt} after ${body.operationName}`, about(nt, r.body.referenceId), from);
    out(step + "-notified", summary(ev));
}

// 2. The pull.
let from = l.mark();
const pulled = await s.post(`/api/v2/workbins/${WORKBIN}`, { operationName: "PullWorkitem", id: WORKITEM });
out("pulled", { status: pulled.status, body: pulled.body });
out("pulled-notified", summary(await l.waitEvent("the pull's StatusChange", about("StatusChange", pulled.body.referenceId), from)));

// 3. AttachUserData, 4. Complete.
await operate("attached", { operationName: "AttachUserData", userData: DATA }, "PropertiesUpdated");
await operate("completed", { operationName: "Complete" }, "StatusChange");

// 5. The agent's work.
const me = await s.get("/api/v2/me?subresources=*");
const held = ((me.body.user && me.body.user.workitems) || []).map((w) => w.id);
out("me-after", { status: me.status, workitems: held });

// 6. Bye.
const bye = await l.disconnect();
out("disconnected", { successful: !!bye.successful });
process.exit(bye.successful ? 0 : 1);
