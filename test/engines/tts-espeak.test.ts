/**
 * eSpeak NG engine: real synthesis through the WASM build (no weights needed).
 */
import { describe, expect, it } from 'vitest';

import type { AudioChunk } from '../../src/core/audio.js';
import { EngineError } from '../../src/core/errors.js';
import { ESPEAK_SAMPLE_RATE, EspeakTTSEngine, espeakWordsPerMinute, loadEspeak } from '../../src/engines/tts/espeak.js';

const TEN_WORDS = 'The quick brown fox jumps over the lazy dog every morning.';

async function collect(iterable: AsyncIterable<AudioChunk>): Promise<AudioChunk[]> {
  const chunks: AudioChunk[] = [];
  for await (const chunk of iterable) chunks.push(chunk);
  return chunks;
}

function seconds(chunks: AudioChunk[]): number {
  return chunks.reduce((total, chunk) => total + chunk.samples.length / chunk.sampleRate, 0);
}

function rms(chunks: AudioChunk[]): number {
  let sum = 0;
  let count = 0;
  for (const chunk of chunks) {
    for (const sample of chunk.samples) sum += sample * sample;
    count += chunk.samples.length;
  }
  return Math.sqrt(sum / Math.max(1, count));
}

const signal = (): AbortSignal => new AbortController().signal;

describe('EspeakTTSEngine', () => {
  const tts = new EspeakTTSEngine();

  it('describes itself and lists American and British English voices', () => {
    expect(tts.provider).toBe('espeak');
    expect(tts.sampleRate).toBe(22_050);
    const voices = tts.voices();
    expect(voices.map((voice) => voice.language)).toEqual(expect.arrayContaining(['en-US', 'en-GB']));
    expect(voices.some((voice) => voice.gender === 'female')).toBe(true);
    expect(voices.some((voice) => voice.gender === 'male')).toBe(true);
    expect(voices.map((voice) => voice.id)).toContain(tts.defaultVoice);
  });

  it('speaks a ten-word sentence for a plausible time, non-silent, at 22,050 Hz, fast', async () => {
    await tts.prepare();
    const coldStart = performance.now();
    const chunks = await collect(tts.synthesize(TEN_WORDS, { signal: signal() }));
    const coldMs = performance.now() - coldStart;
    expect(chunks.length).toBeGreaterThan(0);
    for (const chunk of chunks) {
      expect(chunk.sampleRate).toBe(ESPEAK_SAMPLE_RATE);
      expect(chunk.samples).toBeInstanceOf(Int16Array);
    }
    const duration = seconds(chunks);
    expect(duration).toBeGreaterThan(1.5);
    expect(duration).toBeLessThan(6);
    expect(rms(chunks)).toBeGreaterThan(500);

    let warmMs = Number.POSITIVE_INFINITY;
    for (let run = 0; run < 3; run++) {
      const warmStart = performance.now();
      await collect(tts.synthesize(TEN_WORDS, { signal: signal() }));
      warmMs = Math.min(warmMs, performance.now() - warmStart);
    }
    console.info(
      `espeak: ${duration.toFixed(2)} s of audio; first call after prepare() ${coldMs.toFixed(0)} ms, ` +
        `best of 3 more ${warmMs.toFixed(0)} ms (RTF ${(warmMs / 1000 / duration).toFixed(3)})`,
    );
    // ~0.005 on an idle 2-core machine; the bound leaves room for a busy one.
    expect(warmMs / 1000 / duration).toBeLessThan(1);
  });

  it('speaks faster at speed 2 than at speed 0.5, and clamps out-of-range speeds', async () => {
    const fast = seconds(await collect(tts.synthesize(TEN_WORDS, { signal: signal(), speed: 2 })));
    const slow = seconds(await collect(tts.synthesize(TEN_WORDS, { signal: signal(), speed: 0.5 })));
    expect(fast).toBeLessThan(slow * 0.6);
    expect(espeakWordsPerMinute(1)).toBe(175);
    expect(espeakWordsPerMinute(0.5)).toBe(88);
    expect(espeakWordsPerMinute(2)).toBe(350);
    expect(espeakWordsPerMinute(10)).toBe(350);
    expect(espeakWordsPerMinute(Number.NaN)).toBe(175);
  });

  it('speaks with every listed voice', async () => {
    for (const voice of tts.voices()) {
      const chunks = await collect(tts.synthesize('Good morning.', { signal: signal(), voice: voice.id }));
      expect(seconds(chunks), voice.id).toBeGreaterThan(0.3);
    }
  });

  it('speaks markup characters instead of reading them as SSML', async () => {
    const plain = seconds(await collect(tts.synthesize('one two', { signal: signal() })));
    const withTag = seconds(await collect(tts.synthesize('one <break time="3s"/> two', { signal: signal() })));
    expect(withTag).toBeLessThan(plain + 2.5);
    expect(withTag).toBeGreaterThan(plain);
  });

  it('yields nothing when aborted before synthesis, or while waiting for the engine', async () => {
    const controller = new AbortController();
    controller.abort();
    expect(await collect(tts.synthesize(TEN_WORDS, { signal: controller.signal }))).toEqual([]);

    const later = new AbortController();
    const iterator = tts.synthesize(TEN_WORDS, { signal: later.signal })[Symbol.asyncIterator]();
    const first = iterator.next();
    later.abort();
    expect((await first).done).toBe(true);
  });

  it('yields nothing for blank text', async () => {
    expect(await collect(tts.synthesize('   ', { signal: signal() }))).toEqual([]);
  });

  it('rejects an unknown voice with a clear error', async () => {
    const error = await collect(tts.synthesize('Hello.', { signal: signal(), voice: 'klingon' })).catch(
      (caught: unknown) => caught,
    );
    expect(EngineError.isInstance(error)).toBe(true);
    expect((error as EngineError).code).toBe('unknown_voice');
    expect((error as EngineError).message).toMatch(/klingon.*en-us/);
    expect(() => new EspeakTTSEngine({ defaultVoice: 'klingon' })).toThrow(/Unknown eSpeak voice/);
  });

  it('loads the WASM module once for every engine', () => {
    expect(loadEspeak()).toBe(loadEspeak());
  });
});
