// Users: what each owns, his HTTP and CometD sessions and his workbin subscriptions.

import {h, replace} from './dom.js';
import {call} from './api.js';

export function renderUsers(el, model, act) {
  const st = model.state;
  if (!st) return;
  const sess = model.sessions ?? {cometd: [], http: {}};
  const names = new Map(st.workbins.map((w) => [w.id, w.name || w.id]));
  const rows = st.users.map((u) => {
    const cometd = sess.cometd.filter((c) => c.user === u.name);
    return h('tr', {dataset: {user: u.name}},
      h('th', {scope: 'row'}, h('div', {}, u.name), h('code', {class: 'dim small'}, u.id)),
      h('td', {}, u.roles.join(', '), u.features.length ? h('div', {class: 'dim small'}, u.features.join(', ')) : h('div', {class: 'warn small'}, 'no api-multimedia')),
      h('td', {}, u.place, [...u.agentGroups, ...u.placeGroups].length ? h('div', {class: 'dim small'}, [...u.agentGroups, ...u.placeGroups].join(', ')) : null),
      h('td', {class: 'owns'}, u.ownedCount === 0 ? h('span', {class: 'dim'}, 'nothing') :
        h('ul', {class: 'chips'}, u.owned.map((x) => h('li', {}, h('span', {class: 'media ' + x.media}, x.media), ' ', h('code', {}, x.id), ' ', h('span', {class: 'dim'}, x.state))),
          u.ownedCount > u.owned.length ? h('li', {class: 'dim'}, `+${u.ownedCount - u.owned.length}`) : null)),
      h('td', {}, u.subscriptions.length ? u.subscriptions.map((id) => names.get(id) ?? id).join(', ') : h('span', {class: 'dim'}, 'none')),
      h('td', {class: 'num'}, String(sess.http[u.name] ?? 0)),
      h('td', {class: 'cometd'}, cometd.length === 0 ? h('span', {class: 'dim'}, 'none') :
        h('ul', {class: 'sessions'}, cometd.map((c) => h('li', {},
          h('span', {class: c.connectHeld ? 'pill live' : 'pill'}, c.connectHeld ? 'connect held' : 'idle'),
          c.queued ? ` ${c.queued} queued` : '',
          ' ', c.subscriptions.length ? h('code', {}, c.subscriptions.join(' ')) : h('span', {class: 'dim'}, 'no subscription'))))),
      h('td', {}, h('button', {type: 'button', disabled: cometd.length === 0,
        'aria-label': `Expire ${u.name}'s CometD sessions`,
        onclick: () => act(() => call('POST', 'cometd/expire', {user: u.name}), (r) => `${r.expired} CometD session(s) of ${u.name} expired.`)}, 'Expire')));
  });
  replace(el, h('table', {class: 'users'},
    h('caption', {class: 'sr-only'}, 'Users'),
    h('thead', {}, h('tr', {}, ['user', 'roles', 'place, groups', 'owns', 'subscribed to', 'HTTP sessions', 'CometD sessions', h('span', {class: 'sr-only'}, 'actions')].map((c) => h('th', {scope: 'col'}, c)))),
    h('tbody', {}, rows)),
    h('p', {class: 'hint'}, 'A CometD session that expires gets 402::Unknown client at its next connect and must handshake again.'));
}
