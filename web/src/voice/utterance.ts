/**
 * Audio bookkeeping for a spoken turn, in 32 ms frames of PCM16 24 kHz:
 *
 * - `FrameRing`: the last few seconds of microphone frames by frame number, so an utterance can
 *   start before the moment it was recognised as speech (pre-speech padding, push-to-talk
 *   pre-roll) even though VAD decisions lag behind the audio.
 * - `UtteranceStream`: sends one utterance as it is spoken, in `input_audio_buffer.append`s of
 *   `batchFrames` frames at most (96 ms). Frames of silence are held back until speech resumes, so the thinking-time pause at
 *   the end of a turn is not sent (only `trailingFrames` of it).
 */
import { FRAME_MS, FRAME_SAMPLES } from '../audio/capture-dsp.js';

export class FrameRing {
  private readonly frames: (Int16Array | undefined)[];
  private newest = -1;

  constructor(readonly capacity: number) {
    this.frames = new Array<Int16Array | undefined>(capacity);
  }

  push(index: number, pcm: Int16Array): void {
    this.frames[index % this.capacity] = pcm;
    this.newest = Math.max(this.newest, index);
  }

  /** Frame `index`, if it is still held. */
  get(index: number): Int16Array | undefined {
    if (index < 0 || index > this.newest || index <= this.newest - this.capacity) return undefined;
    return this.frames[index % this.capacity];
  }

  /** Frames `from`..`to` (inclusive) that are still held, in order. */
  range(from: number, to: number): Int16Array[] {
    const frames: Int16Array[] = [];
    for (let index = Math.max(from, this.newest - this.capacity + 1, 0); index <= to; index++) {
      const frame = this.get(index);
      if (frame) frames.push(frame);
    }
    return frames;
  }

  clear(): void {
    this.frames.fill(undefined);
    this.newest = -1;
  }
}

export interface UtteranceStreamOptions {
  /** Frames per `append` batch while speaking (3 = 96 ms). */
  batchFrames: number;
  /** Silence frames kept at the end of the utterance. */
  trailingFrames: number;
}

export const DEFAULT_UTTERANCE_OPTIONS: UtteranceStreamOptions = { batchFrames: 3, trailingFrames: 8 };

export class UtteranceStream {
  private batch: Int16Array[] = [];
  private held: Int16Array[] = [];
  private sentSamples = 0;
  private ended = false;
  private readonly options: UtteranceStreamOptions;

  /** @param send called with each batch of PCM16 24 kHz samples, in order */
  constructor(
    private readonly send: (samples: Int16Array) => void,
    options: Partial<UtteranceStreamOptions> = {},
  ) {
    this.options = { ...DEFAULT_UTTERANCE_OPTIONS, ...options };
  }

  /** Samples passed to `send` so far. */
  get samples(): number {
    return this.sentSamples;
  }

  /** Samples held or batched, not yet sent. */
  get pendingSamples(): number {
    return [...this.batch, ...this.held].reduce((sum, frame) => sum + frame.length, 0);
  }

  /** Duration sent so far plus what `end()` would still send, ms. */
  get durationMs(): number {
    const trailing = this.held.slice(0, this.options.trailingFrames).reduce((sum, frame) => sum + frame.length, 0);
    const batched = this.batch.reduce((sum, frame) => sum + frame.length, 0);
    return ((this.sentSamples + batched + trailing) / FRAME_SAMPLES) * FRAME_MS;
  }

  /** Adds the next frame; `speech` false holds it back until speech resumes. */
  add(frame: Int16Array, speech = true): void {
    if (this.ended) return;
    if (!speech) {
      this.held.push(frame);
      return;
    }
    if (this.held.length > 0) {
      this.batch.push(...this.held);
      this.held = [];
    }
    this.batch.push(frame);
    if (this.batch.length >= this.options.batchFrames) this.flush();
  }

  /** Sends the speech batched so far, keeping held silence back (a "maybe done" pause: the server gets every word). */
  flushSpeech(): void {
    if (this.ended || this.batch.length === 0) return;
    this.flush();
  }

  /** Ends the utterance: sends what is left (and at most `trailingFrames` of held silence). */
  end(): void {
    if (this.ended) return;
    this.batch.push(...this.held.slice(0, this.options.trailingFrames));
    this.held = [];
    this.flush();
    this.ended = true;
  }

  /** Drops what was not sent; nothing more is sent. */
  abort(): void {
    this.batch = [];
    this.held = [];
    this.ended = true;
  }

  /** Sends the batch, `batchFrames` frames per call at most. */
  private flush(): void {
    const frames = this.batch;
    this.batch = [];
    for (let start = 0; start < frames.length; start += this.options.batchFrames) {
      const group = frames.slice(start, start + this.options.batchFrames);
      const samples = new Int16Array(group.reduce((sum, frame) => sum + frame.length, 0));
      let offset = 0;
      for (const frame of group) {
        samples.set(frame, offset);
        offset += frame.length;
      }
      this.sentSamples += samples.length;
      this.send(samples);
    }
  }
}
