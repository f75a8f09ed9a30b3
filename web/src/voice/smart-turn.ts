/**
 * Smart Turn v3 (pipecat-ai/smart-turn-v3) in the page, on onnxruntime-web's WASM backend: at a
 * "maybe done" pause, P(the learner finished their turn) from the last 8 s of their speech. The
 * features are the server's (src/engines/end-of-turn/whisper-features.ts: Whisper log-mel,
 * [80, 800]), so both runtimes see the same input.
 *
 * Imported lazily, like the VAD: the runtime and the model only load when the option is on.
 */
import * as ort from 'onnxruntime-web/wasm';
import { N_MELS, SMART_TURN_FRAMES, smartTurnFeatures } from '../../../src/engines/end-of-turn/whisper-features.js';

/** The ONNX input Smart Turn v3 takes. */
export const SMART_TURN_INPUT = 'input_features';

export interface PageSmartTurn {
  /** P(turn complete), 0-1, for 16 kHz float audio ending at the pause. */
  predict(audio: Float32Array): Promise<number>;
  release(): Promise<void>;
}

/**
 * Loads Smart Turn from its ONNX bytes.
 * @param wasmPaths where onnxruntime-web's WASM files are (the page's `vad/` directory)
 * @throws Error when the bytes are not a Smart Turn v3 model
 */
export async function loadSmartTurn(model: Uint8Array, wasmPaths?: string): Promise<PageSmartTurn> {
  if (wasmPaths) ort.env.wasm.wasmPaths = wasmPaths;
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = 'error';
  const session = await ort.InferenceSession.create(model);
  if (!session.inputNames.includes(SMART_TURN_INPUT)) {
    await session.release();
    throw new Error(`not a Smart Turn v3 model: inputs are ${session.inputNames.join(', ')}`);
  }
  return {
    async predict(audio: Float32Array): Promise<number> {
      const features = smartTurnFeatures(audio);
      const output = await session.run({ [SMART_TURN_INPUT]: new ort.Tensor('float32', features, [1, N_MELS, SMART_TURN_FRAMES]) });
      const value = Number((output[session.outputNames[0]!]?.data as ArrayLike<number> | undefined)?.[0] ?? Number.NaN);
      if (!Number.isFinite(value)) throw new Error('Smart Turn gave no probability.');
      return value >= 0 && value <= 1 ? value : 1 / (1 + Math.exp(-value));
    },
    release: () => session.release(),
  };
}
