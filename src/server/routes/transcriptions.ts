/**
 * `POST /v1/audio/transcriptions`, OpenAI-compatible: a multipart upload in, its transcript out,
 * through the configured STT (`engines.prepareStt()`, which loads it on first use).
 *
 * Fields: `file` (WAV, MP3, FLAC, Ogg Opus/Vorbis/FLAC, WebM Opus: decode-audio.ts; detected from
 * the bytes), `model` (model-names.ts: `whisper-1` and the other aliases, or the STT's own id),
 * `language` (ISO 639-1, passed to the engine), `response_format` (`json` default, `text`,
 * `verbose_json`, `srt`, `vtt`), `stream` (`true`: Server-Sent Events, below); `prompt`,
 * `temperature`, `timestamp_granularities[]`, `include[]` and `chunking_strategy` are accepted and
 * ignored.
 *
 * `json` and `text` transcribe the whole file in one engine call. `verbose_json`, `srt` and `vtt`
 * split it first into speech segments with the server's VAD (Silero: speech ends after 500 ms of
 * silence, segments of at most 30 s), transcribe each, and report each segment's start and end
 * in seconds; when there is no VAD (or it finds no speech) the whole file is one segment.
 * `verbose_json` names the language as OpenAI does (`english`); its segments carry every field of OpenAI's (https://platform.openai.com/docs/api-reference/audio/verbose-json-object),
 * see {@link VerboseSegment}.
 *
 * `stream: true` (with `json` or `text`) answers as OpenAI's streamed transcriptions do
 * (https://platform.openai.com/docs/api-reference/audio/transcript-text-delta-event): one
 * `transcript.text.delta` event per speech segment as soon as it is transcribed (segments as for
 * `verbose_json`), then `transcript.text.done` with the whole text and `usage`
 * (`{type: 'duration', seconds}`), then the end of the stream. A failure after the first event is
 * an SSE `error` event.
 *
 * The file is decoded (and converted to 16 kHz) in the worker pool, off the event loop; absurd
 * declared rates, channel counts and lengths are refused before decoding (decode-audio.ts).
 *
 * Limits: the file at most 25 MB (OpenAI's limit; 413), the audio at most 10 minutes (413);
 * a request that is not multipart/form-data or a file in another format is 415; a missing or
 * unreadable file is 400.
 */
import { deflateSync } from 'node:zlib';
import fastifyMultipart from '@fastify/multipart';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AudioChunk } from '../../core/audio.js';
import { isAbortError } from '../../core/errors.js';
import type { STT } from '../../core/stt.js';
import type { VadSettings } from '../../core/vad.js';
import type { EngineSet } from '../../engines/engine-set.js';
import { AudioDecodeError, SUPPORTED_UPLOADS, type DecodedAudio, decodeAudio } from '../../audio/decode-audio.js';
import { resample } from '../../audio/resample.js';
import { StreamingResampler } from '../../audio/streaming-resampler.js';
import { abortOnDisconnect, clientGone, sseData, streamFrom } from './http-streaming.js';
import { checkTranscriptionModel, sttStatus } from './model-names.js';
import { OpenAIApiError, engineFailure, engineUnavailable, fromZodError, invalidRequest, openAIErrorHandler } from './openai-errors.js';

export interface TranscriptionRoutesOptions {
  engines: EngineSet;
  /** Largest upload, bytes; default 25 MB (OpenAI's limit). */
  maxFileBytes?: number;
  /** Longest audio, seconds; default 600. */
  maxAudioSeconds?: number;
}

export const DEFAULT_MAX_FILE_BYTES = 25 * 1024 * 1024;
/**
 * Rate the upload is decoded to, Hz, in the worker pool: every STT here works at 16 kHz (Whisper,
 * Moonshine; the OpenAI-compatible engine uploads 16 kHz), and so does Silero VAD, so nothing of
 * a long file is converted on the event loop afterwards.
 */
export const TRANSCRIPTION_SAMPLE_RATE = 16_000;
export const DEFAULT_MAX_AUDIO_SECONDS = 600;

/** Turn detection for splitting a file into segments: shorter pauses than a conversation's turns. */
export const SEGMENT_VAD_SETTINGS: VadSettings = { threshold: 0.5, silenceDurationMs: 500, prefixPaddingMs: 200, minSpeechMs: 250 };

/** The text fields of the form (unknown ones are dropped). */
export const TranscriptionFields = z.object({
  model: z.string().min(1).optional(),
  language: z
    .string()
    .regex(/^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/, 'must be a language code such as "en"')
    .optional(),
  response_format: z.enum(['json', 'text', 'verbose_json', 'srt', 'vtt']).optional(),
  temperature: z.coerce.number().min(0).max(1).optional(),
  prompt: z.string().optional(),
  stream: z.stringbool().optional(),
});

/** One transcribed stretch of the file, times in seconds. */
export interface TranscriptSegment {
  id: number;
  start: number;
  end: number;
  text: string;
}

/**
 * A `verbose_json` segment with all of OpenAI's fields. Each segment is its own engine call, so:
 * `seek` is the segment's start in Whisper's 10 ms mel frames (Whisper's unit: the offset of the
 * window the segment was decoded from); `tokens` the token ids when the engine reports them (our
 * engines do not: `[]`); `temperature` 0 (every engine here decodes greedily); `avg_logprob` and
 * `no_speech_prob` 0 when the engine does not report them (ours do not; the VAD already decided
 * the segment is speech); `compression_ratio` computed as Whisper does, the text's UTF-8 length
 * over its zlib-compressed length (`compression_ratio` in openai/whisper's whisper/utils.py).
 */
export interface VerboseSegment extends TranscriptSegment {
  seek: number;
  tokens: number[];
  temperature: number;
  avg_logprob: number;
  compression_ratio: number;
  no_speech_prob: number;
}

/** `segment` with OpenAI's verbose fields (see {@link VerboseSegment}). */
export function verboseSegment(segment: TranscriptSegment): VerboseSegment {
  return {
    id: segment.id,
    seek: Math.round(segment.start * 100),
    start: segment.start,
    end: segment.end,
    text: segment.text,
    tokens: [],
    temperature: 0,
    avg_logprob: 0,
    compression_ratio: compressionRatio(segment.text),
    no_speech_prob: 0,
  };
}

const languageNames = new Intl.DisplayNames(['en'], { type: 'language', fallback: 'code' });

/**
 * A language code as OpenAI's `verbose_json` names it: the English name in lower case
 * (`en` -> `english`, as Whisper's `LANGUAGES` table in openai/whisper's whisper/tokenizer.py);
 * the code itself when it has no name.
 */
export function languageName(code: string): string {
  try {
    return (languageNames.of(code) ?? code).toLowerCase();
  } catch {
    return code;
  }
}

/** UTF-8 length over zlib-compressed length, rounded to 3 decimals (openai/whisper: whisper/utils.py `compression_ratio`). */
export function compressionRatio(text: string): number {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length === 0) return 0;
  return round(bytes.length / deflateSync(bytes).length);
}

/**
 * Fastify plugin: `POST /v1/audio/transcriptions` (it registers @fastify/multipart in its own
 * scope). Register with `app.register(transcriptionRoutes, { engines })`.
 */
export const transcriptionRoutes: FastifyPluginAsync<TranscriptionRoutesOptions> = async (app: FastifyInstance, options) => {
  const { engines } = options;
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const maxAudioSeconds = options.maxAudioSeconds ?? DEFAULT_MAX_AUDIO_SECONDS;
  app.setErrorHandler(openAIErrorHandler);
  await app.register(fastifyMultipart, {
    limits: { fileSize: maxFileBytes, files: 1, fields: 16, fieldSize: 64 * 1024, parts: 24, headerPairs: 100 },
  });

  app.post('/v1/audio/transcriptions', async (request: FastifyRequest, reply: FastifyReply) => {
    if (!request.isMultipart()) {
      throw new OpenAIApiError(415, "Send the audio as multipart/form-data with a 'file' field.", { code: 'unsupported_media_type' });
    }
    const controller = abortOnDisconnect(reply);
    const { signal } = controller;
    let file: Buffer | undefined;
    const raw: Record<string, string> = {};
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        if (part.fieldname === 'file') file = await part.toBuffer();
        else part.file.resume();
      } else {
        raw[part.fieldname] = typeof part.value === 'string' ? part.value : String(part.value);
      }
    }
    const parsed = TranscriptionFields.safeParse(raw);
    if (!parsed.success) throw fromZodError(parsed.error, raw);
    const fields = parsed.data;
    if (!file) throw invalidRequest("The 'file' field is missing: attach the audio file as 'file'.", 'file', 'missing_required_parameter');
    if (file.length === 0) throw invalidRequest('The uploaded file is empty.', 'file', 'invalid_value');
    checkTranscriptionModel(engines, fields.model);

    let audio: DecodedAudio;
    try {
      audio = await decodeAudio(file, { maxSeconds: maxAudioSeconds, signal, sampleRate: TRANSCRIPTION_SAMPLE_RATE });
    } catch (error) {
      if (signal.aborted) return clientGone(reply);
      throw uploadError(error);
    }
    file = undefined;

    const stt = await engines.prepareStt();
    if (!stt) {
      const status = sttStatus(engines);
      throw engineUnavailable(`Speech recognition is not available${status?.message ? `: ${status.message}` : '.'}`);
    }
    const language = fields.language?.toLowerCase();
    const format = fields.response_format ?? 'json';
    if (fields.stream) {
      if (format !== 'json' && format !== 'text') {
        throw invalidRequest(`Streaming is supported with response_format json or text, not ${format}.`, 'response_format', 'unsupported_value');
      }
      return streamTranscript(reply, { engines, stt, audio, signal, language, request, controller });
    }
    try {
      if (format === 'json' || format === 'text') {
        const transcript = await stt.transcribe({ samples: audio.samples, sampleRate: audio.sampleRate }, { signal, language });
        if (signal.aborted) return clientGone(reply);
        engines.reportSuccess('stt');
        const text = transcript.text.trim();
        return format === 'text' ? reply.type('text/plain; charset=utf-8').send(text) : { text };
      }
      const result = await transcribeSegments(engines, stt, audio, { signal, language }, request);
      if (signal.aborted) return clientGone(reply);
      engines.reportSuccess('stt');
      if (format === 'srt') return reply.type('text/plain; charset=utf-8').send(toSrt(result.segments));
      if (format === 'vtt') return reply.type('text/vtt; charset=utf-8').send(toVtt(result.segments));
      return {
        task: 'transcribe',
        language: languageName(result.language ?? language ?? 'en'),
        duration: round(audio.durationSeconds),
        text: result.segments.map((segment) => segment.text).join(' '),
        segments: result.segments.map(verboseSegment),
        usage: { type: 'duration', seconds: Math.ceil(audio.durationSeconds) },
      };
    } catch (error) {
      if (signal.aborted || isAbortError(error)) return clientGone(reply);
      if (error instanceof OpenAIApiError) throw error;
      engines.reportFailure('stt', error);
      throw engineFailure(error, engines, 'stt');
    }
  });
};

/**
 * Answers with OpenAI's transcription SSE stream: a `transcript.text.delta` per transcribed speech
 * segment, then `transcript.text.done`. A failure before the first event is an error response;
 * later, an `error` event.
 */
async function streamTranscript(
  reply: FastifyReply,
  context: {
    engines: EngineSet; stt: STT; audio: DecodedAudio; signal: AbortSignal; language: string | undefined;
    request: FastifyRequest; controller: AbortController;
  },
): Promise<FastifyReply> {
  const { engines, stt, audio, signal, language, request, controller } = context;
  const segments = segmentTranscripts(engines, stt, audio, { signal, ...(language ? { language } : {}) }, request);
  let first: IteratorResult<TranscriptSegment>;
  try {
    first = await segments.next();
  } catch (error) {
    if (signal.aborted || isAbortError(error)) return clientGone(reply);
    engines.reportFailure('stt', error);
    throw engineFailure(error, engines, 'stt');
  }
  if (signal.aborted) return clientGone(reply);
  const usage = { type: 'duration', seconds: Math.ceil(audio.durationSeconds) };

  async function* events(): AsyncGenerator<string> {
    const texts: string[] = [];
    let settled = false;
    try {
      for (let step = first; !step.done; step = await segments.next()) {
        if (signal.aborted) return;
        yield sseData({ type: 'transcript.text.delta', delta: texts.length > 0 ? ` ${step.value.text}` : step.value.text, logprobs: null });
        texts.push(step.value.text);
      }
      settled = true;
    } catch (error) {
      settled = true;
      if (signal.aborted || isAbortError(error)) return;
      engines.reportFailure('stt', error);
      request.log.warn({ err: error }, 'speech recognition failed mid-stream');
      yield sseData({ type: 'error', ...engineFailure(error, engines, 'stt').body() });
      return;
    } finally {
      if (!settled) {
        controller.abort();
        await segments.return(undefined);
      }
    }
    engines.reportSuccess('stt');
    yield sseData({ type: 'transcript.text.done', text: texts.join(' '), logprobs: null, usage });
  }

  reply
    .code(200)
    .header('content-type', 'text/event-stream; charset=utf-8')
    .header('cache-control', 'no-cache')
    .header('x-accel-buffering', 'no');
  // The first SSE comment goes out at once, so the client sees the stream open.
  return reply.send(streamFrom(': transcription\n\n', events()));
}

/** A decoding failure as the API error for it. */
function uploadError(error: unknown): unknown {
  if (!AudioDecodeError.isInstance(error)) return error;
  if (error.code === 'unsupported_audio') return new OpenAIApiError(415, error.message, { param: 'file', code: 'unsupported_audio', cause: error });
  if (error.code === 'audio_too_long') return new OpenAIApiError(413, error.message, { param: 'file', code: 'audio_too_long', cause: error });
  return new OpenAIApiError(400, `${error.message} Supported: ${SUPPORTED_UPLOADS}.`, { param: 'file', code: 'invalid_audio', cause: error });
}

/**
 * Transcribes `audio` segment by segment: speech segments found by the VAD, or the whole file as
 * one segment when there is no VAD or it finds no speech. Segments with no words are dropped.
 */
async function transcribeSegments(
  engines: EngineSet,
  stt: STT,
  audio: DecodedAudio,
  options: { signal: AbortSignal; language?: string },
  request: FastifyRequest,
): Promise<{ segments: TranscriptSegment[]; language?: string }> {
  const segments: TranscriptSegment[] = [];
  const found: { language?: string } = {};
  for await (const segment of segmentTranscripts(engines, stt, audio, options, request, found)) segments.push(segment);
  return { segments, ...(found.language ? { language: found.language } : {}) };
}

/**
 * The segments of {@link transcribeSegments} one by one, as each is transcribed. The first
 * language an engine reports is written to `found.language`.
 */
async function* segmentTranscripts(
  engines: EngineSet,
  stt: STT,
  audio: DecodedAudio,
  options: { signal: AbortSignal; language?: string },
  request: FastifyRequest,
  found: { language?: string } = {},
): AsyncGenerator<TranscriptSegment> {
  let spans = await speechSpans(engines, audio, options.signal).catch((error: unknown) => {
    if (options.signal.aborted) throw error;
    request.log.debug({ err: error }, 'no VAD for transcript segments: the file is one segment');
    return null;
  });
  if (!spans || spans.length === 0) {
    spans = [{ start: 0, end: audio.durationSeconds, audio: { samples: audio.samples, sampleRate: audio.sampleRate } }];
  }
  let id = 0;
  for (const span of spans) {
    const transcript = await stt.transcribe(span.audio, options);
    if (options.signal.aborted) return;
    found.language ??= transcript.language;
    const text = transcript.text.trim();
    if (text) yield { id: id++, start: round(span.start), end: round(span.end), text };
  }
}

interface SpeechSpan {
  start: number;
  end: number;
  /** The span's audio with the VAD's padding, for the STT. */
  audio: AudioChunk;
}

/**
 * The speech in `audio` according to the engine set's VAD (times in seconds).
 * @throws when the engine set has no VAD or it fails
 */
async function speechSpans(engines: EngineSet, audio: DecodedAudio, signal: AbortSignal): Promise<SpeechSpan[]> {
  const vad = await engines.createVad(SEGMENT_VAD_SETTINGS);
  const rate = vad.sampleRate;
  const streaming = audio.sampleRate === rate ? null : await StreamingResampler.acquire(audio.sampleRate, rate);
  // No streaming resampler free (many requests at once): convert the whole file up front.
  if (audio.sampleRate !== rate && !streaming) audio = { ...audio, samples: resample(audio.samples, audio.sampleRate, rate), sampleRate: rate };
  const resampler = streaming;
  const spans: SpeechSpan[] = [];
  let startMs: number | undefined;
  const feed = async (samples: Int16Array) => {
    for (const event of await vad.push(samples)) {
      if (event.type === 'speech-started') {
        startMs = event.audioStartMs;
      } else if (event.type === 'speech-stopped') {
        const endMs = Math.min(event.audioEndMs, audio.durationSeconds * 1000);
        const begin = startMs ?? endMs - (event.audio.length / rate) * 1000;
        spans.push({ start: Math.max(0, begin) / 1000, end: endMs / 1000, audio: { samples: event.audio, sampleRate: rate } });
        startMs = undefined;
      }
    }
  };
  try {
    const step = audio.sampleRate; // one second at a time
    for (let offset = 0; offset < audio.samples.length; offset += step) {
      signal.throwIfAborted();
      const piece = audio.samples.subarray(offset, offset + step);
      await feed(resampler ? resampler.push(piece) : piece);
    }
    // The resampler's held-back tail, then enough silence to end speech still going on.
    if (resampler) await feed(resampler.push(new Int16Array(Math.ceil(audio.sampleRate * 0.02))));
    await feed(new Int16Array(Math.ceil(((SEGMENT_VAD_SETTINGS.silenceDurationMs + 300) / 1000) * rate)));
  } finally {
    if (resampler) StreamingResampler.release(resampler);
  }
  return spans;
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

/** `hh:mm:ss,mmm` (SRT) or `hh:mm:ss.mmm` (WebVTT). */
function timestamp(seconds: number, separator: ',' | '.'): string {
  const ms = Math.round(seconds * 1000);
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return `${pad(Math.floor(ms / 3_600_000))}:${pad(Math.floor(ms / 60_000) % 60)}:${pad(Math.floor(ms / 1000) % 60)}${separator}${pad(ms % 1000, 3)}`;
}

/** Segments as SubRip subtitles. */
export function toSrt(segments: readonly TranscriptSegment[]): string {
  return segments.map((segment, index) => `${index + 1}\n${timestamp(segment.start, ',')} --> ${timestamp(segment.end, ',')}\n${segment.text}\n`).join('\n');
}

/** Segments as WebVTT subtitles. */
export function toVtt(segments: readonly TranscriptSegment[]): string {
  return `WEBVTT\n\n${segments.map((segment) => `${timestamp(segment.start, '.')} --> ${timestamp(segment.end, '.')}\n${segment.text}\n`).join('\n')}`;
}
