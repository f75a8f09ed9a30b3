/**
 * TTS over any server with an OpenAI-compatible `POST /v1/audio/speech` endpoint: Kokoro-FastAPI,
 * LocalAI, openedai-speech, or OpenAI itself. Uses the official `openai` client
 * (`audio.speech.create({ model, voice, input, speed, response_format })`, with the call's
 * AbortSignal) and streams the response body: audio is yielded as the bytes arrive, in ~100 ms
 * pieces, so the first words play before the server has finished.
 *
 * Formats: `pcm` by default — OpenAI documents it as raw 24 kHz 16-bit signed little-endian mono
 * samples, no header (platform.openai.com/docs/guides/text-to-speech, "Supported output
 * formats"); `wav` on request. Whatever was asked, a body that starts with a RIFF header is read
 * as WAV (some servers answer WAV to every request): 16-bit PCM WAV streams as it arrives (the
 * header's sizes are ignored when they are 0 or 0xFFFFFFFF, as streaming servers write them);
 * any other WAV encoding is read whole by `decodeWav` (wavefile) and then split into pieces.
 * Compressed answers (MP3, Opus, AAC, FLAC) are refused with a message saying what to set.
 *
 * Errors become {@link EngineError}s with `retryable` set for timeouts, connection failures and
 * HTTP 408/409/429/5xx (the AI SDK's rule).
 *
 * @example
 * const tts = new OpenAICompatibleTTS({ baseURL: 'http://localhost:8880/v1', model: 'kokoro', voices: KOKORO_FASTAPI_VOICES });
 * for await (const chunk of tts.synthesize('Nice to meet you.', { signal, voice: 'af_heart' })) play(chunk);
 */
import type OpenAI from 'openai';

import { decodeWav } from '../../audio/wav.js';
import type { AudioChunk } from '../../core/audio.js';
import { EngineError, errorMessage } from '../../core/errors.js';
import { MAX_SPEED, MIN_SPEED, type SynthesizeOptions, type TTS, type Voice } from '../../core/tts.js';
import { type OpenAIClientOptions, capitalize, connectionFailureReason, createOpenAIClient, toEngineError } from '../openai-client-errors.js';

const ENGINE = 'openai-compatible';

/** OpenAI's `pcm` output rate, Hz (24 kHz 16-bit mono little-endian). */
export const OPENAI_PCM_SAMPLE_RATE = 24_000;

/**
 * OpenAI's built-in voices as the brief for this engine lists them (the `openai` 6.x client's
 * docs also name `marin` and `cedar`; add them through `voices`).
 */
export const OPENAI_TTS_VOICES = [
  'alloy', 'ash', 'ballad', 'coral', 'echo', 'fable', 'nova', 'onyx', 'sage', 'shimmer', 'verse',
] as const;

/**
 * Kokoro-FastAPI's English voices (Kokoro-82M v1.0's voice packs: `a` American, `b` British,
 * `f` female, `m` male). Pass as `voices` for a Kokoro-FastAPI server.
 */
export const KOKORO_FASTAPI_VOICES = [
  'af_alloy', 'af_aoede', 'af_bella', 'af_heart', 'af_jessica', 'af_kore', 'af_nicole', 'af_nova', 'af_river', 'af_sarah', 'af_sky',
  'am_adam', 'am_echo', 'am_eric', 'am_fenrir', 'am_liam', 'am_michael', 'am_onyx', 'am_puck', 'am_santa',
  'bf_alice', 'bf_emma', 'bf_isabella', 'bf_lily', 'bm_daniel', 'bm_fable', 'bm_george', 'bm_lewis',
] as const;

/** Response formats this engine reads. */
export type SpeechResponseFormat = 'pcm' | 'wav';

/** Options of {@link OpenAICompatibleTTS}. */
export interface OpenAICompatibleTTSOptions extends OpenAIClientOptions {
  /**
   * Base URL including `/v1`, e.g. `http://localhost:8880/v1` (Kokoro-FastAPI),
   * `http://localhost:8080/v1` (LocalAI), `http://localhost:8000/v1` (openedai-speech) or
   * `https://api.openai.com/v1`.
   */
  baseURL: string;
  /** Model name as the server knows it, e.g. `gpt-4o-mini-tts` or `tts-1` (OpenAI), `kokoro` (Kokoro-FastAPI). */
  model: string;
  /**
   * The voices to offer (`voices()`), as ids or full `Voice`s. Default `OPENAI_TTS_VOICES`; use
   * `KOKORO_FASTAPI_VOICES` for Kokoro-FastAPI. A call may still name a voice not listed: the
   * server decides.
   */
  voices?: ReadonlyArray<string | Voice>;
  /** Voice used when a call names none. Default the first of `voices`. */
  defaultVoice?: string;
  /** BCP 47 language reported for voices given as plain ids (Kokoro ids get en-US/en-GB). Default `en`. */
  language?: string;
  /** `response_format` asked for. Default `pcm` (no header to wait for, no decoding). */
  responseFormat?: SpeechResponseFormat;
  /** Rate of the server's `pcm` output, Hz. Default 24,000 (OpenAI, Kokoro-FastAPI). A WAV answer carries its own. */
  sampleRate?: number;
  /** Length of each yielded piece, ms. Default 100. */
  chunkMs?: number;
  /** Time allowed until the response headers arrive, ms. Default 60 000 (a CPU server may load the model first). */
  timeoutMs?: number;
}

/** {@link TTS} over an OpenAI-compatible `/v1/audio/speech` server. */
export class OpenAICompatibleTTS implements TTS {
  readonly provider = ENGINE;
  readonly modelId: string;
  /** Rate of `pcm` answers, Hz; chunks from a WAV answer carry the file's rate instead. */
  readonly sampleRate: number;
  readonly defaultVoice: string;
  readonly baseURL: string;
  readonly responseFormat: SpeechResponseFormat;
  readonly #voices: Voice[];
  readonly #chunkMs: number;
  readonly #client: OpenAI;

  constructor(options: OpenAICompatibleTTSOptions) {
    this.modelId = options.model;
    this.baseURL = options.baseURL.replace(/\/+$/, '');
    this.responseFormat = options.responseFormat ?? 'pcm';
    this.sampleRate = options.sampleRate ?? OPENAI_PCM_SAMPLE_RATE;
    this.#chunkMs = options.chunkMs ?? 100;
    const language = options.language ?? 'en';
    this.#voices = (options.voices ?? OPENAI_TTS_VOICES).map((voice) =>
      typeof voice === 'string' ? voiceFromId(voice, language) : { ...voice },
    );
    this.defaultVoice = options.defaultVoice ?? this.#voices[0]?.id ?? 'alloy';
    this.#client = createOpenAIClient(this.baseURL, options, 60_000);
  }

  voices(): Voice[] {
    return this.#voices.map((voice) => ({ ...voice }));
  }

  /**
   * Asks the server to speak `text` and yields mono PCM16 in ~`chunkMs` pieces as the body
   * arrives. `speed` is clamped to 0.5-2.0 and sent only when given. Blank text yields nothing,
   * without a request. An abort cancels the request and ends the stream quietly.
   * @throws EngineError when the server cannot be reached (`connection_failed`, retryable), times
   *   out (`timeout`, retryable), answers an HTTP error (`http_<status>`, retryable for
   *   408/409/429/5xx), answers a compressed format (`unsupported_format`) or an unreadable WAV
   *   (`invalid_audio`), or the body breaks off (`stream_failed`, retryable)
   */
  async *synthesize(text: string, options: SynthesizeOptions): AsyncGenerator<AudioChunk> {
    const { signal } = options;
    if (signal.aborted || text.trim() === '') return;
    const voice = options.voice ?? this.defaultVoice;
    const speed = options.speed === undefined || !Number.isFinite(options.speed)
      ? undefined
      : Math.min(MAX_SPEED, Math.max(MIN_SPEED, options.speed));
    let response: Response;
    try {
      response = await this.#client.audio.speech.create(
        { model: this.modelId, voice, input: text, response_format: this.responseFormat, ...(speed !== undefined ? { speed } : {}) },
        { signal },
      );
    } catch (error) {
      if (signal.aborted) return;
      throw this.#toEngineError(error, voice);
    }
    if (!response.body) return;
    const reader = response.body.getReader();
    let done = false;
    try {
      const contentType = response.headers.get('content-type') ?? '';
      if (COMPRESSED_TYPE.test(contentType)) {
        throw new EngineError(
          ENGINE,
          `${capitalize(this.#server())} answered ${contentType.split(';')[0]}, which LocalChat does not decode: ` +
            'does it support response_format "pcm"? If not, set the response format to "wav".',
          { code: 'unsupported_format' },
        );
      }
      const decoder = new SpeechStreamDecoder({
        expect: this.responseFormat,
        pcmSampleRate: this.sampleRate,
        chunkMs: this.#chunkMs,
        server: this.#server(),
      });
      for (;;) {
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          result = await reader.read();
        } catch (error) {
          if (signal.aborted) return;
          throw new EngineError(ENGINE, `The audio stream from ${this.#server()} broke off: ${connectionFailureReason(error)}.`, {
            cause: error, retryable: true, code: 'stream_failed',
          });
        }
        if (result.done) {
          done = true;
          break;
        }
        for (const chunk of decoder.push(result.value)) {
          if (signal.aborted) return;
          yield chunk;
        }
      }
      for (const chunk of decoder.end()) {
        if (signal.aborted) return;
        yield chunk;
      }
    } finally {
      // Stopped early (abort, error, or the consumer left): close the connection.
      if (!done) await reader.cancel().catch(() => undefined);
      reader.releaseLock();
    }
  }

  #server(): string {
    return `the speech server at ${this.baseURL}`;
  }

  /** An EngineError that says what to check. */
  #toEngineError(error: unknown, voice: string): EngineError {
    const invalid = `Check that the server knows the model "${this.modelId}" and the voice "${voice}", and accepts response_format "${this.responseFormat}".`;
    return toEngineError(ENGINE, error, {
      server: this.#server(),
      unreachable: 'is it running, and is the URL right?',
      statusHints: {
        404: `Does the server offer /audio/speech and the model "${this.modelId}", and does the URL end in /v1?`,
        400: invalid,
        422: invalid,
      },
    });
  }
}

/** Content types of formats this engine does not decode. */
const COMPRESSED_TYPE = /^\s*audio\/(mpeg|mp3|ogg|opus|aac|flac|x-flac|webm|mp4)\b/i;

/** A voice for a configured id: Kokoro ids (`af_heart`) get their accent, gender and name. */
function voiceFromId(id: string, language: string): Voice {
  const kokoro = /^([ab])([fm])_([a-z]+)$/.exec(id);
  if (kokoro) {
    return {
      id,
      name: capitalize(kokoro[3]!),
      language: kokoro[1] === 'a' ? 'en-US' : 'en-GB',
      gender: kokoro[2] === 'f' ? 'female' : 'male',
    };
  }
  return { id, name: capitalize(id), language };
}

/** How the body is read once its start is known. */
type DecoderState =
  | { type: 'sniff' }
  | { type: 'wav-header' }
  | { type: 'pcm'; sampleRate: number; channels: number; remaining: number }
  | { type: 'whole-wav' };

/** Longest WAV header read before giving up on finding the `data` chunk. */
const MAX_WAV_HEADER_BYTES = 1 << 20;

/**
 * Turns the body's bytes into PCM16 mono pieces of `chunkMs`: raw PCM16 LE, or a WAV file
 * (streamed when 16-bit PCM, read whole by `decodeWav` otherwise).
 */
class SpeechStreamDecoder {
  #state: DecoderState = { type: 'sniff' };
  #pending: Buffer = Buffer.alloc(0);
  readonly #options: { expect: SpeechResponseFormat; pcmSampleRate: number; chunkMs: number; server: string };

  constructor(options: { expect: SpeechResponseFormat; pcmSampleRate: number; chunkMs: number; server: string }) {
    this.#options = options;
  }

  /** Takes the next bytes; returns the whole pieces now available. */
  push(bytes: Uint8Array): AudioChunk[] {
    this.#pending = this.#pending.length === 0 ? Buffer.from(bytes) : Buffer.concat([this.#pending, bytes]);
    return this.#drain(false);
  }

  /** The body ended: returns what is left (a short last piece). */
  end(): AudioChunk[] {
    return this.#drain(true);
  }

  #drain(ended: boolean): AudioChunk[] {
    if (this.#state.type === 'sniff') {
      if (this.#pending.length < 4 && !ended) return [];
      if (this.#pending.subarray(0, 4).toString('latin1') === 'RIFF') {
        this.#state = { type: 'wav-header' };
      } else if (this.#options.expect === 'wav' && this.#pending.length > 0) {
        throw new EngineError(ENGINE, `${capitalize(this.#options.server)} was asked for WAV but sent something else (no RIFF header).`, {
          code: 'invalid_audio',
        });
      } else {
        this.#state = { type: 'pcm', sampleRate: this.#options.pcmSampleRate, channels: 1, remaining: Infinity };
      }
    }
    if (this.#state.type === 'wav-header') this.#readWavHeader(ended);
    if (this.#state.type === 'whole-wav') return ended ? this.#decodeWholeWav() : [];
    if (this.#state.type === 'pcm') return this.#takePcm(this.#state, ended);
    return [];
  }

  /** Walks the RIFF chunks up to `data`; decides between streaming and reading whole. */
  #readWavHeader(ended: boolean): void {
    const bytes = this.#pending;
    let format: { audioFormat: number; channels: number; sampleRate: number; bits: number } | undefined;
    let offset = 12;
    while (offset + 8 <= bytes.length) {
      const id = bytes.toString('latin1', offset, offset + 4);
      const size = bytes.readUInt32LE(offset + 4);
      if (id === 'data') {
        const pcm16 = format && format.bits === 16 && format.audioFormat === 1;
        if (!format || !pcm16) {
          this.#state = { type: 'whole-wav' };
          return;
        }
        const remaining = size === 0 || size === 0xffffffff ? Infinity : size;
        this.#pending = bytes.subarray(offset + 8);
        this.#state = { type: 'pcm', sampleRate: format.sampleRate, channels: Math.max(1, format.channels), remaining };
        return;
      }
      const end = offset + 8 + size + (size % 2);
      if (end > bytes.length) break;
      if (id === 'fmt ' && size >= 16) {
        const extensible = bytes.readUInt16LE(offset + 8) === 0xfffe && size >= 26;
        format = {
          audioFormat: extensible ? bytes.readUInt16LE(offset + 8 + 24) : bytes.readUInt16LE(offset + 8),
          channels: bytes.readUInt16LE(offset + 10),
          sampleRate: bytes.readUInt32LE(offset + 12),
          bits: bytes.readUInt16LE(offset + 22),
        };
      }
      offset = end;
    }
    if (ended || bytes.length > MAX_WAV_HEADER_BYTES) this.#state = { type: 'whole-wav' };
  }

  #takePcm(state: Extract<DecoderState, { type: 'pcm' }>, ended: boolean): AudioChunk[] {
    const frameBytes = 2 * state.channels;
    const pieceFrames = Math.max(1, Math.round((state.sampleRate * this.#options.chunkMs) / 1000));
    let usable = Math.min(this.#pending.length, state.remaining);
    usable -= usable % frameBytes;
    const pieces: AudioChunk[] = [];
    let offset = 0;
    while (usable - offset >= pieceFrames * frameBytes || (ended && usable - offset > 0)) {
      const frames = Math.min(pieceFrames, (usable - offset) / frameBytes);
      pieces.push({ samples: pcm16ToMono(this.#pending, offset, frames, state.channels), sampleRate: state.sampleRate });
      offset += frames * frameBytes;
    }
    state.remaining -= offset;
    this.#pending = this.#pending.subarray(offset);
    return pieces;
  }

  #decodeWholeWav(): AudioChunk[] {
    let audio: AudioChunk;
    try {
      audio = decodeWav(this.#pending);
    } catch (error) {
      throw new EngineError(ENGINE, `${capitalize(this.#options.server)} sent a WAV file LocalChat cannot read: ${errorMessage(error)}`, {
        cause: error, code: 'invalid_audio',
      });
    }
    this.#pending = Buffer.alloc(0);
    const pieceSamples = Math.max(1, Math.round((audio.sampleRate * this.#options.chunkMs) / 1000));
    const pieces: AudioChunk[] = [];
    for (let start = 0; start < audio.samples.length; start += pieceSamples) {
      pieces.push({ samples: audio.samples.slice(start, start + pieceSamples), sampleRate: audio.sampleRate });
    }
    return pieces;
  }
}

/** `frames` interleaved PCM16 LE frames from `offset`, averaged to mono. */
function pcm16ToMono(bytes: Buffer, offset: number, frames: number, channels: number): Int16Array {
  const samples = new Int16Array(frames);
  for (let frame = 0; frame < frames; frame++) {
    const base = offset + frame * channels * 2;
    if (channels === 1) {
      samples[frame] = bytes.readInt16LE(base);
    } else {
      let sum = 0;
      for (let channel = 0; channel < channels; channel++) sum += bytes.readInt16LE(base + channel * 2);
      samples[frame] = Math.round(sum / channels);
    }
  }
  return samples;
}
