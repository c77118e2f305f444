// Steering: forms that call the control plane. Each reports its outcome in its own status
// line (role=status), so that a screen reader hears it.

import {h, replace} from './dom.js';
import {call} from './api.js';

// result runs a call and writes its outcome into out; ok is a text or a function of the reply.
export async function result(out, fn, ok) {
  out.classList.remove('error');
  out.textContent = '…';
  try {
    const r = await fn();
    out.textContent = typeof ok === 'function' ? ok(r) : ok;
    return r;
  } catch (err) {
    out.classList.add('error');
    out.textContent = (err.status ? `${err.status}: ` : '') + err.message;
    return undefined;
  }
}

const outOf = (form) => form.querySelector('.result');

// numberOrText reads a userData value: a number when it reads as one, null for "null", else text.
function numberOrText(v) {
  if (/^-?\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  if (v.trim() === 'null') return null;
  return v;
}

function addUserDataRow(key = '', value = '') {
  const box = document.getElementById('place-userdata');
  const n = box.childElementCount + 1;
  box.append(h('div', {class: 'kvrow'},
    h('input', {name: 'udKey', 'aria-label': `userData key ${n}`, placeholder: 'key', value: key, autocomplete: 'off'}),
    h('input', {name: 'udValue', 'aria-label': `userData value ${n}`, placeholder: 'value', value: value, autocomplete: 'off'})));
}

export function setupSteering() {
  addUserDataRow('Subject', 'Call back Mrs Smith');
  addUserDataRow('CustomerSegment', 'gold');
  addUserDataRow();
  document.getElementById('place-add-row').addEventListener('click', () => {
    addUserDataRow();
    document.getElementById('place-userdata').lastElementChild.querySelector('input').focus();
  });

  const place = document.getElementById('place-form');
  place.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = new FormData(place);
    const body = {workbinId: f.get('workbinId'), media: f.get('media')};
    if (f.get('id')) body.id = f.get('id').trim();
    if (f.get('type')) body.type = f.get('type').trim();
    const keys = f.getAll('udKey');
    const vals = f.getAll('udValue');
    const ud = {};
    keys.forEach((k, i) => { if (k.trim()) ud[k.trim()] = numberOrText(vals[i] ?? ''); });
    if (Object.keys(ud).length) body.userData = ud;
    await result(outOf(place), () => call('POST', 'interactions', body), (r) => `Placed ${r.id} in ${selectedText(place.workbinId)}.`);
  });

  // Deviations.
  document.getElementById('dev-filter').addEventListener('input', () => filterDeviations());
  document.getElementById('dev-off').addEventListener('click', () =>
    result(document.getElementById('dev-result'), () => call('PUT', 'deviations', {on: []}), 'Every deviation is off.'));
  document.getElementById('dev-list').addEventListener('change', (ev) => {
    if (ev.target.type !== 'checkbox') return;
    const on = [...document.querySelectorAll('#dev-list input:checked')].map((c) => c.value);
    result(document.getElementById('dev-result'), () => call('PUT', 'deviations', {on}),
      `${ev.target.value} ${ev.target.checked ? 'on' : 'off'}.`);
  });

  // HTTP faults.
  const fault = document.getElementById('fault-form');
  fault.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = new FormData(fault);
    const body = {count: Number(f.get('count') || 1)};
    for (const k of ['method', 'path', 'operationName']) if (f.get(k)) body[k] = f.get(k).trim();
    if (f.get('statusCode')) body.statusCode = Number(f.get('statusCode'));
    if (f.get('delay')) body.delay = Number(f.get('delay'));
    await result(outOf(fault), () => call('POST', 'faults', body), (r) => `Fault #${r.id} takes the next ${r.count} matching request${r.count === 1 ? '' : 's'}.`);
  });
  document.getElementById('faults-clear').addEventListener('click', () =>
    result(outOf(fault), () => call('DELETE', 'faults'), 'HTTP faults cleared.'));

  // CometD faults.
  const cf = document.getElementById('cometd-fault-form');
  cf.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = new FormData(cf);
    const drop = f.get('kind') === 'drop';
    const body = {user: f.get('user'), count: Number(f.get('count') || 1)};
    if (!drop) body.delay = Number(f.get('delay') || 0);
    await result(outOf(cf), () => call('POST', drop ? 'cometd/drop' : 'cometd/delay', body),
      `The next ${body.count} event(s) of ${body.user} will be ${drop ? 'dropped' : `delayed ${body.delay} ms`}.`);
  });
  document.getElementById('cometd-faults-clear').addEventListener('click', () =>
    result(outOf(cf), () => call('DELETE', 'cometd/faults'), 'CometD faults cleared.'));

  // Sessions.
  const expire = document.getElementById('expire-form');
  expire.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const user = new FormData(expire).get('user');
    await result(outOf(expire), () => call('POST', 'cometd/expire', {user}), (r) => `${r.expired} CometD session(s) of ${user} expired.`);
  });

  // Data.
  const reset = document.getElementById('reset-form');
  reset.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const sessions = reset.sessions.checked;
    await result(outOf(reset), () => call('POST', 'reset', {sessions}), sessions ? 'Reset; every session ended.' : 'Reset to the fixtures.');
  });
  const fx = document.getElementById('fixtures-form');
  fx.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const dir = fx.dir.value.trim();
    await result(outOf(fx), () => call('POST', 'fixtures', {dir}), `Loaded the fixture set of ${dir}.`);
  });
  document.getElementById('fixtures-upload').addEventListener('click', async () => {
    const chosen = [...fx.files.files].filter((f) => f.name.endsWith('.json'));
    await result(outOf(fx), async () => {
      if (chosen.length === 0) throw new Error('choose a fixture directory first (its .json files are sent)');
      const files = {};
      for (const f of chosen) {
        // webkitRelativePath starts with the chosen directory's name: the set is inside it.
        const rel = (f.webkitRelativePath || f.name).split('/').slice(1).join('/') || f.name;
        files[rel] = JSON.parse(await f.text());
      }
      return call('POST', 'fixtures', {files});
    }, `Loaded ${chosen.length} fixture files.`);
  });
}

function selectedText(select) {
  return select.selectedOptions[0]?.textContent ?? select.value;
}

// fillSelect replaces a select's options, keeping the chosen value when it is still there.
function fillSelect(select, options) {
  const keep = select.value;
  replace(select, options.map(([value, label]) => h('option', {value}, label)));
  if (options.some(([v]) => v === keep)) select.value = keep;
}

export function updateSteering(model) {
  const {hello, state, status} = model;
  if (hello) {
    fillSelect(document.querySelector('#place-form [name=media]'), hello.media.map((m) => [m, m]));
    const sc = document.querySelector('#fault-form [name=statusCode]');
    if (sc.options.length === 1) {
      for (const c of hello.statusCodes) if (c.code !== 0 && c.code !== 7) sc.append(h('option', {value: c.code}, `${c.code}: ${c.meaning}`));
    }
    const list = document.getElementById('dev-list');
    if (list.childElementCount === 0) {
      replace(list, hello.deviations.map((d) => h('li', {dataset: {text: (d.name + ' ' + d.breaks + ' ' + d.description).toLowerCase()}},
        h('label', {class: 'check'}, h('input', {type: 'checkbox', value: d.name, 'aria-describedby': 'dev-' + d.name}), ' ', h('code', {}, d.name)),
        h('p', {class: 'dim small', id: 'dev-' + d.name}, d.breaks))));
    }
  }
  if (state) {
    fillSelect(document.querySelector('#place-form [name=workbinId]'),
      state.workbins.map((w) => [w.id, `${w.name || w.id} (${w.type}, ${w.owner})`]));
    for (const sel of document.querySelectorAll('select.users')) fillSelect(sel, state.users.map((u) => [u.name, u.name]));
  }
  if (status) {
    const on = new Set(status.deviations);
    for (const c of document.querySelectorAll('#dev-list input')) c.checked = on.has(c.value);
    const pending = document.getElementById('faults-pending');
    replace(pending, status.faults.length === 0 ? h('p', {class: 'dim'}, 'No HTTP fault pending.') :
      h('ul', {class: 'faults', 'aria-label': 'HTTP faults pending'}, status.faults.map((f) => h('li', {},
        `#${f.id}: ${f.method || 'any method'} ${f.path || 'any path'}${f.operationName ? ' ' + f.operationName : ''} → `,
        f.statusCode !== undefined ? `statusCode ${f.statusCode} (HTTP ${f.httpStatus})` : '',
        f.delay ? ` after ${f.delay} ms` : '', `, ${f.left} left`))));
  }
}

function filterDeviations() {
  const q = document.getElementById('dev-filter').value.trim().toLowerCase();
  for (const li of document.getElementById('dev-list').children) li.hidden = q !== '' && !li.dataset.text.includes(q);
}
