/**
 * STT over any server with an OpenAI-compatible `POST /v1/audio/transcriptions` endpoint:
 * speaches (faster-whisper), LocalAI, whisper.cpp's `whisper-server` (started with
 * `--inference-path /v1/audio/transcriptions`), or OpenAI itself. Uses the official `openai`
 * client: the utterance goes up as a 16 kHz mono PCM16 WAV file in a multipart form, with the
 * model name and the language, and the call's AbortSignal cancels the request.
 *
 * 16 kHz because whisper.cpp's server reads only 16 kHz WAV unless started with `--convert`, and
 * every Whisper resamples to 16 kHz anyway (a third less to upload than 24 kHz).
 *
 * Errors become {@link EngineError}s with `retryable` set for timeouts, connection failures and
 * HTTP 408/409/429/5xx (the AI SDK's rule).
 *
 * @example
 * const stt = new OpenAICompatibleSTT({ baseURL: 'http://localhost:8000/v1', model: 'Systran/faster-whisper-small.en' });
 * const { text } = await stt.transcribe({ samples, sampleRate: 24_000 }, { signal });
 */
import OpenAI, { toFile } from 'openai';

import { resample } from '../../audio/resample.js';
import { encodeWav } from '../../audio/wav.js';
import type { AudioChunk } from '../../core/audio.js';
import type { CallOptions } from '../../core/call-options.js';
import type { EngineError } from '../../core/errors.js';
import type { STT, Transcript } from '../../core/stt.js';
import { type OpenAIClientOptions, createOpenAIClient, toEngineError } from '../openai-client-errors.js';
import { abortError, throwIfAborted } from './abort.js';

const ENGINE = 'openai-compatible';

/** Rate of the WAV sent, Hz. */
export const UPLOAD_SAMPLE_RATE = 16_000;

/** Options of {@link OpenAICompatibleSTT}. */
export interface OpenAICompatibleSTTOptions extends OpenAIClientOptions {
  /**
   * Base URL including `/v1`, e.g. `http://localhost:8000/v1` (speaches), `http://localhost:8080/v1`
   * (LocalAI, whisper.cpp server) or `https://api.openai.com/v1`.
   */
  baseURL: string;
  /** Model name as the server knows it, e.g. `whisper-1` (OpenAI) or `Systran/faster-whisper-small.en` (speaches). */
  model: string;
  /**
   * Language of speech when a call names none, ISO 639-1 (`en`); sent as the form's `language`
   * field. Default `en` (LocalChat's learners speak English); `null` sends none (the server detects).
   */
  language?: string | null;
  /** Time allowed for the whole request, in ms. Default 60 000 (a CPU server may load the model first). */
  timeoutMs?: number;
}

/** {@link STT} over an OpenAI-compatible `/v1/audio/transcriptions` server. */
export class OpenAICompatibleSTT implements STT {
  readonly provider = ENGINE;
  readonly modelId: string;
  readonly baseURL: string;
  readonly defaultLanguage: string | null;
  readonly #client: OpenAI;

  constructor(options: OpenAICompatibleSTTOptions) {
    this.modelId = options.model;
    this.baseURL = options.baseURL.replace(/\/+$/, '');
    this.defaultLanguage = options.language === undefined ? 'en' : options.language;
    this.#client = createOpenAIClient(this.baseURL, options, 60_000);
  }

  /**
   * Uploads one utterance (mono PCM16 at any rate; sent as a 16 kHz WAV) and returns the text.
   * @param options.language ISO 639-1 language of speech; default the engine's `defaultLanguage`
   * @returns the text, trimmed (empty for empty audio, without a request), and the language sent
   * @throws AbortError (a DOMException; `isAbortError` is true) when the signal is aborted; the
   *   HTTP request is cancelled
   * @throws EngineError when the server cannot be reached, times out or answers with an error
   */
  async transcribe(audio: AudioChunk, options: CallOptions & { language?: string }): Promise<Transcript> {
    const { signal } = options;
    throwIfAborted(signal);
    const language = options.language ?? this.defaultLanguage ?? undefined;
    if (audio.samples.length === 0) return { text: '', ...(language ? { language } : {}) };
    const wav = encodeWav(resample(audio.samples, audio.sampleRate, UPLOAD_SAMPLE_RATE), UPLOAD_SAMPLE_RATE);
    let text: string;
    try {
      const file = await toFile(wav, 'audio.wav', { type: 'audio/wav' });
      const transcription = await this.#client.audio.transcriptions.create(
        { file, model: this.modelId, response_format: 'json', ...(language ? { language } : {}) },
        { signal },
      );
      text = typeof transcription.text === 'string' ? transcription.text : '';
    } catch (error) {
      if (signal.aborted) throw abortError(signal);
      throw this.#toEngineError(error);
    }
    throwIfAborted(signal);
    return { text: text.trim(), ...(language ? { language } : {}) };
  }

  /** An EngineError that says what to check. */
  #toEngineError(error: unknown): EngineError {
    return toEngineError(ENGINE, error, {
      server: `the speech recognition server at ${this.baseURL}`,
      unreachable: 'is it running?',
      statusHints: { 404: `Does the server offer /audio/transcriptions and the model "${this.modelId}", and does the URL end in /v1?` },
    });
  }
}
