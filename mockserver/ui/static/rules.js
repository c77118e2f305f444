// docs/rules.md (served beside the dashboard) rendered as HTML, for the rule links of the
// journal. Only what that document uses: headings with their <a id> anchors, paragraphs,
// lists, rules, and inline code, emphasis and links. Everything else is text.

import {h, replace} from './dom.js';

function inline(text) {
  const out = [];
  const re = /`([^`]+)`|\*\*([^*]+)\*\*|\*([^*\s][^*]*)\*|\[([^\]]+)\]\(([^)\s]+)\)/g;
  let last = 0;
  for (let m; (m = re.exec(text));) {
    out.push(text.slice(last, m.index));
    if (m[1] !== undefined) out.push(h('code', {}, m[1]));
    else if (m[2] !== undefined) out.push(h('strong', {}, ...inline(m[2])));
    else if (m[3] !== undefined) out.push(h('em', {}, ...inline(m[3])));
    else {
      const href = m[5];
      const safe = href.startsWith('#') || /^https?:\/\//.test(href);
      out.push(safe ? h('a', {href}, ...inline(m[4])) : m[4]);
    }
    last = re.lastIndex;
  }
  out.push(text.slice(last));
  return out;
}

function render(md) {
  const out = [];
  let para = [];
  let list = null;
  const flush = () => {
    if (para.length) out.push(h('p', {}, ...inline(para.join(' '))));
    para = [];
    if (list) out.push(list);
    list = null;
  };
  for (const line of md.split('\n')) {
    const head = /^(#{1,6}) (?:<a id="([^"]+)"><\/a>)?(.*)$/.exec(line);
    const item = /^(?:[-*]|\d+\.) (.*)$/.exec(line);
    if (head) {
      flush();
      out.push(h('h' + head[1].length, {id: head[2]}, ...inline(head[3])));
    } else if (line.trim() === '---') {
      flush();
      out.push(h('hr', {}));
    } else if (line.trim() === '') {
      flush();
    } else if (item) {
      if (para.length) { out.push(h('p', {}, ...inline(para.join(' ')))); para = []; }
      list ??= h(/^\d/.test(line) ? 'ol' : 'ul', {});
      list.append(h('li', {}, ...inline(item[1])));
    } else if (list && /^\s+\S/.test(line)) {
      list.lastElementChild.append(' ', ...inline(line.trim()));
    } else {
      para.push(line.trim());
    }
  }
  flush();
  return out;
}

const main = document.getElementById('rules');
const res = await fetch('rules.md', {cache: 'no-store'});
replace(main, ...render(await res.text()));
if (location.hash) {
  const target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
  if (target) {
    target.scrollIntoView();
    // :target matched nothing when the page loaded; setting the hash again makes it match.
    location.replace(location.hash);
  }
}
