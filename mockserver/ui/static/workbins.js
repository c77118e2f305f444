// Workbins, live: each workbin with the interactions in it (the first ones by id when it
// holds many), new arrivals marked.

import {h, replace, jsonView} from './dom.js';

// seen remembers the interactions shown per workbin, to mark the ones that arrive.
const seen = new Map();

// The userData keys a person looks for first; the others follow by name.
const KEY_ORDER = ['Subject', 'FirstName', 'LastName', 'FromAddress', 'EmailAddress', 'CustomerSegment'];

export function userDataSummary(ud, max = 3) {
  if (!ud || typeof ud !== 'object') return '';
  const rank = (k) => (KEY_ORDER.includes(k) ? KEY_ORDER.indexOf(k) : KEY_ORDER.length);
  const keys = Object.keys(ud).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const cut = (v) => (v.length > 40 ? v.slice(0, 39) + '…' : v);
  const shown = keys.slice(0, max).map((k) => `${k}: ${cut(ud[k] === null ? 'null' : String(ud[k]))}`);
  return shown.join(' · ') + (keys.length > max ? ` · +${keys.length - max}` : '');
}

export function renderWorkbins(el, model) {
  const st = model.state;
  if (!st) return;
  const q = document.getElementById('wb-filter').value.trim().toLowerCase();
  const showEmpty = document.getElementById('wb-empty').checked;
  const limit = model.hello?.itemsShown ?? 50; // the mock says; 50 is its dashItemLimit
  const cards = [];
  let hidden = 0;
  for (const wb of st.workbins) {
    const before = seen.get(wb.id);
    seen.set(wb.id, new Set(wb.items.map((x) => x.id)));
    const text = [wb.id, wb.name, wb.type, wb.owner, ...wb.items.flatMap((x) => [x.id, x.media, x.state, x.type, JSON.stringify(x.userData ?? {})])].join(' ').toLowerCase();
    if ((q && !text.includes(q)) || (!q && !showEmpty && wb.count === 0)) {
      hidden++;
      continue;
    }
    const title = 'wb-title-' + wb.id;
    cards.push(h('article', {class: 'card wb', 'aria-labelledby': title, dataset: {workbin: wb.id}},
      h('header', {},
        h('h3', {id: title}, wb.name || wb.id),
        h('span', {class: 'pill type'}, wb.type),
        h('span', {class: 'owner', title: 'owner'}, wb.owner),
        h('span', {class: 'count'}, `${wb.count} item${wb.count === 1 ? '' : 's'}`)),
      h('p', {class: 'meta'}, h('span', {}, 'id ', h('code', {}, wb.id)),
        wb.subscribers.length ? h('span', {}, ' · subscribed: ' + wb.subscribers.join(', ')) : h('span', {class: 'dim'}, ' · no subscriber')),
      wb.items.length === 0 ? h('p', {class: 'dim empty'}, 'empty') :
        h('table', {class: 'items'},
          h('colgroup', {}, ['media', 'id', 'state', 'type', 'ud'].map((c) => h('col', {class: 'c-' + c}))),
          h('caption', {class: 'sr-only'}, `Interactions in ${wb.name || wb.id}`),
          h('thead', {}, h('tr', {}, ['media', 'id', 'state', 'type', 'userData'].map((c) => h('th', {scope: 'col'}, c)))),
          h('tbody', {}, wb.items.map((x) => h('tr', {class: before && !before.has(x.id) ? 'new' : null, dataset: {item: x.id}},
            h('td', {}, h('span', {class: 'media ' + x.media}, x.media)),
            h('td', {}, h('code', {}, x.id)),
            h('td', {}, x.state),
            h('td', {}, x.type ?? ''),
            h('td', {class: 'ud'}, itemDetails(x)))))),
      wb.count > wb.items.length ? h('p', {class: 'dim more'}, `showing the first ${Math.min(limit, wb.items.length)} of ${wb.count} by id`) : null));
  }
  replace(el, cards, hidden ? h('p', {class: 'dim'}, `${hidden} workbin${hidden === 1 ? '' : 's'} not shown (${q ? 'filter' : 'empty'})`) : null);
}

// open remembers the items whose resource is shown, so that a state event (several a second
// under load) redraws them open.
const open = new Set();

// itemDetails is the userData in short, and the whole resource on demand: rendered when
// opened, not for every row at every state event.
function itemDetails(x) {
  const d = h('details', {class: 'inline'},
    h('summary', {}, userDataSummary(x.userData) || h('span', {class: 'dim'}, 'no userData')));
  const show = () => {
    if (!d.querySelector('pre')) d.append(jsonView(x.resource, `Resource of ${x.id}`));
  };
  d.addEventListener('toggle', () => {
    if (d.open) {
      open.add(x.id);
      show();
    } else {
      open.delete(x.id);
    }
  });
  if (open.has(x.id)) {
    d.open = true;
    show();
  }
  return d;
}
