/**
 * A growable window of mono PCM16 addressed by absolute sample position in the stream: audio is
 * appended at the end and dropped from the start, and any range still kept can be read back.
 */

/**
 * The recent audio of one stream. Positions are sample indices since the stream began (or
 * `clear`); `start` is the oldest position kept, `end` the number of samples ever appended.
 */
export class PcmHistory {
  #data = new Int16Array(0);
  /** Index in `#data` of the sample at `#start`. */
  #offset = 0;
  #start = 0;
  #length = 0;

  /** Oldest position still kept. */
  get start(): number {
    return this.#start;
  }

  /** One past the newest position: the count of samples appended since the stream began. */
  get end(): number {
    return this.#start + this.#length;
  }

  /** Appends `samples` (copied) at `end`. */
  append(samples: Int16Array): void {
    if (samples.length === 0) return;
    const needed = this.#length + samples.length;
    if (this.#offset + needed > this.#data.length) {
      if (needed <= this.#data.length / 2) {
        // Plenty of room once the dropped head is reclaimed: compact in place.
        this.#data.copyWithin(0, this.#offset, this.#offset + this.#length);
      } else {
        const data = new Int16Array(Math.max(needed * 2, 4096));
        data.set(this.#data.subarray(this.#offset, this.#offset + this.#length));
        this.#data = data;
      }
      this.#offset = 0;
    }
    this.#data.set(samples, this.#offset + this.#length);
    this.#length += samples.length;
  }

  /**
   * Copies positions `[from, to)`. Positions before `start` or at or after `end` read as silence
   * (0): the stream before its first sample is silent, which is what the resampler's context wants.
   */
  read(from: number, to: number): Int16Array {
    const output = new Int16Array(Math.max(0, to - from));
    const first = Math.max(from, this.#start);
    const last = Math.min(to, this.end);
    if (last > first) {
      const begin = this.#offset + (first - this.#start);
      output.set(this.#data.subarray(begin, begin + (last - first)), first - from);
    }
    return output;
  }

  /** Forgets every position before `position` (no-op when already gone). */
  discardBefore(position: number): void {
    const drop = Math.min(Math.max(0, position - this.#start), this.#length);
    this.#offset += drop;
    this.#start += drop;
    this.#length -= drop;
  }

  /** Forgets everything and restarts positions at 0. */
  clear(): void {
    this.#data = new Int16Array(0);
    this.#offset = 0;
    this.#start = 0;
    this.#length = 0;
  }
}
