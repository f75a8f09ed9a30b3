/**
 * `POST /v1/audio/transcriptions` against decompression bombs: small files that declare absurd
 * sample rates, channel counts or lengths, or that really encode hours of audio (FLAC CONSTANT
 * frames, 2-byte Opus packets, MPEG frames of silence, WAV). Each must be refused (400 or 413)
 * quickly and without the server's memory growing by more than 100 MB; and a 25 MB IMA ADPCM
 * upload decoded in the worker pool must not hold up `GET /health`.
 */
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticEngineSet } from '../../src/engines/engine-set.js';
import { openAIApi } from '../../src/server/routes/openai-api.js';
import { ScriptedLLM } from '../../src/testing/scripted-llm.js';
import { ScriptedSTT } from '../../src/testing/scripted-stt.js';
import { ToneTTS } from '../../src/testing/tone-tts.js';
import { closeWorkers } from '../../src/workers/pool.js';
import { flacBomb, mp3Silence, opusBomb, wavFile } from '../fixtures/audio-bombs.js';

let app: FastifyInstance;
let url: string;

/** The OpenAI API plugin as the app registers it (default limits: 25 MB, 10 minutes) and a `/health`. */
async function startServer(options: { maxAudioSeconds?: number } = {}): Promise<{ app: FastifyInstance; url: string }> {
  const engines = new StaticEngineSet({ llm: new ScriptedLLM({ reply: 'unused' }), tts: new ToneTTS(), stt: new ScriptedSTT({ transcripts: Array(50).fill('ok') }) });
  const server = Fastify({ logger: false, forceCloseConnections: true });
  server.get('/health', async () => ({ status: 'ok' }));
  await server.register(openAIApi, { engines, ...options });
  await server.listen({ host: '127.0.0.1', port: 0 });
  return { app: server, url: `http://127.0.0.1:${(server.server.address() as AddressInfo).port}` };
}

async function upload(base: string, bytes: Buffer, filename: string): Promise<{ status: number; code?: string; message?: string }> {
  const form = new FormData();
  form.append('model', 'whisper-1');
  form.append('file', new Blob([new Uint8Array(bytes)]), filename);
  const response = await fetch(`${base}/v1/audio/transcriptions`, { method: 'POST', body: form });
  const body = (await response.json()) as { error?: { code?: string; message?: string } };
  return { status: response.status, code: body.error?.code, message: body.error?.message };
}

/** Uploads `bytes` while sampling the process RSS every 5 ms; the peak growth in MB and the time. */
async function measured(bytes: Buffer, filename: string): Promise<{ status: number; code?: string; message?: string; rssGrowthMb: number; ms: number }> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const started = performance.now();
  try {
    const result = await upload(url, bytes, filename);
    return { ...result, rssGrowthMb: (Math.max(peak, process.memoryUsage().rss) - before) / 1e6, ms: performance.now() - started };
  } finally {
    clearInterval(sampler);
  }
}

beforeAll(async () => {
  ({ app, url } = await startServer());
  // Warm the worker pool and its decoders, so that the measurements below are of the bombs only.
  const warm = [
    flacBomb({ declaredRate: 48_000, declaredSamples: 0, channels: 1, frames: 2 }),
    opusBomb({ channels: 1, pages: 1, honestGranules: true }),
    mp3Silence(100),
    wavFile({ format: 0x11, sampleRate: 16_000, channels: 1, dataBytes: 25_600 }),
  ];
  for (let round = 0; round < 2; round++) {
    await Promise.all(warm.map((bytes, index) => upload(url, bytes, `warm.${['flac', 'ogg', 'mp3', 'wav'][index]}`)));
  }
}, 60_000);

afterAll(async () => {
  await app?.close();
  await closeWorkers();
});

describe('decompression bombs are refused quickly and cheaply', () => {
  it.each([
    // FLAC: ~35 bytes per CONSTANT frame of 65,535 samples a channel.
    ['FLAC declaring 655,350 Hz', 'bomb.flac', () => flacBomb({ declaredRate: 655_350, declaredSamples: 0, channels: 2, frames: 3000 }), 400, 'invalid_audio'],
    ['FLAC frames at 655,350 Hz under a 48 kHz STREAMINFO', 'bomb.flac', () => flacBomb({ declaredRate: 48_000, frameRate: 655_350, declaredSamples: 0, channels: 2, frames: 3000 }), 400, 'invalid_audio'],
    ['FLAC declaring 2^36 samples', 'bomb.flac', () => flacBomb({ declaredRate: 48_000, declaredSamples: 2 ** 36 - 1, channels: 2, frames: 3000 }), 413, 'audio_too_long'],
    ['FLAC of unknown length encoding 68 minutes in 100 KB', 'bomb.flac', () => flacBomb({ declaredRate: 48_000, declaredSamples: 0, channels: 8, frames: 3000 }), 413, 'audio_too_long'],
    // Ogg Opus: 2-byte packets of 120 ms.
    ['Ogg Opus declaring 255 channels', 'bomb.ogg', () => opusBomb({ channels: 255, pages: 200, honestGranules: true }), 400, 'invalid_audio'],
    ['Ogg Opus whose granule positions declare 100 minutes', 'bomb.ogg', () => opusBomb({ channels: 1, pages: 200, honestGranules: true }), 413, 'audio_too_long'],
    ['Ogg Opus encoding 100 minutes in 155 KB, granule positions hiding it', 'bomb.ogg', () => opusBomb({ channels: 1, pages: 200, honestGranules: false }), 413, 'audio_too_long'],
    // MP3: 96-byte frames of silence, 24 ms each.
    ['MP3 whose Xing header declares 18 minutes', 'bomb.mp3', () => mp3Silence(45_000, { xingFrames: 45_000 }), 413, 'audio_too_long'],
    // WAV.
    ['WAV declaring 4,294,967,280 Hz', 'bomb.wav', () => wavFile({ format: 1, sampleRate: 0xfffffff0, channels: 1, dataBytes: 100_000 }), 400, 'invalid_audio'],
    ['WAV declaring 65,535 channels', 'bomb.wav', () => wavFile({ format: 1, sampleRate: 16_000, channels: 65_535, dataBytes: 100_000 }), 400, 'invalid_audio'],
    ['mu-law WAV of 5 MB at 8 kHz (10.4 minutes)', 'bomb.wav', () => wavFile({ format: 7, sampleRate: 8000, channels: 1, dataBytes: 5_000_000 }), 413, 'audio_too_long'],
    ['IMA ADPCM WAV of 10 MB at 16 kHz (21 minutes)', 'bomb.wav', () => wavFile({ format: 0x11, sampleRate: 16_000, channels: 1, dataBytes: 10_000_000 }), 413, 'audio_too_long'],
  ])('%s', async (_name, filename, make, status, code) => {
    const bytes = make();
    const result = await measured(bytes, filename);
    console.info(`${_name}: ${(bytes.length / 1024).toFixed(0)} KB -> ${result.status} in ${result.ms.toFixed(0)} ms, peak RSS +${result.rssGrowthMb.toFixed(1)} MB`);
    expect(result).toMatchObject({ status, code });
    expect(result.rssGrowthMb).toBeLessThan(100);
    expect(result.ms).toBeLessThan(2000);
  });

  it('still decodes honest files of the same formats', async () => {
    expect((await upload(url, flacBomb({ declaredRate: 48_000, declaredSamples: 0, channels: 2, frames: 20 }), 'ok.flac')).status).toBe(200);
    expect((await upload(url, opusBomb({ channels: 1, pages: 4, honestGranules: true }), 'ok.ogg')).status).toBe(200);
    expect((await upload(url, mp3Silence(2000, { xingFrames: 2000 }), 'ok.mp3')).status).toBe(200);
    // A streaming WAV's "unknown" data size (0xFFFFFFFF) means: to the end of the file.
    expect((await upload(url, wavFile({ format: 1, sampleRate: 16_000, channels: 2, dataBytes: 64_000, declaredDataBytes: 0xffffffff }), 'ok.wav')).status).toBe(200);
  });
});

describe('a 25 MB IMA ADPCM upload', () => {
  it('decodes in the worker pool while /health keeps answering (p99 <= 100 ms)', async () => {
    // 25 MB of 4-bit ADPCM is 50 M samples: 17 minutes at 48 kHz; a server allowing 20 minutes decodes it.
    const long = await startServer({ maxAudioSeconds: 1200 });
    try {
      const bytes = wavFile({ format: 0x11, sampleRate: 48_000, channels: 1, dataBytes: 25_000_000 });
      const latencies: number[] = [];
      let uploading = true;
      const poller = (async () => {
        while (uploading) {
          const started = performance.now();
          const response = await fetch(`${long.url}/health`);
          await response.arrayBuffer();
          latencies.push(performance.now() - started);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      })();
      const started = performance.now();
      const result = await upload(long.url, bytes, 'long.wav');
      const elapsed = performance.now() - started;
      uploading = false;
      await poller;
      expect(result.status).toBe(200);
      latencies.sort((a, b) => a - b);
      // Nearest-rank p99: with fewer than 100 samples, the slowest one.
      const p99 = latencies[Math.ceil(latencies.length * 0.99) - 1]!;
      console.info(`25 MB IMA ADPCM: transcribed in ${elapsed.toFixed(0)} ms; /health x${latencies.length}: p50 ${latencies[Math.floor(latencies.length / 2)]!.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms`);
      expect(latencies.length).toBeGreaterThan(10);
      expect(p99).toBeLessThanOrEqual(100);
    } finally {
      await long.app.close();
    }
  }, 120_000);
});
