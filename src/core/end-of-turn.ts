/**
 * Semantic end-of-turn detection: from the sound of the last seconds of speech (words, intonation,
 * a trailing "and..."), how likely the speaker has finished their turn. A VAD only hears silence;
 * this tells a thinking pause from a finished sentence.
 */
import type { CallOptions } from './call-options.js';

/** Sample rate an end-of-turn model takes, Hz. */
export const END_OF_TURN_SAMPLE_RATE = 16_000;

export interface EndOfTurnModel {
  readonly provider: string;
  readonly modelId: string;
  /** Longest audio the model looks at, ms (older audio is ignored). */
  readonly windowMs: number;
  /**
   * P(the turn is complete), 0-1, for the end of an utterance.
   * @param audio mono float samples in [-1, 1] at 16 kHz, ending where the speaker went quiet
   * @throws EngineError when inference fails
   */
  predict(audio: Float32Array, options: CallOptions): Promise<number>;
}
