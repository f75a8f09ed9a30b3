/**
 * What the server needs from the engines: the active LLM and TTS, their status, and change
 * events. `EngineRegistry` builds it from config; tests build a `StaticEngineSet` from instances.
 */
import { EventEmitter } from 'node:events';
import type { EngineStatus } from '../core/engine-status.js';
import type { LLM } from '../core/llm.js';
import type { STT } from '../core/stt.js';
import type { TTS } from '../core/tts.js';
import type { StreamingVad, VadSettings } from '../core/vad.js';
import type { EndOfTurnModel } from '../core/end-of-turn.js';

/** A download in progress, as the model manager reports it. */
export interface DownloadProgress {
  model: string;
  file: string;
  downloadedBytes: number;
  totalBytes: number | null;
  bytesPerSecond: number;
  etaSeconds: number | null;
}

export interface EngineSetEvents {
  /** Some engine's status changed (or the active TTS switched). */
  status: [EngineStatus[]];
  download: [DownloadProgress];
}

export interface EngineSet extends EventEmitter<EngineSetEvents> {
  /** The LLM to use now. When none is usable, one whose stream fails with the reason. */
  llm(): LLM;
  /** The TTS to use now (e.g. eSpeak NG while Kokoro downloads). */
  tts(): TTS;
  /** The TTS to retry a failed chunk with, if any. */
  fallbackTts(): TTS | null;
  /** Every TTS engine usable now (for the UI's engine picker); `tts()` first. */
  ttsEngines(): TTS[];
  /** The STT for spoken input if it is loaded; null otherwise (the reason is in `status()`). */
  stt(): STT | null;
  /**
   * Loads the STT if it is not loaded yet (downloading its model first when needed) and resolves
   * with it, or null when it cannot be had (the reason is in `status()`).
   */
  prepareStt(): Promise<STT | null>;
  /** A new server-side VAD for one audio stream (`turn_detection: server_vad`). */
  createVad(settings: VadSettings): Promise<StreamingVad>;
  /** The semantic end-of-turn model (Smart Turn) if it is loaded; null or absent otherwise. */
  endOfTurn?(): EndOfTurnModel | null;
  status(): EngineStatus[];
  /** What to tell the learner to check when the LLM fails (engine-specific). */
  llmHint(): string;
  /** Record an engine failure seen during a turn so `/health` shows the cause. */
  reportFailure(kind: EngineStatus['kind'], error: unknown): void;
  /** Record that an engine worked again (clears a failure seen during an earlier turn). */
  reportSuccess(kind: EngineStatus['kind']): void;
  dispose(): Promise<void>;
}

/** An EngineSet over fixed instances: for tests, benchmarks and embedding. */
export class StaticEngineSet extends EventEmitter<EngineSetEvents> implements EngineSet {
  readonly failures: { kind: EngineStatus['kind']; error: unknown }[] = [];

  constructor(
    private readonly engines: {
      llm: LLM;
      tts: TTS;
      fallbackTts?: TTS | null;
      stt?: STT | null;
      vad?: (settings: VadSettings) => Promise<StreamingVad>;
      endOfTurn?: EndOfTurnModel | null;
      llmHint?: string;
    },
  ) {
    super();
    // Every realtime session listens for status and downloads (and stops when it closes).
    this.setMaxListeners(0);
  }
  llm(): LLM {
    return this.engines.llm;
  }
  tts(): TTS {
    return this.engines.tts;
  }
  fallbackTts(): TTS | null {
    return this.engines.fallbackTts ?? null;
  }
  stt(): STT | null {
    return this.engines.stt ?? null;
  }
  ttsEngines(): TTS[] {
    const fallback = this.engines.fallbackTts;
    return fallback && fallback !== this.engines.tts ? [this.engines.tts, fallback] : [this.engines.tts];
  }
  async prepareStt(): Promise<STT | null> {
    return this.stt();
  }
  createVad(settings: VadSettings): Promise<StreamingVad> {
    if (!this.engines.vad) return Promise.reject(new Error('This engine set has no VAD.'));
    return this.engines.vad(settings);
  }
  endOfTurn(): EndOfTurnModel | null {
    return this.engines.endOfTurn ?? null;
  }
  status(): EngineStatus[] {
    const { llm, tts } = this.engines;
    return [
      { kind: 'llm', provider: llm.provider, modelId: llm.modelId, state: 'ready' },
      { kind: 'tts', provider: tts.provider, modelId: tts.modelId, state: 'ready' },
    ];
  }
  llmHint(): string {
    return this.engines.llmHint ?? 'Please check the language model and try again.';
  }
  reportFailure(kind: EngineStatus['kind'], error: unknown): void {
    this.failures.push({ kind, error });
  }
  reportSuccess(_kind: EngineStatus['kind']): void {}
  async dispose(): Promise<void> {}
}
