/**
 * Each reply's timeline, for the diagnostics page: when the learner stopped speaking, when the
 * turn end was decided (the utterance committed, or the message sent), when the transcript came,
 * the first token, the first clause (the first reply text that ends a clause: the first piece the
 * server can speak), the first audio and the start of playback — all on the page's
 * `performance.now()` clock — plus the server's own `localchat.response.metrics` (ms from the
 * end of the learner's turn as the server saw it).
 *
 * Fed by the realtime client (events sent and received), the voice controller (commits) and the
 * player (playback). Keeps the last `MAX_TURNS` turns.
 */
import type { ClientEvent, ServerEvent } from '../realtime/client.js';

export const STAGES = [
  { id: 'stopped', label: 'You stopped speaking' },
  { id: 'decided', label: 'Turn end decided' },
  { id: 'transcript', label: 'Transcript' },
  { id: 'firstToken', label: 'First token' },
  { id: 'firstClause', label: 'First clause' },
  { id: 'firstAudio', label: 'First audio' },
  { id: 'playback', label: 'Playback' },
] as const;

export type StageId = (typeof STAGES)[number]['id'];

export interface TurnTimeline {
  id: number;
  kind: 'spoken' | 'typed' | 'tutor';
  responseId: string | null;
  /** The reply's item, whose audio the player plays. */
  itemId: string | null;
  /** `performance.now()` of each stage seen. */
  stages: Partial<Record<StageId, number>>;
  /** The server's figures (`localchat.response.metrics`), ms from the end of the learner's turn. */
  server: { ttftMs: number | null; ttfaMs: number | null; totalMs: number; firstChunkMs?: number | null; transcribeMs?: number } | null;
  /** How the reply ended: completed, cancelled, failed; null while it runs. */
  outcome: string | null;
}

/** Turns kept. */
export const MAX_TURNS = 20;

/** A clause ends at , ; : . ! ? (followed by a space or the end), as a sentence chunker cuts. */
const CLAUSE_END = /[,;:.!?](\s|$)/;

type Listener = () => void;

export class TimelineRecorder {
  private turns: TurnTimeline[] = [];
  private snapshot: readonly TurnTimeline[] = [];
  private counter = 0;
  private readonly listeners = new Set<Listener>();
  /** Reply text so far, by response id (to find the first clause). */
  private readonly text = new Map<string, string>();

  getSnapshot = (): readonly TurnTimeline[] => this.snapshot;

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** The voice controller committed an utterance now; the learner stopped speaking at `stoppedAt`. */
  committed(stoppedAt: number, now = performance.now()): void {
    this.add({ kind: 'spoken', stages: { stopped: Math.min(stoppedAt, now), decided: now } });
  }

  clientEvent(event: ClientEvent, now = performance.now()): void {
    if (event.type === 'conversation.item.create') {
      const item = (event as { item?: { role?: string } }).item;
      if (item?.role === 'user') this.add({ kind: 'typed', stages: { decided: now } });
    }
  }

  serverEvent(event: ServerEvent, now = performance.now()): void {
    const fields = event as { response_id?: string; item_id?: string; delta?: string; response?: { id?: string; status?: string } };
    switch (event.type) {
      case 'conversation.item.input_audio_transcription.completed':
      case 'conversation.item.input_audio_transcription.failed': {
        // The oldest spoken turn still waiting for its transcript (its response may have started).
        const turn = this.turns.find((candidate) => candidate.kind === 'spoken' && candidate.stages.transcript === undefined && candidate.outcome === null);
        if (turn) this.patch(turn, { stages: { ...turn.stages, transcript: now } });
        break;
      }
      case 'response.created': {
        const id = fields.response?.id ?? null;
        if (!id) break;
        const turn = this.latest((candidate) => candidate.responseId === null && candidate.outcome === null);
        if (turn) this.patch(turn, { responseId: id });
        else this.add({ kind: 'tutor', responseId: id, stages: { decided: now } });
        break;
      }
      case 'response.output_audio_transcript.delta':
      case 'response.output_text.delta': {
        const turn = this.byResponse(fields.response_id);
        if (!turn) break;
        const text = (this.text.get(turn.responseId!) ?? '') + (fields.delta ?? '');
        this.text.set(turn.responseId!, text);
        const stages = { ...turn.stages };
        stages.firstToken ??= now;
        if (stages.firstClause === undefined && CLAUSE_END.test(text)) stages.firstClause = now;
        this.patch(turn, { stages, itemId: turn.itemId ?? fields.item_id ?? null });
        break;
      }
      case 'response.output_audio.delta': {
        const turn = this.byResponse(fields.response_id);
        if (turn && turn.stages.firstAudio === undefined) this.patch(turn, { stages: { ...turn.stages, firstAudio: now }, itemId: turn.itemId ?? fields.item_id ?? null });
        break;
      }
      case 'response.done': {
        const turn = this.byResponse(fields.response?.id);
        if (!turn) break;
        const text = this.text.get(turn.responseId!) ?? '';
        this.text.delete(turn.responseId!);
        // A reply shorter than a clause is spoken as one piece when it ends.
        const stages = { ...turn.stages };
        if (stages.firstClause === undefined && text.trim() && stages.firstToken !== undefined) stages.firstClause = now;
        this.patch(turn, { outcome: fields.response?.status ?? 'completed', stages });
        break;
      }
      case 'localchat.response.metrics': {
        const metrics = event as { response_id: string; ttft_ms: number | null; ttfa_ms: number | null; total_ms: number; first_chunk_ms?: number | null; transcribe_ms?: number };
        const turn = this.byResponse(metrics.response_id);
        if (turn) {
          this.patch(turn, {
            server: {
              ttftMs: metrics.ttft_ms,
              ttfaMs: metrics.ttfa_ms,
              totalMs: metrics.total_ms,
              ...(metrics.first_chunk_ms !== undefined ? { firstChunkMs: metrics.first_chunk_ms } : {}),
              ...(metrics.transcribe_ms !== undefined ? { transcribeMs: metrics.transcribe_ms } : {}),
            },
          });
        }
        break;
      }
      default:
        break;
    }
  }

  /** The player is playing `source` (an item id) now. */
  playing(source: string | null, now = performance.now()): void {
    if (!source) return;
    const turn = this.latest((candidate) => candidate.itemId === source);
    if (turn && turn.stages.playback === undefined) this.patch(turn, { stages: { ...turn.stages, playback: now } });
  }

  clear(): void {
    this.turns = [];
    this.publish();
  }

  private add(partial: Partial<TurnTimeline> & Pick<TurnTimeline, 'kind' | 'stages'>): void {
    this.turns = [...this.turns, { id: ++this.counter, responseId: null, itemId: null, server: null, outcome: null, ...partial }].slice(-MAX_TURNS);
    this.publish();
  }

  private latest(match: (turn: TurnTimeline) => boolean): TurnTimeline | undefined {
    for (let index = this.turns.length - 1; index >= 0; index--) {
      const turn = this.turns[index]!;
      if (match(turn)) return turn;
    }
    return undefined;
  }

  private byResponse(responseId: string | undefined): TurnTimeline | undefined {
    return responseId ? this.latest((turn) => turn.responseId === responseId) : undefined;
  }

  private patch(turn: TurnTimeline, change: Partial<TurnTimeline>): void {
    this.turns = this.turns.map((candidate) => (candidate === turn ? { ...candidate, ...change } : candidate));
    this.publish();
  }

  private publish(): void {
    this.snapshot = this.turns;
    for (const listener of this.listeners) listener();
  }
}

/** The page's one recorder. */
export const timeline = new TimelineRecorder();
