/**
 * Supertonic's ONNX pipeline on onnxruntime-node: loading the four graphs, `tts.json` and
 * `unicode_indexer.json` from a model directory, and one inference (one chunk of text, batch 1).
 *
 * The recipe, names, dtypes and shapes follow Supertone's published example code
 * (github.com/supertone-inc/supertonic, MIT): `TextToSpeech._infer` and `sample_noisy_latent` in
 * `py/helper.py`, `_infer` and `sampleNoisyLatent` in `nodejs/helper.js`:
 * 1. `duration_predictor(text_ids int64 [B,T], style_dp f32 [B,8,16], text_mask f32 [B,1,T])`
 *    -> `duration` f32 [B], seconds; divided by the speed.
 * 2. `text_encoder(text_ids, style_ttl f32 [B,50,256], text_mask)` -> `text_emb` f32 [B,256,T].
 * 3. Noise N(0,1) f32 [B, latent_dim * chunk_compress_factor, L] (144 channels), with
 *    `wav_len = floor(duration * sample_rate)`, `L = ceil(wav_len / (base_chunk_size * chunk_compress_factor))`
 *    (3072 samples a frame at 44.1 kHz) and `latent_mask` f32 [B,1,L] (ones for batch 1).
 * 4. For step = 0..N-1: `vector_estimator(noisy_latent, text_emb, style_ttl, text_mask,
 *    latent_mask, total_step f32 [B] = N, current_step f32 [B] = step)` -> `denoised_latent`,
 *    which is the next step's `noisy_latent` (flow matching, N = the "quality" steps).
 * 5. `vocoder(latent)` -> `wav_tts` f32 [B, L * 3072], trimmed to `wav_len` samples (the
 *    examples trim when writing the file: `wav.slice(0, floor(sampleRate * duration))`).
 */
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';

import type { InferenceSession, Tensor } from 'onnxruntime-node';

import { ModelLoadError, errorMessage } from '../../core/errors.js';
import { fillGaussian, type UniformSource } from './supertonic-noise.js';
import type { SupertonicVoiceStyle } from './supertonic-style.js';

/** The four graphs, by role, and their paths in the model directory (same in v1, v2 and v3). */
export const SUPERTONIC_ONNX_FILES = {
  durationPredictor: 'onnx/duration_predictor.onnx',
  textEncoder: 'onnx/text_encoder.onnx',
  vectorEstimator: 'onnx/vector_estimator.onnx',
  vocoder: 'onnx/vocoder.onnx',
} as const;

export type SupertonicGraph = keyof typeof SUPERTONIC_ONNX_FILES;

/** Model configuration file (`ae.sample_rate`, `ae.base_chunk_size`, `ttl.*`). */
export const SUPERTONIC_CONFIG_FILE = 'onnx/tts.json';
/** Code point -> token id table, an array; -1 marks characters the model never saw. */
export const SUPERTONIC_INDEXER_FILE = 'onnx/unicode_indexer.json';

/**
 * Input names each graph takes and the output the pipeline reads, as Supertone's helpers feed
 * and read them (`dpOrt.run({ text_ids, style_dp, text_mask })` ... `vocoderResult.wav_tts`).
 */
export const SUPERTONIC_GRAPH_IO: Readonly<Record<SupertonicGraph, { inputs: readonly string[]; output: string }>> = {
  durationPredictor: { inputs: ['text_ids', 'style_dp', 'text_mask'], output: 'duration' },
  textEncoder: { inputs: ['text_ids', 'style_ttl', 'text_mask'], output: 'text_emb' },
  vectorEstimator: {
    inputs: ['noisy_latent', 'text_emb', 'style_ttl', 'text_mask', 'latent_mask', 'total_step', 'current_step'],
    output: 'denoised_latent',
  },
  vocoder: { inputs: ['latent'], output: 'wav_tts' },
};

/** The figures of `tts.json` the pipeline uses (44,100 / 512 / 6 / 24 in the published models). */
export interface SupertonicConfig {
  /** `ae.sample_rate`: output rate, Hz. */
  sampleRate: number;
  /** `ae.base_chunk_size`: waveform samples per autoencoder frame. */
  baseChunkSize: number;
  /** `ttl.chunk_compress_factor`: autoencoder frames per latent frame. */
  chunkCompressFactor: number;
  /** `ttl.latent_dim`: latent channels before compression (x chunk_compress_factor = 144). */
  latentDim: number;
}

type OrtModule = typeof import('onnxruntime-node');

/** A loaded model: its sessions (and which output each is read from), config and indexer. */
export interface SupertonicModel {
  readonly ort: OrtModule;
  readonly config: SupertonicConfig;
  /** `unicode_indexer.json`: `indexer[codePoint]` = token id, -1 when unknown. */
  readonly indexer: Int32Array;
  readonly sessions: Readonly<Record<SupertonicGraph, { session: InferenceSession; output: string }>>;
}

/** Options of {@link loadSupertonicModel}. */
export interface LoadSupertonicModelOptions {
  /** What a ModelLoadError tells the user to do (e.g. run `localchat models pull supertonic-2`). */
  fix: string;
  /** CPU threads per graph run; default onnxruntime's own choice (the physical core count). */
  intraOpNumThreads?: number;
}

/**
 * Loads `tts.json`, `unicode_indexer.json` and the four ONNX graphs from `modelDir`, checking
 * that each graph takes exactly the inputs the recipe feeds.
 * @throws ModelLoadError naming the first file that is missing, unreadable, malformed or not the
 *   expected graph
 */
export async function loadSupertonicModel(modelDir: string, options: LoadSupertonicModelOptions): Promise<SupertonicModel> {
  const { fix } = options;
  const files = [SUPERTONIC_CONFIG_FILE, SUPERTONIC_INDEXER_FILE, ...Object.values(SUPERTONIC_ONNX_FILES)];
  for (const file of files) {
    const filePath = path.join(modelDir, file);
    try {
      await access(filePath);
    } catch (error) {
      throw new ModelLoadError(filePath, `Supertonic model file missing: ${filePath}`, fix, { cause: error });
    }
  }
  const config = parseSupertonicConfig(await readText(path.join(modelDir, SUPERTONIC_CONFIG_FILE), fix), path.join(modelDir, SUPERTONIC_CONFIG_FILE), fix);
  const indexer = parseUnicodeIndexer(await readText(path.join(modelDir, SUPERTONIC_INDEXER_FILE), fix), path.join(modelDir, SUPERTONIC_INDEXER_FILE), fix);

  const ort = await import('onnxruntime-node');
  const sessionOptions: InferenceSession.SessionOptions = {
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    ...(options.intraOpNumThreads ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
  };
  const graphs = Object.keys(SUPERTONIC_ONNX_FILES) as SupertonicGraph[];
  const created = await Promise.allSettled(
    graphs.map((graph) => ort.InferenceSession.create(path.join(modelDir, SUPERTONIC_ONNX_FILES[graph]), sessionOptions)),
  );
  const failed = created.findIndex((result) => result.status === 'rejected');
  if (failed !== -1) {
    await Promise.allSettled(created.map((result) => (result.status === 'fulfilled' ? result.value.release() : undefined)));
    const filePath = path.join(modelDir, SUPERTONIC_ONNX_FILES[graphs[failed]!]);
    const reason = (created[failed] as PromiseRejectedResult).reason;
    throw new ModelLoadError(filePath, `Could not load ${filePath}: ${errorMessage(reason)}`, fix, { cause: reason });
  }
  const sessions = {} as Record<SupertonicGraph, { session: InferenceSession; output: string }>;
  graphs.forEach((graph, index) => {
    const session = (created[index] as PromiseFulfilledResult<InferenceSession>).value;
    sessions[graph] = { session, output: '' };
  });
  try {
    for (const graph of graphs) sessions[graph].output = checkGraph(graph, sessions[graph].session, path.join(modelDir, SUPERTONIC_ONNX_FILES[graph]), fix);
  } catch (error) {
    await Promise.allSettled(graphs.map((graph) => sessions[graph].session.release()));
    throw error;
  }
  return { ort, config, indexer, sessions };
}

/** Releases the four sessions. */
export async function releaseSupertonicModel(model: SupertonicModel): Promise<void> {
  await Promise.allSettled(Object.values(model.sessions).map(({ session }) => session.release()));
}

/**
 * Reads the figures the pipeline needs from `tts.json`.
 * @throws ModelLoadError when the text is not JSON or a figure is missing or not a positive integer
 */
export function parseSupertonicConfig(json: string, source: string, fix: string): SupertonicConfig {
  let document: { ae?: Record<string, unknown>; ttl?: Record<string, unknown> };
  try {
    document = JSON.parse(json) as typeof document;
  } catch (error) {
    throw new ModelLoadError(source, `Invalid Supertonic config ${source}: not valid JSON (${errorMessage(error)}).`, fix, { cause: error });
  }
  const figure = (section: 'ae' | 'ttl', key: string): number => {
    const value = document?.[section]?.[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
      throw new ModelLoadError(source, `Invalid Supertonic config ${source}: "${section}.${key}" must be a positive integer, got ${JSON.stringify(value)}.`, fix);
    }
    return value;
  };
  return {
    sampleRate: figure('ae', 'sample_rate'),
    baseChunkSize: figure('ae', 'base_chunk_size'),
    chunkCompressFactor: figure('ttl', 'chunk_compress_factor'),
    latentDim: figure('ttl', 'latent_dim'),
  };
}

/**
 * Parses `unicode_indexer.json`: an array of integers indexed by code point.
 * @throws ModelLoadError when it is not a JSON array of integers
 */
export function parseUnicodeIndexer(json: string, source: string, fix: string): Int32Array {
  let document: unknown;
  try {
    document = JSON.parse(json);
  } catch (error) {
    throw new ModelLoadError(source, `Invalid Supertonic unicode indexer ${source}: not valid JSON (${errorMessage(error)}).`, fix, { cause: error });
  }
  if (!Array.isArray(document) || !document.every((entry) => Number.isInteger(entry))) {
    throw new ModelLoadError(source, `Invalid Supertonic unicode indexer ${source}: expected an array of integers.`, fix);
  }
  return Int32Array.from(document as number[]);
}

/** Options of one {@link inferSupertonic} run. */
export interface SupertonicInferOptions {
  style: SupertonicVoiceStyle;
  /** Denoising steps N, 1-50 (checked by the caller). */
  steps: number;
  /** Speed factor the predicted duration is divided by (Supertone's default 1.05). */
  speed: number;
  /** Uniform source for the Box-Muller noise. */
  uniform: UniformSource;
  /** Checked before every graph run: an aborted run returns undefined. */
  signal: AbortSignal;
  /** Called after each denoising step with (steps done, N). */
  onStep?: (step: number, totalSteps: number) => void;
}

/** One synthesized chunk: float samples in [-1, 1] at `config.sampleRate`, and its duration. */
export interface SupertonicInferResult {
  /** `floor(sampleRate * duration)` samples (fewer only if the vocoder returned fewer). */
  wav: Float32Array;
  /** Seconds, after the speed division. */
  duration: number;
}

/**
 * Runs the recipe once for one chunk of indexed text (batch 1).
 * @param textIds token ids of the normalised text (`supertonicTextIds`), length T >= 1
 * @returns the audio, or undefined when `signal` was aborted before a graph run
 * @throws Error when onnxruntime fails or the duration predictor returns no positive finite duration
 */
export async function inferSupertonic(
  model: SupertonicModel,
  textIds: BigInt64Array,
  options: SupertonicInferOptions,
): Promise<SupertonicInferResult | undefined> {
  const { ort, config, sessions } = model;
  const { signal, steps } = options;
  const tokens = textIds.length;
  if (tokens === 0) throw new Error('the text has no character the model knows');
  const textIdsTensor = new ort.Tensor('int64', textIds, [1, tokens]);
  const textMask = new ort.Tensor('float32', new Float32Array(tokens).fill(1), [1, 1, tokens]);
  const styleTtl = new ort.Tensor('float32', options.style.ttl.data, options.style.ttl.dims);
  const styleDp = new ort.Tensor('float32', options.style.dp.data, options.style.dp.dims);

  if (signal.aborted) return undefined;
  const predicted = await output(sessions.durationPredictor, { text_ids: textIdsTensor, style_dp: styleDp, text_mask: textMask });
  const seconds = Number(predicted.data[0]);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`the duration predictor returned ${seconds} s`);
  const duration = seconds / options.speed;

  if (signal.aborted) return undefined;
  const textEmb = await output(sessions.textEncoder, { text_ids: textIdsTensor, style_ttl: styleTtl, text_mask: textMask });

  const wavLength = Math.floor(duration * config.sampleRate);
  const frameSamples = config.baseChunkSize * config.chunkCompressFactor;
  const frames = Math.max(1, Math.ceil(wavLength / frameSamples));
  const channels = config.latentDim * config.chunkCompressFactor;
  // Batch 1: the latent mask is all ones, so the masked noise is the noise itself.
  let latent: Tensor = new ort.Tensor('float32', fillGaussian(new Float32Array(channels * frames), options.uniform), [1, channels, frames]);
  const latentMask = new ort.Tensor('float32', new Float32Array(frames).fill(1), [1, 1, frames]);
  const totalStep = new ort.Tensor('float32', Float32Array.of(steps), [1]);
  for (let step = 0; step < steps; step++) {
    if (signal.aborted) return undefined;
    latent = await output(sessions.vectorEstimator, {
      noisy_latent: latent,
      text_emb: textEmb,
      style_ttl: styleTtl,
      text_mask: textMask,
      latent_mask: latentMask,
      total_step: totalStep,
      current_step: new ort.Tensor('float32', Float32Array.of(step), [1]),
    });
    options.onStep?.(step + 1, steps);
  }

  if (signal.aborted) return undefined;
  const wav = await output(sessions.vocoder, { latent });
  const samples = wav.data as Float32Array;
  return { wav: samples.subarray(0, Math.min(wavLength, samples.length)), duration };
}

async function output(
  graph: { session: InferenceSession; output: string },
  feeds: Record<string, Tensor>,
): Promise<Tensor> {
  const results = await graph.session.run(feeds);
  const tensor = results[graph.output];
  if (!tensor) throw new Error(`the graph returned no "${graph.output}"`);
  return tensor;
}

/**
 * Checks a session takes exactly the inputs the recipe feeds, and picks the output to read: the
 * recipe's name, else the first output (the Python helper reads `run(None, ...)[0]`).
 */
function checkGraph(graph: SupertonicGraph, session: InferenceSession, filePath: string, fix: string): string {
  const expected = SUPERTONIC_GRAPH_IO[graph];
  const missing = expected.inputs.filter((name) => !session.inputNames.includes(name));
  const unexpected = session.inputNames.filter((name) => !expected.inputs.includes(name));
  if (missing.length > 0 || unexpected.length > 0) {
    throw new ModelLoadError(
      filePath,
      `${filePath} is not a Supertonic ${graph} graph: its inputs are ${session.inputNames.join(', ')}; expected ${expected.inputs.join(', ')}.`,
      fix,
    );
  }
  const name = session.outputNames.includes(expected.output) ? expected.output : session.outputNames[0];
  if (!name) throw new ModelLoadError(filePath, `${filePath} has no outputs.`, fix);
  return name;
}

async function readText(file: string, fix: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new ModelLoadError(file, `Could not read ${file}: ${errorMessage(error)}`, fix, { cause: error });
  }
}
