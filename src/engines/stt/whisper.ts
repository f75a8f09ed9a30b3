/**
 * Local speech recognition with OpenAI's Whisper (ONNX exports for transformers.js, default
 * `onnx-community/whisper-base.en`) through the `automatic-speech-recognition` pipeline of
 * `@huggingface/transformers` 3, on the CPU by onnxruntime-node. Moonshine exports
 * (`onnx-community/moonshine-tiny-ONNX`, `-base-ONNX`) have the same files and run through the
 * same pipeline.
 *
 * The model loads from a local directory only (`local_files_only`): the model manager downloads
 * the Hub files there first (src/models/stt-catalog.ts). Weights are the 8-bit quantized ONNX
 * files (`dtype: 'q8'`, file suffix `_quantized`): in Node transformers.js would otherwise pick
 * fp32, 4x larger and slower (the Hub repositories' file listings).
 *
 * transformers.js is imported lazily, on `load`, so a process that never transcribes never
 * loads it.
 */
import { access, stat } from 'node:fs/promises';
import path from 'node:path';

import type {
  AutomaticSpeechRecognitionOutput,
  AutomaticSpeechRecognitionPipeline,
  PretrainedModelOptions,
} from '@huggingface/transformers';

import { resampleOffLoop } from '../../audio/resample-off-loop.js';
import { pcm16ToFloat, type AudioChunk } from '../../core/audio.js';
import type { CallOptions } from '../../core/call-options.js';
import { EngineError, ModelLoadError, errorMessage } from '../../core/errors.js';
import type { STT, Transcript } from '../../core/stt.js';
import { throwIfAborted } from './abort.js';

/** The default model: Whisper base, English-only (74M parameters; q8 files ≈77 MB; MIT). */
export const WHISPER_DEFAULT_MODEL_ID = 'onnx-community/whisper-base.en';
/** The catalog id `localchat models pull` takes for the default model. */
export const WHISPER_DEFAULT_CATALOG_ID = 'whisper-base.en';

/** Whisper and Moonshine hear 16 kHz mono (their feature extractors' `sampling_rate`). */
export const WHISPER_SAMPLE_RATE = 16_000;
/** Whisper's window, s: longer audio is transcribed in overlapping 30 s chunks. */
const WHISPER_WINDOW_S = 30;
/** Overlap on each side of a chunk for long audio, s (transformers.js's default is chunk / 6). */
const WHISPER_STRIDE_S = 5;

/** transformers.js dtypes this engine offers, and the ONNX file suffix each loads. */
export const WHISPER_DTYPE_SUFFIXES = { q8: '_quantized', fp32: '', fp16: '_fp16', q4: '_q4' } as const;
export type WhisperDtype = keyof typeof WHISPER_DTYPE_SUFFIXES;

/** The files a transformers.js speech-to-text export needs at `dtype` (the Hub repositories' file listings). */
export function whisperModelFiles(dtype: WhisperDtype = 'q8'): string[] {
  const suffix = WHISPER_DTYPE_SUFFIXES[dtype];
  return [
    'config.json',
    'generation_config.json',
    'preprocessor_config.json',
    'tokenizer.json',
    'tokenizer_config.json',
    `onnx/encoder_model${suffix}.onnx`,
    `onnx/decoder_model_merged${suffix}.onnx`,
  ];
}

export interface WhisperSTTOptions {
  /**
   * The model directory, laid out like the Hub repository: `config.json`,
   * `generation_config.json`, `preprocessor_config.json`, `tokenizer.json`,
   * `tokenizer_config.json`, `onnx/encoder_model_quantized.onnx`,
   * `onnx/decoder_model_merged_quantized.onnx`; e.g. `<modelsDir>/onnx-community/whisper-base.en`.
   */
  modelDir: string;
  /** `modelId` to report; default `WHISPER_DEFAULT_MODEL_ID`. */
  modelId?: string;
  /** Catalog id named in the fix of a ModelLoadError (`localchat models pull <id>`); default `whisper-base.en`. */
  catalogId?: string;
  /** Weights variant; default `q8`. */
  dtype?: WhisperDtype;
  /**
   * Language of speech for multilingual Whisper models when a call names none, as ISO 639-1
   * (`en`) or an English name (`english`); default `en`. English-only (`.en`) and Moonshine models
   * ignore it.
   */
  language?: string;
}

type AsrPipeline = AutomaticSpeechRecognitionPipeline;

/**
 * Whisper (or Moonshine) speech-to-text. Create with `WhisperSTT.load`.
 *
 * @example
 * const stt = await WhisperSTT.load({ modelDir: path.join(modelsDir, WHISPER_DEFAULT_MODEL_ID) });
 * const { text } = await stt.transcribe({ samples, sampleRate: 24_000 }, { signal });
 */
export class WhisperSTT implements STT {
  readonly provider = 'whisper';
  readonly modelId: string;
  /** The model's `model_type`: `whisper` (also `lite-whisper`) or `moonshine`. */
  readonly modelType: string;
  /** True for a multilingual Whisper model (its generation config's `is_multilingual`): `language` applies. */
  readonly multilingual: boolean;
  readonly defaultLanguage: string;
  readonly #pipeline: AsrPipeline;
  /** Utterances run one at a time: two ONNX runs at once would only share the same cores. */
  #queue: Promise<void> = Promise.resolve();

  private constructor(pipeline: AsrPipeline, options: { modelId: string; language: string }) {
    this.#pipeline = pipeline;
    this.modelId = options.modelId;
    this.defaultLanguage = options.language;
    const model = pipeline.model as unknown as {
      config: { model_type?: string };
      generation_config: { is_multilingual?: boolean } | null;
    };
    this.modelType = model.config.model_type ?? 'whisper';
    this.multilingual = this.modelType !== 'moonshine' && model.generation_config?.is_multilingual === true;
  }

  /**
   * Loads the tokenizer, feature extractor and ONNX encoder and decoder from `options.modelDir`
   * (local files only; nothing is fetched).
   * @throws ModelLoadError when the directory or a file is missing (`path` names it; `fix` says
   *   `localchat models pull <catalogId>`) or the model fails to load
   */
  static async load(options: WhisperSTTOptions): Promise<WhisperSTT> {
    const dtype = options.dtype ?? 'q8';
    const modelDir = path.resolve(options.modelDir);
    const modelId = options.modelId ?? WHISPER_DEFAULT_MODEL_ID;
    const catalogId = options.catalogId ?? WHISPER_DEFAULT_CATALOG_ID;
    const files = whisperModelFiles(dtype);
    const fix =
      `Run \`localchat models pull ${catalogId}\` (it downloads ${modelId}: ${files.join(', ')}) so the ` +
      `files are in ${modelDir}, or use another STT engine (a remote server, or the browser's speech recognition).`;

    const directory = await stat(modelDir).catch(() => undefined);
    if (!directory?.isDirectory()) {
      throw new ModelLoadError(modelDir, `Speech recognition model directory not found: ${modelDir}`, fix);
    }
    for (const file of files) {
      const filePath = path.join(modelDir, file);
      try {
        await access(filePath);
      } catch (error) {
        throw new ModelLoadError(filePath, `Speech recognition model file missing: ${filePath}`, fix, { cause: error });
      }
    }

    let asr: AsrPipeline;
    try {
      const { pipeline } = await import('@huggingface/transformers');
      // `pipeline`'s declared return type is a union over every task, too large for tsc to
      // check here: name the one task's type.
      const createPipeline = pipeline as unknown as (
        task: 'automatic-speech-recognition',
        model: string,
        options: PretrainedModelOptions,
      ) => Promise<AsrPipeline>;
      // An absolute directory is read as is (transformers.js joins `env.localModelPath` only to
      // Hub-style ids), and `local_files_only` means no file is ever fetched.
      asr = await createPipeline('automatic-speech-recognition', modelDir, { dtype, device: 'cpu', local_files_only: true });
    } catch (error) {
      throw new ModelLoadError(
        modelDir,
        `Could not load the speech recognition model from ${modelDir}: ${errorMessage(error)}`,
        `Delete ${modelDir} and run \`localchat models pull ${catalogId}\` again, or use another STT engine.`,
        { cause: error },
      );
    }
    return new WhisperSTT(asr, { modelId, language: options.language ?? 'en' });
  }

  /**
   * Transcribes one utterance: mono PCM16 at any rate, resampled to 16 kHz. Audio over 30 s is
   * transcribed in overlapping 30 s chunks (Whisper's window).
   *
   * The signal is checked before the work starts (also after waiting for an earlier call) and
   * after it ends; one utterance's transcription itself cannot be interrupted: transformers.js
   * takes no signal, so onnxruntime runs the encoder and every decoder step to the end.
   * @param options.language for multilingual Whisper models, the language spoken (ISO 639-1 or
   *   English name); default the engine's `defaultLanguage`. Ignored by English-only models.
   * @returns the text, trimmed (empty for empty audio), and the language: `en` for English-only
   *   models, otherwise the language asked for, as given
   * @throws AbortError (a DOMException; `isAbortError` is true) when the signal is aborted
   * @throws EngineError (engine `whisper`) when the model fails
   */
  async transcribe(audio: AudioChunk, options: CallOptions & { language?: string }): Promise<Transcript> {
    const { signal } = options;
    throwIfAborted(signal);
    const language = this.multilingual ? (options.language ?? this.defaultLanguage) : 'en';
    if (audio.samples.length === 0) return { text: '', language };

    const previous = this.#queue;
    let release = (): void => {};
    this.#queue = new Promise((resolve) => {
      release = resolve;
    });
    try {
      await previous;
      throwIfAborted(signal);
      // Off the event loop: ~11 ms per second of audio (a 10-minute upload: seconds).
      const input = pcm16ToFloat(await resampleOffLoop(audio.samples, audio.sampleRate, WHISPER_SAMPLE_RATE, { signal }));
      const long = input.length > WHISPER_WINDOW_S * WHISPER_SAMPLE_RATE;
      const output = await this.#run(input, {
        ...(this.modelType !== 'moonshine' && long ? { chunk_length_s: WHISPER_WINDOW_S, stride_length_s: WHISPER_STRIDE_S } : {}),
        ...(this.multilingual ? { language, task: 'transcribe' } : {}),
      });
      throwIfAborted(signal);
      return { text: output.text.trim(), language };
    } finally {
      release();
    }
  }

  async #run(input: Float32Array, options: Record<string, unknown>): Promise<AutomaticSpeechRecognitionOutput> {
    try {
      const output = await this.#pipeline(input, options);
      return Array.isArray(output) ? (output[0] ?? { text: '' }) : output;
    } catch (error) {
      throw new EngineError(this.provider, `Speech recognition failed (${this.modelId}): ${errorMessage(error)}`, { cause: error });
    }
  }

  /** Releases the ONNX sessions. */
  async dispose(): Promise<void> {
    await this.#pipeline.dispose();
  }
}
