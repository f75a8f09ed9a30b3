/**
 * A conversation's history and the context window: system prompt + the turns that fit the LLM's
 * context, leaving room for the reply.
 *
 * The window is trimmed in large blocks, not a turn at a time: once the history no longer fits,
 * the oldest turns are dropped until it fills at most half the budget, and the window's start then
 * stays put until it fills again. An engine that keeps the conversation's KV cache (llama.cpp)
 * therefore reuses the whole prefix on almost every turn and re-evaluates the history only at the
 * rare trims, instead of on every turn once the window is full (docs/decisions/002-long-lessons.md).
 *
 * What a trim drops is kept as a short running summary: before the window is full, the turns the
 * next trim will drop are offered for summarizing ({@link Conversation.turnsToSummarize}, done off
 * the reply's critical path by the caller). At the trim the summary joins the window as a system
 * message after the newest kept turn, not in the system prompt: the window is then the old one
 * with a block left out at its start and new messages at its end, so an engine can keep the kept
 * turns' KV cache (shifted back) instead of evaluating them again. The next trim drops the old
 * summary with the turns before it.
 */
import { randomUUID } from 'node:crypto';
import { type ChatMessage, type ToolCall, estimateTokens } from '../core/llm.js';

export interface ConversationTurn {
  id: string;
  /** `tool`: a function's result (a realtime `function_call_output` item). */
  role: 'user' | 'assistant' | 'tool';
  /** What was said (for a cut reply: what the learner heard, or what was produced by then). */
  text: string;
  /** True when the reply was cancelled before it finished: `text` is what was produced by then. */
  interrupted?: boolean;
  /**
   * The LLM's exact output for this reply, before display filtering, when it differs from `text`.
   * The history sends it back verbatim so that it re-tokenizes to the tokens the engine generated
   * and their KV cache is reused. Cleared when the reply is cut to what was heard.
   */
  llmText?: string;
  /** `assistant` only: a function call the model made (a realtime `function_call` item; `text` is empty). */
  toolCalls?: ToolCall[];
  /** `tool` only: the {@link ToolCall.id} this result answers. */
  toolCallId?: string;
  /** `tool` only: the called function's name, when known. */
  name?: string;
}

/** Options of {@link Conversation.messages}. */
export interface WindowOptions {
  /** Room kept for the reply, in tokens. Default {@link DEFAULT_RESERVE_TOKENS}. */
  reserveTokens?: number;
  /** Exact token counter (the model's tokenizer); default {@link estimateTokens}. */
  countTokens?: (text: string) => number;
}

/** Room kept for the reply by default, in tokens. */
export const DEFAULT_RESERVE_TOKENS = 512;

/**
 * Room {@link Conversation.messagesAhead} also keeps for the learner's next message, in tokens
 * (a long spoken turn is ~60 words, ~80 tokens), so that the next turn does not trim again.
 */
export const NEXT_MESSAGE_TOKENS = 128;

/** Tokens a chat template adds around each message (ChatML: `<|im_start|>role\n` ... `<|im_end|>\n`). */
const MESSAGE_OVERHEAD_TOKENS = 8;

/** After a trim the kept history fills at most this share of the budget, so trims are rare. */
const KEEP_AFTER_TRIM = 0.5;

/**
 * The history fills this share of the budget: the turns the next trim will drop are offered for
 * summarizing (the oldest ones, until the rest fills {@link SUMMARIZE_KEEP}): a summary made ahead
 * is ready when the trim comes.
 */
const SUMMARIZE_AT = 0.8;
/** See {@link SUMMARIZE_AT}: at the trim the history fills ~100% and keeps 50%; 80% - 50% = 30%. */
const SUMMARIZE_KEEP = 0.3;

/** A summary of the turns up to and including `throughId`. */
export interface ConversationSummary {
  text: string;
  throughId: string;
}

export class Conversation {
  /** Stable id, used as the LLM engine's KV-cache key. Changes on `reset()`. */
  id: string = randomUUID();
  readonly turns: ConversationTurn[] = [];
  /** Id of the first turn in the context window (sticky between calls); undefined: from the start. */
  private windowStartId: string | undefined;
  /** True when the window starts after `windowStartId` (it and every turn before it were dropped). */
  private windowStartsAfter = false;
  /** Turns dropped from the window so far. */
  droppedTurns = 0;
  /**
   * The summary in the window, replaced only at a trim. It sits before the first user turn after
   * the turn `afterId` (at the window's start when `afterId` is undefined or no longer in the window).
   */
  private activeSummary: (ConversationSummary & { afterId: string | undefined }) | undefined;
  /** The newest summary made, waiting for the next trim. */
  private latestSummary: ConversationSummary | undefined;
  private readonly tokenCounts = new Map<string, { text: string; tokens: number }>();

  constructor(public systemPrompt: string) {}

  /**
   * Appends a turn, or inserts it before the turn `before` (a reply's text goes before the function
   * calls the same response made, as the model produced it).
   */
  add(turn: Omit<ConversationTurn, 'id'> & { id?: string }, before?: string): ConversationTurn {
    const full = { ...turn, id: turn.id ?? `item_${randomUUID().replaceAll('-', '').slice(0, 20)}` };
    const index = before === undefined ? -1 : this.turns.findIndex((existing) => existing.id === before);
    if (index < 0) this.turns.push(full);
    else this.turns.splice(index, 0, full);
    return full;
  }

  /** The turn with this item id, if any. */
  get(id: string): ConversationTurn | undefined {
    return this.turns.find((turn) => turn.id === id);
  }

  /** Whether a turn with this item id exists. */
  has(id: string): boolean {
    return this.turns.some((turn) => turn.id === id);
  }

  /** Removes a turn (e.g. a spoken turn that could not be transcribed). */
  remove(turn: ConversationTurn): void {
    const index = this.turns.indexOf(turn);
    if (index < 0) return;
    if (this.windowStartId === turn.id) {
      this.windowStartId = this.windowStartsAfter ? this.turns[index - 1]?.id : this.turns[index + 1]?.id;
      if (this.windowStartId === undefined) this.windowStartsAfter = false;
    }
    if (this.activeSummary?.afterId === turn.id) this.activeSummary.afterId = this.turns[index - 1]?.id;
    this.turns.splice(index, 1);
  }

  get lastTurn(): ConversationTurn | undefined {
    return this.turns.at(-1);
  }

  /** Forget everything but the system prompt; a new id drops the engine's cached context. */
  reset(): void {
    this.turns.length = 0;
    this.id = randomUUID();
    this.windowStartId = undefined;
    this.windowStartsAfter = false;
    this.droppedTurns = 0;
    this.activeSummary = undefined;
    this.latestSummary = undefined;
    this.tokenCounts.clear();
  }

  /**
   * The messages the next turn's request will start with, for evaluating them ahead of it (the
   * engine's `prepare`): {@link messages} with room kept for the learner's next message as well,
   * so a trim the next turn would need happens now, between turns, and the window's start then
   * stays put for that turn.
   */
  messagesAhead(contextTokens: number, options: WindowOptions = {}): ChatMessage[] {
    return this.window(contextTokens, { ...options, reserveTokens: (options.reserveTokens ?? DEFAULT_RESERVE_TOKENS) + NEXT_MESSAGE_TOKENS }, true);
  }

  /**
   * Messages for the LLM: the system prompt, then the turns of the context window (see the file's
   * comment), which always holds the newest user turn. Empty turns (e.g. a reply cancelled before
   * any text) are left out; a window never starts with an assistant turn.
   * @param contextTokens the model's context size, in tokens
   */
  messages(contextTokens: number, options: WindowOptions | number = {}): ChatMessage[] {
    return this.window(contextTokens, typeof options === 'number' ? { reserveTokens: options } : options, false);
  }

  /**
   * The window's messages. `ahead`: for the next turn's prefix, whose newest turn is a reply; a
   * trim may then drop every turn (the next learner message will start the window).
   */
  private window(contextTokens: number, options: WindowOptions, ahead: boolean): ChatMessage[] {
    const { reserveTokens = DEFAULT_RESERVE_TOKENS, countTokens = estimateTokens } = typeof options === 'number' ? { reserveTokens: options } : options;
    const budget = this.budget(contextTokens, reserveTokens, countTokens);
    const cost = (turn: ConversationTurn): number => this.turnCost(turn, countTokens);

    let start = this.windowStart();
    // A request always holds the newest turn, even when the window was emptied ahead of it.
    if (!ahead) start = Math.min(start, Math.max(0, this.turns.length - 1));
    const total = (from: number): number => this.turns.slice(from).reduce((sum, turn) => sum + (this.costedText(turn).trim() ? cost(turn) : 0), 0);
    if (total(start) > budget) {
      // Drop the oldest turns until the rest fills at most KEEP_AFTER_TRIM of the budget (the
      // newest turn always stays), then start at a user turn. A newer summary replaces the one in
      // the window, which goes with the turns before it. Without a newer one, the summary stays
      // where it is when the window can keep the learner turn before it, else it moves to the end.
      // Never right after the system prompt: most chat templates join adjacent system messages,
      // and the turns after it could then not keep their KV cache.
      const target = budget * KEEP_AFTER_TRIM;
      const latest = this.latestSummary;
      const replacing = latest !== undefined && latest.throughId !== this.activeSummary?.throughId && this.turns.some((turn) => turn.id === latest.throughId);
      const summaryAnchor = this.summaryAnchor();
      let limit = this.turns.length - 1;
      if (!replacing && summaryAnchor >= start) {
        let keepFrom = summaryAnchor;
        while (keepFrom > start && this.turns[keepFrom]!.role !== 'user') keepFrom--;
        if (this.turns[keepFrom]!.role === 'user' && total(keepFrom) <= budget) limit = keepFrom;
      }
      let remaining = total(start);
      while (start < limit && (remaining > target || (replacing && start <= summaryAnchor))) {
        const turn = this.turns[start]!;
        if (this.costedText(turn).trim()) remaining -= cost(turn);
        start++;
      }
      // A window starts at a learner turn (never at a reply, a function call or its result).
      // Ahead of the next turn, when no learner turn is left, the window starts after the last turn.
      const last = ahead ? this.turns.length : this.turns.length - 1;
      while (start < last && this.turns[start]!.role !== 'user') start++;
      this.droppedTurns = start;
      this.windowStartsAfter = start === this.turns.length && start > 0;
      this.windowStartId = this.windowStartsAfter ? this.turns[start - 1]!.id : this.turns[start]?.id;
      for (const turn of this.turns.slice(0, start)) this.tokenCounts.delete(turn.id);
      // The newest summary of what was dropped joins the window after the newest kept turn (before
      // the newest user turn of a request); so does the old one when the turn before it was dropped.
      const moved = replacing ? latest : start > summaryAnchor ? this.activeSummary : undefined;
      if (moved) this.activeSummary = { text: moved.text, throughId: moved.throughId, afterId: this.turns.at(ahead ? -1 : -2)?.id };
    }

    const kept: ChatMessage[] = [];
    const summary = this.activeSummary;
    const summaryAnchor = this.summaryAnchor();
    let summaryPlaced = summary === undefined;
    for (const [offset, turn] of this.turns.slice(start).entries()) {
      if (!summaryPlaced && turn.role === 'user' && start + offset > summaryAnchor) {
        kept.push({ role: 'system', content: summaryContent(summary!.text) });
        summaryPlaced = true;
      }
      const content = this.contentOf(turn);
      if (turn.role === 'tool') {
        kept.push({ role: 'tool', content, ...(turn.toolCallId !== undefined ? { toolCallId: turn.toolCallId } : {}), ...(turn.name !== undefined ? { name: turn.name } : {}) });
        continue;
      }
      if (turn.toolCalls?.length) {
        // One response's text and function calls are one assistant message (OpenAI's chat shape).
        const previous = kept.at(-1);
        if (previous?.role === 'assistant') {
          previous.toolCalls = [...(previous.toolCalls ?? []), ...turn.toolCalls];
          if (content.trim()) previous.content = previous.content ? `${previous.content} ${content}` : content;
        } else {
          kept.push({ role: 'assistant', content, toolCalls: [...turn.toolCalls] });
        }
        continue;
      }
      if (!content.trim()) continue;
      const previous = kept.at(-1);
      if (turn.role === 'assistant' && previous?.role === 'assistant' && previous.toolCalls?.length && !previous.content) {
        previous.content = content;
        continue;
      }
      kept.push({ role: turn.role, content });
    }
    // A function call whose result never came (its response was cut, or the client did not answer)
    // is left out: chat APIs refuse a call without its result.
    const answered = new Set(kept.flatMap((message) => (message.role === 'tool' && message.toolCallId !== undefined ? [message.toolCallId] : [])));
    for (let index = kept.length - 1; index >= 0; index--) {
      const message = kept[index]!;
      if (!message.toolCalls) continue;
      message.toolCalls = message.toolCalls.filter((call) => answered.has(call.id));
      if (message.toolCalls.length === 0) delete message.toolCalls;
      if (!message.toolCalls && !message.content.trim()) kept.splice(index, 1);
    }
    if (!summaryPlaced) kept.push({ role: 'system', content: summaryContent(summary!.text) });
    // A window must not start with an orphan assistant (or tool) turn (the summary may come first).
    const firstTurn = (): number => kept.findIndex((message) => message.role !== 'system');
    for (let index = firstTurn(); index >= 0 && kept[index]!.role !== 'user' && kept.length > 1; index = firstTurn()) kept.splice(index, 1);
    return [{ role: 'system', content: this.systemPrompt }, ...kept];
  }

  /** Tokens the window's turns may fill: the context less the reply's room, the system prompt and the summary. */
  private budget(contextTokens: number, reserveTokens: number, countTokens: (text: string) => number): number {
    // Room for the larger of the summary in the window and the one that replaces it at the trim.
    const summaryTokens = Math.max(
      ...[this.activeSummary, this.latestSummary].map((summary) => (summary ? countTokens(summaryContent(summary.text)) + MESSAGE_OVERHEAD_TOKENS : 0)),
    );
    return contextTokens - reserveTokens - countTokens(this.systemPrompt) - MESSAGE_OVERHEAD_TOKENS - summaryTokens;
  }

  /** Index of the turn the summary follows; -1 when it opens the window (or there is none). */
  private summaryAnchor(): number {
    const afterId = this.activeSummary?.afterId;
    return afterId === undefined ? -1 : this.turns.findIndex((turn) => turn.id === afterId);
  }

  /** The summary now in the window, if any. */
  get summary(): ConversationSummary | undefined {
    return this.activeSummary && { text: this.activeSummary.text, throughId: this.activeSummary.throughId };
  }

  /**
   * The turns to summarize ahead of the next trim, or an empty list when it is not yet due (the
   * history fills less than {@link SUMMARIZE_AT} of the budget) or a summary already waits for it.
   * The caller summarizes them (with {@link summary}'s text as what came before) off the critical
   * path and hands the result to {@link setSummary}. Same `contextTokens` and options as
   * {@link messages}.
   */
  turnsToSummarize(contextTokens: number, options: WindowOptions = {}): ConversationTurn[] {
    const { reserveTokens = DEFAULT_RESERVE_TOKENS, countTokens = estimateTokens } = options;
    const budget = this.budget(contextTokens, reserveTokens, countTokens);
    const start = this.windowStart();
    const costs = this.turns.slice(start).map((turn) => (this.costedText(turn).trim() ? this.turnCost(turn, countTokens) : 0));
    let remaining = costs.reduce((sum, cost) => sum + cost, 0);
    if (remaining <= budget * SUMMARIZE_AT) return [];
    let end = start;
    while (end < this.turns.length - 1 && remaining > budget * SUMMARIZE_KEEP) remaining -= costs[end++ - start]!;
    const through = this.turns[end - 1];
    if (!through) return [];
    // One summary waits for the next trim at a time.
    if (this.latestSummary && this.latestSummary.throughId !== this.activeSummary?.throughId) return [];
    return this.turns.slice(start, end).filter((turn) => this.costedText(turn).trim());
  }

  /**
   * Records a summary of the turns through `throughId` (and of the summary before them); it joins
   * the window at the next trim.
   */
  setSummary(summary: ConversationSummary): void {
    this.latestSummary = summary;
  }

  /** Index of the window's first turn as it stands (sticky between calls; 0 when never trimmed). */
  private windowStart(): number {
    const index = this.windowStartId === undefined ? -1 : this.turns.findIndex((turn) => turn.id === this.windowStartId);
    return index < 0 ? 0 : index + (this.windowStartsAfter ? 1 : 0);
  }

  /** A turn's tokens in the window with the template's overhead (counted once per text). */
  private turnCost(turn: ConversationTurn, countTokens: (text: string) => number): number {
    const text = this.costedText(turn);
    const cached = this.tokenCounts.get(turn.id);
    if (cached?.text === text) return cached.tokens;
    const tokens = countTokens(text) + MESSAGE_OVERHEAD_TOKENS;
    this.tokenCounts.set(turn.id, { text, tokens });
    return tokens;
  }

  /** What a turn costs in the window: its content and its function calls. */
  private costedText(turn: ConversationTurn): string {
    const calls = turn.toolCalls?.map((call) => `${call.name}(${call.arguments})`).join(' ') ?? '';
    return calls ? `${this.contentOf(turn)} ${calls}` : this.contentOf(turn);
  }

  /** What the LLM sees of a turn: the reply's exact output when known, else its text. */
  private contentOf(turn: ConversationTurn): string {
    return turn.role === 'assistant' && turn.llmText !== undefined ? turn.llmText : turn.text;
  }
}

/** The system message that carries a summary of the turns no longer in the window. */
function summaryContent(text: string): string {
  return `Earlier in this conversation (a summary of turns no longer shown): ${text}`;
}
