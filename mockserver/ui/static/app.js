// The dashboard: reads GET /_mock/events and renders what it says; steers through the other
// control-plane calls (steer.js). No other request leaves the page.

import {takeToken, setToken, events, call, CallError} from './api.js';
import {renderBanner} from './banner.js';
import {renderWorkbins} from './workbins.js';
import {renderUsers} from './users.js';
import {Feed} from './feed.js';
import {setupSteering, updateSteering} from './steer.js';
import {setupTabs} from './tabs.js';

const model = {hello: null, status: null, state: null, sessions: null};
const $ = (id) => document.getElementById(id);

// act runs a call from a button outside the forms and says how it went in the connection line.
async function act(fn, ok) {
  try {
    const r = await fn();
    say(typeof ok === 'function' ? ok(r) : ok);
  } catch (err) {
    say((err.status ? `${err.status}: ` : '') + err.message, true);
  }
}

let sayTimer;
function say(text, error = false) {
  const el = $('conn');
  el.dataset.note = text;
  el.classList.toggle('error', error);
  el.textContent = text;
  clearTimeout(sayTimer);
  sayTimer = setTimeout(() => setConn(conn), 4000);
}

let conn = 'connecting';
function setConn(state, detail = '') {
  conn = state;
  const el = $('conn');
  el.className = 'conn ' + state;
  el.textContent = {
    connecting: 'connecting…',
    live: 'live',
    retrying: `connection lost, retrying… ${detail}`,
    token: 'the control plane needs the admin token',
    refused: `refused: ${detail}`,
  }[state];
  $('token-form').hidden = state !== 'token';
}

const feed = new Feed(model);

function render(what) {
  if (what === 'hello' || what === 'status') renderBanner($('banner'), model, act);
  if (what === 'state' || what === 'hello') renderWorkbins($('workbins'), model);
  if (what === 'state' || what === 'sessions') renderUsers($('users'), model, act);
  updateSteering(model);
}

function onEvent(name, data) {
  switch (name) {
    case 'hello':
      if (model.hello && model.hello.instance !== data.instance) feed.reset(); // another mock run
      model.hello = data;
      break;
    case 'status': model.status = data; break;
    case 'state': model.state = data; break;
    case 'sessions': model.sessions = data; break;
    case 'journal': feed.add(data); return;
    default: return;
  }
  render(name);
}

async function connect() {
  let delay = 500;
  for (;;) {
    const ctl = new AbortController();
    try {
      setConn('connecting');
      await events(ctl.signal, (name, data) => {
        if (conn !== 'live') setConn('live');
        delay = 500;
        onEvent(name, data);
      });
      setConn('retrying');
    } catch (err) {
      if (err instanceof CallError && err.status === 401) {
        setConn('token');
        await new Promise((resolve) => $('token-form').addEventListener('submit', resolve, {once: true}));
        continue;
      }
      if (err instanceof CallError && err.status === 403) {
        setConn('refused', err.message);
      } else {
        setConn('retrying');
      }
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 10000);
  }
}

$('token-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  setToken($('token-input').value.trim());
  $('token-input').value = '';
});
for (const id of ['wb-filter', 'wb-empty']) $(id).addEventListener('input', () => renderWorkbins($('workbins'), model));
$('j-clear').addEventListener('click', async () => {
  await act(() => call('DELETE', 'journal'), 'Journal emptied.');
  $('journal').replaceChildren();
  feed.counts();
});

takeToken();
setupTabs();
setupSteering(model);
connect();
