// The live feeds: the journal of REST requests and the CometD events the mock delivered,
// newest first, kept to a bounded number each. An event's referenceId leads to the request
// that caused it (the same user's latest request answered with that referenceId).

import {h, jsonView, clock} from './dom.js';
import {showTab} from './tabs.js';

const KEEP = 1000;

export class Feed {
  constructor(model) {
    this.model = model;
    this.journalEl = document.getElementById('journal');
    this.eventsEl = document.getElementById('events');
    this.reset();
    for (const id of ['j-filter', 'j-refused']) document.getElementById(id).addEventListener('input', () => this.filterJournal());
    for (const id of ['ev-filter', 'ev-user', 'ev-channel']) document.getElementById(id).addEventListener('input', () => this.filterEvents());
    document.getElementById('ev-clear').addEventListener('click', () => {
      this.eventsEl.replaceChildren();
      this.counts();
    });
  }

  reset() {
    this.journalEl.replaceChildren();
    this.eventsEl.replaceChildren();
    this.lastSeq = 0;
    this.refused = 0;
    this.skipped = 0;
    this.byRef = new Map(); // user + referenceId → seq of the request
    this.waiting = new Map(); // user + referenceId → the events' link boxes waiting for the request
    this.users = new Set();
    this.channels = new Set();
    this.counts();
  }

  add(batch) {
    for (const e of batch.entries) {
      if (e.seq <= this.lastSeq) continue; // sent again after a reconnection
      this.lastSeq = e.seq;
      if (e.kind === 'http') this.addRequest(e);
      else this.addEvent(e);
    }
    if (batch.skipped > 0) {
      this.skipped += batch.skipped;
      const p = document.getElementById('j-skipped');
      p.hidden = false;
      p.textContent = `Up to ${this.skipped} entries went by faster than the dashboard shows them (the journal keeps the last ${this.model.hello?.journalSize ?? '…'}; GET /_mock/journal has them).`;
    }
    trim(this.journalEl);
    trim(this.eventsEl);
    bound(this.byRef, 4 * KEEP);
    bound(this.waiting, KEEP);
    this.counts();
  }

  counts() {
    const ev = this.eventsEl.childElementCount;
    const j = this.journalEl.childElementCount;
    const refused = this.journalEl.querySelectorAll('li.refused').length;
    document.getElementById('count-events').textContent = ev ? String(ev) : '';
    document.getElementById('count-journal').textContent = j ? (refused ? `${j} · ${refused} refused` : String(j)) : '';
  }

  addRequest(e) {
    const reply = typeof e.responseBody === 'object' && e.responseBody !== null ? e.responseBody : {};
    const refs = [];
    if (typeof reply.referenceId === 'number') refs.push(reply.referenceId);
    if (reply.referenceIds && typeof reply.referenceIds === 'object') refs.push(...Object.values(reply.referenceIds));
    for (const r of refs) {
      const key = e.user + '\u0000' + r;
      this.byRef.set(key, e.seq);
      // An event is journaled as it is delivered, often before the reply of the request that
      // caused it: its link waits for the request.
      for (const box of this.waiting.get(key) ?? []) box.replaceChildren(this.refLink(e.seq, r));
      this.waiting.delete(key);
    }

    const [opId, opName] = (e.operation ?? '').split(' ');
    const ref = e.refusal;
    const ruleLink = ref?.rule ? h('a', {href: 'rules.html#' + encodeURIComponent(ref.rule), target: '_blank', rel: 'noopener', class: 'rule'},
      ref.rule + (e.ruleTitle ? ' — ' + e.ruleTitle : '')) : null;
    const statusText = String(e.status) + (ref?.statusCode !== undefined ? ` · ${ref.statusCode}` : '') + (refs.length === 1 ? ` · ref ${refs[0]}` : '');
    const li = h('li', {id: 'j-' + e.seq, class: ref ? 'row refused' : 'row', dataset: {seq: e.seq}},
      h('details', {},
        h('summary', {class: 'journal-grid'},
          h('span', {class: 't'}, clock(e.time)),
          h('span', {class: 'u'}, e.user || '—'),
          h('span', {class: 'req'}, h('b', {}, e.method), ' ', e.path + (e.query ? '?' + e.query : '')),
          h('span', {class: 'op'}, opName || opId || ''),
          h('span', {class: 'st'}, statusText),
          h('span', {class: 'ms'}, e.durationMillis !== undefined ? e.durationMillis.toFixed(1) : ''),
          h('span', {class: 'rulecell'}, ref ? (ref.fault ? 'injected fault' : ref.rule ?? '') : '')),
        h('div', {class: 'body'},
          ref ? h('div', {class: 'refusal', role: 'note'},
            h('p', {}, h('strong', {}, ref.fault ? 'Refused by an injected fault' : 'Refused'),
              ref.statusCode !== undefined ? ` — statusCode ${ref.statusCode} (${meaning(this.model, ref.statusCode)})` : ` — HTTP ${e.status}`),
            ref.message ? h('p', {class: 'msg'}, ref.message) : null,
            ruleLink ? h('p', {}, 'Rule: ', ruleLink) : null) : null,
          h('h4', {}, 'Request'),
          h('p', {}, h('code', {}, `${e.method} ${e.path}${e.query ? '?' + e.query : ''}`), opId ? h('span', {class: 'dim'}, ` (${e.operation})`) : null),
          headers(e.requestHeaders, 'Request headers'),
          e.requestBody !== undefined ? jsonView(e.requestBody, 'Request body') : null,
          h('h4', {}, `Reply: ${e.status}`),
          headers(e.responseHeaders, 'Reply headers'),
          e.responseBody !== undefined ? jsonView(e.responseBody, 'Reply body') : null)));
    li.dataset.text = [e.user, e.method, e.path, e.query, e.operation, e.status, ref?.rule, ref?.message].join(' ').toLowerCase();
    this.journalEl.prepend(li);
    this.filterRow(li);
  }

  addEvent(e) {
    const m = e.message ?? {};
    const data = m.data && typeof m.data === 'object' ? m.data : {};
    const resource = Object.values(data).find((v) => v && typeof v === 'object' && !Array.isArray(v) && typeof v.id === 'string');
    const what = [data.messageType, data.action ?? data.notificationType ?? data.stateResource].filter(Boolean).join(' · ');
    const user = e.principal ?? '';
    this.addOption('ev-user', this.users, user);
    this.addOption('ev-channel', this.channels, m.channel);

    let ref = null;
    if (typeof data.referenceId === 'number') {
      const key = user + '\u0000' + data.referenceId;
      const seq = this.byRef.get(key);
      ref = h('div', {class: 'ref'});
      if (seq !== undefined) {
        ref.append(this.refLink(seq, data.referenceId));
      } else {
        ref.append(h('span', {class: 'dim', title: 'The request that caused it is not in the journal the page has seen (yet)'}, `ref ${data.referenceId}`));
        if (!this.waiting.has(key)) this.waiting.set(key, []);
        this.waiting.get(key).push(ref);
      }
    }
    const li = h('li', {id: 'e-' + e.seq, class: 'row event', dataset: {user, channel: m.channel ?? ''}},
      h('details', {},
        h('summary', {class: 'event-grid'},
          h('span', {class: 't'}, clock(e.time)),
          h('span', {class: 'u'}, user),
          h('span', {class: 'ch'}, m.channel ?? ''),
          h('span', {class: 'mt'}, what),
          h('span', {class: 'id'}, resource ? h('code', {}, resource.id) : '', resource?.state ? ' ' + resource.state : '')),
        h('div', {class: 'body'}, jsonView(m, 'CometD message'))),
      ref);
    li.dataset.text = [user, m.channel, what, resource?.id, resource?.state].join(' ').toLowerCase();
    this.eventsEl.prepend(li);
    this.filterEventRow(li);
  }

  refLink(seq, referenceId) {
    return h('a', {href: '#j-' + seq, class: 'reflink', title: `Open the request answered with referenceId ${referenceId}`,
      onclick: (ev) => { ev.preventDefault(); this.openRequest(seq); }}, `ref ${referenceId} → request`);
  }

  addOption(selectId, set, value) {
    if (!value || set.has(value)) return;
    set.add(value);
    document.getElementById(selectId).append(h('option', {value}, value));
  }

  // openRequest shows the journal entry of a request, opened, and moves the focus to it.
  openRequest(seq) {
    const li = document.getElementById('j-' + seq);
    if (!li) return;
    showTab('journal');
    li.hidden = false;
    li.querySelector('details').open = true;
    li.classList.remove('flash');
    void li.offsetWidth; // restart the animation
    li.classList.add('flash');
    li.scrollIntoView({block: 'center'});
    li.querySelector('summary').focus();
  }

  filterJournal() { for (const li of this.journalEl.children) this.filterRow(li); }
  filterEvents() { for (const li of this.eventsEl.children) this.filterEventRow(li); }

  filterRow(li) {
    const q = document.getElementById('j-filter').value.trim().toLowerCase();
    const refusedOnly = document.getElementById('j-refused').checked;
    li.hidden = (q !== '' && !li.dataset.text.includes(q)) || (refusedOnly && !li.classList.contains('refused'));
  }

  filterEventRow(li) {
    const q = document.getElementById('ev-filter').value.trim().toLowerCase();
    const u = document.getElementById('ev-user').value;
    const c = document.getElementById('ev-channel').value;
    li.hidden = (q !== '' && !li.dataset.text.includes(q)) || (u !== '' && li.dataset.user !== u) || (c !== '' && li.dataset.channel !== c);
  }
}

// bound forgets a map's oldest keys past max (a Map keeps the order they came in).
function bound(map, max) {
  for (const k of map.keys()) {
    if (map.size <= max) return;
    map.delete(k);
  }
}

function trim(list) {
  while (list.childElementCount > KEEP) list.lastElementChild.remove();
}

function meaning(model, code) {
  return model.hello?.statusCodes.find((c) => c.code === code)?.meaning ?? 'unknown statusCode';
}

function headers(hs, label) {
  if (!hs || Object.keys(hs).length === 0) return null;
  return h('details', {class: 'headers'}, h('summary', {}, label),
    h('dl', {}, Object.keys(hs).sort().flatMap((k) => hs[k].map((v) => [h('dt', {}, k), h('dd', {}, v)]))));
}
