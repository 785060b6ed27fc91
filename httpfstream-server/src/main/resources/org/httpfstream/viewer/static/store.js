// The lines of one stream as the page knows them: chunks of CHUNK lines fetched with ?lines as the
// reader moves, the end fetched with ?tail and then tailed live with ?offset=X&follow (fetch()
// streaming). The tail counts the bytes it has received, so after a dropped connection or a server
// restart it asks again from exactly that byte: no gap, no duplicate. Far chunks are dropped, so
// memory stays bounded however long the log is. A chunk keeps its lines as the server sent them (with the
// ANSI state each starts in); a line is parsed into runs only when it is shown, and the last PARSED_MAX
// parses are kept. The ANSI state and the sections still follow every line: a state-only pass
// (scanLine) does that, and only a line that may be a section marker is parsed whole.
// Thread safety: none needed (browser main thread only; fetches resolve on it).

import { LineParser, parseLine, PLAIN, scanLine } from './ansi.js';
import { analyse, mayBeMarker, SectionWalker } from './sections.js';

export const CHUNK = 500;
const KEEP_CHUNKS = 10;
const TAIL_LINES = 1000;
const PARSED_MAX = 400; // parsed lines kept: the screen shows about 40

/** "000000000000040a": the 16 hex digit offset form the server reads. */
export function hexOffset(n) {
  return n.toString(16).padStart(16, '0');
}

/** The open sections of a Line-Sections header; a header value reaches us as Latin-1, titles are UTF-8. */
export function openSections(header) {
  if (!header) return [];
  const bytes = Uint8Array.from(header, (c) => c.charCodeAt(0) & 0xff);
  return JSON.parse(/[^\x00-\x7f]/.test(header) ? new TextDecoder().decode(bytes) : header);
}

/** A line of parse p: the ANSI runs and what the structure analysis found. */
function lineOf(p) {
  return { segs: p.segs, text: p.text, hidden: p.hidden, end: p.state, ...analyse(p.text, p.stripped) };
}

function makeLine(raw, state) {
  return lineOf(parseLine(raw, state));
}

/**
 * The parse of raw line n when the store has to know its structure before it is shown: null when the
 * state-only pass sc proves it is not a section marker (the usual case), else the whole parse.
 */
function structure(raw, state, sc) {
  return sc.text !== null && !mayBeMarker(sc.text) ? null : makeLine(raw, state);
}

export class LineStore {
  /** api: {url(query) -> string}; sections: a Sections; onChange(): something to show changed. */
  constructor(api, sections, onChange) {
    this.api = api;
    this.sections = sections;
    this.onChange = onChange;
    this.onProblem = () => {};
    this.total = 0; // lines in the stream as far as known (a final unterminated line counted)
    this.chunks = new Map(); // chunk index -> {lines: [], starts: [], used}; a line: its text (starts: its
    // ANSI state) or, for one the tail parsed as it grew, its parse
    this.parsed = new Map(); // line number -> parse of its text, oldest first, at most PARSED_MAX
    this.loading = new Set();
    this.failed = new Map(); // chunk index -> when its last fetch failed
    this.offset = 0; // bytes of the stream received by the tail
    this.tailLine = 1; // number of the line the tail is assembling
    this.growing = null; // its parse so far (a LineParser), null before its first byte
    this.state = PLAIN; // ANSI state at the start of tailLine
    this.walker = null;
    this.decoder = new TextDecoder('utf-8');
    this.ended = false; // the writer finished and every byte is here
    this.clock = 0;
  }

  /**
   * Line n (1-based) parsed, or undefined when not loaded (then its chunk is requested). The same line
   * gives the same object while its parse is kept, so a view can tell an unchanged row by identity.
   */
  line(n) {
    const k = Math.floor((n - 1) / CHUNK);
    const c = this.chunks.get(k);
    const i = (n - 1) % CHUNK;
    const l = c && c.lines[i];
    if (c) c.used = ++this.clock;
    if (l === undefined && n >= 1 && n < this.tailLine) this.load(k);
    return typeof l === 'string' ? this.parse(n, l, c.starts[i]) : l;
  }

  /** The parse of line n, text raw starting in state, kept among the last PARSED_MAX. */
  parse(n, raw, state) {
    let l = this.parsed.get(n);
    if (l === undefined) {
      l = makeLine(raw, state);
      this.parsed.set(n, l);
      if (this.parsed.size > PARSED_MAX) this.parsed.delete(this.parsed.keys().next().value);
    }
    return l;
  }

  /** Stores line n: its text and the state it starts in, or (state undefined) its parse. */
  put(n, l, state) {
    const k = Math.floor((n - 1) / CHUNK);
    let c = this.chunks.get(k);
    if (!c) { c = { lines: [], starts: [], used: ++this.clock }; this.chunks.set(k, c); }
    c.lines[(n - 1) % CHUNK] = l;
    c.starts[(n - 1) % CHUNK] = state;
  }

  /** Fetches chunk k with ?lines, filling only lines the tail does not own. */
  async load(k) {
    if (this.loading.has(k) || (this.failed.get(k) || 0) > Date.now() - 1000) return;
    this.loading.add(k);
    try {
      const first = k * CHUNK + 1;
      const res = await fetch(this.api.url(`lines=${first}-${first + CHUNK - 1}`), { cache: 'no-store' });
      if (!res.ok) throw new Error(`?lines=${first}-: ${res.status}`);
      const open = openSections(res.headers.get('Line-Sections'));
      const text = await res.text();
      this.fill(Number(res.headers.get('Line-First')) || first, text, open);
      this.evict(k);
      this.onChange();
    } catch (e) {
      this.failed.set(k, Date.now()); // asked again by a render at least a second later
      setTimeout(() => this.onChange(), 1000);
    } finally {
      this.loading.delete(k);
    }
  }

  fill(first, text, open) {
    const walker = new SectionWalker(this.sections, open);
    let state = PLAIN;
    const raws = text.split('\n');
    for (let i = 0; i < raws.length; i++) {
      const n = first + i;
      if (n >= this.tailLine || (i === raws.length - 1 && raws[i] === '')) break;
      const raw = raws[i];
      const sc = scanLine(raw, state);
      const l = structure(raw, state, sc);
      if (l) walker.feed(n, l);
      const k = Math.floor((n - 1) / CHUNK);
      const c = this.chunks.get(k);
      if (!c || c.lines[(n - 1) % CHUNK] === undefined) this.put(n, raw, state);
      state = sc.state;
    }
  }

  /** Drops the least recently used chunks beyond KEEP_CHUNKS, never the tail's. */
  evict(keep) {
    if (this.chunks.size <= KEEP_CHUNKS) return;
    const tailK = Math.floor((this.tailLine - 1) / CHUNK);
    const order = [...this.chunks.entries()].filter(([k]) => k !== keep && k < tailK - 1)
      .sort((a, b) => a[1].used - b[1].used);
    for (const [k] of order.slice(0, this.chunks.size - KEEP_CHUNKS)) this.chunks.delete(k);
  }

  /** Loads the last lines (?tail) and then tails the stream live until it finishes. */
  async start() {
    const res = await fetch(this.api.url(`tail=${TAIL_LINES}`), { cache: 'no-store' });
    if (!res.ok) throw new Error(`${res.status} ${(await res.text()).slice(0, 200)}`);
    const first = Number(res.headers.get('Line-First')) || 1;
    this.tailLine = first;
    this.total = Math.max(first - 1, 0);
    this.walker = new SectionWalker(this.sections, openSections(res.headers.get('Line-Sections')));
    const body = new Uint8Array(await res.arrayBuffer());
    this.feed(this.decoder.decode(body, { stream: true })); // starts with the ANSI state, not stream bytes
    this.offset = Number(res.headers.get('Line-End-Offset'));
    this.onChange();
    this.follow();
  }

  /** Takes bytes that follow this.offset exactly. */
  take(bytes) {
    this.offset += bytes.length;
    this.feed(this.decoder.decode(bytes, { stream: true }));
  }

  /**
   * Takes decoded text: whole lines are stored as text (the state-only pass follows the state and the
   * sections); a line begun in an earlier piece is stored as its parse; the unterminated rest is parsed
   * on as it grows.
   */
  feed(text) {
    if (text === '') return;
    const parts = text.split('\n');
    for (let i = 0; i < parts.length - 1; i++) {
      if (this.growing) {
        this.growing.feed(parts[i]);
        const l = lineOf(this.growing.result());
        this.put(this.tailLine, l);
        this.walker.feed(this.tailLine, l);
        this.state = l.end;
        this.growing = null;
      } else {
        const raw = parts[i];
        const sc = scanLine(raw, this.state);
        const l = structure(raw, this.state, sc);
        if (l) this.walker.feed(this.tailLine, l);
        this.put(this.tailLine, raw, this.state);
        this.state = sc.state;
      }
      this.tailLine++;
    }
    const rest = parts[parts.length - 1];
    if (rest !== '') this.parser().feed(rest);
    if (this.growing) this.put(this.tailLine, { ...lineOf(this.growing.result()), partial: true });
    this.total = this.growing ? this.tailLine : this.tailLine - 1;
    this.evict(-1);
  }

  /** The parser of the line the tail is assembling. */
  parser() {
    if (!this.growing) this.growing = new LineParser(this.state);
    return this.growing;
  }

  /** Tails with ?offset&follow; after each end, asks ?status whether to go on, and resumes. */
  async follow() {
    let delay = 100;
    for (;;) {
      let got = 0;
      try {
        const res = await fetch(this.api.url(`offset=${hexOffset(this.offset)}&follow`), { cache: 'no-store' });
        if (res.ok) {
          const reader = res.body.getReader();
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            got += value.length;
            this.take(value);
            this.onChange();
          }
        } else if (res.status === 404) {
          this.onProblem('the stream is gone (404)');
        }
      } catch (e) {
        // a dropped connection or a server going away: ask again from this.offset
      }
      const st = await this.api.status();
      if (st && st.writer === 'finished' && st.length <= this.offset) {
        this.ended = true;
        this.onChange();
        await this.api.waitForChange(this.offset);
        this.ended = false;
      }
      delay = got > 0 ? 100 : Math.min(delay * 2, 3000);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
