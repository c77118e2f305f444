// The issue 12 "Done when", chat half, with the official CometD JavaScript client against the
// mock:
//
//   1. GET /api/v2/me as MaratTest; CometD handshake in that session, subscribe /v2/me/chats;
//   2. PullChat of a seed chat with a nickname → StatusChange Chatting;
//   3. the customer's message, sent through the mock's control plane, arrives as
//      MessageLogUpdated (a Text from the Customer);
//   4. SendMessage → MessageLogUpdated with the agent's text in the transcript;
//   5. Complete → StatusChange Completed;
//   6. disconnect.
//
// Usage: node chat-lifecycle.mjs <base URL> <customer control-plane path, {id} for the chat>.
// One JSON line per step; a failure prints {"step":"error"} and exits 1.

import { out, fail, start, login, listen, within } from "./common.mjs";

const base = start("node chat-lifecycle.mjs <base URL> <customer path>");
const customerPath = process.argv[3];
if (!customerPath) {
    fail("usage: node chat-lifecycle.mjs <base URL> <customer path>");
}
const WORKBIN = "3434543fafwe987";
const CHAT = "0001BaBFVPR20036";
const NICKNAME = "Marat";
const CUSTOMER_TEXT = "Hello, is my order on its way?";
const AGENT_TEXT = "It left the warehouse this morning.";

const s = await login(base, "MaratTest");
const l = await listen(s, "/v2/me/chats");
const names = (m) => [m.data.chatUri, m.data.chatPath].some((u) => typeof u === "string" && u.endsWith("/" + CHAT));
const state = (nt, ref) => (m) =>
    m.channel === "/v2/me/chats" && m.data && m.data.messageType === "ChatStateChangeMessage" && m.data.chat &&
    m.data.chat.id === CHAT && m.data.notificationType === nt && (ref === undefined || m.data.referenceId === undefined || m.data.referenceId === ref);
const line = (type, text) => (m) =>
    m.channel === "/v2/me/chats" && m.data && m.data.messageType === "MessageLogUpdated" && names(m) &&
    (m.data.messages || []).some((x) => x.from && x.from.type === type && x.type === "Text" && x.text === text);
const lineSummary = (m, type, text) => {
    const x = m.data.messages.find((x) => x.from && x.from.type === type && x.text === text);
    return { channel: m.channel, messageType: m.data.messageType, notificationType: m.data.notificationType,
        chatUri: m.data.chatUri, index: x.index, type: x.type, fromType: x.from.type, nickname: x.from.nickname, text: x.text };
};

// 2. The pull.
let from = l.mark();
const pulled = await s.post(`/api/v2/workbins/${WORKBIN}`, { operationName: "PullChat", id: CHAT, nickname: NICKNAME });
out("pulled", { status: pulled.status, body: pulled.body });
const p = await l.waitEvent("the pull's StatusChange", state("StatusChange", pulled.body.referenceId), from);
out("pulled-notified", { state: p.data.chat.state, capabilities: p.data.chat.capabilities });

// 3. The customer writes (the mock's control plane plays the customer).
from = l.mark();
const res = await within("the control plane's reply", fetch(base + customerPath.replace("{id}", CHAT), {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ action: "message", text: CUSTOMER_TEXT }),
}));
out("customer-sent", { status: res.status });
if (res.status < 200 || res.status > 299) {
    fail(`the control plane answered HTTP ${res.status}: ${await res.text()}`);
}
const c = await l.waitEvent("the customer's MessageLogUpdated", line("Customer", CUSTOMER_TEXT), from);
out("customer-notified", lineSummary(c, "Customer", CUSTOMER_TEXT));

// 4. The agent answers.
from = l.mark();
const sent = await s.post(`/api/v2/me/chats/${CHAT}`, { operationName: "SendMessage", text: AGENT_TEXT });
out("sent", { status: sent.status, body: sent.body });
const a = await l.waitEvent("the agent's MessageLogUpdated", line("Agent", AGENT_TEXT), from);
out("sent-notified", lineSummary(a, "Agent", AGENT_TEXT));

// 5. Complete.
from = l.mark();
const done = await s.post(`/api/v2/me/chats/${CHAT}`, { operationName: "Complete" });
out("completed", { status: done.status, body: done.body });
const d = await l.waitEvent("the Complete's StatusChange", state("StatusChange", done.body.referenceId), from);
out("completed-notified", { state: d.data.chat.state, capabilities: d.data.chat.capabilities });

// 6. Bye.
const bye = await l.disconnect();
out("disconnected", { successful: !!bye.successful });
process.exit(bye.successful ? 0 : 1);
