/**
 * One response's lifecycle, owned by one object (the idea of livekit/agents' `SpeechHandle`:
 * https://github.com/livekit/agents-js/blob/main/agents/src/voice/speech_handle.ts):
 *
 *   waiting (for the previous response and the learner's transcript) -> producing -> settled
 *
 * `settled` means the response's history entry is decided (its full text, or what was produced or
 * heard when it was cut) and written: only then may the protocol say `response.done` and may the
 * next learner turn be appended. A cancel settles at once, synchronously, with what was produced by
 * then; the engines may still be stopping, which `finished` waits for.
 */
import type { Usage } from '../core/llm.js';
import type { ConversationTurn } from './conversation.js';
import type { SpokenChunk } from './spoken-text.js';
import type { VoiceTurnEvent, VoiceTurnResult } from './voice-turn.js';

/** Why a response was cut. */
export type CancelReason = 'turn_detected' | 'client_cancelled' | 'shutdown';

/** How a response ended; given once, when it settles. */
export interface ResponseOutcome {
  status: 'completed' | 'cancelled' | 'failed';
  /** For `cancelled`: who cut it. */
  reason?: CancelReason;
  /** For `failed`: `transcription_failed` (nothing to answer), `llm_error`, `server_error`. */
  failure?: 'transcription_failed' | 'llm_error' | 'server_error';
  /** Everything shown to the learner (the transcript), fallback message included. */
  text: string;
  /** The history entry, or null when nothing was said. */
  turn: ConversationTurn | null;
  /** The voice turn's own result, when it ran to its end before the response settled. */
  result?: VoiceTurnResult;
  usage?: Usage;
}

export class ResponseHandle {
  readonly controller = new AbortController();
  /** Spoken chunks (text + audio samples), for `conversation.item.truncate`. */
  readonly chunks: SpokenChunk[] = [];
  /** Filtered reply text produced so far. */
  shownText = '';
  /** The LLM's exact output so far. */
  llmText = '';
  /** Set once, when the response settles. */
  outcome: ResponseOutcome | null = null;
  /** Set when the producing phase started (after the waits). */
  started = false;
  /** Whether the reply is spoken (audio) or text only. */
  withAudio = true;
  /** Item ids of the function calls this response put in the history, in order. */
  readonly toolCallItemIds: string[] = [];
  /** Resolves when every engine call of this response has stopped. */
  readonly finished: Promise<void>;
  private resolveFinished!: () => void;

  constructor(
    readonly id: string,
    readonly itemId: string,
    /** The learner turn this response answers, if any (captured when it starts producing). */
    public answers: ConversationTurn | undefined = undefined,
  ) {
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get settled(): boolean {
    return this.outcome !== null;
  }

  /** Records what a voice-turn event says about the reply (text so far, chunk audio lengths). */
  observe(event: VoiceTurnEvent): void {
    if (this.settled) return;
    switch (event.type) {
      case 'text':
        this.shownText += event.text;
        return;
      case 'llm-text':
        this.llmText += event.text;
        return;
      case 'chunk':
        this.chunks[event.index] = { text: event.text, samples: 0 };
        return;
      case 'audio': {
        const chunk = this.chunks[event.chunkIndex];
        if (chunk) chunk.samples += event.samples.length;
        return;
      }
      default:
        return;
    }
  }

  /** Marks every engine call stopped (idempotent). */
  markFinished(): void {
    this.resolveFinished();
  }
}
