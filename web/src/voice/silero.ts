/**
 * Loads Silero VAD v5 (the ONNX file shipped in @ricky0123/vad-web) on onnxruntime-web's WASM
 * backend. Both come from our own server: the Vite build copies `silero_vad_v5.onnx` and
 * onnxruntime-web's `ort-wasm-simd-threaded.{wasm,mjs}` into `dist/web/vad/` (see
 * web/vite.config.ts), so voice detection works offline and under the CSP
 * (`script-src 'self' 'wasm-unsafe-eval'`).
 *
 * Imported lazily (`import('./silero.js')`): the runtime is only downloaded when a voice mode is on.
 */
import * as ort from 'onnxruntime-web/wasm';
import { Silero } from '@ricky0123/vad-web/dist/models/silero.js';
import { log } from '@ricky0123/vad-web/dist/logging.js';
import type { SpeechModel } from './turn-detector.js';

/** Where the build puts the VAD's files, relative to the page. */
export const VAD_ASSET_DIR = 'vad/';
export const VAD_MODEL_FILE = 'silero_vad_v5.onnx';

export interface LoadedSpeechModel extends SpeechModel {
  release(): Promise<void>;
}

/** @param baseUrl absolute URL of the directory holding the model and the WASM files */
export async function loadSileroVad(baseUrl: string): Promise<LoadedSpeechModel> {
  // vad-web logs its progress with console.log; keep errors and warnings only.
  log.debug = () => undefined;
  ort.env.wasm.wasmPaths = baseUrl;
  // Threads need cross-origin isolation (SharedArrayBuffer); Silero is tiny: one thread is plenty.
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = 'error';
  const modelUrl = new URL(VAD_MODEL_FILE, baseUrl).href;
  return Silero.new(ort, async () => {
    const response = await fetch(modelUrl);
    if (!response.ok) throw new Error(`the voice detection model is missing (${modelUrl}: HTTP ${response.status})`);
    return response.arrayBuffer();
  });
}
