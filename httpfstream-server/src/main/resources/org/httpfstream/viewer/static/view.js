// The virtualised log: only the rows near the screen are in the DOM. A spacer gives the scroller the
// height of every visible row (capped, then scrollTop maps proportionally to rows, so 10 million lines
// scroll like 10 thousand); rows are line numbers minus the lines of folded sections.
// Thread safety: none needed (browser main thread only).

import { renderRuns } from './ansi.js';
import { duration } from './sections.js';

const MAX_HEIGHT = 8000000; // px: below every browser's limit on an element's height
const OVERSCAN = 3;

export class LogView {
  constructor(scroller, store, sections) {
    this.scroller = scroller;
    this.store = store;
    this.sections = sections;
    this.spacer = scroller.appendChild(document.createElement('div'));
    this.spacer.className = 'spacer';
    this.rowsEl = scroller.appendChild(document.createElement('div'));
    this.rowsEl.className = 'rows';
    this.lh = this.measure();
    this.follow = true;
    this.hl = null; // [from, to] highlighted lines (permalink)
    this.pending = null; // a line to go to once it exists
    this.matcher = null; // text -> [[start, end), ...] search hits to mark
    this.current = null; // the line of the current search hit
    this.ranges = [];
    this.hiddenCount = 0;
    this.rangesVersion = -1;
    this.deco = 0; // bumped when decoration (highlight, marks, folds) changes
    this.cache = new Map(); // line -> {el, l, deco}
    this.expected = -1; // the scrollTop the page itself last set
    this.topLine = 1;
    this.lastCh = undefined; // the scroller's clientHeight at the last render
    this.onFollow = () => {};
    this.scheduled = false;
    scroller.addEventListener('scroll', () => this.scrolled());
    new ResizeObserver(() => this.schedule()).observe(scroller);
  }

  measure() {
    const probe = this.rowsEl.appendChild(document.createElement('div'));
    probe.className = 'row';
    probe.textContent = 'X';
    const h = probe.getBoundingClientRect().height || 18;
    probe.remove();
    return h;
  }

  schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => { this.scheduled = false; this.render(); });
  }

  redecorate() {
    this.deco++;
    this.schedule();
  }

  setFollow(on) {
    if (this.follow === on) return;
    this.follow = on;
    if (on) { this.pending = null; }
    this.onFollow(on);
    this.schedule();
  }

  scrolled() {
    const s = this.scroller;
    if (Math.abs(s.scrollTop - this.expected) < 2) return; // our own move
    this.expected = -1;
    const atBottom = s.scrollTop + s.clientHeight >= s.scrollHeight - 2;
    if (this.follow && !atBottom) this.setFollow(false);
    else if (!this.follow && atBottom && this.store.tailLine > 1) this.setFollow(true);
    this.pending = null;
    this.schedule();
  }

  setTop(px) {
    this.scroller.scrollTop = px;
    this.expected = this.scroller.scrollTop;
  }

  refreshRanges() {
    if (this.rangesVersion === this.sections.version) return false;
    this.rangesVersion = this.sections.version;
    this.ranges = this.sections.hiddenRanges();
    this.hiddenCount = this.ranges.reduce((sum, [a, b]) => sum + b - a + 1, 0);
    this.deco++;
    return true;
  }

  rowCount() {
    return Math.max(0, this.store.total - this.hiddenCount);
  }

  /** The line shown on row r (0-based). */
  rowToLine(r) {
    let n = r + 1;
    for (const [a, b] of this.ranges) {
      if (a <= n) n += b - a + 1; else break;
    }
    return n;
  }

  /** The row of line n (the row of its section header when n is folded away). */
  lineToRow(n) {
    let r = n - 1;
    for (const [a, b] of this.ranges) {
      if (b < n) r -= b - a + 1;
      else if (a <= n) { r -= n - a + 1; break; } else break;
    }
    return Math.max(0, r);
  }

  /** scrollTop that puts row r at the top. */
  rowTop(r) {
    const full = this.rowCount() * this.lh;
    const ch = this.scroller.clientHeight;
    const height = Math.min(full, MAX_HEIGHT);
    if (full <= ch) return 0;
    return Math.max(0, Math.min(height - ch, (r * this.lh) / (full - ch) * (height - ch)));
  }

  /** Shows lines from..to highlighted, scrolled into view, unfolding what hides them; waits for them. */
  goto(from, to) {
    this.hl = [from, to || from];
    this.pending = from;
    this.setFollow(false);
    this.redecorate();
  }


  toEnd() {
    this.setFollow(true);
    this.schedule();
  }

  toStart() {
    this.setFollow(false);
    this.setTop(0);
    this.schedule();
  }

  render() {
    // A line to go to unfolds what hides it before the spacer is sized: sized first, the spacer would
    // still have the folded height and clamp the scroll short of the line.
    let reveal = null;
    if (this.pending !== null && this.pending <= this.store.total) {
      reveal = this.pending;
      this.pending = null;
      this.sections.reveal(reveal);
    }
    const rangesChanged = this.refreshRanges();
    const rows = this.rowCount();
    const full = rows * this.lh;
    const height = Math.min(full, MAX_HEIGHT);
    const ch = this.scroller.clientHeight;
    // Past MAX_HEIGHT the row under scrollTop depends on the scroller's height, which a horizontal
    // scrollbar coming or going (a long line scrolled in or out) changes: keep the top line instead.
    const resized = this.lastCh !== undefined && ch !== this.lastCh;
    this.lastCh = ch;
    setStyle(this.spacer, 'height', `${height}px`);
    setStyle(this.rowsEl, '--digits', String(Math.max(4, String(this.store.total).length)));
    if (reveal !== null) {
      this.setTop(this.rowTop(Math.max(0, this.lineToRow(reveal) - 3))); // near the top; stays as the log grows
    } else if (this.follow) {
      this.setTop(this.scroller.scrollHeight);
    } else if (rangesChanged || resized) {
      this.setTop(this.rowTop(this.lineToRow(this.topLine)));
    }
    const st = this.scroller.scrollTop;
    const count = Math.ceil(ch / this.lh) + OVERSCAN;
    let firstF = full > ch && height > ch ? (st / (height - ch)) * ((full - ch) / this.lh) : 0;
    if (this.follow) firstF = Math.max(0, rows - count + 1);
    const first = Math.max(0, Math.floor(firstF));
    this.fillRows(first, Math.min(rows, first + count));
    let top = st - (firstF - first) * this.lh;
    if (this.follow) top = Math.max(0, height - this.rowsEl.offsetHeight);
    else if (full <= MAX_HEIGHT) top = first * this.lh;
    setStyle(this.rowsEl, 'transform', `translateY(${top}px)`);
    const extra = top + this.rowsEl.offsetHeight - height; // wrapped rows are taller than one line
    if (extra > 0) {
      setStyle(this.spacer, 'height', `${height + extra}px`);
      if (this.follow) this.setTop(this.scroller.scrollHeight);
    }
    this.topLine = this.rowToLine(first);
  }

  /**
   * Shows rows first..end-1. A row whose line, text and decoration are unchanged is left alone; the
   * rows of lines scrolled away are reused, in their DOM order, for the lines that came in, updated in
   * place (renderRow). New elements are made only when the screen needs more rows than it had, so a
   * scroll step makes next to no new nodes. (It does not lower the tab's peak memory while scrolling:
   * that is where V8 starts its next major GC; docs/notes/vmem.md.)
   */
  fillRows(first, end) {
    const want = [];
    for (let r = first; r < end; r++) want.push(this.rowToLine(r));
    const keep = new Map();
    for (const n of want) { const c = this.cache.get(n); if (c) keep.set(n, c); }
    const free = [];
    for (let el = this.rowsEl.firstChild; el; el = el.nextSibling) {
      if (keep.get(el.vrow.n) !== el.vrow) free.push(el.vrow);
    }
    let fi = 0;
    let prev = null;
    for (const n of want) {
      const l = this.store.line(n);
      let c = keep.get(n);
      if (!c) {
        c = fi < free.length ? free[fi++] : this.newRow();
        c.deco = -1; // rendered anew (a cleared cache asks for that too)
        keep.set(n, c);
      }
      if (c.n !== n || c.l !== l || c.deco !== this.deco) this.renderRow(c, n, l);
      const at = prev ? prev.nextSibling : this.rowsEl.firstChild;
      if (at !== c.el) this.rowsEl.insertBefore(c.el, at);
      prev = c.el;
    }
    const after = () => (prev ? prev.nextSibling : this.rowsEl.firstChild);
    while (after()) after().remove(); // rows no longer needed
    this.cache = keep;
  }

  newRow() {
    const el = document.createElement('div');
    const ln = el.appendChild(document.createElement('a'));
    ln.className = 'ln';
    const c = { el, ln, n: -1, l: undefined, deco: -1 };
    el.vrow = c;
    return c;
  }

  /** Makes row c show line n (l: its parse, undefined while not loaded), reusing its nodes. */
  renderRow(c, n, l) {
    const { el } = c;
    c.n = n;
    c.l = l;
    c.deco = this.deco;
    const ns = String(n);
    if (el.dataset.n !== ns) { el.dataset.n = ns; c.ln.href = `#L${ns}`; c.ln.dataset.n = ns; }
    let cls = 'row';
    if (this.hl && n >= this.hl[0] && n <= this.hl[1]) cls += ' hl';
    if (this.current === n) cls += ' cur';
    const sec = l === undefined ? undefined : this.sections.byLine.get(n);
    if (l === undefined) cls += ' pending';
    else if (sec) cls += ` hdr ${this.sections.folded(sec) && sec.end !== null ? 'closed' : 'open'}`;
    else if (l.marker && l.marker.type === 'end') cls += ' marker';
    if (el.className !== cls) el.className = cls;
    setData(el, 'kind', sec ? sec.kind : undefined);
    setData(el, 'dur', sec && sec.t0 !== null && sec.t1 !== null ? duration(sec.t1 - sec.t0) : undefined);
    let at = c.ln.nextSibling;
    if (l !== undefined) {
      if (sec) at = slot(el, at, 'fold', null).nextSibling;
      if (l.tsLen) at = slot(el, at, 'ts', l.text.slice(0, l.tsLen)).nextSibling;
      const tx = slot(el, at, 'tx', undefined);
      const skip = l.tsLen + (sec ? l.markerLen : 0);
      renderRuns(tx, l.segs, skip, this.matcher ? this.matcher(l.text.slice(skip)) : []);
      at = tx.nextSibling;
      if (l.hidden) at = slot(el, at, 'more', `… ${l.hidden} more characters`).nextSibling;
    }
    while (at) { const next = at.nextSibling; at.remove(); at = next; }
  }
}

/** Sets style property p of el, touching it only when it changes (a write restyles what inherits it). */
function setStyle(el, p, v) {
  if (el.style.getPropertyValue(p) !== v) el.style.setProperty(p, v);
}

/** Sets or removes data attribute k of el, touching it only when it changes. */
function setData(el, k, v) {
  if (v === undefined) { if (k in el.dataset) delete el.dataset[k]; } else if (el.dataset[k] !== v) el.dataset[k] = v;
}

/**
 * The span of class cls at child old of parent (null: the end), reused when old is one, else put in
 * its place. text: its text (null: empty; undefined: its children are left to the caller).
 */
function slot(parent, old, cls, text) {
  const fits = (e) => e && e.nodeName === 'SPAN' && e.className === cls;
  let s = old;
  if (!fits(s) && s && fits(s.nextSibling)) { s = s.nextSibling; old.remove(); } // a part this line lacks
  if (!fits(s)) {
    s = span(cls, null);
    if (old) parent.insertBefore(s, old); else parent.appendChild(s);
  }
  if (text === null || text === undefined) return s;
  const t = s.firstChild;
  if (t && t.nodeType === 3 && !t.nextSibling) { if (t.data !== text) t.data = text; } else s.textContent = text;
  return s;
}

function span(cls, text) {
  const s = document.createElement('span');
  s.className = cls;
  if (text !== null) s.textContent = text;
  return s;
}
