// The top of the page: what must not be missed. Deviations on and self-check violations are
// alerts; a contract kept is said too, so that its absence is noticed.

import {h, replace, clock} from './dom.js';
import {call} from './api.js';

export function renderBanner(el, model, act) {
  const st = model.status;
  if (!st) return replace(el);
  const parts = [];
  if (st.deviations.length > 0) {
    const info = new Map((model.hello?.deviations ?? []).map((d) => [d.name, d]));
    parts.push(h('div', {class: 'alert dev', role: 'alert', id: 'deviation-warning'},
      h('p', {}, h('strong', {}, `Deviations on (${st.deviations.length}): the mock breaks its contract on purpose.`),
        ' Clients tested against it now see faults a real GWS would not have.'),
      h('ul', {}, st.deviations.map((d) => h('li', {}, h('code', {}, d), info.get(d) ? ' — breaks ' + info.get(d).breaks : ''))),
      h('button', {type: 'button', onclick: () => act(() => call('PUT', 'deviations', {on: []}), 'Every deviation is off.')}, 'Switch all deviations off')));
  }
  if (st.violations.count > 0) {
    // Strict mode reports the client's unknown request members the same way (kind
    // request-field); the others are the mock's own output that its contract rejects.
    const clientOnly = st.violations.recent.length > 0 && st.violations.recent.every((v) => v.kind === 'request-field');
    parts.push(h('div', {class: 'alert viol', role: 'alert', id: 'violation-warning'},
      h('p', {}, h('strong', {}, `${st.violations.count} self-check violation${st.violations.count === 1 ? '' : 's'}:`),
        clientOnly
          ? ' strict mode: a client sent request members the contract does not declare (GWS ignores them; the mock served the requests).'
          : ' output of the mock that its own contract rejects (a bug of the mock or of the contract; it was not sent as is).'),
      h('details', {}, h('summary', {}, 'The latest'),
        h('ul', {class: 'viols'}, st.violations.recent.slice().reverse().map((v) => h('li', {},
          h('span', {class: 't'}, clock(v.time)), ' ', h('code', {}, v.kind), ' ', v.subject,
          h('ul', {}, (v.issues ?? []).map((is) => h('li', {}, `${is.where}${is.pointer ? ' at ' + is.pointer : ''}: ${is.message} `, h('code', {}, is.rule)))))))),
      h('button', {type: 'button', onclick: () => act(() => call('DELETE', 'violations'), 'Violations cleared.')}, 'Clear the violations')));
  }
  const others = st.warnings.filter((w) => !w.startsWith('deviations are on'));
  if (!st.options.enableCsrfProtection) others.push('CSRF protection is off (enableCsrfProtection=false).');
  if (st.options.strict) others.push('Strict mode: unknown request members are reported as violations (GWS ignores them).');
  for (const w of others) parts.push(h('p', {class: 'notice'}, w));
  if (st.deviations.length === 0 && st.violations.count === 0) {
    parts.push(h('p', {class: 'ok', id: 'contract-clean'}, 'Contract kept: no deviation on, no self-check violation.'));
  }
  replace(el, parts);
}
