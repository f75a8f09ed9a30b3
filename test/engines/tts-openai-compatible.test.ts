/**
 * OpenAICompatibleTTS against a local node:http server that answers `/v1/audio/speech` as
 * Kokoro-FastAPI, LocalAI, openedai-speech and OpenAI do: raw PCM16 streamed in pieces, or WAV
 * (streamed with placeholder sizes, or whole, or float), or errors.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import wavefile from 'wavefile';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { encodeWav } from '../../src/audio/wav.js';
import type { AudioChunk } from '../../src/core/audio.js';
import { EngineError } from '../../src/core/errors.js';
import {
  KOKORO_FASTAPI_VOICES,
  OPENAI_PCM_SAMPLE_RATE,
  OPENAI_TTS_VOICES,
  OpenAICompatibleTTS,
} from '../../src/engines/tts/openai-compatible.js';

interface SpeechRequest {
  path: string;
  authorization: string | undefined;
  body: Record<string, unknown>;
}

type Handler = (request: SpeechRequest, response: ServerResponse) => void | Promise<void>;

const signal = (): AbortSignal => new AbortController().signal;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A 440 Hz tone, PCM16 at `rate`. */
function tone(ms: number, rate: number): Int16Array {
  return Int16Array.from({ length: Math.round((ms / 1000) * rate) }, (_, i) => Math.round(8_000 * Math.sin((2 * Math.PI * 440 * i) / rate)));
}

function pcmBytes(samples: Int16Array): Buffer {
  const bytes = Buffer.alloc(samples.length * 2);
  samples.forEach((sample, index) => bytes.writeInt16LE(sample, index * 2));
  return bytes;
}

function concat(chunks: AudioChunk[]): Int16Array {
  const samples = new Int16Array(chunks.reduce((total, chunk) => total + chunk.samples.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    samples.set(chunk.samples, offset);
    offset += chunk.samples.length;
  }
  return samples;
}

async function collect(iterable: AsyncIterable<AudioChunk>): Promise<AudioChunk[]> {
  const chunks: AudioChunk[] = [];
  for await (const chunk of iterable) chunks.push(chunk);
  return chunks;
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

/** A streaming WAV header (RIFF and data sizes 0xFFFFFFFF, as streaming servers write them), PCM16. */
function streamingWavHeader(sampleRate: number, channels: number): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(0xffffffff, 4);
  header.write('WAVE', 8, 'latin1');
  header.write('fmt ', 12, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * channels * 2, 28);
  header.writeUInt16LE(channels * 2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(0xffffffff, 40);
  return header;
}

describe('OpenAICompatibleTTS', () => {
  const requests: SpeechRequest[] = [];
  const closed: string[] = [];
  let handler: Handler = (_request, response) => json(response, 500, { error: { message: 'no handler' } });
  let server: Server;
  let baseURL: string;

  beforeAll(async () => {
    server = createServer((request: IncomingMessage, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const speech: SpeechRequest = {
          path: request.url ?? '',
          authorization: request.headers.authorization,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>,
        };
        requests.push(speech);
        response.on('close', () => closed.push(response.writableEnded ? 'ended' : 'closed early'));
        void Promise.resolve(handler(speech, response)).catch((error: unknown) => {
          if (!response.headersSent) json(response, 599, { error: { message: String(error) } });
          else response.destroy();
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });

  afterEach(() => {
    requests.length = 0;
    closed.length = 0;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('offers OpenAI’s voices by default, or the configured list', () => {
    const openai = new OpenAICompatibleTTS({ baseURL, model: 'gpt-4o-mini-tts' });
    expect(openai.provider).toBe('openai-compatible');
    expect(openai.modelId).toBe('gpt-4o-mini-tts');
    expect(openai.sampleRate).toBe(OPENAI_PCM_SAMPLE_RATE);
    expect(openai.voices().map((voice) => voice.id)).toEqual([...OPENAI_TTS_VOICES]);
    expect(openai.voices()[0]).toEqual({ id: 'alloy', name: 'Alloy', language: 'en' });
    expect(openai.defaultVoice).toBe('alloy');

    const kokoro = new OpenAICompatibleTTS({ baseURL, model: 'kokoro', voices: KOKORO_FASTAPI_VOICES, defaultVoice: 'af_heart' });
    expect(kokoro.voices()).toHaveLength(28);
    expect(kokoro.voices()).toContainEqual({ id: 'bf_emma', name: 'Emma', language: 'en-GB', gender: 'female' });
    expect(kokoro.voices()).toContainEqual({ id: 'am_michael', name: 'Michael', language: 'en-US', gender: 'male' });
    expect(kokoro.defaultVoice).toBe('af_heart');

    const custom = new OpenAICompatibleTTS({ baseURL, model: 'tts-1', voices: ['marin', { id: 'x', name: 'Voice X', language: 'en-AU' }] });
    expect(custom.voices()).toEqual([{ id: 'marin', name: 'Marin', language: 'en' }, { id: 'x', name: 'Voice X', language: 'en-AU' }]);
  });

  it('streams pcm: yields 100 ms pieces as the body arrives, before the server has finished', async () => {
    const audio = tone(1_000, 24_000);
    const bytes = pcmBytes(audio);
    let releaseRest: () => void = () => {};
    const firstAudioSeen = new Promise<void>((resolve) => {
      releaseRest = resolve;
    });
    let bodyEnded = false;
    handler = async (_request, response) => {
      response.writeHead(200, { 'content-type': 'audio/pcm' });
      // 150 ms and one odd byte first, then wait until the client has played something (or 5 s).
      response.write(bytes.subarray(0, 7_201));
      await Promise.race([firstAudioSeen, sleep(5_000)]);
      for (let offset = 7_201; offset < bytes.length; offset += 9_999) {
        response.write(bytes.subarray(offset, Math.min(bytes.length, offset + 9_999)));
        await sleep(5);
      }
      bodyEnded = true;
      response.end();
    };
    const tts = new OpenAICompatibleTTS({ baseURL: `${baseURL}/`, model: 'tts-1', apiKey: 'secret' });
    const chunks: AudioChunk[] = [];
    let endedAtFirstChunk: boolean | undefined;
    for await (const chunk of tts.synthesize('Nice to meet you.', { signal: signal(), voice: 'nova', speed: 1.25 })) {
      if (chunks.length === 0) {
        endedAtFirstChunk = bodyEnded;
        releaseRest();
      }
      chunks.push(chunk);
    }
    expect(endedAtFirstChunk).toBe(false);
    expect(chunks.every((chunk) => chunk.sampleRate === 24_000)).toBe(true);
    expect(chunks.slice(0, -1).every((chunk) => chunk.samples.length === 2_400)).toBe(true);
    expect(chunks.length).toBe(10);
    expect(concat(chunks)).toEqual(audio);

    expect(requests).toHaveLength(1);
    expect(requests[0]).toEqual({
      path: '/v1/audio/speech',
      authorization: 'Bearer secret',
      body: { model: 'tts-1', voice: 'nova', input: 'Nice to meet you.', response_format: 'pcm', speed: 1.25 },
    });
  });

  it('sends the default voice, no speed unless given, clamps speed, and skips blank text', async () => {
    handler = (_request, response) => {
      response.writeHead(200, { 'content-type': 'audio/pcm' });
      response.end(pcmBytes(tone(50, 24_000)));
    };
    const tts = new OpenAICompatibleTTS({ baseURL, model: 'kokoro', voices: KOKORO_FASTAPI_VOICES, defaultVoice: 'bf_emma' });
    expect(concat(await collect(tts.synthesize('Hello.', { signal: signal() })))).toHaveLength(1_200);
    await collect(tts.synthesize('Hello.', { signal: signal(), speed: 9 }));
    expect(await collect(tts.synthesize('  ', { signal: signal() }))).toEqual([]);
    expect(requests.map((request) => request.body)).toEqual([
      { model: 'kokoro', voice: 'bf_emma', input: 'Hello.', response_format: 'pcm' },
      { model: 'kokoro', voice: 'bf_emma', input: 'Hello.', response_format: 'pcm', speed: 2 },
    ]);
  });

  it('reads a streamed WAV (placeholder sizes, stereo) sent instead of pcm, at the file’s rate', async () => {
    const left = tone(500, 22_050);
    const stereo = Buffer.alloc(left.length * 4);
    left.forEach((sample, index) => {
      stereo.writeInt16LE(sample, index * 4);
      stereo.writeInt16LE(sample >> 1, index * 4 + 2);
    });
    const body = Buffer.concat([streamingWavHeader(22_050, 2), stereo]);
    handler = async (_request, response) => {
      response.writeHead(200, { 'content-type': 'audio/wav' });
      for (let offset = 0; offset < body.length; offset += 3_001) {
        response.write(body.subarray(offset, offset + 3_001));
        await sleep(2);
      }
      response.end();
    };
    const tts = new OpenAICompatibleTTS({ baseURL, model: 'tts-1' });
    const chunks = await collect(tts.synthesize('Hello there.', { signal: signal() }));
    expect(chunks.every((chunk) => chunk.sampleRate === 22_050)).toBe(true);
    expect(chunks[0]!.samples.length).toBe(2_205);
    const mono = concat(chunks);
    expect(mono).toHaveLength(left.length);
    for (let i = 0; i < left.length; i += 101) expect(Math.abs(mono[i]! - (left[i]! + (left[i]! >> 1)) / 2)).toBeLessThanOrEqual(1);
  });

  it('asks for wav when configured and reads a plain WAV file', async () => {
    const audio = tone(300, 16_000);
    handler = (request, response) => {
      expect(request.body.response_format).toBe('wav');
      response.writeHead(200, { 'content-type': 'audio/wav' });
      response.end(encodeWav(audio, 16_000));
    };
    const tts = new OpenAICompatibleTTS({ baseURL, model: 'tts-1', responseFormat: 'wav' });
    const chunks = await collect(tts.synthesize('Hello.', { signal: signal() }));
    expect(chunks.map((chunk) => chunk.samples.length)).toEqual([1_600, 1_600, 1_600]);
    expect(chunks[0]!.sampleRate).toBe(16_000);
    expect(concat(chunks)).toEqual(audio);
  });

  it('reads a float WAV whole with decodeWav', async () => {
    const floats = Float64Array.from(tone(250, 24_000), (sample) => sample / 0x8000);
    const wav = new wavefile.WaveFile();
    wav.fromScratch(1, 24_000, '32f', floats);
    handler = (_request, response) => {
      response.writeHead(200, { 'content-type': 'audio/wav' });
      response.end(Buffer.from(wav.toBuffer()));
    };
    const tts = new OpenAICompatibleTTS({ baseURL, model: 'tts-1', responseFormat: 'wav' });
    const mono = concat(await collect(tts.synthesize('Hello.', { signal: signal() })));
    const expected = tone(250, 24_000);
    expect(mono).toHaveLength(expected.length);
    for (let i = 0; i < expected.length; i += 97) expect(Math.abs(mono[i]! - expected[i]!)).toBeLessThanOrEqual(2);
  });

  it('refuses compressed audio and a non-WAV answer to a wav request, saying what to set', async () => {
    handler = (_request, response) => {
      response.writeHead(200, { 'content-type': 'audio/mpeg' });
      response.end(Buffer.from([0xff, 0xfb, 0x90, 0x00]));
    };
    const pcm = new OpenAICompatibleTTS({ baseURL, model: 'tts-1' });
    await expect(collect(pcm.synthesize('Hello.', { signal: signal() }))).rejects.toSatisfy(
      (error: unknown) => EngineError.isInstance(error) && error.code === 'unsupported_format' && /audio\/mpeg.*"wav"/.test(error.message),
    );
    handler = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      response.end(pcmBytes(tone(50, 24_000)));
    };
    const wav = new OpenAICompatibleTTS({ baseURL, model: 'tts-1', responseFormat: 'wav' });
    await expect(collect(wav.synthesize('Hello.', { signal: signal() }))).rejects.toSatisfy(
      (error: unknown) => EngineError.isInstance(error) && error.code === 'invalid_audio',
    );
  });

  it.each([
    [500, true, /HTTP 500/],
    [503, true, /HTTP 503/],
    [429, true, /HTTP 429/],
    [408, true, /HTTP 408/],
    [400, false, /voice "alloy"/],
    [401, false, /Check the API key/],
    [404, false, /\/audio\/speech/],
  ])('turns HTTP %i into an EngineError (retryable: %s) saying what to check', async (status, retryable, message) => {
    handler = (_request, response) => json(response, status, { error: { message: 'server says no', type: 'test' } });
    const tts = new OpenAICompatibleTTS({ baseURL, model: 'tts-1' });
    const error: unknown = await collect(tts.synthesize('Hello.', { signal: signal() })).catch((caught: unknown) => caught);
    expect(EngineError.isInstance(error)).toBe(true);
    const engineError = error as EngineError;
    expect(engineError.engine).toBe('openai-compatible');
    expect(engineError.retryable).toBe(retryable);
    expect(engineError.code).toBe(`http_${status}`);
    expect(engineError.message).toMatch(message);
    expect(engineError.message).toContain(baseURL);
  });

  it('reports a refused connection clearly, as retryable', async () => {
    const closedServer = createServer();
    await new Promise<void>((resolve) => closedServer.listen(0, '127.0.0.1', resolve));
    const port = (closedServer.address() as AddressInfo).port;
    await new Promise((resolve) => closedServer.close(resolve));
    const tts = new OpenAICompatibleTTS({ baseURL: `http://127.0.0.1:${port}/v1`, model: 'tts-1' });
    const error: unknown = await collect(tts.synthesize('Hello.', { signal: signal() })).catch((caught: unknown) => caught);
    expect(EngineError.isInstance(error)).toBe(true);
    expect((error as EngineError).code).toBe('connection_failed');
    expect((error as EngineError).retryable).toBe(true);
    expect((error as EngineError).message).toBe(`Could not reach the speech server at http://127.0.0.1:${port}/v1 (ECONNREFUSED): is it running, and is the URL right?`);
  });

  it('reports a body that breaks off mid-stream as retryable', async () => {
    handler = async (_request, response) => {
      response.writeHead(200, { 'content-type': 'audio/pcm' });
      response.write(pcmBytes(tone(300, 24_000)));
      await sleep(50);
      response.destroy();
    };
    const tts = new OpenAICompatibleTTS({ baseURL, model: 'tts-1' });
    const chunks: AudioChunk[] = [];
    const error: unknown = await (async () => {
      for await (const chunk of tts.synthesize('Hello.', { signal: signal() })) chunks.push(chunk);
    })().catch((caught: unknown) => caught);
    expect(chunks.length).toBe(3);
    expect(EngineError.isInstance(error)).toBe(true);
    expect((error as EngineError).code).toBe('stream_failed');
    expect((error as EngineError).retryable).toBe(true);
  });

  it('stops quietly on abort mid-stream and closes the connection', async () => {
    handler = (_request, response) => {
      response.writeHead(200, { 'content-type': 'audio/pcm' });
      response.write(pcmBytes(tone(200, 24_000)));
      // Never ends on its own.
    };
    const tts = new OpenAICompatibleTTS({ baseURL, model: 'tts-1' });
    const controller = new AbortController();
    const chunks: AudioChunk[] = [];
    for await (const chunk of tts.synthesize('Hello.', { signal: controller.signal })) {
      chunks.push(chunk);
      controller.abort();
    }
    expect(chunks).toHaveLength(1);
    await expect.poll(() => closed).toEqual(['closed early']);

    // Aborted before the answer arrives: no error either.
    handler = () => undefined;
    const early = new AbortController();
    setTimeout(() => early.abort(), 50);
    expect(await collect(tts.synthesize('Hello.', { signal: early.signal }))).toEqual([]);
  });

  it('closes the connection when the consumer stops reading', async () => {
    handler = (_request, response) => {
      response.writeHead(200, { 'content-type': 'audio/pcm' });
      response.write(pcmBytes(tone(500, 24_000)));
    };
    const tts = new OpenAICompatibleTTS({ baseURL, model: 'tts-1' });
    for await (const chunk of tts.synthesize('Hello.', { signal: signal() })) {
      expect(chunk.samples.length).toBe(2_400);
      break;
    }
    await expect.poll(() => closed).toEqual(['closed early']);
  });
});
