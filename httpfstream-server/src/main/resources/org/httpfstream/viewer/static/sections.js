// Line structure: RFC 3339 timestamps at line start, and foldable sections of three CI formats:
// GitHub Actions (::group:: / ::endgroup::, not nested: a new group ends the open one), GitLab
// (section_start / section_end by name, nested, [collapsed=true]) and Buildkite (--- collapsed,
// +++ expanded, ~~~ collapsed headers; a header ends the previous one, flat).
// Thread safety: none needed (browser main thread only).

const TIME = /^(\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:[Zz]|[+-]\d\d:?\d\d))( ?)/;
const GITLAB_START = /section_start:(\d+):([^\s[\r]+)(?:\[([^\]]*)\])?/;
const GITLAB_END = /section_end:(\d+):([^\s[\r]+)/;
const BUILDKITE = /^(---|\+\+\+|~~~) /;

/** Every marker analyse() finds contains one of these in its text: a line without one has none. */
const MARKER_HINT = /::(?:end)?group::|section_(?:start|end):|(?:---|\+\+\+|~~~) /;

/** False when text (a line's visible text) certainly holds no section marker; true when it may. */
export function mayBeMarker(text) {
  return MARKER_HINT.test(text);
}

/**
 * What a parsed line says about structure: {tsLen, time, marker, markerLen}. tsLen: length of a
 * leading timestamp (and one space) in the visible text, time its epoch ms; marker: null or
 * {type: 'start'|'end', kind, title, name, collapsed, time}; markerLen: characters of the marker to
 * hide after the timestamp.
 */
export function analyse(text, stripped) {
  const out = { tsLen: 0, time: null, marker: null, markerLen: 0 };
  const t = TIME.exec(text);
  if (t) {
    const ms = Date.parse(t[1].replace(' ', 'T').replace(',', '.'));
    if (!Number.isNaN(ms)) { out.tsLen = t[0].length; out.time = ms; }
  }
  const rest = text.slice(out.tsLen);
  let g;
  if (rest.startsWith('::group::')) {
    out.marker = { type: 'start', kind: 'github', title: rest.slice(9), collapsed: true, time: out.time };
    out.markerLen = 9;
  } else if (rest.startsWith('::endgroup::')) {
    out.marker = { type: 'end', kind: 'github', time: out.time };
  } else if ((g = GITLAB_START.exec(stripped))) {
    const title = rest.trim() || g[2];
    const collapsed = /(^|,)collapsed=true(,|$)/.test(g[3] || '');
    out.marker = { type: 'start', kind: 'gitlab', name: g[2], title, collapsed, time: Number(g[1]) * 1000 };
  } else if ((g = GITLAB_END.exec(stripped))) {
    out.marker = { type: 'end', kind: 'gitlab', name: g[2], time: Number(g[1]) * 1000 };
  } else if ((g = BUILDKITE.exec(rest))) {
    out.marker = { type: 'start', kind: 'buildkite', title: rest.slice(4), collapsed: g[1] !== '+++', time: out.time };
    out.markerLen = 4;
  }
  return out;
}

/**
 * Every section seen so far, by the line of its header. A section is
 * {line, kind, title, name, collapsed, end, depth, t0, t1}; end is the last line inside it, null while
 * unknown (a live or not yet loaded end: such a section shows unfolded).
 */
export class Sections {
  constructor() {
    this.byLine = new Map();
    this.version = 0; // bumped whenever what is hidden may have changed
    this.userFold = new Map(); // line -> collapsed, what the reader chose
    this.pin = null; // a line that folding must not hide (the last permalink or search hit)
  }

  /** The section with header line n, made from info if it is new. */
  get(n, info, depth) {
    let s = this.byLine.get(n);
    if (!s) {
      s = { line: n, kind: info.kind, title: info.title, name: info.name || null,
        collapsed: !!info.collapsed, end: null, depth, t0: info.time ?? null, t1: null };
      this.byLine.set(n, s);
      this.version++;
    }
    return s;
  }

  close(s, end, time) {
    if (s.end === end) return;
    s.end = end;
    if (time != null) s.t1 = time;
    this.version++;
  }

  folded(s) {
    if (this.userFold.has(s.line)) return this.userFold.get(s.line);
    if (this.pin !== null && s.end !== null && s.line < this.pin && this.pin <= s.end) return false;
    return s.collapsed;
  }

  toggle(n) {
    const s = this.byLine.get(n);
    if (!s) return;
    this.userFold.set(n, !this.folded(s));
    this.version++;
  }

  /**
   * Unfolds every section that hides line n, also one whose end is only seen later (a permalink into a
   * live section), unless the reader folds it again.
   */
  reveal(n) {
    this.pin = n;
    this.version++;
    for (const s of this.byLine.values()) {
      if (s.end !== null && s.line < n && n <= s.end && this.userFold.get(s.line)) this.userFold.set(s.line, false);
    }
  }

  /** The hidden line ranges [[from, to], ...], sorted and disjoint: folded sections with a known end. */
  hiddenRanges() {
    const r = [];
    for (const s of this.byLine.values()) {
      if (s.end !== null && s.end > s.line && this.folded(s)) r.push([s.line + 1, s.end]);
    }
    r.sort((a, b) => a[0] - b[0]);
    const out = [];
    for (const x of r) {
      const last = out[out.length - 1];
      if (last && x[0] <= last[1]) last[1] = Math.max(last[1], x[1]);
      else out.push([x[0], x[1]]);
    }
    return out;
  }
}

/**
 * Follows the open sections through consecutive lines: feed each analysed line with its number.
 * Starts from the sections open before the first line ({title, line, kind, collapsed} outermost
 * first, as the server's Line-Sections header gives them).
 */
export class SectionWalker {
  constructor(sections, open) {
    this.sections = sections;
    this.stack = (open || []).map((o, i) => sections.get(o.line, o, i));
  }

  feed(n, a) {
    const mk = a.marker;
    if (!mk) return;
    if (mk.type === 'start') {
      if (mk.kind === 'github' || mk.kind === 'buildkite') this.endKind(mk.kind, n - 1, a.time);
      this.stack.push(this.sections.get(n, mk, this.stack.length));
    } else if (mk.kind === 'github') {
      this.endKind('github', n, a.time);
    } else {
      const i = this.stack.findLastIndex((s) => s.kind === 'gitlab' && s.name === mk.name);
      if (i >= 0) this.endAt(i, n, mk.time);
    }
  }

  endKind(kind, end, time) {
    const i = this.stack.findLastIndex((s) => s.kind === kind);
    if (i >= 0) this.endAt(i, end, time);
  }

  endAt(i, end, time) {
    while (this.stack.length > i) this.sections.close(this.stack.pop(), end, time);
  }
}

/** "1m 05s" style duration of ms milliseconds. */
export function duration(ms) {
  if (!(ms >= 0)) return '';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}
