/**
 * TTS engine over Kokoro-82M through kokoro-js 1.2 (hexgrad's model, ONNX export
 * `onnx-community/Kokoro-82M-v1.0-ONNX`), run on the CPU by onnxruntime-node. 24 kHz mono.
 *
 * The model loads from a local directory only: the model manager downloads the Hub files there
 * first. Voices (style vectors) ship inside the kokoro-js package and are read from disk;
 * phonemes come from kokoro-js's own eSpeak NG WASM (`phonemizer`): nothing touches the network.
 *
 * kokoro-js and transformers.js are imported lazily, on `load`, so a process that speaks with
 * another engine never loads onnxruntime.
 */
import { access, stat } from 'node:fs/promises';
import path from 'node:path';

import type { KokoroTTS, TextSplitterStream } from 'kokoro-js';

import { floatToPcm16, type AudioChunk } from '../../core/audio.js';
import { EngineError, ModelLoadError, errorMessage } from '../../core/errors.js';
import { MAX_SPEED, MIN_SPEED, type SynthesizeOptions, type TTS, type Voice } from '../../core/tts.js';

/** The Hub repository the files come from (https://huggingface.co/onnx-community/Kokoro-82M-v1.0-ONNX). */
export const KOKORO_MODEL_ID = 'onnx-community/Kokoro-82M-v1.0-ONNX';

/** Kokoro's output sample rate, Hz (kokoro-js returns `RawAudio` at 24,000). */
export const KOKORO_SAMPLE_RATE = 24_000;

/** The weights variants kokoro-js can select, and the file each loads (https://huggingface.co/onnx-community/Kokoro-82M-v1.0-ONNX). */
export const KOKORO_DTYPE_FILES = {
  fp32: 'onnx/model.onnx',
  fp16: 'onnx/model_fp16.onnx',
  q8: 'onnx/model_quantized.onnx',
  q4: 'onnx/model_q4.onnx',
  q4f16: 'onnx/model_q4f16.onnx',
} as const;

export type KokoroDtype = keyof typeof KOKORO_DTYPE_FILES;

/** Files every variant needs besides its ONNX file. */
export const KOKORO_SHARED_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json'] as const;

export interface KokoroTTSOptions {
  /**
   * The model directory: `config.json`, `tokenizer.json`, `tokenizer_config.json` and
   * `onnx/<file for dtype>`, e.g. `<modelsDir>/onnx-community/Kokoro-82M-v1.0-ONNX`.
   */
  modelDir: string;
  /** Weights variant; default `q8` (`onnx/model_quantized.onnx`, 92 MB, the fastest on CPU). */
  dtype?: KokoroDtype;
  /** Voice used when a call names none; one of `kokoroVoices()`. Default `af_heart`. */
  defaultVoice?: string;
  /** `modelId` to report; default `KOKORO_MODEL_ID`. */
  modelId?: string;
}

type KokoroVoiceTable = KokoroTTS['voices'];
type KokoroVoiceId = keyof KokoroVoiceTable;

let voiceTable: KokoroVoiceTable | undefined;

/**
 * The English voices shipped in kokoro-js (28 in 1.2): ids `a?_*` are American English, `b?_*`
 * British; `?f_` female, `?m_` male. Loads kokoro-js (not the model) on first call.
 */
export async function kokoroVoices(): Promise<Voice[]> {
  if (!voiceTable) {
    const { KokoroTTS: KokoroClass } = await import('kokoro-js');
    // kokoro-js exports its voice table only through the instance getter `voices`, which reads
    // module state and not `this`: call it without loading a model.
    const getter = Object.getOwnPropertyDescriptor(KokoroClass.prototype, 'voices')?.get;
    voiceTable = getter?.call(undefined) as KokoroVoiceTable | undefined;
    if (!voiceTable) throw new EngineError('kokoro', 'kokoro-js exposes no voice table');
  }
  return toVoices(voiceTable);
}

function toVoices(table: KokoroVoiceTable): Voice[] {
  const voices: Voice[] = [];
  for (const [id, info] of Object.entries(table) as Array<[string, { name: string }]>) {
    const language = id.startsWith('a') ? 'en-US' : id.startsWith('b') ? 'en-GB' : undefined;
    if (!language) continue;
    const gender = id[1] === 'f' ? 'female' : id[1] === 'm' ? 'male' : undefined;
    voices.push({ id, name: info.name, language, ...(gender ? { gender } : {}) });
  }
  return voices;
}

function clampSpeed(speed: number | undefined): number {
  return speed === undefined || !Number.isFinite(speed) ? 1 : Math.min(MAX_SPEED, Math.max(MIN_SPEED, speed));
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * Kokoro text-to-speech. Create with `KokoroTTSEngine.load`.
 *
 * @example
 * const tts = await KokoroTTSEngine.load({ modelDir: path.join(modelsDir, KOKORO_MODEL_ID) });
 * for await (const chunk of tts.synthesize('Nice to meet you.', { signal, voice: 'bf_emma' })) play(chunk);
 */
export class KokoroTTSEngine implements TTS {
  readonly provider = 'kokoro';
  readonly modelId: string;
  readonly sampleRate = KOKORO_SAMPLE_RATE;
  readonly defaultVoice: string;
  readonly dtype: KokoroDtype;
  readonly #kokoro: KokoroTTS;
  readonly #Splitter: typeof TextSplitterStream;
  readonly #voices: Voice[];
  /** Sentences run one at a time: two ONNX runs at once would only share the same cores. */
  #queue: Promise<void> = Promise.resolve();

  private constructor(
    kokoro: KokoroTTS,
    Splitter: typeof TextSplitterStream,
    options: Required<Omit<KokoroTTSOptions, 'modelDir'>>,
  ) {
    this.#kokoro = kokoro;
    this.#Splitter = Splitter;
    this.#voices = toVoices(kokoro.voices);
    this.modelId = options.modelId;
    this.dtype = options.dtype;
    this.defaultVoice = options.defaultVoice;
    this.#assertVoice(this.defaultVoice);
  }

  /**
   * Loads the tokenizer and the ONNX model from `options.modelDir` (local files only).
   * @throws ModelLoadError when the directory or a file is missing (`path` names it) or the model
   *   fails to load
   * @throws EngineError code `unknown_voice` when `defaultVoice` is not a Kokoro English voice
   */
  static async load(options: KokoroTTSOptions): Promise<KokoroTTSEngine> {
    const dtype = options.dtype ?? 'q8';
    const modelDir = path.resolve(options.modelDir);
    const modelFile = KOKORO_DTYPE_FILES[dtype];
    const catalogId = dtype === 'q8' ? 'kokoro-82m' : `kokoro-82m-${dtype}`;
    const fix =
      `Run \`localchat models pull ${catalogId}\` (it downloads ${KOKORO_MODEL_ID}: ${modelFile}, ` +
      `${KOKORO_SHARED_FILES.join(', ')}) so the files are in ${modelDir}, or use the espeak TTS engine.`;

    const directory = await stat(modelDir).catch(() => undefined);
    if (!directory?.isDirectory()) {
      throw new ModelLoadError(modelDir, `Kokoro model directory not found: ${modelDir}`, fix);
    }
    for (const file of [...KOKORO_SHARED_FILES, modelFile]) {
      const filePath = path.join(modelDir, file);
      if (!(await exists(filePath))) {
        throw new ModelLoadError(filePath, `Kokoro model file missing: ${filePath}`, fix);
      }
    }

    let kokoro: KokoroTTS;
    let Splitter: typeof TextSplitterStream;
    try {
      const [kokoroJs, { AutoTokenizer, StyleTextToSpeech2Model }] = await Promise.all([
        import('kokoro-js'),
        import('@huggingface/transformers'),
      ]);
      // What KokoroTTS.from_pretrained does, plus `local_files_only`: an absolute directory is
      // read as is (transformers.js joins `env.localModelPath` only to Hub-style ids), and no
      // file is ever fetched, without changing transformers.js's global `env`.
      const [model, tokenizer] = await Promise.all([
        StyleTextToSpeech2Model.from_pretrained(modelDir, { dtype, device: 'cpu', local_files_only: true }),
        AutoTokenizer.from_pretrained(modelDir, { local_files_only: true }),
      ]);
      kokoro = new kokoroJs.KokoroTTS(model, tokenizer);
      Splitter = kokoroJs.TextSplitterStream;
    } catch (error) {
      throw new ModelLoadError(
        path.join(modelDir, modelFile),
        `Could not load the Kokoro model from ${modelDir}: ${errorMessage(error)}`,
        `Delete ${modelDir} and run \`localchat models pull ${catalogId}\` again, or use the espeak TTS engine.`,
        { cause: error },
      );
    }
    return new KokoroTTSEngine(kokoro, Splitter, {
      dtype,
      defaultVoice: options.defaultVoice ?? 'af_heart',
      modelId: options.modelId ?? KOKORO_MODEL_ID,
    });
  }

  voices(): Voice[] {
    return this.#voices.map((voice) => ({ ...voice }));
  }

  /**
   * Warms up: speaks one short word and drops it, so the first real sentence does not pay for
   * loading kokoro-js's phonemizer WASM (~200 ms) and onnxruntime's first run.
   */
  async prepare(): Promise<void> {
    for await (const _chunk of this.synthesize('Hi.', { signal: new AbortController().signal })) {
      // Discarded: only the side effect of loading matters.
    }
  }

  /**
   * Synthesizes `text`, one 24 kHz PCM16 chunk per sentence (kokoro-js's sentence splitter; the
   * tokenizer truncates a sentence at 510 phonemes). Speed is clamped to 0.5-2.0.
   * The signal is checked before each sentence and after it (an ONNX run cannot be interrupted;
   * audio finished after an abort is dropped).
   * @throws EngineError code `unknown_voice` for a voice not in `voices()`; `kokoro` failures otherwise
   */
  async *synthesize(text: string, options: SynthesizeOptions): AsyncGenerator<AudioChunk> {
    const voice = options.voice ?? this.defaultVoice;
    this.#assertVoice(voice);
    const speed = clampSpeed(options.speed);
    const splitter = new this.#Splitter();
    splitter.push(text);
    splitter.close();
    for (const sentence of splitter) {
      if (options.signal.aborted) return;
      const audio = await this.#generate(sentence, voice as KokoroVoiceId, speed, options.signal);
      if (options.signal.aborted) return;
      if (audio && audio.length > 0) yield { samples: floatToPcm16(audio), sampleRate: KOKORO_SAMPLE_RATE };
    }
  }

  /** Runs one sentence after the previous ones; skips it when aborted while waiting. */
  async #generate(
    sentence: string,
    voice: KokoroVoiceId,
    speed: number,
    signal: AbortSignal,
  ): Promise<Float32Array | undefined> {
    const previous = this.#queue;
    let release = (): void => {};
    this.#queue = new Promise((resolve) => {
      release = resolve;
    });
    try {
      await previous;
      if (signal.aborted) return undefined;
      const audio = await this.#kokoro.generate(sentence, { voice, speed });
      return audio.audio;
    } catch (error) {
      throw new EngineError('kokoro', `Kokoro synthesis failed: ${errorMessage(error)}`, { cause: error });
    } finally {
      release();
    }
  }

  #assertVoice(voice: string): void {
    if (!this.#voices.some((known) => known.id === voice)) {
      const known = this.#voices.map((entry) => entry.id).join(', ');
      throw new EngineError('kokoro', `Unknown Kokoro voice "${voice}". Voices: ${known}.`, {
        code: 'unknown_voice',
      });
    }
  }

  /** Releases the ONNX session. */
  async dispose(): Promise<void> {
    await this.#kokoro.model.dispose();
  }
}
