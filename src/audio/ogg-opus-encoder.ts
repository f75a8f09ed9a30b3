/**
 * Streaming Ogg Opus encoder (RFC 7845 encapsulation): mono PCM16 in, Ogg pages out as soon as a
 * 20 ms Opus packet is complete, so audio can be sent while it is being synthesized. Opus itself
 * is libopus 1.4 compiled to WebAssembly by `opusscript` (the encoder discord.js voice uses); the
 * Ogg framing (pages, CRC, granule positions) is written here.
 *
 * Layout: page 0 holds `OpusHead` (BOS), page 1 `OpusTags`, then audio pages; the last page has the
 * EOS flag and a granule position that trims the zero padding of the final packet.
 */
import OpusScript from 'opusscript';

/** Sample rates libopus takes as input. */
export const OPUS_SAMPLE_RATES = [8000, 12000, 16000, 24000, 48000] as const;
export type OpusSampleRate = (typeof OPUS_SAMPLE_RATES)[number];

/** Packet length: 20 ms, the usual Opus frame for speech. */
const FRAME_MS = 20;
/** Encoder look-ahead at 48 kHz (libopus' default delay; what opusenc writes as pre-skip). */
const PRE_SKIP = 312;
/** Ogg granule positions of Opus streams always count 48 kHz samples. */
const GRANULE_RATE = 48_000;
/** Ogg pages hold at most 255 lacing values. */
const MAX_SEGMENTS = 255;

export interface OggOpusEncoderOptions {
  /** Input sample rate (one libopus accepts), Hz. */
  sampleRate: OpusSampleRate;
  /** Target bitrate, bits/s; default 32,000 (transparent for mono speech). */
  bitrate?: number;
  /** Vendor string written in `OpusTags`. */
  vendor?: string;
}

/**
 * Encodes a mono PCM16 stream to Ogg Opus incrementally. Call `push` with audio as it comes and
 * `end` once; both return the bytes ready to send (possibly empty). Not reusable after `end`.
 *
 * @example
 * const encoder = new OggOpusStreamEncoder({ sampleRate: 24_000 });
 * response.write(encoder.push(samples));
 * response.end(encoder.end());
 */
export class OggOpusStreamEncoder {
  readonly sampleRate: OpusSampleRate;
  readonly #encoder: OpusScript;
  readonly #frameSize: number;
  readonly #serial = (Math.random() * 0x1_0000_0000) >>> 0;
  readonly #vendor: string;
  #sequence = 0;
  #headersWritten = false;
  #pending = new Int16Array(0);
  /** Input samples encoded so far (padding excluded). */
  #samplesIn = 0;
  /** Packets written to pages so far. */
  #packetsWritten = 0;
  /** The last encoded packet, not yet written (see `push`). */
  #held: Buffer | undefined;
  #ended = false;

  /** @throws RangeError for a sample rate libopus does not take */
  constructor(options: OggOpusEncoderOptions) {
    if (!OPUS_SAMPLE_RATES.includes(options.sampleRate)) throw new RangeError(`Opus cannot encode ${options.sampleRate} Hz audio.`);
    this.sampleRate = options.sampleRate;
    this.#frameSize = (options.sampleRate * FRAME_MS) / 1000;
    this.#vendor = options.vendor ?? 'LocalChat';
    this.#encoder = new OpusScript(options.sampleRate, 1, OpusScript.Application.AUDIO);
    this.#encoder.setBitrate(options.bitrate ?? 32_000);
  }

  /**
   * Encodes the next piece of the stream; returns the complete pages (headers first time). The
   * last packet is held back, so that `end` always has one for the final (EOS) page.
   */
  push(samples: Int16Array): Buffer {
    if (this.#ended) throw new Error('OggOpusStreamEncoder: push after end');
    const out: Buffer[] = this.#headers();
    const joined = new Int16Array(this.#pending.length + samples.length);
    joined.set(this.#pending, 0);
    joined.set(samples, this.#pending.length);
    this.#samplesIn += samples.length;
    const whole = joined.length - (joined.length % this.#frameSize);
    const packets: Buffer[] = this.#held ? [this.#held] : [];
    for (let offset = 0; offset < whole; offset += this.#frameSize) packets.push(this.#encode(joined.subarray(offset, offset + this.#frameSize)));
    this.#pending = joined.slice(whole);
    this.#held = packets.pop();
    out.push(...this.#pages(packets, false));
    return Buffer.concat(out);
  }

  /** Encodes what is left (zero-padded to a whole packet) and returns the last pages (EOS). */
  end(): Buffer {
    if (this.#ended) return Buffer.alloc(0);
    const out: Buffer[] = this.#headers();
    const packets: Buffer[] = this.#held ? [this.#held] : [];
    this.#held = undefined;
    if (this.#pending.length > 0 || packets.length === 0) {
      const frame = new Int16Array(this.#frameSize);
      frame.set(this.#pending);
      packets.push(this.#encode(frame));
      this.#pending = new Int16Array(0);
    }
    out.push(...this.#pages(packets, true));
    this.#ended = true;
    this.#encoder.delete();
    return Buffer.concat(out);
  }

  /** Frees the encoder without finishing the stream (e.g. the client went away). */
  dispose(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#encoder.delete();
  }

  #encode(frame: Int16Array): Buffer {
    const input = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
    return this.#encoder.encode(input, this.#frameSize);
  }

  /** Granule position after `samples` input samples: 48 kHz count plus the pre-skip. */
  #granule(samples: number): bigint {
    return BigInt(PRE_SKIP + Math.round((samples * GRANULE_RATE) / this.sampleRate));
  }

  #headers(): Buffer[] {
    if (this.#headersWritten) return [];
    this.#headersWritten = true;
    const head = Buffer.alloc(19);
    head.write('OpusHead', 0, 'latin1');
    head.writeUInt8(1, 8); // version
    head.writeUInt8(1, 9); // channels
    head.writeUInt16LE(PRE_SKIP, 10);
    head.writeUInt32LE(this.sampleRate, 12); // original input rate (informational)
    head.writeInt16LE(0, 16); // output gain
    head.writeUInt8(0, 18); // channel mapping family 0: mono/stereo
    const vendor = Buffer.from(this.#vendor, 'utf8');
    const tags = Buffer.alloc(8 + 4 + vendor.length + 4);
    tags.write('OpusTags', 0, 'latin1');
    tags.writeUInt32LE(vendor.length, 8);
    vendor.copy(tags, 12);
    tags.writeUInt32LE(0, 12 + vendor.length); // no user comments
    return [this.#page([head], 0n, HEADER_BOS), this.#page([tags], 0n, 0)];
  }

  /**
   * Packs whole packets into pages (at most 255 lacing values each). Each page carries the
   * granule position of its last packet (RFC 7845 section 4); when `last`, the final page carries
   * the position of the last real input sample (trimming the padding) and the EOS flag.
   */
  #pages(packets: Buffer[], last: boolean): Buffer[] {
    const pages: Buffer[] = [];
    let group: Buffer[] = [];
    let segments = 0;
    const flush = (isFinal: boolean) => {
      if (group.length === 0) return;
      this.#packetsWritten += group.length;
      const granule = isFinal && last ? this.#granule(this.#samplesIn) : this.#granule(this.#packetsWritten * this.#frameSize);
      pages.push(this.#page(group, granule, isFinal && last ? HEADER_EOS : 0));
      group = [];
      segments = 0;
    };
    for (const packet of packets) {
      const lacing = Math.floor(packet.length / 255) + 1;
      if (segments + lacing > MAX_SEGMENTS) flush(false);
      group.push(packet);
      segments += lacing;
    }
    flush(true);
    return pages;
  }

  /** One Ogg page holding whole packets. */
  #page(packets: Buffer[], granule: bigint, flags: number): Buffer {
    const lacing: number[] = [];
    for (const packet of packets) {
      let left = packet.length;
      while (left >= 255) {
        lacing.push(255);
        left -= 255;
      }
      lacing.push(left);
    }
    const header = Buffer.alloc(27 + lacing.length);
    header.write('OggS', 0, 'latin1');
    header.writeUInt8(0, 4); // version
    header.writeUInt8(flags, 5);
    header.writeBigInt64LE(granule, 6);
    header.writeUInt32LE(this.#serial, 14);
    header.writeUInt32LE(this.#sequence++, 18);
    header.writeUInt32LE(0, 22); // CRC, filled below
    header.writeUInt8(lacing.length, 26);
    Buffer.from(lacing).copy(header, 27);
    const page = Buffer.concat([header, ...packets]);
    page.writeUInt32LE(oggCrc(page), 22);
    return page;
  }
}

const HEADER_BOS = 0x02;
const HEADER_EOS = 0x04;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let j = 0; j < 8; j++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

/** Ogg's CRC-32: polynomial 0x04c11db7, initial value 0, not reflected, no final XOR. */
export function oggCrc(bytes: Uint8Array): number {
  let crc = 0;
  for (let i = 0; i < bytes.length; i++) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ bytes[i]!) & 0xff]!) >>> 0;
  return crc >>> 0;
}
