// The control plane, as the dashboard calls it: every call goes to /_mock/… on the page's own
// origin, with the admin token when one was given.

const TOKEN_KEY = 'workbinkit.adminToken';

// The control plane's base: the page is served at <base>/ui/.
export const base = new URL('..', document.baseURI);

// takeToken keeps a token given in the address (…/_mock/ui/#token=…, as the mock's banner
// prints it) for this tab, and removes it from the address.
export function takeToken() {
  const m = /(?:^#|&)token=([^&]*)/.exec(location.hash);
  if (m) {
    setToken(decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
}

export function token() { return sessionStorage.getItem(TOKEN_KEY) ?? ''; }
export function setToken(t) {
  if (t) sessionStorage.setItem(TOKEN_KEY, t);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export class CallError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function headers(extra) {
  const hs = {...extra};
  const t = token();
  if (t) hs.Authorization = 'Bearer ' + t;
  return hs;
}

// call sends one control-plane request and returns its JSON reply; a refusal throws a
// CallError carrying the control plane's {"error": …}.
export async function call(method, path, body) {
  const init = {method, headers: headers({Accept: 'application/json'}), cache: 'no-store', credentials: 'omit'};
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(new URL(path, base), init);
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!res.ok) throw new CallError(res.status, data?.error ?? (text || res.statusText));
  return data;
}

// events reads GET /_mock/events, a text/event-stream, through fetch (EventSource cannot
// send the admin token), calling on(event, data) for each event until the stream ends.
export async function events(signal, on) {
  const res = await fetch(new URL('events', base), {
    headers: headers({Accept: 'text/event-stream'}), cache: 'no-store', credentials: 'omit', signal,
  });
  if (!res.ok) {
    const text = await res.text();
    let msg = text;
    try { msg = JSON.parse(text).error ?? text; } catch { /* not JSON */ }
    throw new CallError(res.status, msg || res.statusText);
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const {value, done} = await reader.read();
    if (done) return;
    buf += value;
    let end;
    while ((end = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, end);
      buf = buf.slice(end + 2);
      let name = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line === '' || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let v = colon < 0 ? '' : line.slice(colon + 1);
        if (v.startsWith(' ')) v = v.slice(1);
        if (field === 'event') name = v;
        else if (field === 'data') data.push(v);
      }
      if (data.length > 0) on(name, JSON.parse(data.join('\n')));
    }
  }
}
