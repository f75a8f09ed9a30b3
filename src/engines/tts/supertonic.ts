/**
 * TTS engine over Supertone's Supertonic (v1 `Supertone/supertonic`, v2 `Supertone/supertonic-2`
 * — the default, v3 `Supertone/supertonic-3`), run on the CPU by onnxruntime-node. 44.1 kHz mono;
 * the voice pipeline resamples to 24 kHz with its streaming resampler.
 *
 * Follows Supertone's published ONNX inference recipe, the example code in
 * github.com/supertone-inc/supertonic (MIT): `py/helper.py` and `nodejs/helper.js`
 * (`UnicodeProcessor`, `TextToSpeech.__call__` / `call`, `_infer`, `chunk_text`, `load_voice_style`):
 * - text: split into chunks of <= 300 characters at sentence ends (supertonic-text.ts), each
 *   normalised (NFKD, emoji removed, dashes/quotes/symbols mapped, final "." added, `<lang>…</lang>`
 *   for v2/v3) and indexed by code point through `onnx/unicode_indexer.json`;
 * - per chunk, duration predictor -> text encoder -> N flow-matching steps of the vector
 *   estimator from Gaussian noise -> vocoder, trimmed to `floor(44100 * duration)`
 *   (supertonic-inference.ts);
 * - chunks joined with 0.3 s of silence (`silence_duration = 0.3`).
 * Settings: denoising steps ("quality", 1-50, default 5 as in the examples; Supertone's SDK uses 8)
 * and speed (0.5-2.0, default 1.05 as in the examples).
 *
 * The weights (OpenRAIL-M) load from a local directory only, laid out like the Hub repository
 * (`onnx/…`, `voice_styles/…`): the model manager downloads them there first. Upstream announced
 * the repositories' archival; mirrors can be used through the catalog (src/models/tts-catalog.ts).
 * onnxruntime-node is imported on `load`, so a process that speaks with another engine never
 * loads it.
 */
import { access, stat } from 'node:fs/promises';
import path from 'node:path';

import { floatToPcm16, type AudioChunk } from '../../core/audio.js';
import { ConfigError, EngineError, ModelLoadError, errorMessage } from '../../core/errors.js';
import { MAX_SPEED, MIN_SPEED, type SynthesizeOptions, type TTS, type Voice } from '../../core/tts.js';
import {
  SUPERTONIC_CONFIG_FILE,
  SUPERTONIC_INDEXER_FILE,
  SUPERTONIC_ONNX_FILES,
  inferSupertonic,
  loadSupertonicModel,
  releaseSupertonicModel,
  type SupertonicModel,
} from './supertonic-inference.js';
import { mulberry32, type UniformSource } from './supertonic-noise.js';
import {
  SUPERTONIC_CORE_VOICE_IDS,
  SUPERTONIC_VOICE_IDS,
  loadVoiceStyle,
  supertonicVoice,
  type SupertonicVoiceStyle,
} from './supertonic-style.js';
import {
  SUPERTONIC_LANGUAGES,
  chunkSupertonicText,
  normalizeSupertonicText,
  supertonicMaxChunkLength,
  supertonicTextIds,
  type SupertonicVersion,
} from './supertonic-text.js';

export type { SupertonicVersion } from './supertonic-text.js';

/** Hub repository of each version (https://huggingface.co/Supertone). */
export const SUPERTONIC_REPOS: Readonly<Record<SupertonicVersion, string>> = {
  1: 'Supertone/supertonic',
  2: 'Supertone/supertonic-2',
  3: 'Supertone/supertonic-3',
};

/** Catalog id of each version, named in `localchat models pull <id>` (src/models/tts-catalog.ts). */
export const SUPERTONIC_CATALOG_IDS: Readonly<Record<SupertonicVersion, string>> = {
  1: 'supertonic-1',
  2: 'supertonic-2',
  3: 'supertonic-3',
};

/** Denoising steps: Supertone's limits (`MIN_TOTAL_STEP`/`MAX_TOTAL_STEP`) and the examples' default. */
export const SUPERTONIC_MIN_STEPS = 1;
export const SUPERTONIC_MAX_STEPS = 50;
export const SUPERTONIC_DEFAULT_STEPS = 5;
/** The examples' default speed (`speed = 1.05`): Supertonic's natural rate is a little slow. */
export const SUPERTONIC_DEFAULT_SPEED = 1.05;
/** Silence between long-text chunks, seconds (`silence_duration = 0.3`). */
export const SUPERTONIC_CHUNK_SILENCE_SECONDS = 0.3;

/** Options of {@link SupertonicTTSEngine.load}. */
export interface SupertonicTTSOptions {
  /**
   * The model directory, laid out like the Hub repository: `onnx/{duration_predictor,
   * text_encoder,vector_estimator,vocoder}.onnx`, `onnx/tts.json`, `onnx/unicode_indexer.json`,
   * `voice_styles/<voice>.json`; e.g. `<modelsDir>/Supertone/supertonic-2`.
   */
  modelDir: string;
  /** Model generation: 1 (no language tags), 2 (default) or 3. */
  version?: SupertonicVersion;
  /** Language tag wrapped around the text for v2/v3; one of `SUPERTONIC_LANGUAGES[version]`. Default `en`. */
  language?: string;
  /**
   * Voice ids to load from `voice_styles/<id>.json`. Default: F1-F5 and M1-M5 that exist, of which
   * F1, F2, M1 and M2 must. Voices named here must all exist.
   */
  voices?: readonly string[];
  /** Voice used when a call names none. Default `F1`. */
  defaultVoice?: string;
  /** Denoising steps ("quality"), integer 1-50. More is cleaner and slower. Default 5. */
  steps?: number;
  /**
   * Base speed, 0.5-2.0, that a call's `speed` multiplies (a call's 1 means this rate): the
   * predicted duration is divided by `speed x call speed`, clamped to 0.5-2.0. Default 1.05.
   */
  speed?: number;
  /**
   * Seed of the noise generator. When set, every `synthesize` call starts the noise from this
   * seed (the same text, voice and settings give the same audio: tests, benchmarks); when unset,
   * `Math.random` (as Supertone's Node helper).
   */
  seed?: number;
  /** CPU threads per graph run; default onnxruntime's choice. */
  intraOpNumThreads?: number;
  /** `modelId` to report; default the version's repository, e.g. `Supertone/supertonic-2`. */
  modelId?: string;
  /** Catalog id named in the "run `localchat models pull <id>`" fix; default `supertonic-<version>`. */
  catalogId?: string;
  /** Called after each denoising step with (steps done, total steps): progress, tests. */
  onDenoisingStep?: (step: number, totalSteps: number) => void;
}

/** The settings that can change after loading. */
export interface SupertonicSettings {
  /** Denoising steps, integer 1-50. */
  steps: number;
  /** Base speed, 0.5-2.0. */
  speed: number;
}

function checkSteps(steps: number): number {
  if (!Number.isInteger(steps) || steps < SUPERTONIC_MIN_STEPS || steps > SUPERTONIC_MAX_STEPS) {
    throw new ConfigError('steps', `Supertonic steps must be an integer from ${SUPERTONIC_MIN_STEPS} to ${SUPERTONIC_MAX_STEPS}, got ${steps}.`);
  }
  return steps;
}

function checkSpeed(speed: number): number {
  if (!Number.isFinite(speed) || speed < MIN_SPEED || speed > MAX_SPEED) {
    throw new ConfigError('speed', `Supertonic speed must be from ${MIN_SPEED} to ${MAX_SPEED}, got ${speed}.`);
  }
  return speed;
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
 * Supertonic text-to-speech. Create with `SupertonicTTSEngine.load`.
 *
 * @example
 * const tts = await SupertonicTTSEngine.load({ modelDir: path.join(modelsDir, 'Supertone/supertonic-2'), steps: 5 });
 * for await (const chunk of tts.synthesize('Nice to meet you.', { signal, voice: 'M1' })) play(chunk); // 44.1 kHz
 */
export class SupertonicTTSEngine implements TTS {
  readonly provider = 'supertonic';
  readonly modelId: string;
  /** `ae.sample_rate` of `tts.json`: 44,100 Hz for the published models. */
  readonly sampleRate: number;
  readonly defaultVoice: string;
  readonly version: SupertonicVersion;
  readonly language: string;
  readonly #model: SupertonicModel;
  readonly #styles: ReadonlyMap<string, SupertonicVoiceStyle>;
  readonly #voices: Voice[];
  readonly #seed: number | undefined;
  readonly #onStep: SupertonicTTSOptions['onDenoisingStep'];
  #settings: SupertonicSettings;
  /** Chunks run one at a time: two ONNX runs at once would only share the same cores. */
  #queue: Promise<void> = Promise.resolve();

  private constructor(
    model: SupertonicModel,
    styles: ReadonlyMap<string, SupertonicVoiceStyle>,
    options: {
      version: SupertonicVersion;
      language: string;
      defaultVoice: string;
      modelId: string;
      settings: SupertonicSettings;
      seed: number | undefined;
      onStep: SupertonicTTSOptions['onDenoisingStep'];
    },
  ) {
    this.#model = model;
    this.#styles = styles;
    this.version = options.version;
    this.language = options.language;
    this.modelId = options.modelId;
    this.sampleRate = model.config.sampleRate;
    this.#settings = options.settings;
    this.#seed = options.seed;
    this.#onStep = options.onStep;
    this.#voices = [...styles.keys()].map((id) => supertonicVoice(id, options.language));
    this.defaultVoice = options.defaultVoice;
  }

  /**
   * Loads the config, unicode indexer, voice styles and the four ONNX graphs from
   * `options.modelDir` (local files only).
   * @throws ConfigError for steps, speed or language out of range, or a default voice not loaded
   * @throws ModelLoadError when the directory or a file is missing (`path` names it; the fix says
   *   `localchat models pull supertonic-2`), a file is malformed, or a graph is not Supertonic's
   */
  static async load(options: SupertonicTTSOptions): Promise<SupertonicTTSEngine> {
    const version = options.version ?? 2;
    const language = options.language ?? 'en';
    if (!SUPERTONIC_LANGUAGES[version].includes(language)) {
      throw new ConfigError('language', `Supertonic v${version} has no language "${language}". Languages: ${SUPERTONIC_LANGUAGES[version].join(', ')}.`);
    }
    const settings = {
      steps: checkSteps(options.steps ?? SUPERTONIC_DEFAULT_STEPS),
      speed: checkSpeed(options.speed ?? SUPERTONIC_DEFAULT_SPEED),
    };
    const modelDir = path.resolve(options.modelDir);
    const repo = SUPERTONIC_REPOS[version];
    const catalogId = options.catalogId ?? SUPERTONIC_CATALOG_IDS[version];
    const fix =
      `Run \`localchat models pull ${catalogId}\` (it downloads ${repo}: ${Object.values(SUPERTONIC_ONNX_FILES).join(', ')}, ` +
      `${SUPERTONIC_CONFIG_FILE}, ${SUPERTONIC_INDEXER_FILE} and voice_styles/*.json) so the files are in ${modelDir}, ` +
      'or use another TTS engine.';

    const directory = await stat(modelDir).catch(() => undefined);
    if (!directory?.isDirectory()) {
      throw new ModelLoadError(modelDir, `Supertonic model directory not found: ${modelDir}`, fix);
    }
    const styles = await loadStyles(modelDir, options.voices, fix);
    const defaultVoice = options.defaultVoice ?? 'F1';
    if (!styles.has(defaultVoice)) {
      throw new ConfigError('voice', `Supertonic voice "${defaultVoice}" is not loaded. Voices: ${[...styles.keys()].join(', ')}.`);
    }
    const model = await loadSupertonicModel(modelDir, {
      fix,
      ...(options.intraOpNumThreads ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
    });
    return new SupertonicTTSEngine(model, styles, {
      version,
      language,
      defaultVoice,
      modelId: options.modelId ?? repo,
      settings,
      seed: options.seed,
      onStep: options.onDenoisingStep,
    });
  }

  voices(): Voice[] {
    return this.#voices.map((voice) => ({ ...voice }));
  }

  /** The current denoising steps and base speed. */
  get settings(): SupertonicSettings {
    return { ...this.#settings };
  }

  /**
   * Changes the denoising steps and/or base speed for the next chunks, without reloading.
   * @throws ConfigError when a value is out of range (nothing changes then)
   */
  updateSettings(settings: Partial<SupertonicSettings>): void {
    const steps = settings.steps === undefined ? this.#settings.steps : checkSteps(settings.steps);
    const speed = settings.speed === undefined ? this.#settings.speed : checkSpeed(settings.speed);
    this.#settings = { steps, speed };
  }

  /** Warms up: speaks one short word and drops it, so the first reply does not pay onnxruntime's first runs. */
  async prepare(): Promise<void> {
    for await (const _chunk of this.synthesize('Hi.', { signal: new AbortController().signal })) {
      // Discarded: only the side effect of warming up matters.
    }
  }

  /**
   * Synthesizes `text`: one 44.1 kHz PCM16 chunk per text chunk (<= 300 characters, split at
   * sentence ends), with 0.3 s of silence between chunks as a chunk of its own. `speed`
   * multiplies the base speed (the result is clamped to 0.5-2.0); the denoising steps are the
   * engine's setting. Blank text yields nothing.
   * The signal is checked before every graph run, so an abort stops within one denoising step
   * (a run itself cannot be interrupted); audio finished after an abort is dropped.
   * @throws EngineError code `unknown_voice` for a voice not in `voices()`; code
   *   `synthesis_failed` when onnxruntime fails
   */
  async *synthesize(text: string, options: SynthesizeOptions): AsyncGenerator<AudioChunk> {
    const voice = options.voice ?? this.defaultVoice;
    const style = this.#styles.get(voice);
    if (!style) {
      throw new EngineError('supertonic', `Unknown Supertonic voice "${voice}". Voices: ${[...this.#styles.keys()].join(', ')}.`, {
        code: 'unknown_voice',
      });
    }
    const callSpeed = options.speed === undefined || !Number.isFinite(options.speed) ? 1 : options.speed;
    const uniform = this.#seed === undefined ? Math.random : mulberry32(this.#seed);
    const pieces = chunkSupertonicText(text, supertonicMaxChunkLength(this.language));
    let first = true;
    for (const piece of pieces) {
      if (options.signal.aborted) return;
      const { steps, speed: baseSpeed } = this.#settings;
      const speed = Math.min(MAX_SPEED, Math.max(MIN_SPEED, baseSpeed * callSpeed));
      const wav = await this.#generate(piece, { style, steps, speed, uniform, signal: options.signal });
      if (!wav || options.signal.aborted) return;
      if (!first) {
        yield { samples: new Int16Array(Math.floor(SUPERTONIC_CHUNK_SILENCE_SECONDS * this.sampleRate)), sampleRate: this.sampleRate };
      }
      first = false;
      yield { samples: floatToPcm16(wav), sampleRate: this.sampleRate };
    }
  }

  /** Runs one chunk after the previous ones; undefined when aborted. */
  async #generate(
    piece: string,
    settings: { style: SupertonicVoiceStyle; steps: number; speed: number; uniform: UniformSource; signal: AbortSignal },
  ): Promise<Float32Array | undefined> {
    const previous = this.#queue;
    let release = (): void => {};
    this.#queue = new Promise((resolve) => {
      release = resolve;
    });
    try {
      await previous;
      if (settings.signal.aborted) return undefined;
      const normalized = normalizeSupertonicText(piece, { version: this.version, language: this.language });
      const textIds = supertonicTextIds(normalized, this.#model.indexer);
      const result = await inferSupertonic(this.#model, textIds, {
        ...settings,
        ...(this.#onStep ? { onStep: this.#onStep } : {}),
      });
      return result?.wav;
    } catch (error) {
      throw new EngineError('supertonic', `Supertonic synthesis failed: ${errorMessage(error)}`, {
        cause: error,
        code: 'synthesis_failed',
      });
    } finally {
      release();
    }
  }

  /** Releases the four ONNX sessions. */
  async dispose(): Promise<void> {
    await releaseSupertonicModel(this.#model);
  }
}

/** Loads the voice styles: the ones named (all required), or F1-F5/M1-M5 present with F1, F2, M1, M2 required. */
async function loadStyles(
  modelDir: string,
  voices: readonly string[] | undefined,
  fix: string,
): Promise<Map<string, SupertonicVoiceStyle>> {
  const required = new Set<string>(voices ?? SUPERTONIC_CORE_VOICE_IDS);
  const wanted = voices ?? SUPERTONIC_VOICE_IDS;
  const styles = new Map<string, SupertonicVoiceStyle>();
  for (const id of wanted) {
    if (!/^[\w-]+$/.test(id)) throw new ConfigError('voices', `"${id}" is not a voice style name (letters, digits, - and _ only).`);
    const file = path.join(modelDir, 'voice_styles', `${id}.json`);
    if (!(await exists(file))) {
      if (required.has(id)) throw new ModelLoadError(file, `Supertonic voice style missing: ${file}`, fix);
      continue;
    }
    styles.set(id, await loadVoiceStyle(file, fix));
  }
  return styles;
}
