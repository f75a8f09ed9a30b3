/**
 * `POST /v1/audio/speech`, OpenAI-compatible: text in, audio streamed out while it is synthesized.
 *
 * Request: `model` (model-names.ts: `kokoro`, `espeak`, or `tts-1` / `tts-1-hd` /
 * `gpt-4o-mini-tts` / `localchat` for the active engine), `input` (1-4096 characters), `voice`
 * (an engine voice id; OpenAI's names `alloy`, `nova`, `onyx`... map to the engine voice of that
 * name (Kokoro's `af_nova`), else to one of the same gender; default: the engine's default voice;
 * an unknown voice is a 400 listing the voices), `speed` (OpenAI's 0.25-4 range is accepted and
 * clamped to the engines' 0.5-2; the applied value is in the `X-LocalChat-Speed` header),
 * `response_format` (`mp3` default, `opus` (Ogg), `wav`, `pcm`; `aac` and `flac` are 400),
 * `instructions` (ignored). `stream_format: 'sse'` is refused.
 *
 * Output is mono 24 kHz (OpenAI's rate; `pcm` is raw PCM16 little-endian). The input is split
 * into sentence chunks (chunkText); each is synthesized, then resampled to 24 kHz (a streaming
 * resampler) and encoded incrementally in a worker thread (`WorkerStreamEncoder`: LAME takes
 * ~50 ms per second of audio, which must not stall the event loop), and written as soon as it is
 * ready, so the first audio arrives after the first chunk, not the whole text. WAV goes out with a streaming header (sizes
 * 0xFFFFFFFF: "read to the end"), since the length is not known when it is sent.
 *
 * A failure before any audio is an error response (502 / 503). A chunk the engine fails on is
 * retried with the fallback engine (eSpeak NG behind Kokoro) when there is one and nothing of that
 * chunk was sent yet; a failure after audio went out ends the response abruptly (the client sees
 * a truncated transfer, not a short but valid file). The engine stops when the client disconnects.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { REALTIME_SAMPLE_RATE, type AudioChunk } from '../../core/audio.js';
import { isAbortError } from '../../core/errors.js';
import { MAX_SPEED, MIN_SPEED, type TTS, type Voice } from '../../core/tts.js';
import type { EngineSet } from '../../engines/engine-set.js';
import type { StreamAudioFormat } from '../../audio/stream-encoders.js';
import { WorkerStreamEncoder } from '../../workers/encoder-session.js';
import { chunkText } from '../../text/sentence-chunker.js';
import { abortOnDisconnect, clientGone, streamFrom } from './http-streaming.js';
import { OPENAI_VOICES, resolveOpenAIVoice } from '../openai-voices.js';
import { resolveSpeechModel } from './model-names.js';
import { engineFailure, fromZodError, invalidRequest, openAIErrorHandler, requireJson } from './openai-errors.js';

export interface SpeechRoutesOptions {
  engines: EngineSet;
}

/** Longest `input`, characters (OpenAI's limit). */
export const MAX_SPEECH_INPUT = 4096;
/** Sample rate of every format the endpoint returns (OpenAI's `pcm` is 24 kHz). */
export const SPEECH_SAMPLE_RATE = REALTIME_SAMPLE_RATE;
/** Audio converted and encoded at a time, seconds. */
const SLICE_SECONDS = 0.25;

/** The request body (unknown fields are accepted and dropped). */
export const SpeechBody = z.object({
  model: z.string().min(1),
  input: z.string().max(MAX_SPEECH_INPUT),
  voice: z.union([z.string().min(1), z.looseObject({ id: z.string().min(1) })]).nullish(),
  instructions: z.string().nullish(),
  response_format: z.enum(['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm']).nullish(),
  speed: z.number().min(0.25).max(4).nullish(),
  stream_format: z.enum(['audio', 'sse']).nullish(),
});
export type SpeechBody = z.infer<typeof SpeechBody>;

/**
 * The engine voice a request's `voice` means (see the module header).
 * @throws OpenAIApiError 400 `invalid_voice` listing the engine's voices
 */
export function resolveVoice(tts: TTS, requested: string | undefined): string {
  if (!requested) return tts.defaultVoice;
  const resolved = resolveOpenAIVoice(tts, requested);
  if (resolved !== null) return resolved;
  const voices = tts.voices();
  throw invalidRequest(
    `Unknown voice '${requested}' for ${tts.provider}. Voices: ${voices.map((voice: Voice) => voice.id).join(', ')} (OpenAI's names ${Object.keys(OPENAI_VOICES).join(', ')} are mapped to these).`,
    'voice',
    'invalid_voice',
  );
}

/** Clamps a requested speed into what every engine accepts (0.5-2). */
export function clampSpeed(speed: number): number {
  return Math.min(MAX_SPEED, Math.max(MIN_SPEED, speed));
}

/**
 * Fastify plugin: `POST /v1/audio/speech`. Register with `app.register(speechRoutes, { engines })`.
 */
export const speechRoutes: FastifyPluginAsync<SpeechRoutesOptions> = async (app: FastifyInstance, options) => {
  const { engines } = options;
  app.setErrorHandler(openAIErrorHandler);

  app.post('/v1/audio/speech', async (request: FastifyRequest, reply: FastifyReply) => {
    requireJson(request.headers['content-type']);
    const parsed = SpeechBody.safeParse(request.body);
    if (!parsed.success) throw fromZodError(parsed.error, request.body);
    const body = parsed.data;
    const format = body.response_format ?? 'mp3';
    if (format === 'aac' || format === 'flac') {
      throw invalidRequest(`response_format '${format}' is not supported by LocalChat: use mp3, opus, wav or pcm.`, 'response_format', 'unsupported_value');
    }
    if (body.stream_format === 'sse') throw invalidRequest("stream_format 'sse' is not supported: the audio streams as bytes.", 'stream_format', 'unsupported_value');
    if (body.input.trim() === '') throw invalidRequest('input must not be empty.', 'input', 'invalid_value');
    const tts = resolveSpeechModel(engines, body.model);
    const voice = resolveVoice(tts, typeof body.voice === 'object' && body.voice ? body.voice.id : (body.voice ?? undefined));
    const speed = clampSpeed(body.speed ?? 1);

    const client = abortOnDisconnect(reply).signal;
    // Engines stop when the client goes away, or when the audio stream is closed early.
    const work = new AbortController();
    const signal = AbortSignal.any([client, work.signal]);
    const encoder = WorkerStreamEncoder.open(format as StreamAudioFormat, SPEECH_SAMPLE_RATE);
    const chunks = chunkText(body.input);

    /** One text chunk with the requested engine, or the fallback engine if it fails before any audio. */
    async function* synthesizeChunk(text: string): AsyncGenerator<AudioChunk> {
      let produced = false;
      try {
        for await (const piece of tts.synthesize(text, { signal, voice, speed })) {
          produced = true;
          yield piece;
        }
      } catch (error) {
        if (signal.aborted || isAbortError(error)) return;
        const fallback = engines.fallbackTts();
        if (produced || !fallback || fallback === tts || fallback.provider === tts.provider) throw error;
        engines.reportFailure('tts', error);
        request.log.warn({ err: error, fallback: fallback.provider }, 'TTS failed on a chunk; speaking it with the fallback engine');
        yield* fallback.synthesize(text, { signal, speed });
      }
    }

    async function* audio(): AsyncGenerator<Buffer> {
      let ended = false;
      try {
        for (const text of chunks) {
          for await (const piece of synthesizeChunk(text)) {
            // In slices: a long chunk's first audio goes out after one slice is converted and
            // encoded, not the whole chunk.
            const slice = Math.round(piece.sampleRate * SLICE_SECONDS);
            for (let offset = 0; offset < piece.samples.length; offset += slice) {
              if (signal.aborted) return;
              const bytes = await encoder.push(piece.samples.subarray(offset, offset + slice), piece.sampleRate);
              if (signal.aborted) return;
              if (bytes.length > 0) yield bytes;
            }
          }
          if (signal.aborted) return;
        }
        const last = await encoder.end();
        ended = true;
        if (last.length > 0) yield last;
      } finally {
        if (!ended) {
          work.abort();
          encoder.dispose();
        }
      }
    }

    const source = audio();
    let first: IteratorResult<Buffer>;
    try {
      first = await source.next();
    } catch (error) {
      if (client.aborted) return clientGone(reply);
      engines.reportFailure('tts', error);
      throw engineFailure(error, engines, 'tts');
    }
    if (client.aborted) return clientGone(reply);
    reply
      .code(200)
      .header('content-type', encoder.contentType)
      .header('x-localchat-voice', voice)
      .header('x-localchat-speed', String(speed))
      .header('cache-control', 'no-store');
    if (first.done) return reply.send(Buffer.alloc(0));
    const stream = streamFrom(first.value, source);
    stream.on('error', (error) => {
      if (!client.aborted) request.log.warn({ err: error }, 'speech synthesis failed mid-stream; the response was cut short');
    });
    return reply.send(stream);
  });
};
