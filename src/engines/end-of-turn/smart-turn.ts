/**
 * Smart Turn v3 (pipecat-ai/smart-turn-v3, BSD-2-Clause) on onnxruntime-node: P(the speaker's
 * turn is complete) from the last 8 s of their audio, as Whisper log-mel features
 * (whisper-features.ts). Input `input_features` float32 [1, 80, 800]; output: one float32, the
 * probability (pipecat-ai/smart-turn `inference.py` reads `outputs[0][0]`, a sigmoid output).
 * An export that gives a logit (a value outside [0, 1]) is passed through a sigmoid.
 *
 * The model runs on one thread: a CPU inference takes ~10-100 ms (Smart Turn's README), and it
 * runs once per pause, while the turn is silent.
 */
import { access } from 'node:fs/promises';
import type { InferenceSession } from 'onnxruntime-node';
import type { CallOptions } from '../../core/call-options.js';
import type { EndOfTurnModel } from '../../core/end-of-turn.js';
import { EngineError, ModelLoadError, errorMessage } from '../../core/errors.js';
import { N_MELS, SMART_TURN_FRAMES, smartTurnFeatures } from './whisper-features.js';

/** The ONNX input Smart Turn v3 takes. */
export const SMART_TURN_INPUT = 'input_features';

export class SmartTurn implements EndOfTurnModel {
  readonly provider = 'smart-turn';
  readonly windowMs = 8000;

  private constructor(
    readonly modelId: string,
    private readonly ort: typeof import('onnxruntime-node'),
    private readonly session: InferenceSession,
  ) {}

  /**
   * Loads a Smart Turn v3 ONNX file.
   * @throws ModelLoadError when the file is missing, cannot be loaded, or lacks `input_features`
   */
  static async load(modelPath: string, modelId = 'smart-turn-v3.2'): Promise<SmartTurn> {
    const fix = 'Download it again with `localchat models pull smart-turn-v3.2`, or turn semantic end of turn off.';
    try {
      await access(modelPath);
    } catch (error) {
      throw new ModelLoadError(modelPath, `Smart Turn model not found: ${modelPath}`, fix, { cause: error });
    }
    try {
      const ort = await import('onnxruntime-node');
      const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
      if (!session.inputNames.includes(SMART_TURN_INPUT)) throw new Error(`not a Smart Turn v3 model: inputs are ${session.inputNames.join(', ')}, expected ${SMART_TURN_INPUT}`);
      return new SmartTurn(modelId, ort, session);
    } catch (error) {
      throw new ModelLoadError(modelPath, `Could not load the Smart Turn model ${modelPath}: ${errorMessage(error)}`, fix, { cause: error });
    }
  }

  /**
   * P(turn complete) for 16 kHz audio ending where the speaker went quiet.
   * @throws EngineError (engine `smart-turn`) when inference fails
   */
  async predict(audio: Float32Array, options: CallOptions): Promise<number> {
    const features = smartTurnFeatures(audio);
    if (options.signal.aborted) return 0;
    let output: InferenceSession.ReturnType;
    try {
      output = await this.session.run({ [SMART_TURN_INPUT]: new this.ort.Tensor('float32', features, [1, N_MELS, SMART_TURN_FRAMES]) });
    } catch (error) {
      throw new EngineError('smart-turn', `Smart Turn failed: ${errorMessage(error)}`, { cause: error });
    }
    return probabilityOf(output[this.session.outputNames[0]!]?.data);
  }
}

/** The model's first output value as a probability (a logit goes through a sigmoid). */
export function probabilityOf(data: unknown): number {
  const value = Number((data as ArrayLike<number> | undefined)?.[0] ?? Number.NaN);
  if (!Number.isFinite(value)) throw new EngineError('smart-turn', 'Smart Turn gave no probability.');
  return value >= 0 && value <= 1 ? value : 1 / (1 + Math.exp(-value));
}
