/**
 * Incremental audio encoders behind one interface, for responses that stream audio while it is
 * synthesized (`POST /v1/audio/speech`): raw PCM16, WAV, MP3 and Ogg Opus.
 *
 * WAV is written with a streaming header: the RIFF and `data` sizes are 0xFFFFFFFF ("unknown,
 * read to the end"), as streaming servers do, since the length is not known when the header goes
 * out. ffmpeg, browsers, libsndfile, Python's `wave` and wavefile read such files to the end.
 */
import { endianness } from 'node:os';
import { Mp3StreamEncoder } from './mp3-encoder.js';
import { OggOpusStreamEncoder, type OpusSampleRate } from './ogg-opus-encoder.js';

const LITTLE_ENDIAN = endianness() === 'LE';

export type StreamAudioFormat = 'pcm' | 'wav' | 'mp3' | 'opus';

/** A stream encoder: `push` audio as it comes, `end` once; each returns bytes ready to send. */
export interface StreamEncoder {
  readonly format: StreamAudioFormat;
  /** The `Content-Type` of the output. */
  readonly contentType: string;
  push(samples: Int16Array): Buffer;
  end(): Buffer;
  /** Frees native/WASM state when the stream is abandoned before `end`. */
  dispose(): void;
}

/** `Content-Type` of each format. */
export const STREAM_CONTENT_TYPES: Readonly<Record<StreamAudioFormat, string>> = {
  pcm: 'audio/pcm',
  wav: 'audio/wav',
  mp3: 'audio/mpeg',
  opus: 'audio/ogg; codecs=opus',
};

/**
 * Creates an incremental encoder of mono PCM16 at `sampleRate`.
 * @throws RangeError when the format cannot carry that rate (MP3 and Opus take a fixed set)
 */
export function createStreamEncoder(format: StreamAudioFormat, sampleRate: number): StreamEncoder {
  const contentType = STREAM_CONTENT_TYPES[format];
  switch (format) {
    case 'pcm':
      return { format, contentType, push: pcmBytes, end: () => Buffer.alloc(0), dispose: () => {} };
    case 'wav': {
      let headerSent = false;
      const header = (): Buffer[] => {
        if (headerSent) return [];
        headerSent = true;
        return [streamingWavHeader(sampleRate)];
      };
      return {
        format,
        contentType,
        push: (samples) => Buffer.concat([...header(), pcmBytes(samples)]),
        end: () => Buffer.concat(header()),
        dispose: () => {},
      };
    }
    case 'mp3': {
      const encoder = new Mp3StreamEncoder({ sampleRate });
      return { format, contentType, push: (samples) => encoder.push(samples), end: () => encoder.end(), dispose: () => {} };
    }
    case 'opus': {
      const encoder = new OggOpusStreamEncoder({ sampleRate: sampleRate as OpusSampleRate });
      return { format, contentType, push: (samples) => encoder.push(samples), end: () => encoder.end(), dispose: () => encoder.dispose() };
    }
  }
}

/** The 44-byte header of a mono PCM16 WAV stream whose length is not known (sizes 0xFFFFFFFF). */
export function streamingWavHeader(sampleRate: number): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(0xffffffff, 4);
  header.write('WAVE', 8, 'latin1');
  header.write('fmt ', 12, 'latin1');
  header.writeUInt32LE(16, 16); // fmt chunk size
  header.writeUInt16LE(1, 20); // WAVE_FORMAT_PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28); // byte rate
  header.writeUInt16LE(2, 32); // block align
  header.writeUInt16LE(16, 34); // bits per sample
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(0xffffffff, 40);
  return header;
}

/** PCM16 samples as little-endian bytes (a copy). */
export function pcmBytes(samples: Int16Array): Buffer {
  if (LITTLE_ENDIAN) return Buffer.from(samples.slice().buffer);
  const bytes = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) bytes.writeInt16LE(samples[i]!, i * 2);
  return bytes;
}
