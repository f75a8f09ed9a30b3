/**
 * Live transcription of the utterance in progress, for transcription sessions: every
 * `intervalMs` of new audio the growing utterance is decoded again (whole: simple and correct for
 * any STT engine, at the cost of re-decoding), and the words that have become stable are sent as
 * `conversation.item.input_audio_transcription.delta` text.
 *
 * Deltas only ever extend what was sent (OpenAI's deltas concatenate to the transcript): a new
 * hypothesis that agrees with the text sent so far adds its words, except the last one (it may be
 * cut off mid-word); one that disagrees adds nothing until the final transcript, which then sends
 * what it adds to the deltas' text when it extends it.
 */
import { REALTIME_SAMPLE_RATE } from '../../core/audio.js';
import { MAX_UTTERANCE_MS } from './input-audio.js';

/** Audio between two live decodes, ms. */
export const LIVE_INTERVAL_MS = 1000;
/** Audio kept from before speech was detected (the VAD reports speech a little late), ms. */
const PREROLL_MS = 1000;
const MAX_SAMPLES = (MAX_UTTERANCE_MS / 1000) * REALTIME_SAMPLE_RATE;

export class LiveTranscript {
  private itemId: string | null = null;
  private parts: Int16Array[] = [];
  private samples = 0;
  private decodedAt = 0;
  private decoding = false;
  private sent = '';
  /** The latest audio, for the start of the next utterance. */
  private preroll: Int16Array[] = [];
  private prerollSamples = 0;

  constructor(
    /** Decodes PCM16 mono 24 kHz; rejects on failure (a failed live decode is skipped). */
    private readonly transcribe: (audio: Int16Array) => Promise<string>,
    private readonly onDelta: (itemId: string, delta: string) => void,
    private readonly intervalMs = LIVE_INTERVAL_MS,
  ) {}

  /** The item being transcribed live, or null. */
  get current(): string | null {
    return this.itemId;
  }

  /** An utterance started (VAD) or the first audio after a commit arrived: transcribe it live as `itemId`. */
  begin(itemId: string, withPreroll: boolean): void {
    this.itemId = itemId;
    this.parts = withPreroll ? [...this.preroll] : [];
    this.samples = withPreroll ? this.prerollSamples : 0;
    this.decodedAt = 0;
    this.sent = '';
  }

  /** New input audio. */
  push(samples: Int16Array): void {
    this.preroll.push(samples);
    this.prerollSamples += samples.length;
    while (this.preroll.length > 1 && this.prerollSamples - this.preroll[0]!.length >= (PREROLL_MS / 1000) * REALTIME_SAMPLE_RATE) {
      this.prerollSamples -= this.preroll.shift()!.length;
    }
    if (!this.itemId || this.samples >= MAX_SAMPLES) return;
    this.parts.push(samples);
    this.samples += samples.length;
    if (!this.decoding && this.samples - this.decodedAt >= (this.intervalMs / 1000) * REALTIME_SAMPLE_RATE) void this.decode();
  }

  /** Stops live decoding of the current utterance (committed or cleared); its final transcript may follow via {@link finish}. */
  stop(): void {
    if (this.itemId) this.sentFor.set(this.itemId, this.sent);
    this.itemId = null;
    this.parts = [];
    this.samples = 0;
    this.sent = '';
  }

  /**
   * The utterance `itemId` has its final transcript: sends what it adds to the deltas sent (when it
   * extends them).
   */
  finish(itemId: string, transcript: string): void {
    if (this.itemId === itemId) this.stop();
    const sent = this.sentFor.get(itemId) ?? '';
    this.sentFor.delete(itemId);
    if (transcript.startsWith(sent) && transcript.length > sent.length) this.onDelta(itemId, transcript.slice(sent.length));
  }

  /** Text sent as deltas for utterances that stopped, until their final transcript. */
  private readonly sentFor = new Map<string, string>();

  private async decode(): Promise<void> {
    const itemId = this.itemId;
    if (!itemId) return;
    this.decoding = true;
    this.decodedAt = this.samples;
    const audio = concat(this.parts, this.samples);
    let text: string;
    try {
      text = (await this.transcribe(audio)).trim();
    } catch {
      return;
    } finally {
      this.decoding = false;
    }
    if (this.itemId !== itemId) return;
    // The last word may be cut off mid-word: only the words before it are stable.
    const stable = text.replace(/\s*\S+$/, '');
    if (stable.length > this.sent.length && stable.startsWith(this.sent)) {
      const delta = stable.slice(this.sent.length);
      this.sent = stable;
      this.onDelta(itemId, delta);
    }
  }
}

function concat(parts: Int16Array[], total: number): Int16Array {
  const out = new Int16Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part.subarray(0, Math.min(part.length, total - offset)), offset);
    offset += part.length;
    if (offset >= total) break;
  }
  return out;
}
