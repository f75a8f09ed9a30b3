/**
 * WAV (RIFF) encoding and decoding of mono PCM16, through wavefile (rochars/wavefile 11).
 */
import wavefile from 'wavefile';

import type { AudioChunk } from '../core/audio.js';
import { LocalChatError, errorMessage } from '../core/errors.js';

const { WaveFile } = wavefile;

/**
 * Encodes mono PCM16 as a canonical 44-byte-header WAV file (RIFF, `WAVE_FORMAT_PCM`, 16-bit).
 * @param samples signed 16-bit samples
 * @param sampleRate Hz
 * @returns the file's bytes
 */
export function encodeWav(samples: Int16Array, sampleRate: number): Buffer {
  const wav = new WaveFile();
  wav.fromScratch(1, sampleRate, '16', samples);
  const bytes = wav.toBuffer();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Decodes a WAV file to mono PCM16 at the file's own sample rate.
 *
 * Accepts what wavefile reads: PCM 8/16/24/32-bit, float 32/64-bit, A-law, mu-law, IMA ADPCM, in
 * RIFF, RIFX or RF64 containers. Other bit depths are converted to 16-bit; several channels are
 * averaged into one.
 *
 * @param bytes the whole file
 * @returns `{ samples, sampleRate }` (Hz)
 * @throws LocalChatError with code `invalid_wav` when the bytes are not a WAV file wavefile can read
 */
export function decodeWav(bytes: Uint8Array): AudioChunk {
  const wav = new WaveFile();
  try {
    wav.fromBuffer(bytes);
    // Decompress first: toBitDepth would read compressed codes as 8-bit PCM.
    if (wav.bitDepth === '8m') wav.fromMuLaw();
    else if (wav.bitDepth === '8a') wav.fromALaw();
    else if (wav.bitDepth === '4') wav.fromIMAADPCM();
    if (wav.bitDepth !== '16') wav.toBitDepth('16');
  } catch (error) {
    throw new LocalChatError('invalid_wav', `Not a readable WAV file: ${errorMessage(error)}`, { cause: error });
  }
  const { numChannels, sampleRate } = wav.fmt as { numChannels: number; sampleRate: number };
  const decoded = wav.getSamples(false, Int16Array) as unknown as Int16Array | Int16Array[];
  if (!Array.isArray(decoded)) return { samples: decoded, sampleRate };
  return { samples: mixToMono(decoded, numChannels), sampleRate };
}

/** What a WAV file's header declares, for checks before decoding. */
export interface WavDeclared {
  sampleRate: number;
  channels: number;
  /** Samples per channel the data present in the file decodes to. */
  frames: number;
}

/**
 * Reads a WAV file's header (no samples): rate, channels, and the length its data decodes to,
 * counting only the data present (a `data` size of 0xFFFFFFFF, as streaming writers use, or one
 * larger than the file means "to the end of the file").
 *
 * @throws LocalChatError with code `invalid_wav` when the header cannot be read
 */
export function inspectWav(bytes: Uint8Array): WavDeclared {
  const wav = new WaveFile();
  try {
    wav.fromBuffer(bytes, false);
  } catch (error) {
    throw new LocalChatError('invalid_wav', `Not a readable WAV file: ${errorMessage(error)}`, { cause: error });
  }
  const fmt = wav.fmt as { audioFormat: number; numChannels: number; sampleRate: number; blockAlign: number; bitsPerSample: number };
  const dataBytes = dataBytesPresent(bytes);
  const channels = fmt.numChannels;
  if (!(fmt.blockAlign > 0)) throw new LocalChatError('invalid_wav', 'Not a readable WAV file: its block size is 0.');
  const blocks = Math.floor(dataBytes / fmt.blockAlign);
  // IMA ADPCM (format 0x11): a 4-byte header per channel, then two 4-bit codes a byte; the
  // header's sample counts too (Microsoft's "Multimedia Standards Update" for IMA ADPCM).
  const framesPerBlock = fmt.audioFormat === 0x11 && channels > 0 ? ((fmt.blockAlign - 4 * channels) * 2) / channels + 1 : 1;
  return { sampleRate: fmt.sampleRate, channels, frames: blocks * framesPerBlock };
}

/**
 * Bytes of the `data` chunk present in the file: its declared size, cut at the end of the file
 * (RIFF/RIFX/RF64 chunk layout: 4-byte id, 4-byte size, data padded to an even length).
 */
function dataBytesPresent(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const littleEndian = String.fromCharCode(...bytes.subarray(0, 4)) !== 'RIFX';
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const id = String.fromCharCode(...bytes.subarray(offset, offset + 4));
    const size = view.getUint32(offset + 4, littleEndian);
    const start = offset + 8;
    // 0xFFFFFFFF: RF64's placeholder, or a streaming writer's "to the end of the file".
    if (id === 'data') return Math.max(0, Math.min(bytes.length, size === 0xffffffff ? bytes.length : start + size) - start);
    offset = start + size + (size % 2);
  }
  return 0;
}

function mixToMono(channels: Int16Array[], numChannels: number): Int16Array {
  const length = channels[0]?.length ?? 0;
  const mono = new Int16Array(length);
  for (let i = 0; i < length; i++) {
    let sum = 0;
    for (const channel of channels) sum += channel[i] ?? 0;
    mono[i] = Math.round(sum / numChannels);
  }
  return mono;
}
