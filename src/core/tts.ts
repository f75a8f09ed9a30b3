/**
 * The TTS interface: text in, mono PCM16 audio chunks out, at the engine's own sample rate.
 */
import type { AudioChunk } from './audio.js';
import type { CallOptions } from './call-options.js';

export interface Voice {
  id: string;
  name: string;
  /** BCP 47 tag, e.g. `en-US`, `en-GB`. */
  language: string;
  gender?: 'female' | 'male';
}

export interface SynthesizeOptions extends CallOptions {
  voice?: string;
  /** Speaking rate multiplier, 0.5-2.0, 1 = normal. */
  speed?: number;
}

export interface TTS {
  readonly provider: string;
  readonly modelId: string;
  /** Sample rate of the chunks `synthesize` yields, Hz. */
  readonly sampleRate: number;
  voices(): Voice[];
  readonly defaultVoice: string;
  /**
   * Synthesizes one chunk of text. Stops quietly on abort.
   * @throws EngineError on failure
   */
  synthesize(text: string, options: SynthesizeOptions): AsyncIterable<AudioChunk>;
  /** Optional warm-up (load weights, phonemizer) so the first reply is not slowed by it. */
  prepare?(): Promise<void>;
  dispose?(): Promise<void>;
}

/** Speed range every TTS accepts (Kokoro's range). */
export const MIN_SPEED = 0.5;
export const MAX_SPEED = 2.0;
