/**
 * The session's input audio: the `input_audio_buffer` of the OpenAI Realtime API. With
 * `turn_detection: null` the client appends audio and commits it; with `server_vad` every append
 * goes through a streaming VAD that reports speech start and stop, and a stop commits the utterance.
 * Audio is PCM16 mono 24 kHz; an utterance is capped at `MAX_UTTERANCE_MS`.
 */
import { REALTIME_SAMPLE_RATE } from '../../core/audio.js';
import { END_OF_TURN_SAMPLE_RATE, type EndOfTurnModel } from '../../core/end-of-turn.js';
import { DEFAULT_VAD_SETTINGS, type StreamingVad, type VadSettings } from '../../core/vad.js';
import { resample } from '../../audio/resample.js';

/** Longest utterance kept, in ms: a learner's turn rarely runs past 30 s; longer audio is cut. */
export const MAX_UTTERANCE_MS = 30_000;
const MAX_UTTERANCE_SAMPLES = (MAX_UTTERANCE_MS / 1000) * REALTIME_SAMPLE_RATE;
/** VAD threshold while the reply plays, so the tutor's own voice (echo) does not start a turn. */
const PLAYBACK_THRESHOLD_RAISE = 0.3;

export interface TurnDetection extends VadSettings {
  /** Start a response when an utterance ends. */
  createResponse: boolean;
  /** Cancel the response in progress when speech starts (barge-in). */
  interruptResponse: boolean;
  /**
   * With an end-of-turn model: the longest silence that ends a turn the model says is not done, ms
   * (the turn then waits past `silenceDurationMs` up to this).
   */
  maxSilenceMs?: number;
}

/** P(turn complete) at or above which an end-of-turn model ends the turn at once. */
export const END_OF_TURN_DONE = 0.5;

export type InputAudioEvent =
  | { type: 'speech-started'; audioStartMs: number }
  | { type: 'speech-stopped'; audioEndMs: number; audio: Int16Array }
  /** `pauseMs` of silence inside a turn: the learner may be done (`audio`: the utterance so far). */
  | { type: 'speech-paused'; audioEndMs: number; audio: Int16Array; endOfTurn?: number }
  /** Speech came back after `speech-paused`; `pauseMs`: how long the pause was. */
  | { type: 'speech-resumed'; pauseMs: number };

export class InputAudioError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class InputAudio {
  private buffered: Int16Array[] = [];
  private bufferedSamples = 0;
  private overflowReported = false;
  private vad: StreamingVad | null = null;
  private detection: TurnDetection | null = null;
  private queue: Promise<void> = Promise.resolve();
  private playback = false;
  /** The silence that ends a turn was changed for this pause by the end-of-turn model. */
  private silenceOverridden = false;

  constructor(
    private readonly createVad: (settings: VadSettings) => Promise<StreamingVad>,
    private readonly onEvent: (event: InputAudioEvent) => void,
    private readonly onError: (error: unknown) => void,
    /** Semantic end of turn (e.g. Smart Turn), asked at each pause; null: silence alone decides. */
    private readonly endOfTurn: () => EndOfTurnModel | null = () => null,
  ) {}

  get turnDetection(): TurnDetection | null {
    return this.detection;
  }

  /**
   * Sets server-side turn detection (null: the client commits).
   * @throws when the VAD cannot be loaded
   */
  async configure(detection: Partial<TurnDetection> | null): Promise<void> {
    if (detection === null) {
      this.detection = null;
      this.vad = null;
      return;
    }
    const settings: TurnDetection = { ...DEFAULT_VAD_SETTINGS, createResponse: true, interruptResponse: true, ...this.detection, ...definedOnly(detection) };
    if (!this.vad) this.vad = await this.createVad(settings);
    else this.vad.configure(settings);
    this.detection = settings;
    this.applyThreshold();
  }

  /**
   * Adds base64 PCM16 audio.
   * @throws InputAudioError `invalid_audio` for bad base64 or an odd byte count
   */
  append(base64: string): void {
    const bytes = Buffer.from(base64, 'base64');
    if (bytes.length === 0 && base64.length > 0) throw new InputAudioError('invalid_audio', 'The audio is not valid base64.');
    if (bytes.length % 2 !== 0) {
      throw new InputAudioError('invalid_audio', 'The audio must be PCM16 (2 bytes a sample), mono, 24 kHz, little-endian, base64-encoded.');
    }
    const samples = new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    if (this.vad) {
      const vad = this.vad;
      this.queue = this.queue.then(() => this.feed(vad, samples)).catch((error: unknown) => this.onError(error));
      return;
    }
    const room = MAX_UTTERANCE_SAMPLES - this.bufferedSamples;
    if (room <= 0 || samples.length > room) {
      if (room > 0) this.push(samples.subarray(0, room));
      if (!this.overflowReported) {
        this.overflowReported = true;
        throw new InputAudioError('input_audio_too_long', `An utterance is limited to ${MAX_UTTERANCE_MS / 1000} s; the audio after that was dropped. Commit it and speak again.`);
      }
      return;
    }
    this.push(samples);
  }

  /** A copy of the buffered audio, left in place (a client's "maybe done" moment). */
  peek(): Int16Array {
    return concat(this.buffered, this.bufferedSamples);
  }

  /** Takes the buffered audio (client-committed turns). Empty when nothing was appended. */
  take(): Int16Array {
    const audio = concat(this.buffered, this.bufferedSamples);
    this.clear();
    return audio;
  }

  clear(): void {
    this.buffered = [];
    this.bufferedSamples = 0;
    this.overflowReported = false;
    this.vad?.reset();
  }

  /** The reply is playing: raise the VAD threshold against echo; restore it after. */
  setPlayback(active: boolean): void {
    this.playback = active;
    this.applyThreshold();
  }

  /** Resolves when every appended frame has gone through the VAD. */
  async drained(): Promise<void> {
    await this.queue;
  }

  private applyThreshold(): void {
    if (!this.vad || !this.detection) return;
    const threshold = this.playback ? Math.min(0.95, this.detection.threshold + PLAYBACK_THRESHOLD_RAISE) : this.detection.threshold;
    this.vad.configure({ threshold });
  }

  private async feed(vad: StreamingVad, samples: Int16Array): Promise<void> {
    if (vad !== this.vad) return;
    const events = vad.pushDetailed ? await vad.pushDetailed(samples) : await vad.push(samples);
    for (const event of events) {
      if (vad !== this.vad) return;
      if (event.type === 'speech-paused') {
        const probability = await this.askEndOfTurn(vad, event.audio);
        this.onEvent(probability === undefined ? event : { ...event, endOfTurn: probability });
        continue;
      }
      if (this.silenceOverridden) {
        // The pause is over (speech resumed or the turn ended): the usual thinking time again.
        this.silenceOverridden = false;
        if (this.detection) vad.configure({ silenceDurationMs: this.detection.silenceDurationMs });
      }
      this.onEvent(event);
    }
  }

  /**
   * Asks the end-of-turn model about the utterance so far (the frames behind it wait meanwhile):
   * "done" ends the turn at the next frame; "not done" waits up to `maxSilenceMs`.
   * @returns P(turn complete), or undefined without a model (or when it failed: silence decides)
   */
  private async askEndOfTurn(vad: StreamingVad, audio: Int16Array): Promise<number | undefined> {
    const model = this.endOfTurn();
    const detection = this.detection;
    if (!model || !detection) return undefined;
    const windowSamples = Math.round((model.windowMs / 1000) * REALTIME_SAMPLE_RATE);
    const tail = audio.subarray(Math.max(0, audio.length - windowSamples));
    let probability: number;
    try {
      const pcm16k = resample(tail, REALTIME_SAMPLE_RATE, END_OF_TURN_SAMPLE_RATE);
      const floats = new Float32Array(pcm16k.length);
      for (let i = 0; i < pcm16k.length; i++) floats[i] = pcm16k[i]! / 32768;
      probability = await model.predict(floats, { signal: new AbortController().signal });
    } catch (error) {
      this.onError(error);
      return undefined;
    }
    if (vad !== this.vad) return probability;
    const silence = probability >= END_OF_TURN_DONE ? Math.min(detection.pauseMs ?? 0, detection.silenceDurationMs) : Math.max(detection.silenceDurationMs, detection.maxSilenceMs ?? detection.silenceDurationMs);
    vad.configure({ silenceDurationMs: silence });
    this.silenceOverridden = true;
    return probability;
  }

  private push(samples: Int16Array): void {
    this.buffered.push(samples);
    this.bufferedSamples += samples.length;
  }
}

function concat(parts: Int16Array[], total: number): Int16Array {
  const out = new Int16Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
