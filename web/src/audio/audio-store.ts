/**
 * Keeps each tutor message's audio in memory so it can be replayed. PCM16 at 24 kHz costs
 * 48 kB per second of speech, so only the most recent messages are kept, within a byte budget.
 */

/** Default budget: about 20 minutes of speech. */
export const DEFAULT_AUDIO_BUDGET_BYTES = 64 * 1024 * 1024;

export class AudioStore {
  private readonly recordings = new Map<string, Int16Array[]>();
  private bytes = 0;

  constructor(private readonly budgetBytes = DEFAULT_AUDIO_BUDGET_BYTES) {}

  /** Appends a chunk to message `id`'s recording; evicts the oldest recordings over budget. */
  append(id: string, samples: Int16Array): void {
    let chunks = this.recordings.get(id);
    if (!chunks) {
      chunks = [];
      this.recordings.set(id, chunks);
    }
    chunks.push(samples);
    this.bytes += samples.byteLength;
    for (const [oldest, oldestChunks] of this.recordings) {
      if (this.bytes <= this.budgetBytes || oldest === id) break;
      this.delete(oldest, oldestChunks);
    }
  }

  /** The chunks recorded for message `id`, or undefined if none (or evicted). */
  get(id: string): readonly Int16Array[] | undefined {
    return this.recordings.get(id);
  }

  has(id: string): boolean {
    return this.recordings.has(id);
  }

  clear(): void {
    this.recordings.clear();
    this.bytes = 0;
  }

  private delete(id: string, chunks: Int16Array[]): void {
    for (const chunk of chunks) this.bytes -= chunk.byteLength;
    this.recordings.delete(id);
  }
}
