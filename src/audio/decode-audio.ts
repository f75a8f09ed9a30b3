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
 * mono. `decodeAudio` runs the decoding in the worker pool (src/workers/pool.ts): decoding a
 * 25 MB file takes seconds of CPU, which must not stall the event loop that carries every
 * learner's audio. `decodeAudioHere` is the same decoding on the calling thread.
 *
 * Limits against decompression bombs (a small file that declares or encodes hours of audio):
 * - declared values are checked before any decoding: a sample rate outside
 *   `MIN_SAMPLE_RATE`-`MAX_SAMPLE_RATE` or more than `MAX_CHANNELS` channels is `invalid_audio`;
 *   a declared length (WAV data size, FLAC STREAMINFO total, Ogg granule position) over the
 *   limit is `audio_too_long`;
 * - the samples actually produced are counted as they are produced (FLAC frame headers are
 *   counted before the frame is decoded; MP3 is fed in 16 KB slices, at most ~0.4 M samples
 *   each; Opus packet by packet): decoding stops at the first block over the limit;
 * - the limit is `maxSeconds` at the file's rate, counted at no more than 48 kHz (above it, in
 *   samples of 48 kHz audio: a 96 kHz file may be half as long), so the decoded audio never
 *   exceeds `maxSeconds` x 48,000 samples (57.6 MB of PCM16 for 10 minutes); and the decoders'
 *   output over all channels stays within twice that (stereo at full length; a file with more
 *   channels may be shorter), which bounds the decoding work a file can ask for.
 */
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { REALTIME_SAMPLE_RATE } from '../core/audio.js';
import { LocalChatError, errorMessage } from '../core/errors.js';
import { runTask } from '../workers/pool.js';
import { resample } from './resample.js';
import { decodeWav, inspectWav } from './wav.js';

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
  /**
   * Rate to convert the audio to, Hz, in the worker (libsamplerate, streaming); default: the
   * file's own rate (Opus: 24 kHz). The length limit applies to the file as it is.
   */
  sampleRate?: number;
}

export interface DecodeHereOptions {
  /** As in `DecodeAudioOptions`. */
  maxSeconds?: number;
  /** As in `DecodeAudioOptions`. */
  sampleRate?: number;
  /** Polled between blocks: true stops decoding with an AbortError. */
  cancelled?: () => boolean;
}

/** Lowest and highest sample rate accepted, Hz (telephone speech to studio recordings). */
export const MIN_SAMPLE_RATE = 4_000;
export const MAX_SAMPLE_RATE = 192_000;
/** Most channels accepted (7.1 surround). */
export const MAX_CHANNELS = 8;
/** Rate above which the length limit counts samples, not seconds at the file's rate, Hz. */
export const MAX_FULL_LENGTH_RATE = 48_000;

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
/** Input fed to the MP3 and Ogg Vorbis decoders at a time. */
const SLICE_BYTES = 16 * 1024;
/** FLAC samples (per channel) decoded in one call, at most. */
const FLAC_BATCH_SAMPLES = 1 << 18;

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
 * Decodes a whole audio file to mono PCM16 in the worker pool (the event loop stays free). The
 * bytes are copied once to the worker; the samples come back without a copy.
 * @throws AudioDecodeError (`unsupported_audio`, `invalid_audio`, `audio_too_long`); an AbortError
 *   when `signal` aborts
 */
export async function decodeAudio(bytes: Uint8Array, options: DecodeAudioOptions = {}): Promise<DecodedAudio> {
  options.signal?.throwIfAborted();
  // Fail fast on what the header says, without a trip to a worker.
  checkDeclared(bytes, options.maxSeconds ?? DEFAULT_MAX_SECONDS);
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  const { port1, port2 } = new MessageChannel();
  try {
    await runTask<void>(
      'decodeAudioTask',
      { bytes: copy.buffer, maxSeconds: options.maxSeconds ?? DEFAULT_MAX_SECONDS, port: port2, ...(options.sampleRate ? { sampleRate: options.sampleRate } : {}) },
      { signal: options.signal, transferList: [copy.buffer, port2] },
    );
    options.signal?.throwIfAborted();
    // The worker posts its answer before its task resolves: it is already queued on the port.
    const answer = receiveMessageOnPort(port1)?.message as DecodeAnswer | undefined;
    if (!answer) throw new AudioDecodeError('invalid_audio', 'The decoder returned no audio.');
    if ('error' in answer) throw reviveDecodeError(answer.error);
    return answer.audio;
  } finally {
    port1.close();
  }
}

/** What the worker's decode task posts: the audio, or its error as plain fields. */
export type DecodeAnswer = { audio: DecodedAudio } | { error: { name: string; code?: string; message: string } };

/** The fields of a decode error (errors cross threads without their class or `code`). */
export function decodeErrorFields(error: unknown): { name: string; code?: string; message: string } {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const code = (error as { code?: unknown }).code;
  return { name: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}) };
}

/** A decode error as it was thrown in the worker. */
function reviveDecodeError(fields: { name: string; code?: string; message: string }): Error {
  const { name, code, message } = fields;
  if (name === 'AudioDecodeError' && (code === 'unsupported_audio' || code === 'invalid_audio' || code === 'audio_too_long')) {
    return new AudioDecodeError(code, message);
  }
  if (name === 'AbortError') {
    const error = new Error(message);
    error.name = 'AbortError';
    return error;
  }
  return new AudioDecodeError('invalid_audio', `Could not decode the file: ${message}`);
}

/**
 * Decodes a whole audio file to mono PCM16 on this thread (what the worker runs; see the module
 * header for the limits).
 * @throws AudioDecodeError (`unsupported_audio`, `invalid_audio`, `audio_too_long`); an AbortError
 *   when `cancelled()` turns true
 */
export async function decodeAudioHere(bytes: Uint8Array, options: DecodeHereOptions = {}): Promise<DecodedAudio> {
  const maxSeconds = options.maxSeconds ?? DEFAULT_MAX_SECONDS;
  const container = checkDeclared(bytes, maxSeconds);
  const collector = new MonoCollector(maxSeconds, options.cancelled);
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
        codec = await decodeFlac(bytes, collector, 'audio/flac');
        break;
      case 'ogg': {
        const oggCodec = oggCodecOf(bytes);
        if (oggCodec === 'vorbis') codec = await decodeOggVorbis(bytes, collector);
        else if (oggCodec === 'flac') codec = await decodeFlac(bytes, collector, 'application/ogg');
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
  const durationSeconds = samples.length / sampleRate;
  if (options.sampleRate && options.sampleRate !== sampleRate) {
    return { samples: await convertRate(samples, sampleRate, options.sampleRate, collector), sampleRate: options.sampleRate, container, codec, durationSeconds };
  }
  return { samples, sampleRate, container, codec, durationSeconds };
}

/**
 * The container of `bytes`, after checking what its header declares (rate, channels, length).
 * @throws AudioDecodeError `unsupported_audio`, `invalid_audio` (absurd rate or channels),
 *   `audio_too_long` (declared length over `maxSeconds`)
 */
function checkDeclared(bytes: Uint8Array, maxSeconds: number): UploadContainer {
  const container = detectAudioContainer(bytes);
  if (!container) throw new AudioDecodeError('unsupported_audio', `Unsupported audio format: send ${SUPPORTED_UPLOADS}.`);
  let declared: { sampleRate: number; channels: number; frames?: number } | null = null;
  if (container === 'wav') {
    try {
      declared = inspectWav(bytes);
    } catch (error) {
      throw new AudioDecodeError('invalid_audio', errorMessage(error), { cause: error });
    }
  } else if (container === 'flac') {
    declared = flacStreamInfo(bytes);
  } else if (container === 'ogg') {
    declared = oggDeclared(bytes);
  } else if (container === 'mp3') {
    declared = mp3Declared(bytes);
  }
  if (!declared) return container;
  checkFormat(declared.sampleRate, declared.channels, container);
  if (declared.frames !== undefined && declared.frames > sampleBudget(maxSeconds, declared.sampleRate)) {
    throw tooLong(maxSeconds, declared.sampleRate);
  }
  return container;
}

/** @throws AudioDecodeError `invalid_audio` for a rate or channel count outside the limits */
function checkFormat(sampleRate: number, channels: number, container: UploadContainer): void {
  if (!Number.isFinite(sampleRate) || sampleRate < MIN_SAMPLE_RATE || sampleRate > MAX_SAMPLE_RATE) {
    throw new AudioDecodeError('invalid_audio', `The ${container.toUpperCase()} file declares a sample rate of ${sampleRate} Hz: accepted are ${MIN_SAMPLE_RATE}-${MAX_SAMPLE_RATE} Hz.`);
  }
  if (!Number.isInteger(channels) || channels < 1 || channels > MAX_CHANNELS) {
    throw new AudioDecodeError('invalid_audio', `The ${container.toUpperCase()} file declares ${channels} channels: accepted are 1-${MAX_CHANNELS}.`);
  }
}

/** Most samples (per channel) accepted at `sampleRate`: `maxSeconds`, counted at <= 48 kHz. */
export function sampleBudget(maxSeconds: number, sampleRate: number): number {
  return Math.floor(maxSeconds * Math.min(sampleRate, MAX_FULL_LENGTH_RATE));
}

function tooLong(maxSeconds: number, sampleRate: number): AudioDecodeError {
  const limit = sampleBudget(maxSeconds, sampleRate) / sampleRate;
  const note = limit < maxSeconds ? ` (${formatSeconds(Math.floor(limit))} at ${sampleRate} Hz: send ${MAX_FULL_LENGTH_RATE / 1000} kHz or less for longer audio)` : '';
  return new AudioDecodeError('audio_too_long', `The audio is longer than the ${formatSeconds(maxSeconds)} allowed${note}.`);
}

/** STREAMINFO of a native FLAC file (FLAC format specification, METADATA_BLOCK_STREAMINFO). */
function flacStreamInfo(bytes: Uint8Array): { sampleRate: number; channels: number; frames?: number } | null {
  // "fLaC", then the first metadata block: 1 byte type (STREAMINFO is 0), 3 bytes length (34).
  if (bytes.length < 8 + 34 || (bytes[4]! & 0x7f) !== 0) return null;
  const view = Buffer.from(bytes.buffer, bytes.byteOffset + 8, 34);
  // Sample rate (20 bits), channels - 1 (3 bits), bits per sample - 1 (5 bits), total samples (36 bits).
  const packed = view.readBigUInt64BE(10);
  const sampleRate = Number(packed >> 44n);
  const channels = Number((packed >> 41n) & 0x7n) + 1;
  const total = Number(packed & 0xf_ffff_ffffn);
  return { sampleRate, channels, ...(total > 0 ? { frames: total } : {}) };
}

/** MPEG audio sample rates by version (MPEG-1, 2, 2.5) and index (ISO/IEC 11172-3, 13818-3). */
const MPEG_RATES: Record<number, readonly number[]> = { 3: [44_100, 48_000, 32_000], 2: [22_050, 24_000, 16_000], 0: [11_025, 12_000, 8_000] };

/**
 * What an MP3 file declares: the first frame's rate and channels, and the frame count of a
 * Xing/Info header (what LAME writes in the first frame) when there is one. The compression of
 * MP3 is bounded (at most ~48 samples a byte), so files without that header are limited as
 * they decode.
 */
function mp3Declared(bytes: Uint8Array): { sampleRate: number; channels: number; frames?: number } | null {
  let offset = 0;
  // ID3v2 tag: 10-byte header, then a 28-bit "syncsafe" size.
  if (bytes[0] === 0x49 && bytes[1] === 0x44 && bytes[2] === 0x33 && bytes.length >= 10) {
    offset = 10 + (((bytes[6]! & 0x7f) << 21) | ((bytes[7]! & 0x7f) << 14) | ((bytes[8]! & 0x7f) << 7) | (bytes[9]! & 0x7f));
  }
  if (offset + 4 > bytes.length || bytes[offset] !== 0xff || (bytes[offset + 1]! & 0xe0) !== 0xe0) return null;
  const version = (bytes[offset + 1]! >> 3) & 0b11;
  const layer = (bytes[offset + 1]! >> 1) & 0b11;
  const sampleRate = MPEG_RATES[version]?.[(bytes[offset + 2]! >> 2) & 0b11];
  if (!sampleRate || layer === 0) return null;
  const channels = (bytes[offset + 3]! >> 6) === 0b11 ? 1 : 2;
  // Samples a frame: Layer I 384; Layer II 1152; Layer III 1152 (MPEG-1) or 576 (MPEG-2/2.5).
  const perFrame = layer === 0b11 ? 384 : layer === 0b10 ? 1152 : version === 3 ? 1152 : 576;
  const first = Buffer.from(bytes.buffer, bytes.byteOffset + offset, Math.min(200, bytes.length - offset));
  const tag = Math.max(first.indexOf('Xing', 0, 'latin1'), first.indexOf('Info', 0, 'latin1'));
  if (tag < 0 || tag + 12 > first.length || (first.readUInt32BE(tag + 4) & 1) === 0) return { sampleRate, channels };
  return { sampleRate, channels, frames: first.readUInt32BE(tag + 8) * perFrame };
}

/**
 * What an Ogg stream declares: for Opus, the channels of `OpusHead` and the length from the
 * granule position of the last page (48 kHz units, RFC 7845 section 4); other codecs are checked
 * frame by frame as they decode.
 */
function oggDeclared(bytes: Uint8Array): { sampleRate: number; channels: number; frames?: number } | null {
  const segments = bytes[26] ?? 0;
  const packet = Buffer.from(bytes.buffer, bytes.byteOffset + 27 + segments, Math.max(0, Math.min(19, bytes.length - 27 - segments)));
  if (packet.length < 19 || packet.subarray(0, 8).toString('latin1') !== 'OpusHead') return null;
  const channels = packet.readUInt8(9);
  const all = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const last = all.lastIndexOf('OggS', all.length - 27, 'latin1');
  const granule = last >= 0 && last + 14 <= all.length ? all.readBigInt64LE(last + 6) : -1n;
  return { sampleRate: 48_000, channels, ...(granule > 0n ? { frames: Number(granule) } : {}) };
}

/** Audio converted at a time by `convertRate`, seconds. */
const CONVERT_SLICE_SECONDS = 10;

/**
 * Converts the whole decoded audio to `toRate` with a streaming libsamplerate converter (4x faster
 * than the one-shot sinc for long files), slice by slice, checking for a cancel between slices.
 */
async function convertRate(samples: Int16Array, fromRate: number, toRate: number, collector: MonoCollector): Promise<Int16Array> {
  const { StreamingResampler } = await import('./streaming-resampler.js');
  const converter = await StreamingResampler.acquire(fromRate, toRate);
  if (!converter) return resample(samples, fromRate, toRate);
  try {
    const out = new Int16Array(Math.floor((samples.length * toRate) / fromRate));
    let written = 0;
    const put = (piece: Int16Array) => {
      const room = Math.min(piece.length, out.length - written);
      out.set(piece.subarray(0, room), written);
      written += room;
    };
    const step = fromRate * CONVERT_SLICE_SECONDS;
    for (let offset = 0; offset < samples.length; offset += step) {
      collector.checkCancelled();
      put(converter.push(samples.subarray(offset, offset + step)));
    }
    // The filter's held-back last milliseconds.
    put(converter.push(new Int16Array(Math.ceil(fromRate * 0.02))));
    return out.subarray(0, written);
  } finally {
    StreamingResampler.release(converter);
  }
}

/** Gathers decoded blocks as mono PCM16, enforcing the limits as blocks are produced. */
class MonoCollector {
  sampleRate: number | undefined;
  #pieces: Int16Array[] = [];
  #length = 0;

  constructor(
    private readonly maxSeconds: number,
    private readonly cancelled: (() => boolean) | undefined,
  ) {}

  /** Throws an AbortError when the caller cancelled. */
  checkCancelled(): void {
    if (this.cancelled?.()) throw abortError();
  }

  /**
   * Counts `frames` samples (per channel) at `rate` about to be decoded, before decoding them.
   * @throws AudioDecodeError when they would take the audio over the limit, or for an absurd format
   */
  reserve(frames: number, rate: number, channels: number, container: UploadContainer): void {
    checkFormat(rate, channels, container);
    this.checkCancelled();
    const firstRate = this.sampleRate ?? rate;
    const converted = rate === firstRate ? frames : Math.ceil((frames * firstRate) / rate);
    if (this.#length + this.#reserved + converted > sampleBudget(this.maxSeconds, firstRate)) throw tooLong(this.maxSeconds, firstRate);
    this.#countDecoded(converted * channels, firstRate);
    this.#reserved += converted;
  }

  /** Decoder output over all channels so far (at the first rate): bounds the decoding work. */
  #decoded = 0;
  #countDecoded(samples: number, rate: number): void {
    this.#decoded += samples;
    if (this.#decoded > 2 * sampleBudget(this.maxSeconds, rate)) throw tooLong(this.maxSeconds, rate);
  }
  #reserved = 0;

  /** Forgets what `reserve` counted (after the reserved frames were decoded, or made nothing). */
  clearReserved(): void {
    this.#reserved = 0;
  }

  /** Adds float channels (each `samplesDecoded` long) at `rate`. */
  addFloat(channels: readonly Float32Array[], samplesDecoded: number, rate: number): void {
    if (samplesDecoded <= 0 || channels.length === 0) return;
    this.#checkBefore(samplesDecoded, rate);
    if (this.#reserved === 0) this.#countDecoded(Math.ceil((samplesDecoded * channels.length * (this.sampleRate ?? rate)) / rate), this.sampleRate ?? rate);
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
    this.#checkBefore(samples.length, rate);
    this.sampleRate ??= rate;
    const piece = rate === this.sampleRate ? samples : resample(samples, rate, this.sampleRate);
    this.#pieces.push(piece);
    this.#length += piece.length;
    this.#reserved = 0;
    if (this.#length > sampleBudget(this.maxSeconds, this.sampleRate)) throw tooLong(this.maxSeconds, this.sampleRate);
  }

  /** Before converting a block: cancelled, absurd rate, or over the limit already. */
  #checkBefore(frames: number, rate: number): void {
    this.checkCancelled();
    if (!Number.isFinite(rate) || rate < MIN_SAMPLE_RATE || rate > MAX_SAMPLE_RATE) {
      throw new AudioDecodeError('invalid_audio', `The audio changes to a sample rate of ${rate} Hz: accepted are ${MIN_SAMPLE_RATE}-${MAX_SAMPLE_RATE} Hz.`);
    }
    const firstRate = this.sampleRate ?? rate;
    if (this.#length + (frames * firstRate) / rate > sampleBudget(this.maxSeconds, firstRate) + 1) throw tooLong(this.maxSeconds, firstRate);
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

function abortError(): Error {
  const error = new Error('The decoding was cancelled.');
  error.name = 'AbortError';
  return error;
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

/** MP3: 16 KB slices hold at most ~700 frames of 576-1152 samples: the limit is checked after each. */
async function decodeMp3(bytes: Uint8Array, collector: MonoCollector): Promise<string> {
  const { MPEGDecoder } = await import('mpg123-decoder');
  await decodeInSlices(new MPEGDecoder(), bytes, collector);
  return 'mp3';
}

/**
 * FLAC, native or in Ogg: frames are found by codec-parser and each frame's header (rate,
 * channels, block size) is checked and counted before the frame is decoded, so a file of tiny
 * CONSTANT frames (65,535 samples in a few bytes each) is stopped before it expands.
 */
async function decodeFlac(bytes: Uint8Array, collector: MonoCollector, mimeType: 'audio/flac' | 'application/ogg'): Promise<string> {
  const [{ FLACDecoder }, { default: CodecParser }] = await Promise.all([import('@wasm-audio-decoders/flac'), import('codec-parser')]);
  const decoder = new FLACDecoder();
  await decoder.ready;
  const parser = new CodecParser(mimeType, { enableFrameCRC32: false });
  let batch: Uint8Array[] = [];
  let batchSamples = 0;
  const decodeBatch = async () => {
    if (batch.length === 0) return;
    const result = await decoder.decodeFrames(batch);
    batch = [];
    batchSamples = 0;
    collector.clearReserved();
    collector.addFloat(result.channelData, result.samplesDecoded, result.sampleRate);
    await nextTurn();
  };
  try {
    for (const item of parser.parseAll(bytes) as Iterable<CodecParserItem>) {
      const frames = 'codecFrames' in item ? (item.codecFrames ?? []) : [item];
      for (const frame of frames) {
        const header = frame.header as { sampleRate: number; channels: number };
        collector.reserve(frame.samples, header.sampleRate, header.channels, mimeType === 'audio/flac' ? 'flac' : 'ogg');
        batch.push(frame.data);
        batchSamples += frame.samples * header.channels;
        if (batchSamples >= FLAC_BATCH_SAMPLES) await decodeBatch();
      }
    }
    await decodeBatch();
  } finally {
    decoder.free();
  }
  return 'flac';
}

/** A frame, or an Ogg page holding frames, as codec-parser yields them. */
type CodecParserItem = { data: Uint8Array; header: unknown; samples: number; codecFrames?: undefined } | { codecFrames: Array<{ data: Uint8Array; header: unknown; samples: number }> };

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
      collector.checkCancelled();
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
    checkFormat(REALTIME_SAMPLE_RATE, head.channels, container);
    // opus-decoder counts the pre-skip in output samples; OpusHead gives it at 48 kHz.
    const preSkip = Math.round((head.preSkip * REALTIME_SAMPLE_RATE) / 48_000);
    const decoder = new OpusDecoder({ sampleRate: REALTIME_SAMPLE_RATE, ...head, preSkip });
    await decoder.ready;
    try {
      let count = 0;
      for await (const packet of new EncodedPacketSink(track).packets()) {
        // An Opus packet holds at most 120 ms (RFC 6716 section 3.2.5): counted before decoding.
        collector.reserve(REALTIME_SAMPLE_RATE * 0.12, REALTIME_SAMPLE_RATE, head.channels, container);
        const result = decoder.decodeFrame(packet.data);
        collector.clearReserved();
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
