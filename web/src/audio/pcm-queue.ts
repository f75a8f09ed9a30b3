/**
 * The jitter buffer behind the playback worklet: a queue of mono float chunks read out at the
 * output rate, with linear-interpolation resampling when the output rate differs from the source
 * rate. Plain code with no Web Audio types, so it runs (and is tested) outside a worklet.
 *
 * A stream starts playing once `prebufferSamples` are queued (or its end is known), which absorbs
 * the jitter of network and TTS chunk timing; an underrun before the end waits for the same
 * prebuffer again instead of clicking through every late chunk.
 */

export type QueueState = 'idle' | 'buffering' | 'playing';

export interface RenderResult {
  /** Source samples consumed (played) by this call. */
  played: number;
  /** True when the stream's end was reached during this call. */
  drained: boolean;
}

export class PcmQueue {
  private readonly chunks: Float32Array[] = [];
  /** Read position inside `chunks[0]`, in samples. */
  private head = 0;
  /** Fraction of a source sample between the read position and the next output frame (0-1). */
  private fraction = 0;
  /** Source samples queued from the read position on. */
  private available = 0;
  private started = false;
  private ended = false;

  /**
   * @param step source samples per output frame (source rate / output rate; 1 = no resampling)
   * @param prebufferSamples source samples to queue before a stream starts playing
   */
  constructor(
    private readonly step: number,
    private readonly prebufferSamples: number,
  ) {
    if (!(step > 0)) throw new RangeError(`step must be > 0, got ${step}`);
  }

  get state(): QueueState {
    if (this.started) return 'playing';
    return this.available > 0 ? 'buffering' : 'idle';
  }

  /** Source samples waiting to be played. */
  get buffered(): number {
    return this.available;
  }

  /** Appends samples (floats in -1..1) to the current stream. */
  push(samples: Float32Array): void {
    if (samples.length === 0) return;
    this.chunks.push(samples);
    this.available += samples.length;
    this.ended = false;
  }

  /** No more samples will come for this stream: play out the rest without waiting. */
  end(): void {
    this.ended = true;
  }

  /** Drops everything queued at once (cancel, barge-in, replay of another message). */
  clear(): void {
    this.chunks.length = 0;
    this.head = 0;
    this.fraction = 0;
    this.available = 0;
    this.started = false;
    this.ended = false;
  }

  /** Fills `output` (one render quantum) and reports how many source samples were played. */
  render(output: Float32Array): RenderResult {
    let played = 0;
    let drained = false;
    let index = 0;
    if (!this.started) {
      if (this.available >= this.prebufferSamples || (this.ended && this.available > 0)) {
        this.started = true;
      } else if (this.ended) {
        drained = true;
        this.ended = false;
      }
    }
    if (this.started) {
      for (; index < output.length; index++) {
        const needed = this.fraction === 0 ? 1 : 2;
        if (this.available < needed && !(this.ended && this.available > 0)) {
          // Underrun, or the end of the stream.
          this.started = false;
          if (this.ended) {
            played += this.consume(this.available);
            drained = true;
            this.ended = false;
          }
          break;
        }
        const current = this.peek(0);
        const next = needed === 2 && this.available > 1 ? this.peek(1) : current;
        output[index] = current + (next - current) * this.fraction;
        this.fraction += this.step;
        const advance = Math.floor(this.fraction);
        this.fraction -= advance;
        if (advance > 0) played += this.consume(Math.min(advance, this.available));
        if (this.available === 0 && this.ended) {
          index++;
          this.started = false;
          this.fraction = 0;
          drained = true;
          this.ended = false;
          break;
        }
      }
    }
    output.fill(0, index);
    return { played, drained };
  }

  private peek(offset: number): number {
    let position = this.head + offset;
    for (const chunk of this.chunks) {
      if (position < chunk.length) return chunk[position] ?? 0;
      position -= chunk.length;
    }
    return 0;
  }

  private consume(count: number): number {
    let remaining = count;
    while (remaining > 0) {
      const chunk = this.chunks[0];
      if (!chunk) break;
      const left = chunk.length - this.head;
      if (remaining < left) {
        this.head += remaining;
        remaining = 0;
      } else {
        remaining -= left;
        this.chunks.shift();
        this.head = 0;
      }
    }
    const consumed = count - remaining;
    this.available -= consumed;
    if (this.available === 0) this.fraction = 0;
    return consumed;
  }
}

/** Converts PCM16 samples to floats in -1..1. */
export function pcm16ToFloat32(samples: Int16Array): Float32Array {
  const floats = new Float32Array(samples.length);
  for (let index = 0; index < samples.length; index++) floats[index] = (samples[index] ?? 0) / 32768;
  return floats;
}
