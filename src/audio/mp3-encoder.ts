/**
 * Streaming MP3 encoder: mono PCM16 in, MPEG audio frames out as they are completed, through
 * `@breezystack/lamejs` (a maintained ES-module fork of lamejs, the JavaScript port of LAME;
 * LGPL-3.0, used unmodified as a dependency).
 *
 * At 24 kHz the output is MPEG-2 Layer III (576 samples, 24 ms, a frame), which every
 * player and `ffmpeg` read. LAME keeps about one frame back until more input or `end`.
 */
import { Mp3Encoder } from '@breezystack/lamejs';

/** Sample rates MPEG-1/2/2.5 Layer III can carry. */
export const MP3_SAMPLE_RATES = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000] as const;

export interface Mp3EncoderOptions {
  /** Input sample rate (one of MP3_SAMPLE_RATES), Hz. */
  sampleRate: number;
  /** Constant bitrate, kbit/s; default 64 (clear speech at 24 kHz mono). */
  kbps?: number;
}

/**
 * Encodes a mono PCM16 stream to MP3 incrementally: `push` returns the frames completed so far
 * (often empty for short pieces), `end` the rest. Not reusable after `end`.
 *
 * @example
 * const mp3 = new Mp3StreamEncoder({ sampleRate: 24_000 });
 * const bytes = Buffer.concat([mp3.push(samples), mp3.end()]);
 */
export class Mp3StreamEncoder {
  readonly sampleRate: number;
  readonly #encoder: Mp3Encoder;
  #ended = false;

  /** @throws RangeError for a sample rate MP3 cannot carry */
  constructor(options: Mp3EncoderOptions) {
    if (!(MP3_SAMPLE_RATES as readonly number[]).includes(options.sampleRate)) {
      throw new RangeError(`MP3 cannot carry ${options.sampleRate} Hz audio.`);
    }
    this.sampleRate = options.sampleRate;
    this.#encoder = new Mp3Encoder(1, options.sampleRate, options.kbps ?? 64);
  }

  /** Encodes the next piece (any length); returns the completed MP3 frames (may be empty). */
  push(samples: Int16Array): Buffer {
    if (this.#ended) throw new Error('Mp3StreamEncoder: push after end');
    if (samples.length === 0) return Buffer.alloc(0);
    return copy(this.#encoder.encodeBuffer(samples));
  }

  /** Flushes LAME's buffer: the last frames. */
  end(): Buffer {
    if (this.#ended) return Buffer.alloc(0);
    this.#ended = true;
    return copy(this.#encoder.flush());
  }
}

/** lamejs returns views of its own (reused) buffers: copy them out. */
function copy(bytes: Uint8Array | Int8Array): Buffer {
  return Buffer.from(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}
