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
    this.spacer.style.height = `${height}px`;
    this.rowsEl.style.setProperty('--digits', String(Math.max(4, String(this.store.total).length)));
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
    this.rowsEl.style.top = `${top}px`;
    const extra = top + this.rowsEl.offsetHeight - height; // wrapped rows are taller than one line
    if (extra > 0) {
      this.spacer.style.height = `${height + extra}px`;
      if (this.follow) this.setTop(this.scroller.scrollHeight);
    }
    this.topLine = this.rowToLine(first);
  }

  fillRows(first, end) {
    const keep = new Map();
    let prev = null;
    for (let r = first; r < end; r++) {
      const n = this.rowToLine(r);
      const l = this.store.line(n);
      let c = this.cache.get(n);
      if (!c || c.l !== l || c.deco !== this.deco) c = { el: this.row(n, l), l, deco: this.deco };
      keep.set(n, c);
      const want = prev ? prev.nextSibling : this.rowsEl.firstChild;
      if (want !== c.el) this.rowsEl.insertBefore(c.el, want);
      prev = c.el;
    }
    const after = () => (prev ? prev.nextSibling : this.rowsEl.firstChild);
    while (after()) after().remove(); // rows scrolled away
    this.cache = keep;
  }

  row(n, l) {
    const el = document.createElement('div');
    el.className = 'row';
    el.dataset.n = n;
    const ln = el.appendChild(document.createElement('a'));
    ln.className = 'ln';
    ln.href = `#L${n}`;
    ln.dataset.n = n;
    if (this.hl && n >= this.hl[0] && n <= this.hl[1]) el.classList.add('hl');
    if (this.current === n) el.classList.add('cur');
    if (l === undefined) { el.classList.add('pending'); return el; }
    const sec = this.sections.byLine.get(n);
    if (sec) this.header(el, sec);
    else if (l.marker && l.marker.type === 'end') el.classList.add('marker');
    if (l.tsLen) el.appendChild(span('ts', l.text.slice(0, l.tsLen)));
    const tx = el.appendChild(span('tx', null));
    const skip = l.tsLen + (sec ? l.markerLen : 0);
    const marks = this.matcher ? this.matcher(l.text.slice(skip)) : [];
    renderRuns(tx, l.segs, skip, marks);
    if (l.hidden) el.appendChild(span('more', `… ${l.hidden} more characters`));
    return el;
  }

  header(el, sec) {
    el.classList.add('hdr', this.sections.folded(sec) && sec.end !== null ? 'closed' : 'open');
    el.dataset.kind = sec.kind;
    const f = el.appendChild(document.createElement('span'));
    f.className = 'fold';
    if (sec.t0 !== null && sec.t1 !== null) el.dataset.dur = duration(sec.t1 - sec.t0);
  }
}

function span(cls, text) {
  const s = document.createElement('span');
  s.className = cls;
  if (text !== null) s.textContent = text;
  return s;
}
