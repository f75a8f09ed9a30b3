/**
 * Server-side voice activity detection with Silero VAD v5 (snakers4/silero-vad, MIT) on
 * onnxruntime-node, using the ONNX file shipped in `@ricky0123/vad-web` (the browser VAD's
 * package), so the server and the browser run the same model and nothing is downloaded.
 *
 * Audio comes in as PCM16 mono 24 kHz (the realtime rate), is converted to 16 kHz in 32 ms frames
 * (frame-downsampler.ts), and each frame gets a speech probability. Turn detection on those
 * probabilities follows Silero's own streaming `VADIterator` (silero-vad `utils_vad.py`): speech
 * starts above `threshold` and, once started, ends only after `silenceDurationMs` below
 * `threshold - 0.15` (the hysteresis of `VADIterator` and `get_speech_timestamps`, which uses
 * `max(threshold - 0.15, 0.01)`); a run that stays shorter than `minSpeechMs` is dropped, as
 * `get_speech_timestamps` drops segments under `min_speech_duration_ms`.
 *
 * The ONNX session is created once per process and model file and shared; each `SileroVad` keeps
 * its own recurrent state.
 */
import { access } from 'node:fs/promises';
import { createRequire } from 'node:module';

import type { InferenceSession, Tensor } from 'onnxruntime-node';

import { REALTIME_SAMPLE_RATE } from '../../core/audio.js';
import { ConfigError, EngineError, ModelLoadError, errorMessage } from '../../core/errors.js';
import { DEFAULT_VAD_SETTINGS, type StreamingVad, type VadEvent, type VadPauseEvent, type VadSettings } from '../../core/vad.js';

type AnyVadEvent = VadEvent | VadPauseEvent;
import {
  CONTEXT_SAMPLES,
  FRAME_MS,
  FRAME_SAMPLES,
  INPUT_FRAME_SAMPLES,
  INPUT_RATE,
  MODEL_RATE,
  downsampleFrames,
  framesReady,
} from './frame-downsampler.js';
import { PcmHistory } from './pcm-history.js';

/**
 * Silero's hysteresis: once speech has started, a frame counts as silence only below
 * `threshold - 0.15` (silero-vad `utils_vad.py`, `VADIterator.__call__` and
 * `get_speech_timestamps`, where the floor is 0.01).
 */
export const SILERO_HYSTERESIS = 0.15;
const MIN_NEGATIVE_THRESHOLD = 0.01;

/** Longest utterance by default, ms (padding included): Whisper hears at most 30 s at a time. */
export const DEFAULT_MAX_UTTERANCE_MS = 30_000;
/** Audio kept after the end of speech by default, ms, so a soft final consonant is not cut. */
export const DEFAULT_SUFFIX_PADDING_MS = 300;

/**
 * Silero v5 looks at 64 samples of the previous frame besides the 512 new ones (silero-vad
 * `OnnxWrapper.__call__`: `context_size = 64` at 16 kHz; vad-web's `models/silero.ts` does the same).
 */
const MODEL_CONTEXT_SAMPLES = 64;
/** Silero v5's recurrent state: float32 [2, 1, 128]. */
const STATE_SHAPE = [2, 1, 128] as const;
const STATE_SIZE = STATE_SHAPE[0] * STATE_SHAPE[1] * STATE_SHAPE[2];

const require = createRequire(import.meta.url);

/**
 * Path of the Silero VAD v5 ONNX file shipped in `@ricky0123/vad-web` (`dist/silero_vad_v5.onnx`,
 * 2.3 MB). Inputs: `input` float32 [1, 64 + 512] at 16 kHz, `state` float32 [2, 1, 128], `sr`
 * int64 scalar; outputs: `output` float32 [1, 1] (speech probability), `stateN` (next state).
 * @throws Error when the package is not installed
 */
export function sileroModelPath(): string {
  return require.resolve('@ricky0123/vad-web/dist/silero_vad_v5.onnx');
}

type OrtModule = typeof import('onnxruntime-node');

interface SileroModel {
  ort: OrtModule;
  session: InferenceSession;
}

const models = new Map<string, Promise<SileroModel>>();

/**
 * Loads (once per process and path) the Silero ONNX session, on one CPU thread: a 32 ms frame
 * takes ~0.1 ms, so more threads would only add scheduling.
 * @throws ModelLoadError when the file is missing or onnxruntime cannot load it
 */
export function loadSileroModel(modelPath: string = sileroModelPath()): Promise<SileroModel> {
  let model = models.get(modelPath);
  if (!model) {
    model = createModel(modelPath);
    models.set(modelPath, model);
    // A failed load is not cached: the next caller tries again (e.g. after a reinstall).
    model.catch(() => models.delete(modelPath));
  }
  return model;
}

async function createModel(modelPath: string): Promise<SileroModel> {
  const fix =
    'Reinstall the dependencies (`npm install`): the Silero VAD model ships in the @ricky0123/vad-web package.';
  try {
    await access(modelPath);
  } catch (error) {
    throw new ModelLoadError(modelPath, `Silero VAD model not found: ${modelPath}`, fix, { cause: error });
  }
  try {
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(modelPath, {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    for (const name of ['input', 'state', 'sr']) {
      if (!session.inputNames.includes(name)) {
        throw new Error(`not a Silero v5 model: inputs are ${session.inputNames.join(', ')}, expected input, state, sr`);
      }
    }
    return { ort, session };
  } catch (error) {
    throw new ModelLoadError(modelPath, `Could not load the Silero VAD model ${modelPath}: ${errorMessage(error)}`, fix, {
      cause: error,
    });
  }
}

/** Options of a `SileroVad` beyond the turn-detection settings. */
export interface SileroVadOptions {
  /** The Silero v5 ONNX file; default `sileroModelPath()`. */
  modelPath?: string;
  /**
   * Longest `audio` of one utterance, ms, prefix padding included (default 30,000: Whisper's
   * window; the padding takes at most half of it). Speech still going on at that point ends the
   * utterance there; if it goes on, it starts a new one (after `minSpeechMs` again).
   */
  maxUtteranceMs?: number;
  /** Audio kept after the end of speech, ms (default 300), within the silence that ended it. */
  suffixPaddingMs?: number;
}

type Phase =
  /** No speech. */
  | { type: 'silence' }
  /** Above threshold since `startFrame`, not yet for `minSpeechMs`. */
  | { type: 'candidate'; startFrame: number }
  /** A turn: started at `startFrame`, its audio begins at 24 kHz position `audioStart`. */
  | { type: 'speech'; startFrame: number; audioStart: number; silenceStartFrame: number | undefined; paused: boolean };

/**
 * Silero VAD over a 24 kHz PCM16 stream: `push` audio in pieces of any size and get
 * `speech-started` / `speech-stopped` events. Times are stream time in ms since creation or
 * `reset` (the count of samples pushed, not the wall clock), on a 32 ms frame grid.
 *
 * - Speech starts when the probability exceeds `threshold` and stays at or above
 *   `threshold - 0.15` for `minSpeechMs`; `speech-started` then reports the frame where it
 *   first exceeded the threshold. A shorter burst (cough, click, "uh") leaves no trace.
 * - Speech stops after `silenceDurationMs` below `threshold - 0.15` (a frame above `threshold`
 *   cancels the count); `speech-stopped` reports where that silence began, with the utterance:
 *   `prefixPaddingMs` before the start (never reaching into the previous utterance),
 *   `suffixPaddingMs` after the end, at 24 kHz.
 * - With `pauseMs` set, `pauseMs` of such silence inside a turn gives `speech-paused` (the
 *   utterance so far), and speech that comes back after it gives `speech-resumed`.
 * - An utterance's audio never exceeds `maxUtteranceMs`.
 *
 * Events come ~8 ms of audio after the frame that completes them (the resampler's look-ahead).
 * Pushes run in order, one at a time; `reset` also drops pushes still queued.
 *
 * @example
 * const vad = await createSileroVad({ silenceDurationMs: 900 });
 * for (const event of await vad.push(pcm24k)) if (event.type === 'speech-stopped') transcribe(event.audio);
 */
export class SileroVad implements StreamingVad {
  /** `push` takes PCM16 mono at 24 kHz. */
  readonly sampleRate = REALTIME_SAMPLE_RATE;
  readonly maxUtteranceMs: number;
  readonly suffixPaddingMs: number;
  readonly #model: SileroModel;
  readonly #sampleRateTensor: Tensor;
  #settings: VadSettings;
  #history = new PcmHistory();
  #state: Tensor;
  #modelContext = new Float32Array(MODEL_CONTEXT_SAMPLES);
  #nextFrame = 0;
  #phase: Phase = { type: 'silence' };
  /** 24 kHz position where the last utterance's audio ended: the next one starts no earlier. */
  #floor = 0;
  #lastProbability = 0;
  #generation = 0;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(model: SileroModel, settings: VadSettings, options: SileroVadOptions) {
    this.#model = model;
    this.#settings = settings;
    this.maxUtteranceMs = positive('maxUtteranceMs', options.maxUtteranceMs ?? DEFAULT_MAX_UTTERANCE_MS);
    this.suffixPaddingMs = nonNegative('suffixPaddingMs', options.suffixPaddingMs ?? DEFAULT_SUFFIX_PADDING_MS);
    this.#sampleRateTensor = new model.ort.Tensor('int64', BigInt64Array.from([BigInt(MODEL_RATE)]), []);
    this.#state = this.#newState();
  }

  /**
   * Loads the shared Silero session (first call only) and creates a detector.
   * @param settings turn-detection settings; missing ones from `DEFAULT_VAD_SETTINGS`
   * @throws ConfigError for a setting out of range; ModelLoadError when the model cannot be loaded
   */
  static async create(settings: Partial<VadSettings> = {}, options: SileroVadOptions = {}): Promise<SileroVad> {
    const merged = validSettings({ ...DEFAULT_VAD_SETTINGS, ...definedOnly(settings) });
    const model = await loadSileroModel(options.modelPath);
    return new SileroVad(model, merged, options);
  }

  /** The settings in force. */
  get settings(): VadSettings {
    return { ...this.#settings };
  }

  /** Speech probability (0-1) of the last frame analysed: for a level meter or logs. */
  get lastProbability(): number {
    return this.#lastProbability;
  }

  /**
   * Feeds mono PCM16 at 24 kHz (any length; copied). Resolves with the events completed by the
   * audio so far, in order; empty when the detector was reset meanwhile.
   * @throws EngineError (engine `silero-vad`) when onnxruntime fails on a frame
   */
  push(samples: Int16Array): Promise<VadEvent[]> {
    return this.pushDetailed(samples).then((events) => events.filter((event): event is VadEvent => event.type === 'speech-started' || event.type === 'speech-stopped'));
  }

  /**
   * As `push`, with `speech-paused` / `speech-resumed` (when `pauseMs` is set) in order among the others.
   * @throws EngineError (engine `silero-vad`) when onnxruntime fails on a frame
   */
  pushDetailed(samples: Int16Array): Promise<AnyVadEvent[]> {
    const generation = this.#generation;
    const copy = samples.slice(); // the caller may reuse its buffer before this push runs
    const run = this.#queue.then(() => this.#process(copy, generation));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Changes settings from the next frame on (e.g. a raised threshold while the reply plays).
   * Keys other than the `VadSettings` are ignored.
   * @throws ConfigError for a value out of range (nothing is changed then)
   */
  configure(settings: Partial<VadSettings>): void {
    this.#settings = validSettings({ ...this.#settings, ...definedOnly(settings) });
  }

  /** Forgets audio, model state and any turn in progress; stream time restarts at 0. */
  reset(): void {
    this.#generation += 1;
    this.#history.clear();
    this.#state = this.#newState();
    this.#modelContext = new Float32Array(MODEL_CONTEXT_SAMPLES);
    this.#nextFrame = 0;
    this.#phase = { type: 'silence' };
    this.#floor = 0;
    this.#lastProbability = 0;
  }

  async #process(samples: Int16Array, generation: number): Promise<AnyVadEvent[]> {
    const events: AnyVadEvent[] = [];
    if (generation !== this.#generation) return events;
    this.#history.append(samples);
    const count = framesReady(this.#history.end, this.#nextFrame);
    if (count === 0) return events;
    const frames = downsampleFrames(this.#history, this.#nextFrame, count);
    for (let i = 0; i < count; i++) {
      const probability = await this.#infer(frames.subarray(i * FRAME_SAMPLES, (i + 1) * FRAME_SAMPLES));
      if (generation !== this.#generation) return [];
      this.#lastProbability = probability;
      this.#step(this.#nextFrame, probability, events);
      this.#nextFrame += 1;
    }
    this.#history.discardBefore(this.#oldestNeeded());
    return events;
  }

  /** Runs Silero on one 512-sample frame; returns the speech probability. */
  async #infer(frame: Float32Array): Promise<number> {
    const { ort, session } = this.#model;
    const input = new Float32Array(MODEL_CONTEXT_SAMPLES + FRAME_SAMPLES);
    input.set(this.#modelContext, 0);
    input.set(frame, MODEL_CONTEXT_SAMPLES);
    this.#modelContext = input.slice(-MODEL_CONTEXT_SAMPLES);
    let output: InferenceSession.ReturnType;
    try {
      output = await session.run({
        input: new ort.Tensor('float32', input, [1, input.length]),
        state: this.#state,
        sr: this.#sampleRateTensor,
      });
    } catch (error) {
      throw new EngineError('silero-vad', `Silero VAD failed: ${errorMessage(error)}`, { cause: error });
    }
    this.#state = output.stateN as Tensor;
    return (output.output?.data as Float32Array | undefined)?.[0] ?? 0;
  }

  /** The turn-detection state machine, one frame at a time. */
  #step(frame: number, probability: number, events: AnyVadEvent[]): void {
    const { threshold, minSpeechMs, silenceDurationMs, prefixPaddingMs } = this.#settings;
    const pauseMs = this.#settings.pauseMs ?? 0;
    const negativeThreshold = Math.max(threshold - SILERO_HYSTERESIS, MIN_NEGATIVE_THRESHOLD);
    const frameEnd = (frame + 1) * INPUT_FRAME_SAMPLES;
    const phase = this.#phase;

    if (phase.type === 'silence' || phase.type === 'candidate') {
      let startFrame: number;
      if (phase.type === 'silence') {
        if (probability <= threshold) return;
        startFrame = frame;
      } else {
        if (probability < negativeThreshold) {
          this.#phase = { type: 'silence' };
          return;
        }
        startFrame = phase.startFrame;
      }
      if ((frame + 1 - startFrame) * FRAME_MS < minSpeechMs) {
        this.#phase = { type: 'candidate', startFrame };
        return;
      }
      const start = startFrame * INPUT_FRAME_SAMPLES;
      // Padding takes at most half the length budget, so the utterance always holds speech.
      const padding = Math.min(msToSamples(prefixPaddingMs), msToSamples(this.maxUtteranceMs / 2));
      const audioStart = Math.max(start - padding, this.#floor, this.#history.start, 0);
      this.#phase = { type: 'speech', startFrame, audioStart, silenceStartFrame: undefined, paused: false };
      events.push({ type: 'speech-started', audioStartMs: samplesToMs(start) });
      return;
    }

    if (probability >= threshold) {
      if (phase.paused && phase.silenceStartFrame !== undefined) {
        events.push({ type: 'speech-resumed', pauseMs: (frame - phase.silenceStartFrame) * FRAME_MS });
      }
      phase.paused = false;
      phase.silenceStartFrame = undefined;
    } else if (probability < negativeThreshold) phase.silenceStartFrame ??= frame;
    const maxEnd = phase.audioStart + msToSamples(this.maxUtteranceMs);
    const silenceMs = phase.silenceStartFrame === undefined ? 0 : (frame + 1 - phase.silenceStartFrame) * FRAME_MS;
    const speechEnd = (phase.silenceStartFrame ?? 0) * INPUT_FRAME_SAMPLES;
    const audioEnd = Math.min(speechEnd + msToSamples(this.suffixPaddingMs), frameEnd, maxEnd);

    if (phase.silenceStartFrame !== undefined && silenceMs >= silenceDurationMs) {
      this.#endUtterance(phase.audioStart, Math.min(speechEnd, audioEnd), audioEnd, events);
    } else if (frameEnd >= maxEnd) {
      this.#endUtterance(phase.audioStart, maxEnd, maxEnd, events);
    } else if (pauseMs > 0 && !phase.paused && phase.silenceStartFrame !== undefined && silenceMs >= pauseMs) {
      phase.paused = true;
      events.push({ type: 'speech-paused', audioEndMs: samplesToMs(Math.min(speechEnd, audioEnd)), audio: this.#history.read(phase.audioStart, audioEnd) });
    }
  }

  #endUtterance(audioStart: number, speechEnd: number, audioEnd: number, events: AnyVadEvent[]): void {
    events.push({ type: 'speech-stopped', audioEndMs: samplesToMs(speechEnd), audio: this.#history.read(audioStart, audioEnd) });
    this.#floor = audioEnd;
    this.#phase = { type: 'silence' };
  }

  /** The oldest 24 kHz position any later frame or utterance can still need. */
  #oldestNeeded(): number {
    const next = this.#nextFrame * INPUT_FRAME_SAMPLES;
    const phase = this.#phase;
    const prefix = msToSamples(this.#settings.prefixPaddingMs);
    if (phase.type === 'speech') return Math.min(phase.audioStart, next - CONTEXT_SAMPLES);
    const start = phase.type === 'candidate' ? phase.startFrame * INPUT_FRAME_SAMPLES : next;
    return Math.min(start - prefix, next - CONTEXT_SAMPLES);
  }

  #newState(): Tensor {
    return new this.#model.ort.Tensor('float32', new Float32Array(STATE_SIZE), [...STATE_SHAPE]);
  }
}

/**
 * Creates a Silero VAD for one 24 kHz stream (the shared ONNX session loads on first use).
 * @throws ConfigError for a setting out of range; ModelLoadError when the model cannot be loaded
 */
export function createSileroVad(settings: Partial<VadSettings> = {}, options: SileroVadOptions = {}): Promise<SileroVad> {
  return SileroVad.create(settings, options);
}

function msToSamples(ms: number): number {
  return Math.round((ms * INPUT_RATE) / 1000);
}

function samplesToMs(samples: number): number {
  return (samples * 1000) / INPUT_RATE;
}

function definedOnly(settings: Partial<VadSettings>): Partial<VadSettings> {
  const result: Partial<VadSettings> = {};
  for (const key of ['threshold', 'silenceDurationMs', 'prefixPaddingMs', 'minSpeechMs', 'pauseMs'] as const) {
    const value = settings[key];
    if (value !== undefined) result[key] = value;
  }
  return result;
}

function validSettings(settings: VadSettings): VadSettings {
  const { threshold } = settings;
  if (!Number.isFinite(threshold) || threshold <= 0 || threshold >= 1) {
    throw new ConfigError('vad.threshold', `The VAD threshold must be between 0 and 1 (exclusive), not ${threshold}.`);
  }
  return {
    threshold,
    silenceDurationMs: nonNegative('silenceDurationMs', settings.silenceDurationMs),
    prefixPaddingMs: nonNegative('prefixPaddingMs', settings.prefixPaddingMs),
    minSpeechMs: nonNegative('minSpeechMs', settings.minSpeechMs),
    ...(settings.pauseMs !== undefined ? { pauseMs: nonNegative('pauseMs', settings.pauseMs) } : {}),
  };
}

function nonNegative(key: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new ConfigError(`vad.${key}`, `vad.${key} must be a number >= 0, not ${value}.`);
  return value;
}

function positive(key: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new ConfigError(`vad.${key}`, `vad.${key} must be a number > 0, not ${value}.`);
  return value;
}
