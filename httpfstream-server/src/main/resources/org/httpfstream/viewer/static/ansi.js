// ANSI rendering of one log line: SGR colours and attributes, OSC 8 links, carriage return,
// backspace, erase-in-line and a few cursor moves on the line; every other escape sequence is dropped.
// Written here rather than taken from a library: what a log line needs (no screen, no cursor rows) is
// one small state machine, and the text must only ever reach the page through textContent.
// Thread safety: none needed (browser main thread only).

/** The default graphic state; states are frozen and shared by the cells that use them. */
export const PLAIN = Object.freeze({
  fg: null, bg: null, bold: false, dim: false, italic: false, underline: false, inverse: false, strike: false,
});

/** Characters kept per line; the rest of a longer line is counted, not rendered. */
export const MAX_CELLS = 20000;

/** Characters of a line's text without escapes kept for its structure (markers count in the first 1024). */
const STRIPPED_MAX = 1024;

/** An escape sequence cut by the end of a piece is held for the next piece up to this long, then dropped. */
const HELD_MAX = 65536;

const ESC = 0x1b;

/** Splits CSI parameters "1;38:5:208;4" into groups [[1],[38,5,208],[4]]; an empty one is 0. */
function groups(params) {
  if (params === '') return [[0]];
  return params.split(';').map((g) => g.split(':').map((v) => (v === '' ? 0 : Number(v))));
}

/** An extended colour (38/48/58) from its arguments: a palette index 0..255, an "r,g,b" string, or undefined. */
function extended(args) {
  if (args[0] === 5 && args.length >= 2) {
    const n = args[1];
    return n >= 0 && n <= 255 ? n : undefined;
  }
  if (args[0] === 2 && args.length >= 4) {
    const rgb = args.length >= 5 ? args.slice(2, 5) : args.slice(1, 4); // 38:2:cs:r:g:b or 38;2;r;g;b
    return rgb.every((v) => v >= 0 && v <= 255) ? rgb.join(',') : undefined;
  }
  return undefined;
}

const SIMPLE = {
  1: ['bold', true], 2: ['dim', true], 3: ['italic', true], 4: ['underline', true], 7: ['inverse', true],
  9: ['strike', true], 23: ['italic', false], 24: ['underline', false], 27: ['inverse', false],
  29: ['strike', false], 39: ['fg', null], 49: ['bg', null],
};

/** The state after the SGR parameters {@code params} (the text between "ESC[" and "m"). */
export function applySgr(state, params) {
  const s = { ...state };
  const flat = [];
  for (const g of groups(params)) {
    if (g.length > 1) flat.push(g); else flat.push(g[0]);
  }
  for (let i = 0; i < flat.length; i++) {
    let c = flat[i];
    if (Array.isArray(c)) { // colon form: 38:5:n, 38:2::r:g:b
      const col = extended(c.slice(1));
      if (c[0] === 38 && col !== undefined) s.fg = col;
      if (c[0] === 48 && col !== undefined) s.bg = col;
      continue;
    }
    if (c === 0) Object.assign(s, PLAIN);
    else if (SIMPLE[c]) s[SIMPLE[c][0]] = SIMPLE[c][1];
    else if (c === 22) { s.bold = false; s.dim = false; }
    else if (c >= 30 && c <= 37) s.fg = c - 30;
    else if (c >= 40 && c <= 47) s.bg = c - 40;
    else if (c >= 90 && c <= 97) s.fg = c - 82;
    else if (c >= 100 && c <= 107) s.bg = c - 92;
    else if (c === 38 || c === 48 || c === 58) {
      const mode = flat[i + 1];
      const take = mode === 5 ? 2 : mode === 2 ? 4 : 1;
      const args = flat.slice(i + 1, i + 1 + take).map((v) => (Array.isArray(v) ? NaN : v));
      const col = extended(args);
      if (c === 38 && col !== undefined) s.fg = col;
      if (c === 48 && col !== undefined) s.bg = col;
      i += take;
    }
  }
  return same(s, state) ? state : Object.freeze(s);
}

function same(a, b) {
  for (const k in PLAIN) if (a[k] !== b[k]) return false;
  return true;
}

/** An OSC 8 target the page may link to: http, https and mailto only; anything else is not a link. */
export function safeHref(uri) {
  if (!/^(https?:\/\/|mailto:)/i.test(uri)) return null;
  try {
    const u = new URL(uri);
    return ['http:', 'https:', 'mailto:'].includes(u.protocol) ? u.href : null;
  } catch (e) {
    return null;
  }
}

/** One line being interpreted: cells of characters, each with its state and link. */
class LineMachine {
  constructor(state) {
    this.chars = [];
    this.states = [];
    this.links = [];
    this.col = 0;
    this.state = state;
    this.link = null;
    this.stripped = ''; // the text with escape sequences removed and carriage returns kept
    this.hidden = 0; // characters beyond MAX_CELLS
  }

  put(ch) {
    if (this.stripped.length < STRIPPED_MAX) this.stripped += ch;
    if (this.col >= MAX_CELLS) { this.hidden++; return; }
    while (this.chars.length < this.col) this.blank(this.chars.length);
    this.chars[this.col] = ch;
    this.states[this.col] = this.state;
    this.links[this.col] = this.link;
    this.col++;
  }

  blank(i) {
    this.chars[i] = ' ';
    this.states[i] = PLAIN;
    this.links[i] = null;
  }

  /** CSI with parameters p and final byte f; private or unknown sequences do nothing. */
  csi(p, f) {
    if (/^[<=>?]/.test(p)) return;
    const n = Math.max(1, Number(p.split(';')[0]) || 0);
    if (f === 'm') this.state = applySgr(this.state, p);
    else if (f === 'K') this.eraseInLine(Number(p) || 0);
    else if (f === 'C') this.col = Math.min(MAX_CELLS, this.col + n);
    else if (f === 'D') this.col = Math.max(0, this.col - n);
    else if (f === 'G') this.col = Math.min(MAX_CELLS, n - 1);
  }

  eraseInLine(mode) {
    if (mode === 0) {
      this.chars.length = Math.min(this.chars.length, this.col);
      this.states.length = this.chars.length;
      this.links.length = this.chars.length;
    } else if (mode === 1 || mode === 2) {
      const to = mode === 1 ? Math.min(this.col + 1, this.chars.length) : this.chars.length;
      for (let i = 0; i < to; i++) this.blank(i);
      if (mode === 2) this.chars.length = this.states.length = this.links.length = Math.min(this.col, this.chars.length);
    }
  }

  osc(body) {
    const m = /^8;[^;]*;(.*)$/s.exec(body);
    if (m) this.link = m[1] === '' ? null : safeHref(m[1]);
  }
}

/**
 * Index after an escape sequence starting at raw[i] == ESC, interpreting it on machine m; -1 if raw
 * ends before the sequence does (nothing interpreted).
 */
function escape(raw, i, m) {
  const n = raw.length;
  const kind = raw[i + 1];
  if (kind === '[') {
    let j = i + 2;
    while (j < n && raw.charCodeAt(j) >= 0x20 && raw.charCodeAt(j) <= 0x3f) j++;
    const params = raw.slice(i + 2, j);
    while (j < n && raw.charCodeAt(j) >= 0x20 && raw.charCodeAt(j) <= 0x2f) j++;
    if (j >= n) return -1;
    const fin = raw[j];
    if (raw.charCodeAt(j) >= 0x40 && raw.charCodeAt(j) <= 0x7e) m.csi(params, fin);
    return j + 1;
  }
  if (kind === ']' || kind === 'P' || kind === 'X' || kind === '^' || kind === '_') {
    let j = i + 2;
    while (j < n && raw.charCodeAt(j) !== 7 && !(raw.charCodeAt(j) === ESC && raw[j + 1] === '\\')) j++;
    if (j >= n) return -1;
    if (kind === ']') m.osc(raw.slice(i + 2, j));
    return raw.charCodeAt(j) === 7 ? j + 1 : j + 2;
  }
  let j = i + 1;
  while (j < n && raw.charCodeAt(j) >= 0x20 && raw.charCodeAt(j) <= 0x2f) j++; // ESC ( B and the like
  return j >= n ? -1 : j + 1;
}

/**
 * One line interpreted as it grows: {@link #feed} takes the next piece of it, {@link #result} reads
 * what it is so far. Each character is interpreted once, so a progress line that grows by small pieces
 * to megabytes without a newline costs its length, not its length squared; an escape sequence cut by
 * the end of a piece waits for the next one. The result costs at most MAX_CELLS characters to build.
 */
export class LineParser {
  constructor(state) {
    this.m = new LineMachine(state);
    this.held = ''; // the start of an escape sequence the last piece cut
  }

  /** Interprets the next piece of the line (no "\n" in it). */
  feed(piece) {
    const raw = this.held === '' ? piece : this.held + piece;
    this.held = '';
    const m = this.m;
    const n = raw.length;
    for (let i = 0; i < n;) {
      const c = raw.charCodeAt(i);
      if (c === ESC) {
        const j = escape(raw, i, m);
        if (j < 0) {
          if (n - i <= HELD_MAX) this.held = raw.slice(i); // else dropped, as at the end of a line
          return;
        }
        i = j;
        continue;
      }
      if (c === 0x0d) { m.col = 0; if (m.stripped.length < STRIPPED_MAX) m.stripped += '\r'; i++; continue; }
      if (c === 0x08) { if (m.col > 0) m.col--; i++; continue; }
      if ((c < 0x20 && c !== 0x09) || c === 0x7f || (c >= 0x80 && c <= 0x9f)) { i++; continue; }
      m.put(raw[i]);
      i++;
    }
  }

  /**
   * The line so far: {segs: [{t, st, h}], text, stripped, state, hidden}: runs of visible text with
   * their state and link, the visible text, the first characters of the text with escapes removed
   * (carriage returns kept), the state after it, the characters past MAX_CELLS. An escape sequence
   * not yet complete is left out (at the end of a line it is dropped).
   */
  result() {
    const m = this.m;
    return { segs: runs(m), text: m.chars.join(''), stripped: m.stripped, state: m.state, hidden: m.hidden };
  }
}

/** Interprets one whole line (without its "\n") starting in graphic state {@code state}: see LineParser#result. */
export function parseLine(raw, state) {
  const p = new LineParser(state);
  p.feed(raw);
  return p.result();
}

/**
 * A graphic-state-only pass over a line: interprets its escape sequences as LineMachine does for the
 * state (SGR; private and other sequences leave it alone) and nothing else.
 * Thread safety: one module-level instance, reused line after line (browser main thread only).
 */
class StateMachine {
  constructor() {
    this.state = PLAIN;
    this.moves = false; // a cursor move or an erase: the text is not simply the characters in order
  }

  csi(p, f) {
    if (/^[<=>?]/.test(p)) return;
    if (f === 'm') this.state = applySgr(this.state, p);
    else if (f === 'K' || f === 'C' || f === 'D' || f === 'G') this.moves = true;
  }

  osc() {}
}

const scanner = new StateMachine();

/** A control character that the line machine drops or acts on (tab is text). */
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/;

/**
 * What a store needs of a line it does not show: the graphic state after raw (exactly parseLine's) and,
 * where that is cheap to know exactly, its text. The text is the line with its escape sequences taken
 * out when the line has no control character (carriage return, backspace, ...) and no cursor move or
 * erase, the only ways parseLine's text differs from it (apart from MAX_CELLS); otherwise null, and a
 * caller that needs the text parses the line. Costs a search for escape characters and the SGR
 * sequences: no cells, no runs, no work per character.
 */
export function scanLine(raw, state) {
  let i = raw.indexOf('\x1b');
  if (i < 0) return { state, text: CONTROL.test(raw) ? null : raw };
  const m = scanner;
  m.state = state;
  m.moves = false;
  let text = '';
  let last = 0;
  while (i >= 0) {
    if (i > last) text += raw.slice(last, i);
    const j = escape(raw, i, m);
    if (j < 0) { last = raw.length; break; } // cut by the end of the line: dropped, as parseLine does
    last = j;
    i = raw.indexOf('\x1b', j);
  }
  if (last < raw.length) text += raw.slice(last);
  return { state: m.state, text: m.moves || CONTROL.test(text) ? null : text };
}

function runs(m) {
  const segs = [];
  let start = 0;
  for (let i = 1; i <= m.chars.length; i++) {
    if (i === m.chars.length || m.states[i] !== m.states[start] || m.links[i] !== m.links[start]) {
      if (i > start) segs.push({ t: m.chars.slice(start, i).join(''), st: m.states[start], h: m.links[start] });
      start = i;
    }
  }
  return segs;
}

/** The RGB of palette colour n in 16..255 (the xterm 6x6x6 cube and grey ramp). */
export function paletteRgb(n) {
  if (n >= 232) {
    const v = 8 + (n - 232) * 10;
    return `rgb(${v}, ${v}, ${v})`;
  }
  const i = n - 16;
  const level = (x) => (x === 0 ? 0 : 55 + x * 40);
  return `rgb(${level(Math.floor(i / 36))}, ${level(Math.floor(i / 6) % 6)}, ${level(i % 6)})`;
}

function colour(el, c, prop, cls) {
  if (c === null) return;
  if (c === 'inv') { el.classList.add(cls + 'i'); return; }
  if (typeof c === 'number' && c < 16) { el.classList.add(cls + c); return; }
  el.style[prop] = typeof c === 'number' ? paletteRgb(c) : `rgb(${c})`;
}

/** Gives element el the look of state st: classes for attributes and the 16 colours, CSSOM for the rest. */
export function styleElement(el, st) {
  if (st.bold) el.classList.add('b');
  if (st.dim) el.classList.add('d');
  if (st.italic) el.classList.add('i');
  if (st.underline) el.classList.add('u');
  if (st.strike) el.classList.add('s');
  let fg = st.fg;
  let bg = st.bg;
  if (st.inverse) {
    fg = st.bg === null ? 'inv' : st.bg;
    bg = st.fg === null ? 'inv' : st.fg;
  }
  colour(el, fg, 'color', 'f');
  colour(el, bg, 'backgroundColor', 'g');
}

/**
 * Makes the children of {@code parent} the runs {@code segs}, skipping the first {@code skip} characters
 * and wrapping the character ranges {@code marks} ([[start, end), ...] relative to the skipped text,
 * sorted) in <mark>. Text goes in through text nodes only. The children {@code parent} already has are
 * reused where they are of the right kind (their text and look updated in place): the view recycles its
 * rows, and a row rendered again then makes no new nodes, so scrolling leaves little garbage.
 */
export function renderRuns(parent, segs, skip, marks) {
  let pos = -skip;
  let mi = 0;
  let at0 = parent.firstChild;
  for (const seg of segs) {
    let t = seg.t;
    let at = pos;
    pos += t.length;
    if (pos <= 0) continue;
    if (at < 0) { t = t.slice(-at); at = 0; }
    while (t.length > 0) {
      while (mi < marks.length && marks[mi][1] <= at) mi++;
      const mk = marks[mi];
      let len = t.length;
      let inMark = false;
      if (mk && mk[0] <= at) { inMark = true; len = Math.min(len, mk[1] - at); }
      else if (mk && mk[0] < at + len) len = mk[0] - at;
      at0 = place(parent, at0, len === t.length ? t : t.slice(0, len), seg, inMark).nextSibling;
      t = t.slice(len);
      at += len;
    }
  }
  while (at0) { const next = at0.nextSibling; at0.remove(); at0 = next; }
}

/** Puts the piece in place of child {@code old} (null: at the end), reusing it when it is of the right kind. */
function place(parent, old, text, seg, inMark) {
  const tag = seg.h ? 'A' : inMark ? 'MARK' : seg.st === PLAIN ? null : 'SPAN';
  if (old && tag === null && old.nodeType === 3) {
    if (old.data !== text) old.data = text;
    return old;
  }
  if (old && tag !== null && old.nodeName === tag && old.childNodes.length === 1) {
    if (old.className !== '') old.className = '';
    if (old.hasAttribute('style')) old.removeAttribute('style');
    if (seg.h) link(old, seg.h, inMark);
    styleElement(old, seg.st);
    if (old.firstChild.data !== text) old.firstChild.data = text;
    return old;
  }
  const el = piece(text, seg, inMark);
  if (old) parent.replaceChild(el, old); else parent.appendChild(el);
  return el;
}

function link(el, href, inMark) {
  if (el.getAttribute('href') !== href) el.href = href;
  el.rel = 'noopener noreferrer';
  el.target = '_blank';
  if (inMark) el.classList.add('hit');
}

function piece(text, seg, inMark) {
  const plain = seg.st === PLAIN && !seg.h && !inMark;
  if (plain) return document.createTextNode(text);
  let el;
  if (seg.h) {
    el = document.createElement('a');
    link(el, seg.h, inMark);
  } else {
    el = document.createElement(inMark ? 'mark' : 'span');
  }
  styleElement(el, seg.st);
  el.textContent = text;
  return el;
}
