/**
 * The session's input audio: the `input_audio_buffer` of the OpenAI Realtime API. With
 * `turn_detection: null` the client appends audio and commits it; with `server_vad` every append
 * goes through a streaming VAD that reports speech start and stop, and a stop commits the utterance.
 * Audio is PCM16 mono 24 kHz; an utterance is capped at `MAX_UTTERANCE_MS`.
 */
import { REALTIME_SAMPLE_RATE } from '../../core/audio.js';
import { DEFAULT_VAD_SETTINGS, type StreamingVad, type VadSettings } from '../../core/vad.js';

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
}

export type InputAudioEvent =
  | { type: 'speech-started'; audioStartMs: number }
  | { type: 'speech-stopped'; audioEndMs: number; audio: Int16Array };

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

  constructor(
    private readonly createVad: (settings: VadSettings) => Promise<StreamingVad>,
    private readonly onEvent: (event: InputAudioEvent) => void,
    private readonly onError: (error: unknown) => void,
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
    for (const event of await vad.push(samples)) this.onEvent(event);
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
