/**
 * `POST /v1/audio/speech` with the official `openai` client as the caller: WAV, PCM, MP3 and Ogg
 * Opus output from ToneTTS (lengths checked against the tone's known length), resampling of a
 * 22.05 kHz engine to 24 kHz, voices and speed, the fallback engine, errors, and streaming: the
 * first bytes arrive while later chunks are still being synthesized, and a client that goes away
 * stops the synthesis.
 */
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeAudio } from '../../src/audio/decode-audio.js';
import { decodeWav } from '../../src/audio/wav.js';
import { StaticEngineSet } from '../../src/engines/engine-set.js';
import type { EngineSet } from '../../src/engines/engine-set.js';
import { ScriptedLLM } from '../../src/testing/scripted-llm.js';
import { ToneTTS } from '../../src/testing/tone-tts.js';
import { chunkText } from '../../src/text/sentence-chunker.js';
import { startRestServer, stopRestServers } from '../helpers/rest-server.js';


afterEach(stopRestServers);


function engineSet(tts: ToneTTS, fallbackTts?: ToneTTS): StaticEngineSet {
  return new StaticEngineSet({ llm: new ScriptedLLM({ reply: 'unused' }), tts, fallbackTts });
}

/** Samples ToneTTS makes for `input` at `rate` (each chunk: 60 ms a character, divided by speed). */
function toneSamples(input: string, speed = 1, rate = 24_000): number {
  return chunkText(input).reduce((sum, chunk) => sum + Math.round((chunk.length * 0.06 * rate) / speed), 0);
}

const INPUT = 'Good morning! Today we are going to practise ordering food at a restaurant. Are you ready to begin?';

async function speak(client: OpenAI, body: Partial<OpenAI.Audio.SpeechCreateParams>): Promise<{ bytes: Buffer; response: Response }> {
  const response = await client.audio.speech.create({ model: 'tts-1', voice: 'tone_a', input: INPUT, ...body } as OpenAI.Audio.SpeechCreateParams);
  return { bytes: Buffer.from(await response.arrayBuffer()), response };
}

describe('POST /v1/audio/speech, formats', () => {
  it('returns WAV with a streaming header, 24 kHz mono, every sample of the speech', async () => {
    const tts = new ToneTTS();
    const { client } = await startRestServer(engineSet(tts));
    const { bytes, response } = await speak(client, { response_format: 'wav' });
    expect(response.headers.get('content-type')).toBe('audio/wav');
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('RIFF');
    expect(bytes.readUInt32LE(4)).toBe(0xffffffff);
    expect(bytes.readUInt32LE(40)).toBe(0xffffffff);
    const wav = decodeWav(bytes);
    expect(wav.sampleRate).toBe(24_000);
    expect(wav.samples.length).toBe(toneSamples(INPUT));
    expect(tts.calls.map((call) => call.text)).toEqual(chunkText(INPUT));
    expect(tts.calls.every((call) => call.voice === 'tone_a' && call.speed === 1)).toBe(true);
  });

  it('returns raw 24 kHz PCM16 of exactly the synthesized length', async () => {
    const { client } = await startRestServer(engineSet(new ToneTTS()));
    const { bytes, response } = await speak(client, { response_format: 'pcm' });
    expect(response.headers.get('content-type')).toBe('audio/pcm');
    expect(bytes.length).toBe(toneSamples(INPUT) * 2);
    const samples = new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2);
    expect(Math.max(...samples.subarray(0, 2400))).toBeGreaterThan(2900);
  });

  it('returns MP3 (the default format): MPEG frames that decode to the speech length', async () => {
    const { client } = await startRestServer(engineSet(new ToneTTS()));
    const { bytes, response } = await speak(client, {});
    expect(response.headers.get('content-type')).toBe('audio/mpeg');
    expect(bytes[0]).toBe(0xff);
    expect(bytes[1]! & 0xe0).toBe(0xe0); // 11-bit frame sync 0xFFE
    const decoded = await decodeAudio(bytes);
    expect(decoded.codec).toBe('mp3');
    expect(decoded.sampleRate).toBe(24_000);
    // LAME adds its encoder delay and pads the last frame: at most ~2 frames more.
    expect(decoded.samples.length).toBeGreaterThanOrEqual(toneSamples(INPUT));
    expect(decoded.samples.length - toneSamples(INPUT)).toBeLessThan(2 * 1152 + 576);
  });

  it('returns Ogg Opus that decodes to the speech length', async () => {
    const { client } = await startRestServer(engineSet(new ToneTTS()));
    const { bytes, response } = await speak(client, { response_format: 'opus' });
    expect(response.headers.get('content-type')).toBe('audio/ogg; codecs=opus');
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('OggS');
    expect(bytes.subarray(28, 36).toString('latin1')).toBe('OpusHead');
    const decoded = await decodeAudio(bytes);
    expect(decoded.codec).toBe('opus');
    expect(Math.abs(decoded.samples.length - toneSamples(INPUT))).toBeLessThan(480);
  });

  it('resamples an engine at 22.05 kHz to 24 kHz', async () => {
    const tts = new ToneTTS({ sampleRate: 22_050 });
    const { client } = await startRestServer(engineSet(tts));
    const { bytes } = await speak(client, { response_format: 'pcm' });
    const expected = (toneSamples(INPUT, 1, 22_050) * 24_000) / 22_050;
    expect(Math.abs(bytes.length / 2 - expected)).toBeLessThan(24_000 * 0.025);
  });

  it('refuses aac and flac, and sse streaming, with 400', async () => {
    const { client } = await startRestServer(engineSet(new ToneTTS()));
    for (const format of ['aac', 'flac'] as const) {
      const error = await speak(client, { response_format: format }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('response_format');
    }
    const sse = await speak(client, { stream_format: 'sse' }).catch((caught: unknown) => caught);
    expect(sse).toBeInstanceOf(OpenAI.BadRequestError);
  });
});

describe('POST /v1/audio/speech, voices, speed, models', () => {
  it('maps OpenAI voice names to engine voices and refuses an unknown voice with the list', async () => {
    const tts = new ToneTTS();
    const { client } = await startRestServer(engineSet(tts));
    const onyx = await speak(client, { voice: 'onyx', input: 'Hello there.', response_format: 'pcm' });
    expect(onyx.response.headers.get('x-localchat-voice')).toBe('tone_b'); // male
    await speak(client, { voice: 'nova', input: 'Hello there.', response_format: 'pcm' });
    expect(tts.calls.map((call) => call.voice)).toEqual(['tone_b', 'tone_a']);

    const error = await speak(client, { voice: 'robot' as 'alloy' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const apiError = error as InstanceType<typeof OpenAI.BadRequestError>;
    expect(apiError.param).toBe('voice');
    expect(apiError.code).toBe('invalid_voice');
    expect(apiError.message).toContain('tone_a, tone_b');
  });

  it('clamps OpenAI speeds to 0.5-2 and says so in X-LocalChat-Speed; refuses speeds outside 0.25-4', async () => {
    const tts = new ToneTTS();
    const { client } = await startRestServer(engineSet(tts));
    const fast = await speak(client, { speed: 4, input: 'Hello there.', response_format: 'pcm' });
    expect(fast.response.headers.get('x-localchat-speed')).toBe('2');
    expect(fast.bytes.length).toBe(toneSamples('Hello there.', 2) * 2);
    const slow = await speak(client, { speed: 0.25, input: 'Hello there.', response_format: 'pcm' });
    expect(slow.response.headers.get('x-localchat-speed')).toBe('0.5');
    const normal = await speak(client, { speed: 1.3, input: 'Hello there.', response_format: 'pcm' });
    expect(normal.response.headers.get('x-localchat-speed')).toBe('1.3');
    expect(tts.calls.map((call) => call.speed)).toEqual([2, 0.5, 1.3]);

    const error = await speak(client, { speed: 5 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('speed');
  });

  it('takes the engine name or an alias as model; an unknown model is 404', async () => {
    const { client } = await startRestServer(engineSet(new ToneTTS()));
    for (const model of ['tone', 'tone-tts', 'tts-1', 'tts-1-hd', 'gpt-4o-mini-tts']) {
      const { bytes } = await speak(client, { model, input: 'Hi there.', response_format: 'pcm' });
      expect(bytes.length).toBeGreaterThan(0);
    }
    const error = await speak(client, { model: 'kokoro' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
  });

  it('refuses an empty or too long input with 400 in OpenAI\'s shape', async () => {
    const { url } = await startRestServer(engineSet(new ToneTTS()));
    const post = (body: unknown) => fetch(`${url}/v1/audio/speech`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const long = await post({ model: 'tts-1', voice: 'tone_a', input: 'a'.repeat(4097) });
    expect(long.status).toBe(400);
    expect(await long.json()).toEqual({ error: { message: expect.stringContaining('input'), type: 'invalid_request_error', param: 'input', code: 'invalid_value' } });
    const empty = await post({ model: 'tts-1', voice: 'tone_a', input: '   ' });
    expect(empty.status).toBe(400);
    const missing = await post({ model: 'tts-1' });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: { param: 'input', code: 'missing_required_parameter' } });
  });
});

describe('POST /v1/audio/speech, streaming and failures', () => {
  it('sends the first audio while later chunks are still being synthesized', async () => {
    const delayMs = 300;
    const tts = new ToneTTS({ delayMs });
    const { client } = await startRestServer(engineSet(tts));
    const input = `${INPUT} After that, we will talk about your favourite dishes. Then you can ask me anything you like.`;
    const chunks = chunkText(input);
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    const started = performance.now();
    const response = await client.audio.speech.create({ model: 'tts-1', voice: 'tone_a', input, response_format: 'pcm' });
    const reader = response.body!.getReader();
    const first = await reader.read();
    const firstByteMs = performance.now() - started;
    const callsAtFirstByte = tts.calls.length;
    let total = first.value?.length ?? 0;
    for (let next = await reader.read(); !next.done; next = await reader.read()) total += next.value.length;
    const totalMs = performance.now() - started;
    expect(total).toBe(toneSamples(input) * 2);
    expect(callsAtFirstByte).toBeLessThan(chunks.length);
    expect(firstByteMs).toBeLessThan(delayMs * 2);
    expect(totalMs - firstByteMs).toBeGreaterThan(delayMs * (chunks.length - 2));
  });

  it('answers a failure before any audio with 502', async () => {
    const engines = engineSet(new ToneTTS({ failOnCall: 0 }));
    const { client } = await startRestServer(engines);
    const error = await speak(client, {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect((error as InstanceType<typeof OpenAI.APIError>).message).toContain('the test TTS failed');
    expect(engines.failures.map((failure) => failure.kind)).toEqual(['tts']);
  });

  it('speaks a chunk the engine fails on with the fallback engine', async () => {
    const primary = new ToneTTS({ failOnCall: 1 });
    const fallback = Object.assign(new ToneTTS(), { provider: 'tone-fallback' });
    const engines = engineSet(primary, fallback);
    const { client } = await startRestServer(engines);
    const { bytes } = await speak(client, { response_format: 'pcm' });
    expect(bytes.length).toBe(toneSamples(INPUT) * 2);
    expect(fallback.calls.map((call) => call.text)).toEqual([chunkText(INPUT)[1]]);
    expect(engines.failures.map((failure) => failure.kind)).toEqual(['tts']);
  });

  it('cuts the transfer short when the engine fails after audio went out', async () => {
    const { client } = await startRestServer(engineSet(new ToneTTS({ failOnCall: 1 })));
    const error = await speak(client, { response_format: 'wav' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
  });

  it('stops synthesizing when the client goes away', async () => {
    const tts = new ToneTTS({ delayMs: 150 });
    const { client } = await startRestServer(engineSet(tts));
    const input = Array.from({ length: 10 }, (_, i) => `This is sentence number ${i + 1} of a long text to read.`).join(' ');
    const chunks = chunkText(input);
    const controller = new AbortController();
    const response = await client.audio.speech.create({ model: 'tts-1', voice: 'tone_a', input, response_format: 'pcm' }, { signal: controller.signal });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    await reader.cancel().catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 600));
    const calls = tts.calls.length;
    expect(calls).toBeLessThan(chunks.length);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(tts.calls.length).toBe(calls);
  });
});
