/**
 * OpenAICompatibleSTT against a local node:http server that answers `/v1/audio/transcriptions`
 * as speaches, LocalAI, whisper.cpp's server and OpenAI do: it parses the multipart form (with
 * the WHATWG `Response#formData` parser built into Node) and checks the WAV it carries.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { decodeWav } from '../../src/audio/wav.js';
import { EngineError, isAbortError } from '../../src/core/errors.js';
import { OpenAICompatibleSTT, UPLOAD_SAMPLE_RATE } from '../../src/engines/stt/openai-compatible.js';

interface Upload {
  path: string;
  authorization: string | undefined;
  fields: Record<string, string>;
  fileName: string | undefined;
  fileType: string | undefined;
  wav: { sampleRate: number; samples: Int16Array } | undefined;
}

type Handler = (request: IncomingMessage, response: ServerResponse, upload: Upload) => void;

const signal = (): AbortSignal => new AbortController().signal;

/** A 440 Hz tone, PCM16 at `rate`. */
function tone(ms: number, rate: number): Int16Array {
  return Int16Array.from({ length: Math.round((ms / 1000) * rate) }, (_, i) => Math.round(8_000 * Math.sin((2 * Math.PI * 440 * i) / rate)));
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

describe('OpenAICompatibleSTT', () => {
  const uploads: Upload[] = [];
  let handler: Handler = (_request, response) => json(response, 200, { text: 'ok' });
  let server: Server;
  let baseURL: string;

  beforeAll(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        void (async () => {
          const form = await new Response(Buffer.concat(chunks), {
            headers: { 'content-type': request.headers['content-type'] ?? '' },
          }).formData();
          const upload: Upload = { path: request.url ?? '', authorization: request.headers.authorization, fields: {}, fileName: undefined, fileType: undefined, wav: undefined };
          for (const [name, value] of form) {
            if (typeof value === 'string') {
              upload.fields[name] = value;
            } else if (name === 'file') {
              upload.fileName = value.name;
              upload.fileType = value.type;
              upload.wav = decodeWav(new Uint8Array(await value.arrayBuffer()));
            }
          }
          uploads.push(upload);
          handler(request, response, upload);
        })().catch((error: unknown) => json(response, 599, { error: { message: String(error) } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });

  afterEach(() => {
    uploads.length = 0;
    handler = (_request, response) => json(response, 200, { text: 'ok' });
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('uploads the utterance as a 16 kHz WAV with model and language, and returns the text', async () => {
    handler = (_request, response) => json(response, 200, { text: ' He was not an ill disposed young man. ' });
    const stt = new OpenAICompatibleSTT({ baseURL: `${baseURL}/`, model: 'Systran/faster-whisper-small.en', apiKey: 'secret' });
    expect(stt.provider).toBe('openai-compatible');
    expect(stt.modelId).toBe('Systran/faster-whisper-small.en');
    const audio = tone(1_500, 24_000);
    const transcript = await stt.transcribe({ samples: audio, sampleRate: 24_000 }, { signal: signal() });
    expect(transcript).toEqual({ text: 'He was not an ill disposed young man.', language: 'en' });

    expect(uploads).toHaveLength(1);
    const [upload] = uploads as [Upload];
    expect(upload.path).toBe('/v1/audio/transcriptions');
    expect(upload.authorization).toBe('Bearer secret');
    expect(upload.fields).toEqual({ model: 'Systran/faster-whisper-small.en', language: 'en', response_format: 'json' });
    expect(upload.fileName).toBe('audio.wav');
    expect(upload.fileType).toBe('audio/wav');
    expect(upload.wav?.sampleRate).toBe(UPLOAD_SAMPLE_RATE);
    expect(upload.wav?.samples.length).toBe(24_000); // 1.5 s at 16 kHz
    const peak = upload.wav!.samples.reduce((max, sample) => Math.max(max, Math.abs(sample)), 0);
    expect(peak).toBeGreaterThan(7_000);
  });

  it('sends the call language, or none when the engine has no default', async () => {
    const english = new OpenAICompatibleSTT({ baseURL, model: 'whisper-1' });
    expect((await english.transcribe({ samples: tone(200, 16_000), sampleRate: 16_000 }, { signal: signal(), language: 'fr' })).language).toBe('fr');
    const detecting = new OpenAICompatibleSTT({ baseURL, model: 'whisper-1', language: null });
    expect(await detecting.transcribe({ samples: tone(200, 16_000), sampleRate: 16_000 }, { signal: signal() })).toEqual({ text: 'ok' });
    expect(uploads.map((upload) => upload.fields.language)).toEqual(['fr', undefined]);
    expect(uploads[1]?.wav?.samples.length).toBe(3_200);
  });

  it('returns an empty transcript for empty audio without a request', async () => {
    const stt = new OpenAICompatibleSTT({ baseURL, model: 'whisper-1' });
    expect(await stt.transcribe({ samples: new Int16Array(0), sampleRate: 24_000 }, { signal: signal() })).toEqual({ text: '', language: 'en' });
    expect(uploads).toHaveLength(0);
  });

  it.each([
    [408, true],
    [409, true],
    [429, true],
    [500, true],
    [503, true],
    [400, false],
    [401, false],
    [404, false],
  ])('turns HTTP %i into an EngineError (retryable: %s)', async (status, retryable) => {
    handler = (_request, response) => json(response, status, { error: { message: `status ${status}`, type: 'test' } });
    const stt = new OpenAICompatibleSTT({ baseURL, model: 'whisper-1' });
    const error = await stt.transcribe({ samples: tone(200, 24_000), sampleRate: 24_000 }, { signal: signal() }).catch((caught: unknown) => caught);
    expect(EngineError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ engine: 'openai-compatible', retryable, code: `http_${status}` });
    if (status === 401) expect((error as EngineError).message).toMatch(/API key/);
    if (status === 404) expect((error as EngineError).message).toMatch(/whisper-1/);
  });

  it('reports a server that is not running as a retryable connection failure', async () => {
    const stopped = createServer();
    await new Promise<void>((resolve) => stopped.listen(0, '127.0.0.1', resolve));
    const port = (stopped.address() as AddressInfo).port;
    await new Promise((resolve) => stopped.close(resolve));
    const stt = new OpenAICompatibleSTT({ baseURL: `http://127.0.0.1:${port}/v1`, model: 'whisper-1' });
    const error = await stt.transcribe({ samples: tone(200, 24_000), sampleRate: 24_000 }, { signal: signal() }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'EngineError', retryable: true, code: 'connection_failed' });
    expect((error as EngineError).message).toMatch(/ECONNREFUSED/);
  });

  it('times out a server that does not answer, retryably', async () => {
    handler = () => {}; // never answers
    const stt = new OpenAICompatibleSTT({ baseURL, model: 'whisper-1', timeoutMs: 300 });
    const error = await stt.transcribe({ samples: tone(200, 24_000), sampleRate: 24_000 }, { signal: signal() }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'EngineError', retryable: true, code: 'timeout' });
  });

  it('cancels the request on abort and rejects with an AbortError', async () => {
    let serverSaw!: (response: ServerResponse) => void;
    const requestArrived = new Promise<ServerResponse>((resolve) => {
      serverSaw = resolve;
    });
    handler = (_request, response) => serverSaw(response); // never answers: the abort must end the call
    const stt = new OpenAICompatibleSTT({ baseURL, model: 'whisper-1' });
    const controller = new AbortController();
    const pending = stt.transcribe({ samples: tone(500, 24_000), sampleRate: 24_000 }, { signal: controller.signal });
    const response = await requestArrived;
    const connectionClosed = new Promise((resolve) => response.once('close', resolve));
    controller.abort();
    const error = await pending.catch((caught: unknown) => caught);
    expect(isAbortError(error)).toBe(true);
    await connectionClosed;
    expect(response.writableFinished).toBe(false);

    const before = await stt.transcribe({ samples: tone(100, 24_000), sampleRate: 24_000 }, { signal: controller.signal }).catch((caught: unknown) => caught);
    expect(isAbortError(before)).toBe(true);
    expect(uploads).toHaveLength(1);
  });
});
