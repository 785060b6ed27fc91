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

/** The search options kept in the page's query (?view&regex&case), sent with every search. */
const SEARCH_FLAGS = ['regex', 'case'];

/** Sets or clears the flag name in the page's URL (its query), keeping everything else of it. */
function setPageFlag(name, on) {
  const parts = location.search.replace(/^\?/, '').split('&')
    .filter((p) => p !== '' && p.split('=')[0] !== name);
  if (on) parts.push(name);
  history.replaceState(null, '', `${location.pathname}?${parts.join('&')}${location.hash}`);
}

/** Requests for the viewed path: the page's query without view/asset, plus what the request adds. */
export function makeApi(path, pageQuery) {
  const keep = new URLSearchParams(pageQuery);
  for (const own of ['view', 'asset', ...SEARCH_FLAGS]) keep.delete(own); // the page's, not the server's
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
  let bytesArrived = () => {};
  const changed = () => {
    view.schedule();
    bytesArrived();
    $('count').textContent = `${store.total.toLocaleString('en')} ${store.total === 1 ? 'line' : 'lines'}`;
  };
  wireToolbar(view, api, store);
  wireKeys(view);
  wireRows(view, sections);
  hashGoto(view);
  window.addEventListener('hashchange', () => hashGoto(view));
  bytesArrived = pollStatus(api, store);
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
  const opts = wireSearchOptions(() => run());
  let timer = null;
  const show = () => {
    $('hits').textContent = s.query === '' ? '' : `${s.count === 0 ? 0 : s.i + 1} / ${s.count.toLocaleString('en')}${s.capped ? '+' : ''}`;
  };
  const problem = (text) => {
    $('qmsg').textContent = text;
    q.setAttribute('aria-invalid', String(text !== ''));
  };
  const fetchMatches = async (text, from) => {
    const flags = SEARCH_FLAGS.filter((f) => opts[f]).map((f) => `&${f}`).join('');
    const res = await fetch(api.url(`search=${encodeURIComponent(text)}${flags}&limit=1000${from ? `&from=${from}` : ''}`),
      { cache: 'no-store' });
    if (res.status === 400) return { invalid: firstLine(await res.text()) };
    return res.ok ? res.json() : null;
  };
  /** The next page of a truncated result: from the last match's line, without the matches already here. */
  const more = async () => {
    const last = s.matches[s.matches.length - 1];
    const body = await fetchMatches(s.query, last.line);
    if (!body || body.invalid) return;
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
    const asked = `${text}\u0000${opts.regex}\u0000${opts.case}`;
    s.query = text;
    s.asked = asked;
    view.matcher = text === '' ? null : matcher(text, { regex: opts.regex, matchCase: opts.case });
    view.current = null;
    view.redecorate();
    problem('');
    if (text === '') { s.count = 0; s.matches = []; show(); return; }
    const body = await fetchMatches(text, 0);
    if (!body || s.asked !== asked) return;
    if (body.invalid) {
      Object.assign(s, { count: 0, matches: [], truncated: false, i: -1 });
      view.matcher = null;
      view.redecorate();
      $('hits').textContent = '';
      problem(body.invalid);
      return;
    }
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

/**
 * The ".*" (regex) and "Aa" (match case) toggles: buttons (Tab reaches them, Space or Enter presses
 * them; Alt+R and Alt+C from anywhere), their state in the page's URL; changed() runs the search again.
 * Returns the live state {regex, case}.
 */
function wireSearchOptions(changed) {
  const page = new URLSearchParams(location.search);
  const opts = {};
  for (const name of SEARCH_FLAGS) {
    const button = $(name);
    const set = (on) => {
      opts[name] = on;
      button.setAttribute('aria-pressed', String(on));
    };
    set(page.has(name));
    button.addEventListener('click', () => {
      set(!opts[name]);
      setPageFlag(name, opts[name]);
      if ($('q').value !== '') changed();
    });
  }
  document.addEventListener('keydown', (e) => {
    if (!e.altKey || e.ctrlKey || e.metaKey) return;
    const name = { r: 'regex', c: 'case' }[e.key.toLowerCase()];
    if (name) { e.preventDefault(); $(name).click(); }
  });
  return opts;
}

/** The first line of a server's error text, for one line of message. */
function firstLine(text) {
  return text.split('\n')[0].trim() || 'invalid search';
}

/**
 * Marks what a search finds in a line's visible text: every occurrence of text (case-insensitive
 * unless matchCase), or with regex every match of it as a JavaScript regular expression, which reads
 * the server's Java syntax alike for what logs are searched with (a pattern only Java understands is
 * counted and stepped through by the server, but not marked).
 */
export function matcher(text, { regex = false, matchCase = false } = {}) {
  if (regex) return regexMatcher(text, matchCase);
  const needle = matchCase ? text : text.toLowerCase();
  return (line) => {
    const hay = matchCase ? line : line.toLowerCase();
    const out = [];
    for (let i = hay.indexOf(needle); i >= 0 && needle !== ''; i = hay.indexOf(needle, i + needle.length)) {
      out.push([i, i + needle.length]);
    }
    return out;
  };
}

function regexMatcher(text, matchCase) {
  let re = null;
  for (const flags of ['gu', 'g']) {
    try {
      re = new RegExp(text, flags + (matchCase ? '' : 'i'));
      break;
    } catch (e) {
      // Java syntax JavaScript does not read (in unicode mode, or at all)
    }
  }
  if (re === null) return () => [];
  return (line) => {
    const out = [];
    re.lastIndex = 0;
    for (let m = re.exec(line); m !== null; m = re.exec(line)) {
      if (m[0] === '') { re.lastIndex++; continue; }
      out.push([m.index, m.index + m[0].length]);
    }
    return out;
  };
}

/**
 * The writer badge: live, idle, finished or lost, from ?status every 2 s, and soon after new bytes
 * arrive (returned: call it when they do), so that a writer that wakes up reads live at once.
 */
function pollStatus(api, store) {
  const badge = $('state');
  let timer = null;
  let asking = false;
  let askAgain = false;
  let last = 0;
  const tick = async () => {
    clearTimeout(timer);
    if (asking) { askAgain = true; return; }
    asking = true;
    last = Date.now();
    const st = await api.status();
    asking = false;
    const writer = st ? st.writer : 'unknown';
    badge.textContent = writer;
    badge.className = `badge ${writer}`;
    if (st && st.since) badge.title = `since ${new Date(st.since).toISOString()}`;
    document.body.dataset.writer = writer;
    document.body.dataset.offset = String(store.offset);
    timer = setTimeout(tick, askAgain ? 0 : 2000);
    askAgain = false;
  };
  tick();
  let seen = 0;
  return () => { // new bytes: ask now, at most every 250 ms
    if (store.offset === seen) return;
    seen = store.offset;
    const wait = 250 - (Date.now() - last);
    if (wait <= 0) tick();
    else if (!asking) { clearTimeout(timer); timer = setTimeout(tick, wait); }
  };
}

boot();
