/**
 * Streaming filter for LLM output, between the token stream and the transcript / sentence chunker.
 * It removes what must be neither shown nor spoken: reasoning blocks and markdown syntax.
 *
 * Rules (each one decided with a bounded lookahead, so a tag or marker split across deltas at any
 * position is handled, and only the ambiguous suffix of the input is held back):
 * - `<think>…</think>` and `<thinking>…</thinking>` blocks are dropped with their content; a block
 *   still open at the end of the stream is dropped. A stray closing tag is dropped on its own (the
 *   text before it was already emitted: a reply that starts inside a block is not recognised).
 * - Backticks are dropped, code text is kept. A run of 3+ backticks opens/closes a fenced block and
 *   a language tag right after the opening fence (```` ```python ````) is dropped; a run of 1-2
 *   opens an inline code span that ends at the same run or at a newline. Inside code nothing else
 *   is filtered (`snake_case`, `a * b`, `# comment` stay as written).
 * - At the start of a line (leading spaces allowed): heading markers `#`…`######` followed by a
 *   space, and list markers `- `, `* `, `+ `, `• `, `1. `, `2) ` (1-3 digits) are dropped.
 * - `*` and `_` runs (`**`, `__`, `*`, `_`, `***`) are emphasis and are dropped, unless they sit
 *   between two spaces / line edges (`5 * 3`, `I ___ to school`) or between two letters or digits
 *   (`snake_case`, `5*3`): those are kept as text. A run of 3+ underscores is always kept: in a
 *   tutor reply it is a fill-in blank (`Yesterday I ____.`).
 * - Nothing else is dropped: `3 < 5`, `a-b`, `don't`, `1.5`, `#1`, `C#` pass through.
 *
 * Whitespace: runs of spaces and tabs become one space; a run containing a newline becomes one
 * `\n` (kept, so the transcript keeps its lines and the chunker can use them). Whitespace at the
 * start and end of the reply is dropped, and so is whitespace left where a marker or block was
 * removed, because pending whitespace is written only in front of the next visible character.
 */

/** Tags that open or close a reasoning block. No tag is a prefix of another. */
const THINK_TAGS: ReadonlyArray<{ text: string; closes: string | null }> = [
  { text: '<think>', closes: null },
  { text: '<thinking>', closes: null },
  { text: '</think>', closes: '</think>' },
  { text: '</thinking>', closes: '</thinking>' },
];

/** Returned by a step that needs more input before it can decide. */
const WAIT = -1;

/** Longest language tag after an opening fence that is dropped (chars). */
const MAX_FENCE_INFO = 20;

type Mode =
  | { kind: 'text' }
  | { kind: 'think'; closeTag: string }
  /** `run`: length of the opening backtick run; 3 or more is a fenced block. */
  | { kind: 'code'; run: number };

const TEXT_MODE: Mode = { kind: 'text' };

/**
 * Streaming filter for LLM output before it is shown and spoken: drops reasoning blocks and
 * markdown syntax, collapses whitespace (rules in the module header).
 *
 * Output is independent of how the input is split: the concatenation of every `push` result plus
 * `flush()` equals the one-shot {@link filterReply} result. After `flush()` the filter is reset
 * and can take the next reply.
 *
 * @example
 * const filter = new ReplyFilter();
 * let shown = filter.push('<thi') + filter.push('nk>plan</think>**Great') + filter.push('** job!');
 * shown += filter.flush(); // 'Great job!'
 */
export class ReplyFilter {
  /** Input not yet decided on: the ambiguous suffix held back. */
  #pending = '';
  #mode: Mode = TEXT_MODE;
  /** True after a newline (or at the start) until the first non-space character of the line. */
  #atLineStart = true;
  /** Last input character consumed outside reasoning blocks; '' at the start of the reply. */
  #previous = '';
  /** Whitespace waiting for the next visible character. */
  #space: 'none' | 'space' | 'newline' = 'none';
  /** Whether any visible character was written (whitespace before it is dropped). */
  #started = false;
  /** Right after an opening fence: a language tag may follow. */
  #fenceInfo = false;
  /** Output of the current push/flush. */
  #out = '';

  /** Feed one LLM text delta; returns the text that is safe to emit now (may be ''). */
  push(delta: string): string {
    this.#pending += delta;
    return this.#drain(false);
  }

  /**
   * End of stream: returns whatever is still held back (an unclosed think block is dropped,
   * trailing whitespace too), then resets the filter for the next reply.
   */
  flush(): string {
    const out = this.#drain(true);
    this.#pending = '';
    this.#mode = TEXT_MODE;
    this.#atLineStart = true;
    this.#previous = '';
    this.#space = 'none';
    this.#started = false;
    this.#fenceInfo = false;
    return out;
  }

  /** Consumes as much of the pending input as can be decided; `final`: no more input comes. */
  #drain(final: boolean): string {
    this.#out = '';
    const input = this.#pending;
    let index = 0;
    while (index < input.length) {
      const used = this.#step(input, index, final);
      if (used === WAIT) break;
      index += used;
    }
    this.#pending = input.slice(index);
    return this.#out;
  }

  /**
   * Decides on the input at `index`: returns the number of characters consumed, or WAIT when the
   * decision needs characters that have not arrived (never when `final`). A step returns 0 only
   * after changing state, so the loop always progresses.
   */
  #step(input: string, index: number, final: boolean): number {
    const mode = this.#mode;
    if (mode.kind === 'think') return this.#thinkStep(input, index, final, mode.closeTag);
    const char = input.charAt(index);
    if (mode.kind === 'code') {
      if (this.#fenceInfo) return this.#fenceInfoStep(input, index, final);
      if (char === '`') return this.#backticks(input, index, final);
      if (isSpace(char)) return this.#whitespace(char);
      this.#visible(char);
      return 1;
    }
    if (char === '<') return this.#tag(input, index, final);
    if (char === '`') return this.#backticks(input, index, final);
    if (isSpace(char)) return this.#whitespace(char);
    if (this.#atLineStart) {
      const used = this.#lineMarker(input, index, final);
      if (used !== 0) return used;
    }
    if (char === '*' || char === '_') return this.#emphasis(input, index, final, char);
    this.#visible(char);
    return 1;
  }

  /** Inside a reasoning block: discard everything up to and including the closing tag. */
  #thinkStep(input: string, index: number, final: boolean, closeTag: string): number {
    if (input.charAt(index) !== '<') {
      const next = input.indexOf('<', index);
      return (next === -1 ? input.length : next) - index;
    }
    const match = matchAt(input, index, closeTag);
    if (match === 'full') {
      this.#mode = TEXT_MODE;
      return closeTag.length;
    }
    if (match === 'partial' && !final) return WAIT;
    return 1;
  }

  /** A `<`: a reasoning tag, the start of one (wait), or ordinary text (`3 < 5`). */
  #tag(input: string, index: number, final: boolean): number {
    let partial = false;
    for (const tag of THINK_TAGS) {
      const match = matchAt(input, index, tag.text);
      if (match === 'full') {
        if (tag.closes === null) this.#mode = { kind: 'think', closeTag: `</${tag.text.slice(1)}` };
        return tag.text.length;
      }
      if (match === 'partial') partial = true;
    }
    if (partial && !final) return WAIT;
    this.#visible('<');
    return 1;
  }

  /** A run of backticks: dropped; it opens or closes code. */
  #backticks(input: string, index: number, final: boolean): number {
    const end = runEnd(input, index, '`');
    if (end === input.length && !final) return WAIT;
    const run = end - index;
    const mode = this.#mode;
    if (mode.kind === 'text') {
      this.#mode = { kind: 'code', run };
      this.#fenceInfo = run >= 3;
    } else if (mode.kind === 'code' && (mode.run >= 3 ? run >= 3 : run === mode.run)) {
      this.#mode = TEXT_MODE;
    }
    this.#atLineStart = false;
    this.#previous = '`';
    return run;
  }

  /** Right after an opening fence: drop a language tag that fills the rest of its line. */
  #fenceInfoStep(input: string, index: number, final: boolean): number {
    let end = index;
    while (end < input.length && end - index <= MAX_FENCE_INFO && /[\w+#.-]/.test(input.charAt(end))) end++;
    const length = end - index;
    if (length <= MAX_FENCE_INFO && end === input.length && !final) return WAIT;
    this.#fenceInfo = false;
    const next = input.charAt(end);
    if (length > 0 && length <= MAX_FENCE_INFO && (next === '' || next === '\n' || next === '\r')) {
      return length;
    }
    return 0;
  }

  #whitespace(char: string): number {
    if (char === '\n') {
      this.#space = 'newline';
      this.#atLineStart = true;
      if (this.#mode.kind === 'code' && this.#mode.run < 3) this.#mode = TEXT_MODE;
    } else if (this.#space === 'none') {
      this.#space = 'space';
    }
    this.#previous = char;
    return 1;
  }

  /**
   * At the start of a line: the length of a heading or list marker to drop, 0 when there is none,
   * WAIT when the input ends before that is known.
   */
  #lineMarker(input: string, index: number, final: boolean): number {
    const char = input.charAt(index);
    let used = 0;
    if (char === '#') {
      const end = runEnd(input, index, '#');
      const run = end - index;
      if (run <= 6 && end === input.length) return final ? 0 : WAIT;
      if (run <= 6 && isBlank(input.charAt(end))) used = run;
    } else if (char === '-' || char === '*' || char === '+' || char === '•') {
      if (index + 1 === input.length) return final ? 0 : WAIT;
      if (isBlank(input.charAt(index + 1))) used = 1;
    } else if (isDigit(char)) {
      let end = index;
      while (end < input.length && end - index <= 3 && isDigit(input.charAt(end))) end++;
      const digits = end - index;
      if (digits > 3) return 0;
      if (end === input.length) return final ? 0 : WAIT;
      const after = input.charAt(end);
      if (after !== '.' && after !== ')') return 0;
      if (end + 1 === input.length) return final ? 0 : WAIT;
      if (isBlank(input.charAt(end + 1))) used = digits + 1;
    }
    if (used > 0) {
      this.#atLineStart = false;
      this.#previous = input.charAt(index + used - 1);
    }
    return used;
  }

  /** A run of `*` or `_`: emphasis (dropped) or text (kept); rules in the module header. */
  #emphasis(input: string, index: number, final: boolean, char: '*' | '_'): number {
    const end = runEnd(input, index, char);
    if (end === input.length && !final) return WAIT;
    const run = end - index;
    const before = this.#previous;
    const after = input.charAt(end);
    const keep =
      (char === '_' && run >= 3) ||
      (isSpaceOrEdge(before) && isSpaceOrEdge(after)) ||
      (isWordChar(before) && isWordChar(after));
    if (keep) {
      for (let k = 0; k < run; k++) this.#visible(char);
    } else {
      this.#atLineStart = false;
      this.#previous = char;
    }
    return run;
  }

  /** Writes one visible character, preceded by the pending whitespace (unless at the start). */
  #visible(char: string): void {
    if (this.#started && this.#space !== 'none') this.#out += this.#space === 'newline' ? '\n' : ' ';
    this.#space = 'none';
    this.#out += char;
    this.#started = true;
    this.#atLineStart = false;
    this.#previous = char;
  }
}

/**
 * One-shot helper: filters a whole reply (for text that did not stream, e.g. a stored message).
 *
 * @example
 * filterReply('<think>hm</think>\n## Tip\n- Say **"I am"**.'); // 'Tip\nSay "I am".'
 */
export function filterReply(text: string): string {
  const filter = new ReplyFilter();
  return filter.push(text) + filter.flush();
}

/** Whether `literal` starts at `index`: fully, as far as the input goes ('partial'), or not. */
function matchAt(input: string, index: number, literal: string): 'full' | 'partial' | 'none' {
  if (input.length - index >= literal.length) return input.startsWith(literal, index) ? 'full' : 'none';
  return literal.startsWith(input.slice(index)) ? 'partial' : 'none';
}

/** Index just past the run of `char` that starts at `index`. */
function runEnd(input: string, index: number, char: string): number {
  let end = index;
  while (end < input.length && input.charAt(end) === char) end++;
  return end;
}

function isSpace(char: string): boolean {
  return /\s/.test(char);
}

/** Space or tab: what must follow a heading or list marker. */
function isBlank(char: string): boolean {
  return char === ' ' || char === '\t';
}

/** Whitespace, or the edge of the reply ('' = nothing before / after). */
function isSpaceOrEdge(char: string): boolean {
  return char === '' || isSpace(char);
}

function isWordChar(char: string): boolean {
  return /[\p{L}\p{N}]/u.test(char);
}

function isDigit(char: string): boolean {
  return char >= '0' && char <= '9';
}
