/**
 * The one place that decides the order of a conversation: learner turns (typed at once, spoken
 * once transcribed), responses (at most one producing at a time) and what each response leaves in
 * the history. The rules (pipecat's context aggregators keep the same invariants:
 * https://github.com/pipecat-ai/pipecat, `processors/aggregators/llm_response.py`):
 *
 * - A response's history entry is settled before the next learner turn is appended: a learner turn
 *   that arrives while a response is producing first cuts it, and the cut reply (what was produced,
 *   later narrowed to what was heard by a truncation) goes into the history before that turn.
 * - The response's end is reported (`responseDone`) only after its entry is settled and persisted,
 *   so a client that waits for `response.done` sees the history in its final order.
 * - The database is written through the hooks in the same order as the history.
 * - A response starts producing only after the previous one stopped every engine call and every
 *   committed utterance was transcribed; it answers the history as it is at that moment.
 *
 * Transport-free: the realtime session adapts it to the protocol.
 */
import { errorMessage } from '../core/errors.js';
import type { ToolCall } from '../core/llm.js';
import type { Conversation, ConversationTurn } from './conversation.js';
import { type CancelReason, type ResponseOutcome, ResponseHandle } from './response-handle.js';
import type { SideWorkScheduler } from './side-work.js';
import { spokenText } from './spoken-text.js';
import type { VoiceTurnResult } from './voice-turn.js';

/** Replies whose spoken chunks are kept for truncation. */
const TRUNCATABLE_REPLIES = 8;

/** After a barge-in, side work stays paused this long for the learner's turn to arrive, ms. */
const BARGE_IN_HOLD_MS = 4000;

/** What the dialogue tells its owner; every hook is called synchronously, in conversation order. */
export interface DialogueHooks {
  /** A learner turn has its text (typed: at once; spoken: once transcribed). Persist it. */
  userTurn(turn: ConversationTurn, source: 'typed' | 'spoken', speechMs?: number): void;
  /** A reply's history entry is settled. Persist it. */
  assistantTurn(turn: ConversationTurn, result: VoiceTurnResult | undefined): void;
  /** A reply was cut to what the learner heard. Persist the change. */
  truncated(turn: ConversationTurn): void;
  /** A response settled: report its end (`response.done`). */
  responseDone(handle: ResponseHandle, outcome: ResponseOutcome): void;
  /** A reply to `userTurn` settled (completed or cut): side work such as a correction card may follow. */
  answered(userTurn: ConversationTurn, handle: ResponseHandle): void;
}

/** Thrown for a learner item whose id is already in the conversation. */
export class DuplicateItemError extends Error {
  constructor(readonly itemId: string) {
    super(`An item with id "${itemId}" is already in the conversation.`);
    this.name = 'DuplicateItemError';
  }
}

/** Thrown for a function result whose call is not in the conversation. */
export class UnknownToolCallError extends Error {
  constructor(readonly callId: string) {
    super(`No function call with call_id "${callId}" is in the conversation.`);
    this.name = 'UnknownToolCallError';
  }
}

/** Options of {@link Dialogue.respond}. */
export interface RespondOptions {
  id: string;
  itemId: string;
  /** A line that needs no learner turn (a scenario's opening): never fails for a missing transcript. */
  scripted?: boolean;
  /**
   * Produces the reply once the waits are over: sends the protocol's start events, runs the voice
   * turn on the history as it is now (calling `handle.observe` for each of its events) and returns
   * its result.
   */
  run(handle: ResponseHandle): Promise<VoiceTurnResult>;
  /** Called (once) when the waits are over and the response starts producing. */
  onStart?(handle: ResponseHandle): void;
}

export class Dialogue {
  private activeHandle: ResponseHandle | null = null;
  /** Settles when every committed utterance has been transcribed (or failed). */
  private transcribing: Promise<void> = Promise.resolve();
  /** The last spoken learner turn could not be transcribed: a response to it has nothing to answer. */
  private lastInputFailed = false;
  /** Recent replies' handles, by item id, for truncation. */
  private readonly recent = new Map<string, ResponseHandle>();
  /** Truncations that arrived before their reply settled: item id -> audio end in ms. */
  private readonly pendingTruncations = new Map<string, number>();
  private closed = false;

  constructor(
    readonly conversation: Conversation,
    private readonly hooks: DialogueHooks,
    /** Output sample rate, to turn a truncation's ms into samples. */
    private readonly sampleRate: number,
    private readonly sideWork?: SideWorkScheduler,
  ) {}

  /** The response in progress (not yet settled), if any. */
  get active(): ResponseHandle | null {
    return this.activeHandle && !this.activeHandle.settled ? this.activeHandle : null;
  }

  /**
   * A typed learner turn: cuts the response in progress (its entry settles first), then appends.
   * @throws DuplicateItemError when `id` is already used
   */
  addTypedTurn(text: string, id?: string): ConversationTurn {
    if (id !== undefined && this.conversation.has(id)) throw new DuplicateItemError(id);
    this.cancel('turn_detected');
    this.lastInputFailed = false;
    const turn = this.conversation.add({ ...(id !== undefined ? { id } : {}), role: 'user', text });
    this.hooks.userTurn(turn, 'typed');
    return turn;
  }

  /**
   * A spoken learner turn: cuts the response in progress, appends a turn at once (its text comes
   * with the transcript) and transcribes in order with earlier utterances. A failed or empty
   * transcript removes the turn.
   * @throws DuplicateItemError when `id` is already used
   */
  addSpokenTurn(
    transcribe: () => Promise<string>,
    speechMs: number,
    callbacks: { transcribed(turn: ConversationTurn): void; failed(turn: ConversationTurn, error: unknown): void },
    id?: string,
  ): ConversationTurn {
    if (id !== undefined && this.conversation.has(id)) throw new DuplicateItemError(id);
    this.cancel('turn_detected');
    this.lastInputFailed = false;
    const turn = this.conversation.add({ ...(id !== undefined ? { id } : {}), role: 'user', text: '' });
    // Transcription is foreground work: side work must not slow it down.
    const endForeground = this.sideWork?.foreground();
    const transcription = this.transcribing.then(async () => {
      const text = await transcribe();
      if (!text) throw new Error("I couldn't hear any words. Please try again a little louder, or type your message.");
      return text;
    });
    this.transcribing = transcription.then(
      (text) => {
        if (this.closed) return;
        turn.text = text;
        this.hooks.userTurn(turn, 'spoken', speechMs);
        callbacks.transcribed(turn);
      },
      (error: unknown) => {
        if (this.closed) return;
        this.lastInputFailed = true;
        this.conversation.remove(turn);
        callbacks.failed(turn, error);
      },
    ).finally(() => endForeground?.());
    return turn;
  }

  /**
   * A function call the producing response made: in the history at once (before the response
   * settles), so that its result can follow it. The response's text, when it settles, goes before
   * its function calls, as the model produced them.
   */
  addToolCall(handle: ResponseHandle, call: ToolCall, itemId: string): ConversationTurn {
    const turn = this.conversation.add({ id: itemId, role: 'assistant', text: '', toolCalls: [call] });
    handle.toolCallItemIds.push(itemId);
    return turn;
  }

  /**
   * A function's result: appended to the history. Unlike a learner turn it does not cut the
   * response in progress (the call's response may still be speaking).
   * @throws DuplicateItemError when `id` is already used
   * @throws UnknownToolCallError when no function call in the conversation has `callId`
   */
  addToolOutput(callId: string, output: string, id?: string): ConversationTurn {
    if (id !== undefined && this.conversation.has(id)) throw new DuplicateItemError(id);
    const call = this.conversation.turns.flatMap((turn) => turn.toolCalls ?? []).find((candidate) => candidate.id === callId);
    if (!call) throw new UnknownToolCallError(callId);
    return this.conversation.add({ ...(id !== undefined ? { id } : {}), role: 'tool', text: output, toolCallId: callId, name: call.name });
  }

  /**
   * Starts a response. It waits for the previous response to stop and for pending transcripts,
   * then runs. Exactly one `responseDone` follows, after the history entry is settled.
   */
  respond(options: RespondOptions): ResponseHandle {
    const previous = this.activeHandle;
    const handle = new ResponseHandle(options.id, options.itemId);
    this.activeHandle = handle;
    void this.produce(handle, previous, options);
    return handle;
  }

  /**
   * Cuts the response in progress: aborts its engines and settles it now with what was produced.
   * @returns the handle cut, or null when none was in progress
   */
  cancel(reason: CancelReason): ResponseHandle | null {
    const handle = this.active;
    if (!handle) return null;
    handle.controller.abort();
    if (reason === 'turn_detected') this.sideWork?.hold(BARGE_IN_HOLD_MS);
    const text = handle.shownText.trim();
    this.settle(handle, { status: 'cancelled', reason, text: handle.shownText, turn: null }, text, handle.llmText);
    return handle;
  }

  /**
   * The learner heard only `audioEndMs` of reply `itemId`: its history entry keeps the words heard.
   * @returns false when no recent reply has that id
   */
  truncate(itemId: string, audioEndMs: number): boolean {
    const handle = this.recent.get(itemId);
    if (!handle) return false;
    this.pendingTruncations.set(itemId, audioEndMs);
    if (handle.settled) this.applyTruncation(handle);
    return true;
  }

  /** Resolves when every transcription and the current response have stopped all work. */
  async idle(): Promise<void> {
    await this.transcribing;
    await this.activeHandle?.finished;
  }

  /** Forgets recent replies (a new or resumed conversation). */
  forgetRecent(): void {
    this.recent.clear();
    this.pendingTruncations.clear();
  }

  /** The session is gone: cut the response, stop reporting. */
  close(): void {
    this.cancel('shutdown');
    this.closed = true;
  }

  private async produce(handle: ResponseHandle, previous: ResponseHandle | null, options: RespondOptions): Promise<void> {
    let endForeground: (() => void) | undefined;
    try {
      // The previous response must stop using the LLM's context before this one starts.
      await previous?.finished;
      await this.transcribing;
      if (handle.signal.aborted || this.closed) return;
      handle.started = true;
      handle.answers = this.conversation.turns.findLast((turn) => turn.role === 'user');
      this.remember(handle);
      options.onStart?.(handle);
      if (this.lastInputFailed && !options.scripted) {
        // The learner's words could not be transcribed (the failure was reported): nothing to answer.
        this.settle(handle, { status: 'failed', failure: 'transcription_failed', text: '', turn: null }, '', '');
        return;
      }
      endForeground = this.sideWork?.foreground();
      const result = await options.run(handle);
      if (handle.settled) return; // cut meanwhile: already settled with what was produced
      const status = result.status === 'cancelled' ? 'cancelled' : result.status;
      this.settle(
        handle,
        {
          status,
          ...(status === 'cancelled' ? { reason: 'client_cancelled' as const } : {}),
          ...(status === 'failed' ? { failure: 'llm_error' as const } : {}),
          text: result.text,
          turn: null,
          result,
          ...(result.usage ? { usage: result.usage } : {}),
        },
        result.replyText,
        result.llmText,
        status === 'completed',
      );
    } catch (error) {
      if (!handle.settled) {
        this.settle(handle, { status: 'failed', failure: 'server_error', text: errorMessage(error), turn: null }, handle.shownText.trim(), handle.llmText);
      }
    } finally {
      endForeground?.();
      handle.markFinished();
      if (this.activeHandle === handle) this.activeHandle = null;
    }
  }

  /**
   * Decides the response's history entry, persists it, applies a truncation that came early,
   * then reports the end. Runs once per response.
   */
  private settle(handle: ResponseHandle, outcome: ResponseOutcome, replyText: string, llmText: string, completed = false): void {
    if (handle.settled) return;
    let turn: ConversationTurn | null = null;
    // A reply that only called functions said nothing: its calls are its history entries.
    if (handle.started && (replyText || (completed && handle.toolCallItemIds.length === 0))) {
      turn = this.conversation.add(
        {
          id: handle.itemId,
          role: 'assistant',
          text: replyText,
          interrupted: !completed,
          ...(llmText && llmText !== replyText ? { llmText } : {}),
        },
        handle.toolCallItemIds[0],
      );
    }
    handle.outcome = { ...outcome, turn };
    if (turn) {
      this.hooks.assistantTurn(turn, outcome.result);
      this.applyTruncation(handle);
    }
    if (!this.closed) this.hooks.responseDone(handle, handle.outcome);
    if (handle.answers && handle.started && outcome.failure !== 'transcription_failed' && !this.closed) this.hooks.answered(handle.answers, handle);
  }

  private applyTruncation(handle: ResponseHandle): void {
    const audioEndMs = this.pendingTruncations.get(handle.itemId);
    const turn = handle.outcome?.turn;
    if (audioEndMs === undefined || !turn) return;
    this.pendingTruncations.delete(handle.itemId);
    turn.text = spokenText(handle.chunks.filter(Boolean), (audioEndMs / 1000) * this.sampleRate);
    turn.interrupted = true;
    delete turn.llmText;
    this.hooks.truncated(turn);
  }

  private remember(handle: ResponseHandle): void {
    this.recent.set(handle.itemId, handle);
    while (this.recent.size > TRUNCATABLE_REPLIES) this.recent.delete(this.recent.keys().next().value!);
  }
}
