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
