/**
 * A speculative reply: when the learner goes quiet for a moment ("maybe done"), the utterance so
 * far is transcribed and answered (LLM and TTS) at once, but nothing of it goes anywhere: its
 * voice-turn events are buffered, nothing is added to the history, saved or corrected. Then
 *
 * - the turn is confirmed (the full thinking time passed): the response adopts it — the buffered
 *   events are replayed and the live ones follow, so the reply plays at once;
 * - the learner speaks again: it is dropped silently (its engine calls aborted; the LLM engine
 *   keeps the KV cache of the unchanged prefix by itself) and the resumed utterance is later
 *   transcribed whole.
 *
 * The idea is the "preemptive generation" of livekit/agents
 * (https://github.com/livekit/agents, `voice/agent_activity.py`, `preemptive_generation`) and
 * pipecat's speculative LLM runs on interim transcripts.
 */
import type { VoiceTurnEvent, VoiceTurnResult } from './voice-turn.js';

export interface SpeculationOptions {
  /** Transcribes the utterance so far. An empty or failed transcript leaves nothing to answer. */
  transcribe(signal: AbortSignal): Promise<string>;
  /**
   * Produces the reply to `text` as the learner's next turn (the history as it is now plus that
   * text), sending its events to `emit`; resolves with the voice turn's result.
   */
  reply(text: string, signal: AbortSignal, emit: (event: VoiceTurnEvent) => void): Promise<VoiceTurnResult>;
}

export type SpeculationState = 'running' | 'dropped' | 'adopted';

/** What a speculation cost, for logs and the turn-taking benchmark. */
export interface SpeculationStats {
  state: SpeculationState;
  /** Wall time from start to drop (or to now), ms. */
  wallMs: number;
  /** Process CPU time (all threads) while it ran, ms: an upper bound of its own cost. */
  cpuMs: number;
  /** Audio samples it had produced (buffered, never sent when dropped). */
  audioSamples: number;
}

export class Speculation {
  /** The transcript of the utterance so far; rejects when transcription failed. */
  readonly transcript: Promise<string>;
  /** The reply's result; null when there was nothing to answer or it was dropped before replying. */
  readonly result: Promise<VoiceTurnResult | null>;
  private readonly controller = new AbortController();
  private buffered: VoiceTurnEvent[] = [];
  private listener: ((event: VoiceTurnEvent) => void) | null = null;
  private stateValue: SpeculationState = 'running';
  private readonly startedAt = performance.now();
  private readonly cpuAtStart = process.cpuUsage();
  private endStats: { wallMs: number; cpuMs: number } | null = null;
  private audioSamples = 0;

  constructor(options: SpeculationOptions) {
    const { signal } = this.controller;
    this.transcript = options.transcribe(signal).then((text) => text.trim());
    // A failed transcript is for the one who adopts it to report; unadopted, it is nobody's error.
    this.transcript.catch(() => undefined);
    this.result = this.transcript.then(
      (text) => {
        if (!text || signal.aborted) return null;
        return options.reply(text, signal, (event) => this.deliver(event));
      },
      () => null,
    );
    this.result.catch(() => undefined);
  }

  get state(): SpeculationState {
    return this.stateValue;
  }

  /** Aborted (dropped, or the adopting response was cut). */
  get aborted(): boolean {
    return this.controller.signal.aborted;
  }

  /** Drops it: every engine call stops, the buffered events are forgotten, nothing is ever sent. */
  drop(): void {
    if (this.stateValue !== 'running') return;
    this.stateValue = 'dropped';
    this.buffered = [];
    this.endStats = this.measure();
    this.controller.abort();
  }

  /**
   * The turn is confirmed: replays the buffered events to `emit`, then forwards the live ones.
   * Aborting `signal` (the response was cut) aborts the speculation's engine calls.
   * @returns the voice turn's result; a `cancelled` one with no text when there was nothing to answer
   * @throws Error when it was dropped or adopted already
   */
  async adopt(signal: AbortSignal, emit: (event: VoiceTurnEvent) => void): Promise<VoiceTurnResult> {
    if (this.stateValue !== 'running') throw new Error(`A ${this.stateValue} speculation cannot be adopted.`);
    this.stateValue = 'adopted';
    const abort = () => this.controller.abort();
    if (signal.aborted) abort();
    signal.addEventListener('abort', abort, { once: true });
    for (const event of this.buffered) emit(event);
    this.buffered = [];
    this.listener = emit;
    try {
      const result = await this.result;
      return result ?? { status: 'cancelled', text: '', replyText: '', llmText: '', toolCalls: [], ttftMs: null, ttfaMs: null, totalMs: 0, audioSamples: 0 };
    } finally {
      signal.removeEventListener('abort', abort);
    }
  }

  /** Its cost so far (or until it was dropped). */
  stats(): SpeculationStats {
    return { state: this.stateValue, ...(this.endStats ?? this.measure()), audioSamples: this.audioSamples };
  }

  /** Resolves when its engine calls have all stopped. */
  async settled(): Promise<void> {
    await this.result.catch(() => undefined);
  }

  private deliver(event: VoiceTurnEvent): void {
    if (this.stateValue === 'dropped') return;
    if (event.type === 'audio') this.audioSamples += event.samples.length;
    if (this.listener) this.listener(event);
    else this.buffered.push(event);
  }

  private measure(): { wallMs: number; cpuMs: number } {
    const cpu = process.cpuUsage(this.cpuAtStart);
    return { wallMs: performance.now() - this.startedAt, cpuMs: (cpu.user + cpu.system) / 1000 };
  }
}

/** Counts over a session, for logs and the benchmark. */
export interface SpeculationCounts {
  started: number;
  adopted: number;
  dropped: number;
  /** Process CPU time while dropped speculations ran, ms (upper bound of their cost). */
  droppedCpuMs: number;
  /** Audio samples produced by dropped speculations: never sent, never stored. */
  droppedAudioSamples: number;
}

/**
 * At most one speculation at a time for one conversation. The owner starts one at a "maybe done"
 * moment, drops it when the learner speaks again or anything else starts a response, and takes it
 * when the turn is confirmed.
 */
export class SpeculativeTurns {
  private current: Speculation | null = null;
  private releaseForeground: (() => void) | null = null;
  private lastDropped: Promise<void> = Promise.resolve();
  readonly counts: SpeculationCounts = { started: 0, adopted: 0, dropped: 0, droppedCpuMs: 0, droppedAudioSamples: 0 };

  /** @param foreground marks foreground work (side work such as corrections waits); returns its end */
  constructor(private readonly foreground?: () => () => void) {}

  /** The running speculation, if any. */
  get running(): Speculation | null {
    return this.current?.state === 'running' ? this.current : null;
  }

  /** Resolves when every dropped speculation has stopped its engine calls. */
  get stopped(): Promise<void> {
    return this.lastDropped;
  }

  /** Starts a speculation (dropping any running one). */
  begin(options: SpeculationOptions): Speculation {
    this.drop();
    const speculation = new Speculation(options);
    this.current = speculation;
    this.counts.started += 1;
    const release = this.foreground?.();
    if (release) {
      this.releaseForeground = release;
      void speculation.settled().then(() => {
        if (this.current !== speculation || speculation.state !== 'running') return;
        // Finished and waiting for confirmation: side work may run meanwhile.
        this.release();
      });
    }
    return speculation;
  }

  /** Drops the running speculation silently (nothing of it is ever sent or stored). */
  drop(): void {
    const speculation = this.running;
    this.current = null;
    this.release();
    if (!speculation) return;
    speculation.drop();
    this.lastDropped = Promise.all([this.lastDropped, speculation.settled()]).then(() => undefined);
    const stats = speculation.stats();
    this.counts.dropped += 1;
    this.counts.droppedCpuMs += stats.cpuMs;
    this.counts.droppedAudioSamples += stats.audioSamples;
  }

  /** The turn is confirmed: the running speculation, for the response to adopt (null if none). */
  take(): Speculation | null {
    const speculation = this.running;
    this.current = null;
    this.release();
    if (speculation) this.counts.adopted += 1;
    return speculation;
  }

  private release(): void {
    this.releaseForeground?.();
    this.releaseForeground = null;
  }
}
