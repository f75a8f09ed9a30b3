/**
 * Decodes uploaded audio files to mono PCM16 with WebAssembly decoders only (no ffmpeg), for
 * `POST /v1/audio/transcriptions`:
 *
 * | container | codec | through |
 * | --- | --- | --- |
 * | WAV (RIFF, RF64) | PCM, float, A-law, mu-law, IMA ADPCM | wavefile (./wav.ts) |
 * | MP3 | MPEG-1/2/2.5 Layer I-III | `mpg123-decoder` (libmpg123) |
 * | FLAC, Ogg FLAC | FLAC | `@wasm-audio-decoders/flac` (libFLAC) |
 * | Ogg | Vorbis | `@wasm-audio-decoders/ogg-vorbis` (libvorbis) |
 * | Ogg, WebM, Matroska | Opus | `mediabunny` demuxer + `opus-decoder` (libopus) |
 *
 * The format is detected from the bytes, not the file name. Multi-channel audio is averaged to
 * mono. Decoding stops as soon as the audio exceeds `maxSeconds`, so a small, highly compressed
 * file cannot make the server decode hours of audio into memory. Decoders are imported on first
 * use, and the event loop gets a turn between pieces of input.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { REALTIME_SAMPLE_RATE } from '../core/audio.js';
import { LocalChatError, errorMessage } from '../core/errors.js';
import { resample } from './resample.js';
import { decodeWav } from './wav.js';

export type UploadContainer = 'wav' | 'mp3' | 'flac' | 'ogg' | 'webm';

/** Decoded audio: mono PCM16 at the file's own rate (Opus: 24 kHz). */
export interface DecodedAudio {
  samples: Int16Array;
  sampleRate: number;
  container: UploadContainer;
  codec: string;
  /** Length in seconds. */
  durationSeconds: number;
}

export interface DecodeAudioOptions {
  /** Longest audio accepted, s; longer audio fails with code `audio_too_long`. Default 600. */
  maxSeconds?: number;
  /** Stops decoding (the promise rejects with an AbortError). */
  signal?: AbortSignal;
}

/**
 * A file that could not be decoded. `code`: `unsupported_audio` (a format or codec not handled:
 * HTTP 415), `invalid_audio` (corrupt or empty: 400), `audio_too_long` (over `maxSeconds`: 413).
 */
export class AudioDecodeError extends LocalChatError {
  constructor(code: 'unsupported_audio' | 'invalid_audio' | 'audio_too_long', message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'AudioDecodeError';
  }
  static isInstance(error: unknown): error is AudioDecodeError {
    return error instanceof Error && error.name === 'AudioDecodeError';
  }
}

/** What the decoders accept, for error messages. */
export const SUPPORTED_UPLOADS = 'WAV, MP3, FLAC, Ogg (Opus, Vorbis, FLAC) and WebM (Opus)';

const DEFAULT_MAX_SECONDS = 600;
/** Input fed to the streaming decoders at a time. */
const SLICE_BYTES = 64 * 1024;

/**
 * Recognises a container from its first bytes.
 * @returns the container, or null when it is none of those decoded here
 */
export function detectAudioContainer(bytes: Uint8Array): UploadContainer | null {
  const ascii = (start: number, end: number) => Buffer.from(bytes.subarray(start, end)).toString('latin1');
  const head = ascii(0, 4);
  if ((head === 'RIFF' || head === 'RIFX' || head === 'RF64') && ascii(8, 12) === 'WAVE') return 'wav';
  if (head === 'fLaC') return 'flac';
  if (head === 'OggS') return 'ogg';
  if (bytes[0] === 0x1a && bytes[1] === 0x45 && bytes[2] === 0xdf && bytes[3] === 0xa3) return 'webm';
  if (ascii(0, 3) === 'ID3') return 'mp3';
  // An MPEG audio frame header: 11 sync bits, a valid version, a valid layer.
  const b1 = bytes[1] ?? 0;
  if (bytes[0] === 0xff && (b1 & 0xe0) === 0xe0 && (b1 & 0x18) !== 0x08 && (b1 & 0x06) !== 0) return 'mp3';
  return null;
}

/**
 * Decodes a whole audio file to mono PCM16.
 * @throws AudioDecodeError (`unsupported_audio`, `invalid_audio`, `audio_too_long`); an AbortError
 *   when `signal` aborts
 */
export async function decodeAudio(bytes: Uint8Array, options: DecodeAudioOptions = {}): Promise<DecodedAudio> {
  const maxSeconds = options.maxSeconds ?? DEFAULT_MAX_SECONDS;
  const container = detectAudioContainer(bytes);
  if (!container) throw new AudioDecodeError('unsupported_audio', `Unsupported audio format: send ${SUPPORTED_UPLOADS}.`);
  const collector = new MonoCollector(maxSeconds, options.signal);
  let codec: string;
  try {
    switch (container) {
      case 'wav':
        codec = decodeWavInto(bytes, collector);
        break;
      case 'mp3':
        codec = await decodeMp3(bytes, collector);
        break;
      case 'flac':
        codec = await decodeFlac(bytes, collector);
        break;
      case 'ogg': {
        const oggCodec = oggCodecOf(bytes);
        if (oggCodec === 'vorbis') codec = await decodeOggVorbis(bytes, collector);
        else if (oggCodec === 'flac') codec = await decodeFlac(bytes, collector);
        else if (oggCodec === 'opus') codec = await decodeOpusContainer(bytes, container, collector);
        else throw new AudioDecodeError('unsupported_audio', `This Ogg file holds no Opus, Vorbis or FLAC audio: send ${SUPPORTED_UPLOADS}.`);
        break;
      }
      case 'webm':
        codec = await decodeOpusContainer(bytes, container, collector);
        break;
    }
  } catch (error) {
    if (AudioDecodeError.isInstance(error) || isAbort(error)) throw error;
    throw new AudioDecodeError('invalid_audio', `Could not decode the ${container.toUpperCase()} file: ${errorMessage(error)}`, { cause: error });
  }
  const samples = collector.result();
  const sampleRate = collector.sampleRate ?? REALTIME_SAMPLE_RATE;
  if (samples.length === 0) throw new AudioDecodeError('invalid_audio', `The ${container.toUpperCase()} file holds no audio.`);
  return { samples, sampleRate, container, codec, durationSeconds: samples.length / sampleRate };
}

/** Gathers decoded blocks as mono PCM16, enforcing the length limit as it goes. */
class MonoCollector {
  sampleRate: number | undefined;
  #pieces: Int16Array[] = [];
  #length = 0;

  constructor(
    private readonly maxSeconds: number,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /** Adds float channels (each `samplesDecoded` long) at `rate`. */
  addFloat(channels: readonly Float32Array[], samplesDecoded: number, rate: number): void {
    if (samplesDecoded <= 0 || channels.length === 0) return;
    const mono = new Int16Array(samplesDecoded);
    const count = channels.length;
    for (let i = 0; i < samplesDecoded; i++) {
      let sum = 0;
      for (let c = 0; c < count; c++) sum += channels[c]![i] ?? 0;
      const s = Math.max(-1, Math.min(1, sum / count));
      mono[i] = s < 0 ? Math.round(s * 0x8000) : Math.round(s * 0x7fff);
    }
    this.addPcm(mono, rate);
  }

  /** Adds mono PCM16 at `rate` (a rate change mid-stream is resampled to the first rate). */
  addPcm(samples: Int16Array, rate: number): void {
    this.signal?.throwIfAborted();
    this.sampleRate ??= rate;
    const piece = rate === this.sampleRate ? samples : resample(samples, rate, this.sampleRate);
    this.#pieces.push(piece);
    this.#length += piece.length;
    if (this.#length > this.maxSeconds * this.sampleRate) {
      throw new AudioDecodeError('audio_too_long', `The audio is longer than the ${formatSeconds(this.maxSeconds)} allowed.`);
    }
  }

  result(): Int16Array {
    if (this.#pieces.length === 1) return this.#pieces[0]!;
    const out = new Int16Array(this.#length);
    let offset = 0;
    for (const piece of this.#pieces) {
      out.set(piece, offset);
      offset += piece.length;
    }
    return out;
  }
}

function decodeWavInto(bytes: Uint8Array, collector: MonoCollector): string {
  let decoded;
  try {
    decoded = decodeWav(bytes);
  } catch (error) {
    throw new AudioDecodeError('invalid_audio', errorMessage(error), { cause: error });
  }
  collector.addPcm(decoded.samples, decoded.sampleRate);
  return 'pcm';
}

async function decodeMp3(bytes: Uint8Array, collector: MonoCollector): Promise<string> {
  const { MPEGDecoder } = await import('mpg123-decoder');
  await decodeInSlices(new MPEGDecoder(), bytes, collector);
  return 'mp3';
}

async function decodeFlac(bytes: Uint8Array, collector: MonoCollector): Promise<string> {
  const { FLACDecoder } = await import('@wasm-audio-decoders/flac');
  await decodeInSlices(new FLACDecoder(), bytes, collector);
  return 'flac';
}

async function decodeOggVorbis(bytes: Uint8Array, collector: MonoCollector): Promise<string> {
  const { OggVorbisDecoder } = await import('@wasm-audio-decoders/ogg-vorbis');
  await decodeInSlices(new OggVorbisDecoder(), bytes, collector);
  return 'vorbis';
}

/** A block of audio from one of the WebAssembly decoders. */
interface DecodedBlock {
  channelData: Float32Array[];
  samplesDecoded: number;
  sampleRate: number;
}

/** What `decodeInSlices` needs of a streaming decoder (mpg123-decoder has no `flush`). */
interface SliceDecoder {
  ready: Promise<void>;
  decode(bytes: Uint8Array): DecodedBlock | Promise<DecodedBlock>;
  flush?(): Promise<DecodedBlock>;
  free(): void;
}

/**
 * Feeds `bytes` to `decoder` in `SLICE_BYTES` slices (the event loop gets a turn after each),
 * then flushes it when it can, adding every block to `collector`; frees the decoder after.
 */
async function decodeInSlices(decoder: SliceDecoder, bytes: Uint8Array, collector: MonoCollector): Promise<void> {
  await decoder.ready;
  try {
    for (let offset = 0; offset < bytes.length; offset += SLICE_BYTES) {
      const result = await decoder.decode(bytes.subarray(offset, offset + SLICE_BYTES));
      collector.addFloat(result.channelData, result.samplesDecoded, result.sampleRate);
      await nextTurn();
    }
    if (decoder.flush) {
      const rest = await decoder.flush();
      collector.addFloat(rest.channelData, rest.samplesDecoded, rest.sampleRate);
    }
  } finally {
    decoder.free();
  }
}

/** The codec of an Ogg stream, from the identification header in its first page. */
function oggCodecOf(bytes: Uint8Array): 'opus' | 'vorbis' | 'flac' | null {
  // First page: 27-byte header, lacing table, then the first packet.
  const segments = bytes[26] ?? 0;
  const packet = Buffer.from(bytes.subarray(27 + segments, 27 + segments + 16));
  if (packet.subarray(0, 8).toString('latin1') === 'OpusHead') return 'opus';
  if (packet.subarray(0, 7).toString('latin1') === '\x01vorbis') return 'vorbis';
  if (packet.subarray(0, 5).toString('latin1') === '\x7fFLAC') return 'flac';
  return null;
}

/** Opus in Ogg or WebM/Matroska: demuxed by mediabunny, decoded by libopus at 24 kHz. */
async function decodeOpusContainer(bytes: Uint8Array, container: UploadContainer, collector: MonoCollector): Promise<string> {
  const { Input, BufferSource, OGG, WEBM, MATROSKA, EncodedPacketSink } = await import('mediabunny');
  const { OpusDecoder } = await import('opus-decoder');
  const input = new Input({ source: new BufferSource(bytes), formats: [OGG, WEBM, MATROSKA] });
  try {
    const track = await input.getPrimaryAudioTrack();
    if (!track) throw new AudioDecodeError('invalid_audio', `The ${container.toUpperCase()} file has no audio track.`);
    if (track.codec !== 'opus') {
      throw new AudioDecodeError('unsupported_audio', `${container.toUpperCase()} audio in ${track.codec ?? 'an unknown codec'} is not supported: send ${SUPPORTED_UPLOADS}.`);
    }
    const config = await track.getDecoderConfig();
    const head = parseOpusHead(config?.description, track.numberOfChannels);
    // opus-decoder counts the pre-skip in output samples; OpusHead gives it at 48 kHz.
    const preSkip = Math.round((head.preSkip * REALTIME_SAMPLE_RATE) / 48_000);
    const decoder = new OpusDecoder({ sampleRate: REALTIME_SAMPLE_RATE, ...head, preSkip });
    await decoder.ready;
    try {
      let count = 0;
      for await (const packet of new EncodedPacketSink(track).packets()) {
        const result = decoder.decodeFrame(packet.data);
        collector.addFloat(result.channelData, result.samplesDecoded, result.sampleRate);
        if (++count % 250 === 0) await nextTurn();
      }
    } finally {
      decoder.free();
    }
    return 'opus';
  } finally {
    input.dispose();
  }
}

interface OpusHeadFields {
  channels: number;
  preSkip: number;
  streamCount?: number;
  coupledStreamCount?: number;
  channelMappingTable?: number[];
}

/** Reads the decoder settings from an `OpusHead` (RFC 7845 section 5.1); defaults when absent. */
function parseOpusHead(description: AllowSharedBufferSource | undefined, channels: number): OpusHeadFields {
  if (!description) return { channels: Math.min(Math.max(channels, 1), 2), preSkip: 0 };
  const bytes = ArrayBuffer.isView(description)
    ? new Uint8Array(description.buffer, description.byteOffset, description.byteLength)
    : new Uint8Array(description);
  const view = Buffer.from(bytes);
  if (view.length < 19 || view.subarray(0, 8).toString('latin1') !== 'OpusHead') {
    throw new AudioDecodeError('invalid_audio', 'The Opus stream has no valid OpusHead header.');
  }
  const head: OpusHeadFields = { channels: view.readUInt8(9), preSkip: view.readUInt16LE(10) };
  const family = view.readUInt8(18);
  if (family !== 0 && view.length >= 21 + head.channels) {
    head.streamCount = view.readUInt8(19);
    head.coupledStreamCount = view.readUInt8(20);
    head.channelMappingTable = [...view.subarray(21, 21 + head.channels)];
  }
  return head;
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

function formatSeconds(seconds: number): string {
  return seconds % 60 === 0 ? `${seconds / 60} minute${seconds === 60 ? '' : 's'}` : `${seconds} seconds`;
}
