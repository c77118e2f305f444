// Small DOM helpers. Every text from the mock goes in as text (textContent), never as HTML.

// h builds an element: h('a', {href: '#x', class: 'c', onclick: f}, 'text', child…).
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

// replace puts children in place of el's content.
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

// jsonView renders a JSON value as an indented, coloured <pre>.
export function jsonView(value, label) {
  const pre = h('pre', {class: 'json', tabindex: '0', 'aria-label': label ?? 'JSON'});
  write(pre, value, '');
  return pre;
}

function write(out, v, indent) {
  if (v === null) return out.append(h('span', {class: 'j-null'}, 'null'));
  if (Array.isArray(v)) {
    if (v.length === 0) return out.append('[]');
    out.append('[\n');
    v.forEach((x, i) => {
      out.append(indent + '  ');
      write(out, x, indent + '  ');
      out.append(i < v.length - 1 ? ',\n' : '\n');
    });
    return out.append(indent + ']');
  }
  switch (typeof v) {
    case 'object': {
      const keys = Object.keys(v);
      if (keys.length === 0) return out.append('{}');
      out.append('{\n');
      keys.forEach((k, i) => {
        out.append(indent + '  ', h('span', {class: 'j-key'}, JSON.stringify(k)), ': ');
        write(out, v[k], indent + '  ');
        out.append(i < keys.length - 1 ? ',\n' : '\n');
      });
      return out.append(indent + '}');
    }
    case 'string': return out.append(h('span', {class: 'j-str'}, JSON.stringify(v)));
    case 'number': return out.append(h('span', {class: 'j-num'}, String(v)));
    case 'boolean': return out.append(h('span', {class: 'j-bool'}, String(v)));
  }
  out.append(String(v));
}

// clock is the local time of an RFC 3339 date, to the millisecond.
export function clock(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p = (n, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

