// The log viewer page: boots on /<path>?view (a stream) or /<folder>/?view (a listing). Every request
// keeps the page's own query parameters except view and asset, so a signed read link works as a whole.
// No inline script or style: the page is served under a strict Content-Security-Policy.
// Thread safety: none needed (browser main thread only).

import { LineStore } from './store.js';
import { Sections } from './sections.js';
import { LogView } from './view.js';
import { showListing } from './listing.js';

const debug = { errors: [] };
window.httpfstreamViewer = debug; // read by the browser tests: errors, and the store and view below
window.addEventListener('error', (e) => debug.errors.push(String(e.message || e)));
window.addEventListener('unhandledrejection', (e) => debug.errors.push(String(e.reason)));
document.addEventListener('securitypolicyviolation', (e) => debug.errors.push(`CSP: ${e.violatedDirective}`));

const $ = (id) => document.getElementById(id);

/** Requests for the viewed path: the page's query without view/asset, plus what the request adds. */
export function makeApi(path, pageQuery) {
  const keep = new URLSearchParams(pageQuery);
  keep.delete('view');
  keep.delete('asset');
  const url = (query, p = path) => {
    const q = [keep.toString(), query].filter((x) => x).join('&');
    return q ? `${p}?${q}` : p;
  };
  const status = async () => {
    try {
      const res = await fetch(url('status'), { cache: 'no-store' });
      return res.ok ? await res.json() : null;
    } catch (e) {
      return null;
    }
  };
  const waitForChange = async (offset) => {
    for (;;) {
      await new Promise((r) => setTimeout(r, 3000));
      const st = await status();
      if (st && (st.length > offset || st.writer === 'live')) return;
    }
  };
  return { url, status, waitForChange, keep };
}

function boot() {
  const path = location.pathname;
  const api = makeApi(path, location.search);
  document.title = `${decodeURIComponent(path)} · httpfstream`;
  $('path').textContent = decodeURIComponent(path);
  if (path.endsWith('/')) {
    document.body.classList.add('listing');
    showListing($('listing'), api, path).catch((e) => fail(e));
    return;
  }
  $('download').href = api.url('');
  $('download').download = path.split('/').pop() || 'log';
  const sections = new Sections();
  let view = null;
  const store = new LineStore(api, sections, () => view && changed());
  view = new LogView($('log'), store, sections);
  Object.assign(debug, { store, view, sections });
  store.onProblem = (text) => { $('message').textContent = text; };
  const changed = () => {
    view.schedule();
    $('count').textContent = `${store.total.toLocaleString('en')} ${store.total === 1 ? 'line' : 'lines'}`;
  };
  wireToolbar(view, api, store);
  wireKeys(view);
  wireRows(view, sections);
  hashGoto(view);
  window.addEventListener('hashchange', () => hashGoto(view));
  pollStatus(api, store);
  store.start().catch((e) => fail(e));
}

function fail(e) {
  debug.errors.push(String(e));
  $('message').textContent = String(e.message || e);
  document.body.classList.add('failed');
}

/** #L120 or #L120-L140: highlight and scroll there, now and as the log grows. */
function hashGoto(view) {
  const m = /^#L(\d+)(?:-L?(\d+))?$/.exec(location.hash);
  if (!m) return;
  const a = Number(m[1]);
  const b = m[2] ? Number(m[2]) : a;
  view.goto(Math.min(a, b), Math.max(a, b));
}

function wireRows(view, sections) {
  let anchor = null;
  view.rowsEl.addEventListener('click', (e) => {
    const row = e.target.closest('.row');
    if (!row) return;
    const n = Number(row.dataset.n);
    if (e.target.classList.contains('ln')) {
      e.preventDefault();
      const from = e.shiftKey && anchor ? Math.min(anchor, n) : n;
      const to = e.shiftKey && anchor ? Math.max(anchor, n) : n;
      if (!e.shiftKey) anchor = n;
      history.replaceState(null, '', from === to ? `#L${from}` : `#L${from}-L${to}`);
      view.hl = [from, to];
      view.redecorate();
    } else if (row.classList.contains('hdr') && !e.target.closest('a')
        && String(window.getSelection()) === '') {
      sections.toggle(n);
      view.schedule();
    }
  });
}

function wireToolbar(view, api, store) {
  const follow = $('follow');
  view.onFollow = (on) => {
    follow.hidden = on;
    document.body.classList.toggle('following', on);
  };
  view.onFollow(view.follow);
  follow.addEventListener('click', () => view.toEnd());
  toggle($('wrap'), 'wrap', () => { view.cache.clear(); view.schedule(); });
  toggle($('times'), 'hide-ts', () => view.schedule());
  wireSearch(view, api, store);
}

function toggle(button, cls, after) {
  button.addEventListener('click', () => {
    const on = document.body.classList.toggle(cls);
    button.setAttribute('aria-pressed', String(cls === 'hide-ts' ? !on : on));
    after();
  });
}

function wireKeys(view) {
  document.addEventListener('keydown', (e) => {
    const typing = e.target.closest && e.target.closest('input, textarea');
    if (e.key === '/' && !typing) { e.preventDefault(); $('q').focus(); $('q').select(); }
    else if (e.key === 'Escape' && typing) { e.target.blur(); }
    else if (typing) return;
    else if (e.key === 'End') { e.preventDefault(); view.toEnd(); }
    else if (e.key === 'Home') { e.preventDefault(); view.toStart(); }
  });
}

/** The search box: the server counts and finds over the whole log; the rows mark what they show. */
function wireSearch(view, api) {
  const q = $('q');
  const s = { query: '', count: 0, matches: [], truncated: false, i: -1 };
  let timer = null;
  const show = () => {
    $('hits').textContent = s.query === '' ? '' : `${s.count === 0 ? 0 : s.i + 1} / ${s.count.toLocaleString('en')}${s.capped ? '+' : ''}`;
  };
  const fetchMatches = async (text, from) => {
    const res = await fetch(api.url(`search=${encodeURIComponent(text)}&limit=1000${from ? `&from=${from}` : ''}`),
      { cache: 'no-store' });
    return res.ok ? res.json() : null;
  };
  /** The next page of a truncated result: from the last match's line, without the matches already here. */
  const more = async () => {
    const last = s.matches[s.matches.length - 1];
    const body = await fetchMatches(s.query, last.line);
    if (!body) return;
    const fresh = body.matches.filter((m) => m.line > last.line || (m.line === last.line && m.start > last.start));
    s.matches.push(...fresh);
    s.truncated = body.truncated && fresh.length > 0;
  };
  const go = async (step) => {
    if (s.matches.length === 0) return;
    if (step > 0 && s.i === s.matches.length - 1 && s.truncated) await more();
    s.i = (s.i + step + s.matches.length) % s.matches.length;
    const line = s.matches[s.i].line;
    view.current = line;
    view.goto(line, line);
    view.hl = null;
    show();
  };
  const run = async () => {
    const text = q.value;
    s.query = text;
    view.matcher = text === '' ? null : matcher(text);
    view.current = null;
    view.redecorate();
    if (text === '') { s.count = 0; s.matches = []; show(); return; }
    const body = await fetchMatches(text, 0);
    if (!body || s.query !== text) return;
    Object.assign(s, { count: body.count, capped: !!body.countCapped, matches: body.matches, truncated: body.truncated, i: -1 });
    show();
    go(1);
  };
  q.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(run, 250); });
  q.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') { e.preventDefault(); if (s.query !== q.value) run(); else go(e.shiftKey ? -1 : 1); }
  });
  $('next').addEventListener('click', () => go(1));
  $('prev').addEventListener('click', () => go(-1));
}

/** Marks every case-insensitive occurrence of text in a line's visible text. */
export function matcher(text) {
  const needle = text.toLowerCase();
  return (line) => {
    const hay = line.toLowerCase();
    const out = [];
    for (let i = hay.indexOf(needle); i >= 0 && needle !== ''; i = hay.indexOf(needle, i + needle.length)) {
      out.push([i, i + needle.length]);
    }
    return out;
  };
}

/** The writer badge: live, idle, finished or lost, from ?status every 2 s. */
function pollStatus(api, store) {
  const badge = $('state');
  const tick = async () => {
    const st = await api.status();
    const writer = st ? st.writer : 'unknown';
    badge.textContent = writer;
    badge.className = `badge ${writer}`;
    if (st && st.since) badge.title = `since ${new Date(st.since).toISOString()}`;
    document.body.dataset.writer = writer;
    document.body.dataset.offset = String(store.offset);
    setTimeout(tick, 2000);
  };
  tick();
}

boot();
