// A GWS-compatible peer for the conformance suite: an independent Workbins server written
// from the Genesys documentation and the captured payloads (see README.md), on Node's http
// module and the faye Bayeux server. It shares no code with workbinkit's Go mock.
//
//   node peer.mjs --port 0 [--host 127.0.0.1] [--data peer-data.json]
//                 [--differences all|none|name,name] [--config-out suite.yaml]
//
// It prints "port=N" on stdout once it listens; nothing else goes to stdout.
// PEER_DIFFERENCES (env) is read when --differences is not given.

import { createServer } from 'node:http';
import { randomUUID, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '..', '..', 'package.json'));
const faye = require('faye');

// ---- the real-server differences, each of which can be switched off ----

const DIFFERENCES = {
  'data-extras': 'extra members on notification data: "metrics":{} on every media notification, phoneNumber on chat ones',
  'resource-uri-path': 'resources carry an absolute uri without /me/ and a path (/workitems/ID)',
  'mixed-user-data': 'userData mixes strings, numbers-as-strings, integers and null',
  'reference-ids-from-1000': 'referenceIds count up from 1000 in each HTTP session',
  'event-before-reply': 'the CometD event is published before the HTTP reply is written',
  'chat-participants-later': 'a pulled chat is announced as StatusChange with participants [], then ParticipantsUpdated with the agent',
  'chat-transcript': 'a pulled chat also brings MessageLogUpdated / NewMessages with messages[] on /v2/me/chats',
  'subscription-no-reference-id': 'WorkbinSubscriptionStateChangeMessage carries no referenceId (as the documentation samples)',
};

function parseArgs(argv) {
  const a = { port: 0, host: '127.0.0.1', data: join(here, 'peer-data.json'), differences: process.env.PEER_DIFFERENCES ?? 'all', configOut: '' };
  for (let i = 0; i < argv.length; i++) {
    const [k, inline] = argv[i].split(/=(.*)/s, 2);
    const v = () => (inline !== undefined ? inline : argv[++i]);
    switch (k) {
      case '--port': a.port = Number(v()); break;
      case '--host': a.host = v(); break;
      case '--data': a.data = v(); break;
      case '--differences': a.differences = v(); break;
      case '--config-out': a.configOut = v(); break;
      default: throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  return a;
}

function parseDifferences(s) {
  const on = new Set();
  for (const name of s.split(',').map((x) => x.trim()).filter(Boolean)) {
    if (name === 'all') Object.keys(DIFFERENCES).forEach((d) => on.add(d));
    else if (name === 'none') continue;
    else if (name.startsWith('-') && DIFFERENCES[name.slice(1)]) on.delete(name.slice(1));
    else if (DIFFERENCES[name]) on.add(name);
    else throw new Error(`unknown difference ${name} (known: all, none, ${Object.keys(DIFFERENCES).join(', ')}; -name removes one)`);
  }
  return on;
}

// ---- media (from the documentation: channels, message types, capabilities) ----

const MEDIA = {
  workitem: {
    key: 'workitem', array: 'workitems', typeField: 'workitemType', channel: '/v2/me/workitems', messageType: 'WorkitemStateChangeMessage',
    pull: 'PullWorkitem', add: 'AddWorkitem', pulledState: 'Processing', v2: 'workitemStateResourceV2',
    caps: ['Transfer', 'AttachUserData', 'UpdateUserData', 'DeleteUserData', 'SetInFocus', 'Complete'],
  },
  chat: {
    key: 'chat', array: 'chats', typeField: 'chatType', channel: '/v2/me/chats', messageType: 'ChatStateChangeMessage',
    pull: 'PullChat', add: 'AddChat', pulledState: 'Chatting', v2: 'chatStateResourceV2',
    caps: ['Transfer', 'Leave', 'Invite', 'Consult', 'SetInFocus', 'SetDisposition', 'AttachUserData', 'DeleteUserData',
      'UpdateUserData', 'Complete', 'SendMessage', 'SendStartTypingNotification', 'SendStopTypingNotification'],
  },
  email: {
    key: 'email', array: 'emails', typeField: 'emailType', channel: '/v2/me/emails', messageType: 'EmailStateChangeMessage',
    pull: 'PullEmail', add: 'AddEmail', pulledState: 'Processing', v2: 'emailStateResourceV2',
    // as captured on a Genesys demo server (real-gws fact 17)
    caps: ['Reply', 'ReplyAll', 'Transfer', 'AddComment', 'AttachUserData', 'UpdateUserData', 'DeleteUserData', 'SetDisposition', 'SetInFocus', 'Complete'],
  },
};
const PULL_ANY = 'PullInteraction';
const ADD_ANY = 'AddInteraction';
const MAX_BODY = 1 << 20;
const MAX_ID = 255;
const COMETD = '/api/v2/notifications';
const BASE = '/api/v2';

// ---- state ----

class Peer {
  constructor(data, diffs) {
    this.diffs = diffs;
    this.realm = data.realm;
    this.customer = data.customer;
    this.users = new Map(data.users.map((u) => [u.id, u]));
    this.workbins = new Map();
    this.items = new Map(); // id -> {id, media, workbin|null, owner|null, userData, receivedDate, state, participants}
    this.sessions = new Map(); // JSESSIONID -> {id, user, csrf, nextRef}
    this.subscribers = new Map(); // workbin id -> Set of user ids
    this.origin = '';
    for (const w of data.workbins) this.workbins.set(w.id, { ...w, members: w.members ?? [] });
    const templates = {};
    for (const x of data.interactions) {
      this.place(x);
      templates[x.media] ??= x;
    }
    let n = 0;
    for (const w of data.workbins) {
      for (const [media, count] of Object.entries(w.pool ?? {})) {
        for (let i = 0; i < count; i++) {
          n++;
          const id = `PEER${media[0].toUpperCase()}${String(n).padStart(11, '0')}`;
          this.place({ ...templates[media], id, workbin: w.id, userData: { ...templates[media].userData, Workbin: w.name, InteractionId: id } });
        }
      }
    }
  }

  place(x) {
    let userData = structuredClone(x.userData ?? {});
    if (!this.diffs.has('mixed-user-data')) {
      userData = Object.fromEntries(Object.entries(userData).filter(([, v]) => v !== null).map(([k, v]) => [k, String(v)]));
    }
    this.items.set(x.id, { id: x.id, media: x.media, workbin: x.workbin, owner: null, userData, receivedDate: x.receivedDate, state: 'InWorkbin', participants: [] });
  }

  // resource writes an interaction as GWS does: in a workbin without capabilities.
  resource(it) {
    const m = MEDIA[it.media];
    const r = { id: it.id, state: it.state, capabilities: it.state === m.pulledState ? [...m.caps] : [], [m.typeField]: 'Inbound', receivedDate: it.receivedDate, userData: structuredClone(it.userData) };
    if (it.media === 'chat') r.participants = structuredClone(it.participants);
    if (this.diffs.has('resource-uri-path')) {
      r.uri = `${this.origin}${BASE}/${m.array}/${it.id}`;
      r.path = `/${m.array}/${it.id}`;
    }
    return r;
  }

  workbinResource(w, content) {
    const r = { id: w.id, name: w.name, displayName: w.name, type: w.type };
    if (this.diffs.has('resource-uri-path')) {
      r.uri = `${this.origin}${BASE}/workbins/${w.id}`;
      r.path = `/workbins/${w.id}`;
    }
    if (content) {
      for (const [media, m] of Object.entries(MEDIA)) {
        if (content === true || content === m.array) {
          r[m.array] = [...this.items.values()].filter((it) => it.workbin === w.id && it.media === media).map((it) => this.resource(it));
        }
      }
    }
    return r;
  }

  canSee(user, w) {
    if (w.type === 'Agent' || w.type === 'Place') return w.owner === user.id || isSupervisor(user);
    return w.members.includes(user.id);
  }
}

const isSupervisor = (u) => u.roles.includes('ROLE_SUPERVISOR');

// ---- HTTP helpers ----

class Refusal extends Error {
  constructor(http, code, message) {
    super(message);
    this.http = http;
    this.code = code;
  }
}

function sendJSON(res, status, body, headers = {}) {
  const b = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json;charset=UTF-8', 'Content-Length': Buffer.byteLength(b), ...headers });
  res.end(b);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    let over = false;
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY) over = true; // keep reading (and dropping) so the reply reaches the client
      else chunks.push(c);
    });
    req.on('end', () => resolve({ over, text: Buffer.concat(chunks).toString('utf8') }));
    req.on('error', reject);
  });
}

function cookieOf(req, name) {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, v] = part.trim().split('=');
    if (k === name) return v;
  }
  return undefined;
}

// authenticate: Basic credentials, else the JSESSIONID cookie. It returns the session (made
// for Basic when the cookie names none of this user), 'bad' for wrong credentials, or null.
function authenticate(peer, req, res) {
  const cookie = cookieOf(req, 'JSESSIONID');
  const known = cookie ? peer.sessions.get(cookie) : undefined;
  const auth = req.headers.authorization ?? '';
  if (auth.toLowerCase().startsWith('basic ')) {
    const [name, ...pw] = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8').split(':');
    const user = [...peer.users.values()].find((u) => u.userName === name && u.password === pw.join(':'));
    if (!user) return 'bad';
    if (known && known.user.id === user.id) return known;
    if (!res) return { user }; // CometD: no new HTTP session
    const s = { id: randomBytes(16).toString('hex').toUpperCase(), user, csrf: randomUUID(), nextRef: peer.diffs.has('reference-ids-from-1000') ? 1000 : 1 };
    peer.sessions.set(s.id, s);
    res.setHeader('Set-Cookie', `JSESSIONID=${s.id}; Path=/; HttpOnly`);
    return s;
  }
  return known ?? null;
}

// ---- notifications ----

// publish queues a Bayeux message for the clients of one user: every client subscribed to a
// matching channel gets a copy, and the outgoing extension drops the copies of other users.
// It goes to faye's engine directly (not through a faye client, whose publish is
// asynchronous) so that with event-before-reply the event is queued before the HTTP reply.
function publish(peer, userId, channel, data) {
  peer.bayeux._server._engine.publish({ channel, data, ext: { peerUser: userId } });
}

function bayeuxAuth(peer) {
  return {
    incoming(message, request, callback) {
      if (message.channel === '/meta/handshake' || message.channel === '/meta/subscribe') {
        const s = authenticate(peer, request, null);
        if (!s || s === 'bad') message.error = '403::Authentication required';
      } else if (!message.channel.startsWith('/meta/')) {
        message.error = '403::Publishing is not allowed'; // only the server publishes
      }
      callback(message);
    },
    outgoing(message, request, callback) {
      const target = message.ext?.peerUser;
      if (target === undefined) return callback(message);
      const s = request ? authenticate(peer, request, null) : null;
      if (!s || s === 'bad' || s.user.id !== target) return callback(null);
      delete message.ext;
      callback(message);
    },
  };
}

// ---- operations ----

function nextRef(s) {
  return s.nextRef++;
}

function mediaOfOperation(op, pullOrAdd) {
  for (const [media, m] of Object.entries(MEDIA)) if (m[pullOrAdd] === op) return media;
  return undefined;
}

function knownOperation(op) {
  return op === PULL_ANY || op === ADD_ANY || op === 'Subscribe' || op === 'Unsubscribe' ||
    mediaOfOperation(op, 'pull') !== undefined || mediaOfOperation(op, 'add') !== undefined;
}

function requireID(body) {
  if (body.id === undefined && body.uri === undefined) throw new Refusal(400, 1, 'Parameter id is required');
  let id = body.id;
  if (id === undefined) {
    if (typeof body.uri !== 'string') throw new Refusal(400, 10, 'Parameter uri must be a string');
    id = body.uri.split('/').pop();
  }
  if (typeof id !== 'string' || id === '') throw new Refusal(400, 10, 'Parameter id must be a non-empty string');
  if (id.length > MAX_ID) throw new Refusal(400, 10, `Parameter id is longer than ${MAX_ID} characters`);
  return id;
}

// pull moves an interaction out of w to the session's user; the events go out before the
// reply when event-before-reply is on.
function pull(peer, s, w, body, op, actingFor) {
  const id = requireID(body);
  const it = peer.items.get(id);
  if (!it) throw new Refusal(404, 6, `Interaction ${id} does not exist`);
  if (it.workbin !== w.id) throw new Refusal(400, 2, `Interaction ${id} is not located in workbin ${w.name}`);
  const wanted = op === PULL_ANY ? it.media : mediaOfOperation(op, 'pull');
  if (wanted !== it.media) throw new Refusal(400, 2, `Operation ${op} cannot be applied to a ${it.media}`);
  if (body.nickname !== undefined && typeof body.nickname !== 'string') throw new Refusal(400, 10, 'Parameter nickname must be a string');
  const m = MEDIA[it.media];
  const ref = nextRef(s);
  const before = peer.resource(it);
  it.workbin = null;
  it.owner = s.user.id;
  it.state = m.pulledState;
  const events = [];
  const subsRemoved = peer.subscribers.get(w.id) ?? new Set();
  for (const uid of subsRemoved) {
    const data = { messageType: 'WorkbinStateChangeMessage', action: 'ItemRemoved', id: w.id, [m.v2]: before };
    if (uid === s.user.id) data.referenceId = ref;
    if (w.type === 'AgentGroup') data.agentGroup = w.group;
    if (w.type === 'PlaceGroup') data.placeGroup = w.group;
    if (actingFor) data.workbinUserId = actingFor;
    events.push([uid, '/v2/me/workbins', data]);
  }
  const extras = (data) => {
    if (peer.diffs.has('data-extras')) {
      data.metrics = {};
      if (it.media === 'chat') data.phoneNumber = '5551234';
    }
    return data;
  };
  if (it.media === 'chat') {
    const agent = { nickname: body.nickname ?? s.user.userName, type: isSupervisor(s.user) && actingFor ? 'Supervisor' : 'Agent', participantId: randomUUID().replaceAll('-', '').slice(0, 16) };
    const customer = { ...peer.customer, participantId: randomUUID().replaceAll('-', '').slice(0, 16) };
    if (peer.diffs.has('chat-participants-later')) {
      it.participants = [];
      events.push([s.user.id, m.channel, extras({ messageType: m.messageType, notificationType: 'StatusChange', referenceId: ref, chat: peer.resource(it) })]);
      it.participants = [customer, agent];
      events.push([s.user.id, m.channel, extras({ messageType: m.messageType, notificationType: 'ParticipantsUpdated', referenceId: ref, chat: peer.resource(it) })]);
    } else {
      it.participants = [customer, agent];
      events.push([s.user.id, m.channel, extras({ messageType: m.messageType, notificationType: 'StatusChange', referenceId: ref, chat: peer.resource(it) })]);
    }
    if (peer.diffs.has('chat-transcript')) {
      const now = new Date();
      events.push([s.user.id, m.channel, {
        messageType: 'MessageLogUpdated', notificationType: 'NewMessages', chatPath: `/chats/${it.id}`,
        messages: [{
          index: 1, type: 'ParticipantJoined', from: { nickname: agent.nickname, type: agent.type, participantId: agent.participantId, visibility: 'ALL' },
          text: '', visibility: 'ALL', timestamp: now.toISOString(), timestampSeconds: Math.floor(now.getTime() / 1000),
        }],
      }]);
    }
  } else {
    events.push([s.user.id, m.channel, extras({ messageType: m.messageType, notificationType: 'StatusChange', referenceId: ref, [m.key]: peer.resource(it) })]);
  }
  return { reply: { statusCode: 0, referenceId: ref }, events };
}

// add puts an interaction the user owns into w (documented by id and by uri).
function add(peer, s, w, body, op, actingFor) {
  const id = requireID(body);
  const it = peer.items.get(id);
  if (!it) throw new Refusal(404, 6, `Interaction ${id} does not exist`);
  if (it.owner !== s.user.id) throw new Refusal(400, 2, `Interaction ${id} is not owned by ${s.user.userName}`);
  const wanted = op === ADD_ANY ? it.media : mediaOfOperation(op, 'add');
  if (wanted !== it.media) throw new Refusal(400, 2, `Operation ${op} cannot be applied to a ${it.media}`);
  const m = MEDIA[it.media];
  const ref = nextRef(s);
  it.owner = null;
  it.workbin = w.id;
  it.state = 'InWorkbin';
  it.participants = [];
  const events = [];
  for (const uid of peer.subscribers.get(w.id) ?? new Set()) {
    const data = { messageType: 'WorkbinStateChangeMessage', action: 'ItemAdded', id: w.id, [m.v2]: peer.resource(it) };
    if (uid === s.user.id) data.referenceId = ref;
    if (w.type === 'AgentGroup') data.agentGroup = w.group;
    if (w.type === 'PlaceGroup') data.placeGroup = w.group;
    if (actingFor) data.workbinUserId = actingFor;
    events.push([uid, '/v2/me/workbins', data]);
  }
  return { reply: { statusCode: 0, referenceId: ref }, events };
}

function subscription(peer, s, w, op, actingFor) {
  const ref = nextRef(s);
  const subs = peer.subscribers.get(w.id) ?? new Set();
  if (op === 'Subscribe') subs.add(s.user.id);
  else subs.delete(s.user.id);
  peer.subscribers.set(w.id, subs);
  const data = { messageType: 'WorkbinSubscriptionStateChangeMessage', id: w.id, stateResource: op === 'Subscribe' ? 'Subscribed' : 'Unsubscribed' };
  if (!peer.diffs.has('subscription-no-reference-id')) data.referenceId = ref;
  if (actingFor) data.workbinUserId = actingFor;
  return { ref, events: [[s.user.id, '/v2/me/workbins', data]] };
}

// ---- routing ----

function parseJSONBody(raw) {
  if (raw.over) throw new Refusal(413, 10, `Request body exceeds ${MAX_BODY} bytes`);
  let body;
  try {
    body = JSON.parse(raw.text);
  } catch {
    throw new Refusal(400, 10, 'Unable to parse request body as JSON');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new Refusal(400, 10, 'Request body must be a JSON object');
  if (body.operationName === undefined) throw new Refusal(400, 1, 'Parameter operationName is required');
  if (typeof body.operationName !== 'string') throw new Refusal(400, 10, 'Parameter operationName must be a string');
  return body;
}

// workbinFor resolves the workbin of a path and checks the user may act on it; actingFor is
// the owner's id when a supervisor uses /users/{userId}/.
function workbinFor(peer, s, id, q, userPath) {
  const ag = q.get('agentGroup');
  const pg = q.get('placeGroup');
  if (ag !== null && pg !== null) throw new Refusal(400, 1, 'Only one of agentGroup and placeGroup may be given');
  let actingFor;
  if (userPath !== undefined) {
    if (!isSupervisor(s.user)) throw new Refusal(403, 5, `User ${s.user.userName} is not allowed to act on the workbins of other users`);
    if (!peer.users.has(userPath)) throw new Refusal(404, 6, `User ${userPath} does not exist`);
    actingFor = userPath;
  }
  const w = peer.workbins.get(id);
  if (!w) throw new Refusal(404, 6, `Workbin ${id} does not exist`);
  if (ag !== null && (w.type !== 'AgentGroup' || w.group !== ag)) throw new Refusal(400, 2, `Workbin ${w.name} is not a workbin of agent group ${ag}`);
  if (pg !== null && (w.type !== 'PlaceGroup' || w.group !== pg)) throw new Refusal(400, 2, `Workbin ${w.name} is not a workbin of place group ${pg}`);
  if (actingFor !== undefined) {
    if (w.owner !== actingFor) throw new Refusal(400, 2, `Workbin ${w.name} does not belong to user ${actingFor}`);
  } else if (w.type === 'Agent' || w.type === 'Place') {
    if (w.owner !== s.user.id) throw new Refusal(403, 5, `User ${s.user.userName} has no access to workbin ${w.name}`);
  } else if (!w.members.includes(s.user.id)) {
    throw new Refusal(403, 5, `User ${s.user.userName} is not a member of ${w.group}`);
  }
  return { w, actingFor };
}

async function route(peer, req, res, url) {
  const s = authenticate(peer, req, res);
  if (!s || s === 'bad') {
    throw Object.assign(new Refusal(401, 20, 'Authentication is required'), { challenge: true });
  }
  const parts = url.pathname.slice(BASE.length).split('/').filter(Boolean).map(decodeURIComponent);
  const q = url.searchParams;
  if (req.method === 'GET') {
    res.setHeader('X-CSRF-HEADER', 'X-CSRF-TOKEN');
    res.setHeader('X-CSRF-TOKEN', s.csrf);
    return get(peer, s, parts, q);
  }
  if (req.method !== 'POST') throw new Refusal(405, 2, `Method ${req.method} is not supported here`);
  const raw = await readBody(req);
  if (req.headers['x-csrf-token'] !== s.csrf) return 'csrf';
  const body = parseJSONBody(raw);
  let userPath;
  if (parts[0] === 'users') {
    userPath = parts[1];
    parts.splice(0, 2, 'me');
  }
  if (parts[0] === 'me') parts.shift();
  if (parts[0] !== 'workbins' || parts.length > 2) throw new Refusal(404, 6, 'No such resource');
  if (parts.length === 1) return subscribeMany(peer, s, body, q, userPath);
  const { w, actingFor } = workbinFor(peer, s, parts[1], q, userPath);
  const op = body.operationName;
  if (!knownOperation(op)) throw new Refusal(400, 2, `Operation ${op} is not supported`);
  if (op === 'Subscribe' || op === 'Unsubscribe') {
    const r = subscription(peer, s, w, op, actingFor);
    return { reply: { statusCode: 0, referenceId: r.ref }, events: r.events };
  }
  if (op === PULL_ANY || mediaOfOperation(op, 'pull')) return pull(peer, s, w, body, op, actingFor);
  return add(peer, s, w, body, op, actingFor);
}

function subscribeMany(peer, s, body, q, userPath) {
  const op = body.operationName;
  if (op !== 'Subscribe' && op !== 'Unsubscribe') throw new Refusal(400, 2, `Operation ${op} is not supported on the workbin collection`);
  const ids = (q.get('workbinIds') ?? '').split(',').filter(Boolean);
  if (ids.length === 0) throw new Refusal(400, 1, 'Parameter workbinIds is required');
  const resolved = ids.map((id) => workbinFor(peer, s, id, q, userPath)); // all or nothing
  const referenceIds = {};
  const events = [];
  for (const { w, actingFor } of resolved) {
    const r = subscription(peer, s, w, op, actingFor);
    referenceIds[w.id] = r.ref;
    events.push(...r.events);
  }
  return { reply: { statusCode: 0, referenceIds }, events };
}

function get(peer, s, parts, q) {
  let userPath;
  if (parts[0] === 'users') {
    userPath = parts[1];
    parts = ['me', ...parts.slice(2)];
  }
  if (parts.length === 1 && parts[0] === 'me') {
    const u = s.user;
    const user = { id: u.id, userName: u.userName, firstName: u.firstName, lastName: u.lastName, roles: u.roles, enabled: true, changePasswordOnFirstLogin: false };
    if (peer.diffs.has('resource-uri-path')) Object.assign(user, { uri: `${peer.origin}${BASE}/users/${u.id}`, path: `/users/${u.id}` });
    return { reply: { statusCode: 0, user } };
  }
  const me = parts[0] === 'me';
  if (me) parts = parts.slice(1);
  if (parts[0] !== 'workbins' || parts.length > 3) throw new Refusal(404, 6, 'No such resource');
  if (parts.length === 1) {
    const list = [...peer.workbins.values()].filter((w) => (me ? w.owner === s.user.id : w.owner === s.user.id || w.members.includes(s.user.id)));
    if (q.get('fields') === '*') return { reply: { statusCode: 0, workbins: list.map((w) => peer.workbinResource(w, false)) } };
    return { reply: { statusCode: 0, uris: list.map((w) => `${peer.origin}${BASE}/workbins/${w.id}`) } };
  }
  const w = peer.workbins.get(parts[1]);
  if (!w) throw new Refusal(404, 6, `Workbin ${parts[1]} does not exist`);
  if (userPath !== undefined ? !(isSupervisor(s.user) && w.owner === userPath) : !peer.canSee(s.user, w)) {
    throw new Refusal(403, 5, `User ${s.user.userName} has no access to workbin ${w.name}`);
  }
  if (parts.length === 3) {
    if (!Object.values(MEDIA).some((m) => m.array === parts[2])) throw new Refusal(404, 6, `Unknown media type ${parts[2]}`);
    return { reply: { statusCode: 0, workbin: peer.workbinResource(w, parts[2]) } };
  }
  return { reply: { statusCode: 0, workbin: peer.workbinResource(w, q.get('subresources') === '*') } };
}

// ---- server ----

function main() {
  const args = parseArgs(process.argv.slice(2));
  const diffs = parseDifferences(args.differences);
  const peer = new Peer(JSON.parse(readFileSync(args.data, 'utf8')), diffs);
  peer.bayeux = new faye.NodeAdapter({ mount: COMETD, timeout: 20 });
  peer.bayeux.addExtension(bayeuxAuth(peer));

  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://peer');
    if (url.pathname === COMETD || url.pathname.startsWith(COMETD + '/')) return peer.bayeux.handle(req, res);
    if (url.pathname !== BASE && !url.pathname.startsWith(BASE + '/')) {
      return sendJSON(res, 404, { statusCode: 6, statusMessage: 'No such resource' });
    }
    route(peer, req, res, url).then((out) => {
      if (out === 'csrf') {
        res.writeHead(403, { 'Content-Type': 'text/plain;charset=UTF-8' });
        return res.end('Missing or invalid Csrf token');
      }
      const emit = () => { for (const [uid, ch, data] of out.events ?? []) publish(peer, uid, ch, data); };
      if (diffs.has('event-before-reply')) {
        emit();
        sendJSON(res, 200, out.reply);
      } else {
        res.on('finish', emit);
        sendJSON(res, 200, out.reply);
      }
    }).catch((err) => {
      if (!(err instanceof Refusal)) {
        process.stderr.write(`peer: ${err.stack}\n`);
        err = new Refusal(500, 4, 'Internal error');
      }
      const headers = err.challenge ? { 'WWW-Authenticate': `Basic realm="${peer.realm}"` } : {};
      sendJSON(res, err.http, { statusCode: err.code, statusMessage: err.message }, headers);
    });
  });
  server.listen(args.port, args.host, () => {
    const { port } = server.address();
    peer.origin = `http://${args.host}:${port}`;
    if (args.configOut) writeFileSync(args.configOut, suiteConfig(peer));
    process.stdout.write(`port=${port}\n`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

// suiteConfig is the conformance suite's config (list provisioning) for this peer: the
// users, the workbins and every interaction placed at start.
function suiteConfig(peer) {
  const role = (r) => [...peer.users.values()].find((u) => u.role === r);
  const lines = ['# written by conformance/peer/peer.mjs', `target: ${JSON.stringify(peer.origin)}`, 'implementation:',
    '  organization: workbinkit', '  project: gws-peer (node + faye)', 'users:'];
  for (const r of ['agent', 'agent2', 'supervisor']) {
    const u = role(r);
    lines.push(`  ${r}: {user: ${JSON.stringify(u.userName)}, password: ${JSON.stringify(u.password)}}`);
  }
  const wb = (pred) => [...peer.workbins.values()].find(pred);
  const agent = role('agent').id;
  lines.push('workbins:',
    `  agent: ${JSON.stringify(wb((w) => w.type === 'Agent' && w.owner === agent).id)}`,
    `  agentPlace: ${JSON.stringify(wb((w) => w.type === 'Place' && w.owner === agent).id)}`,
    `  agent2: ${JSON.stringify(wb((w) => w.type === 'Agent' && w.owner === role('agent2').id).id)}`);
  for (const [key, type] of [['agentGroup', 'AgentGroup'], ['placeGroup', 'PlaceGroup']]) {
    const w = wb((x) => x.type === type);
    lines.push(`  ${key}: {group: ${JSON.stringify(w.group)}, workbin: ${JSON.stringify(w.id)}}`);
  }
  lines.push('provisioning:', '  mode: list', '  interactions:');
  for (const it of peer.items.values()) {
    if (it.workbin) lines.push(`    - {id: ${JSON.stringify(it.id)}, media: ${it.media}, workbin: ${JSON.stringify(it.workbin)}}`);
  }
  return lines.join('\n') + '\n';
}

main();
