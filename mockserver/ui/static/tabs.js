// The views as tabs (WAI-ARIA tabs pattern): arrow keys, Home and End move between them;
// the address keeps the view (#journal), so a reload stays on it.

const tabs = () => [...document.querySelectorAll('[role=tab]')];

export function showTab(name, focus = false) {
  for (const t of tabs()) {
    const on = t.id === 'tab-' + name;
    t.setAttribute('aria-selected', String(on));
    t.tabIndex = on ? 0 : -1;
    document.getElementById(t.getAttribute('aria-controls')).hidden = !on;
    if (on && focus) t.focus();
  }
  if (location.hash !== '#' + name) history.replaceState(null, '', '#' + name);
}

export function setupTabs() {
  const list = tabs();
  for (const t of list) {
    t.addEventListener('click', () => showTab(t.id.slice(4)));
    t.addEventListener('keydown', (ev) => {
      const i = list.indexOf(t);
      const to = {ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: list.length - 1}[ev.key];
      if (to === undefined) return;
      ev.preventDefault();
      showTab(list[(to + list.length) % list.length].id.slice(4), true);
    });
  }
  const want = location.hash.slice(1);
  showTab(list.some((t) => t.id === 'tab-' + want) ? want : 'workbins');
}
