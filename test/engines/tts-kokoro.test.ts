/**
 * Kokoro engine: the real kokoro-js and transformers.js loading and voice code, run on a stand-in
 * ONNX model with Kokoro's inputs and output (test/fixtures/kokoro-fixture.ts). The stand-in
 * speaks a sine whose length is FIXTURE_SAMPLES_PER_TOKEN per phoneme token, divided by speed.
 */
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { AudioChunk } from '../../src/core/audio.js';
import { EngineError, ModelLoadError } from '../../src/core/errors.js';
import { KOKORO_MODEL_ID, KokoroTTSEngine, kokoroVoices } from '../../src/engines/tts/kokoro.js';
import { FIXTURE_SAMPLES_PER_TOKEN, buildKokoroFixture, type KokoroFixture } from '../fixtures/kokoro-fixture.js';

async function collect(iterable: AsyncIterable<AudioChunk>): Promise<AudioChunk[]> {
  const chunks: AudioChunk[] = [];
  for await (const chunk of iterable) chunks.push(chunk);
  return chunks;
}

const totalSamples = (chunks: AudioChunk[]): number => chunks.reduce((total, chunk) => total + chunk.samples.length, 0);
const signal = (): AbortSignal => new AbortController().signal;

let fixture: KokoroFixture;
let tts: KokoroTTSEngine;
let scratch: string;

beforeAll(async () => {
  fixture = await buildKokoroFixture();
  scratch = await mkdtemp(path.join(tmpdir(), 'localchat-kokoro-'));
  const started = performance.now();
  tts = await KokoroTTSEngine.load({ modelDir: fixture.modelDir });
  console.info(`kokoro stand-in: loaded in ${(performance.now() - started).toFixed(0)} ms`);
});

afterAll(async () => {
  await tts?.dispose();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('KokoroTTSEngine', () => {
  it('describes itself and lists the English voices shipped in kokoro-js', async () => {
    expect(tts.provider).toBe('kokoro');
    expect(tts.modelId).toBe(KOKORO_MODEL_ID);
    expect(tts.sampleRate).toBe(24_000);
    expect(tts.defaultVoice).toBe('af_heart');
    const voices = tts.voices();
    expect(voices).toHaveLength(28);
    expect(voices).toContainEqual({ id: 'af_heart', name: 'Heart', language: 'en-US', gender: 'female' });
    expect(voices).toContainEqual({ id: 'am_michael', name: 'Michael', language: 'en-US', gender: 'male' });
    expect(voices).toContainEqual({ id: 'bf_emma', name: 'Emma', language: 'en-GB', gender: 'female' });
    expect(voices).toContainEqual({ id: 'bm_george', name: 'George', language: 'en-GB', gender: 'male' });
    expect(await kokoroVoices()).toEqual(voices);
  });

  it('yields 24 kHz PCM16 whose length grows with the text', async () => {
    const short = await collect(tts.synthesize('Hi there', { signal: signal(), voice: 'af_heart' }));
    const longText = 'Hi there, it is lovely to meet you and talk about your weekend plans';
    const long = await collect(tts.synthesize(longText, { signal: signal(), voice: 'af_heart' }));
    for (const chunk of [...short, ...long]) {
      expect(chunk.sampleRate).toBe(24_000);
      expect(chunk.samples).toBeInstanceOf(Int16Array);
      expect(chunk.samples.some((sample) => Math.abs(sample) > 5000)).toBe(true);
    }
    expect(totalSamples(short)).toBeGreaterThan(0);
    expect(totalSamples(short) % FIXTURE_SAMPLES_PER_TOKEN).toBe(0);
    expect(totalSamples(long)).toBeGreaterThan(3 * totalSamples(short));
  });

  it('speaks with a British voice and passes the speed to the model', async () => {
    const text = 'Good morning, how are you?';
    const normal = totalSamples(await collect(tts.synthesize(text, { signal: signal(), voice: 'bm_george' })));
    const fast = totalSamples(await collect(tts.synthesize(text, { signal: signal(), voice: 'bm_george', speed: 2 })));
    const slow = totalSamples(await collect(tts.synthesize(text, { signal: signal(), voice: 'bm_george', speed: 0.5 })));
    const clamped = totalSamples(await collect(tts.synthesize(text, { signal: signal(), voice: 'bm_george', speed: 5 })));
    expect(fast).toBe(normal / 2);
    expect(slow).toBe(normal * 2);
    expect(clamped).toBe(fast);
  });

  it('yields one chunk per sentence', async () => {
    const text = 'First sentence here. And a second one! Is there a third?';
    const chunks = await collect(tts.synthesize(text, { signal: signal() }));
    expect(chunks).toHaveLength(3);
  });

  it('yields nothing when aborted before synthesis, and stops between sentences', async () => {
    const aborted = new AbortController();
    aborted.abort();
    expect(await collect(tts.synthesize('Hello there.', { signal: aborted.signal }))).toEqual([]);

    const controller = new AbortController();
    const chunks: AudioChunk[] = [];
    const text = 'One sentence. Two sentences. Three sentences.';
    for await (const chunk of tts.synthesize(text, { signal: controller.signal })) {
      chunks.push(chunk);
      controller.abort();
    }
    expect(chunks).toHaveLength(1);
  });

  it('rejects an unknown or non-English voice with a clear error', async () => {
    for (const voice of ['nobody', 'ef_dora']) {
      const error = await collect(tts.synthesize('Hello.', { signal: signal(), voice })).catch((caught: unknown) => caught);
      expect(EngineError.isInstance(error)).toBe(true);
      expect((error as EngineError).code).toBe('unknown_voice');
      expect((error as EngineError).message).toContain(`"${voice}"`);
      expect((error as EngineError).message).toContain('af_heart');
    }
  });

  it('throws ModelLoadError naming a missing directory', async () => {
    const missing = path.join(scratch, 'no-such-models', KOKORO_MODEL_ID);
    const error = await KokoroTTSEngine.load({ modelDir: missing }).catch((caught: unknown) => caught);
    expect(ModelLoadError.isInstance(error)).toBe(true);
    expect((error as ModelLoadError).path).toBe(missing);
    expect((error as ModelLoadError).message).toContain(missing);
    expect((error as ModelLoadError).fix).toMatch(/localchat models pull kokoro-82m.*onnx-community\/Kokoro-82M-v1.0-ONNX/);
  });

  it('throws ModelLoadError naming a missing file, e.g. the ONNX file of another dtype', async () => {
    const error = await KokoroTTSEngine.load({ modelDir: fixture.modelDir, dtype: 'fp32' }).catch(
      (caught: unknown) => caught,
    );
    expect(ModelLoadError.isInstance(error)).toBe(true);
    expect((error as ModelLoadError).path).toBe(path.join(fixture.modelDir, 'onnx', 'model.onnx'));

    const partial = path.join(scratch, 'partial');
    await cp(fixture.modelDir, partial, { recursive: true });
    await rm(path.join(partial, 'tokenizer.json'));
    const missingTokenizer = await KokoroTTSEngine.load({ modelDir: partial }).catch((caught: unknown) => caught);
    expect((missingTokenizer as ModelLoadError).path).toBe(path.join(partial, 'tokenizer.json'));
  });

  it('throws ModelLoadError for a corrupt model file', async () => {
    const corrupt = path.join(scratch, 'corrupt');
    await cp(fixture.modelDir, corrupt, { recursive: true });
    await writeFile(path.join(corrupt, fixture.modelFile), 'not an onnx model');
    const error = await KokoroTTSEngine.load({ modelDir: corrupt }).catch((caught: unknown) => caught);
    expect(ModelLoadError.isInstance(error)).toBe(true);
    expect((error as ModelLoadError).path).toBe(path.join(corrupt, fixture.modelFile));
  });

  it('rejects an unknown default voice at load', async () => {
    await expect(KokoroTTSEngine.load({ modelDir: fixture.modelDir, defaultVoice: 'nobody' })).rejects.toThrow(
      /Unknown Kokoro voice/,
    );
  });
});
