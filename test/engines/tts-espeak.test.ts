/**
 * eSpeak NG engine: real synthesis through the WASM build (no weights needed), in the worker pool.
 */
import { describe, expect, it } from 'vitest';

import type { AudioChunk } from '../../src/core/audio.js';
import { EngineError } from '../../src/core/errors.js';
import { ESPEAK_OUTPUT_RATE, EspeakTTSEngine, espeakWordsPerMinute } from '../../src/engines/tts/espeak.js';
import { loadEspeakWasm } from '../../src/engines/tts/espeak-wasm.js';

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
    expect(tts.sampleRate).toBe(24_000);
    const voices = tts.voices();
    expect(voices.map((voice) => voice.language)).toEqual(expect.arrayContaining(['en-US', 'en-GB']));
    expect(voices.some((voice) => voice.gender === 'female')).toBe(true);
    expect(voices.some((voice) => voice.gender === 'male')).toBe(true);
    expect(voices.map((voice) => voice.id)).toContain(tts.defaultVoice);
  });

  it('speaks a ten-word sentence for a plausible time, non-silent, at 24 kHz, fast', async () => {
    await tts.prepare();
    const coldStart = performance.now();
    const chunks = await collect(tts.synthesize(TEN_WORDS, { signal: signal() }));
    const coldMs = performance.now() - coldStart;
    expect(chunks.length).toBeGreaterThan(0);
    for (const chunk of chunks) {
      expect(chunk.sampleRate).toBe(ESPEAK_OUTPUT_RATE);
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

  it('loads the WASM module once per thread', () => {
    expect(loadEspeakWasm()).toBe(loadEspeakWasm());
  });

  it('synthesizes a long text off the event loop, streamed in several chunks', async () => {
    await tts.prepare();
    const text = longText(2000);
    let maxGap = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
    }, 2);
    const started = performance.now();
    const chunks = await collect(tts.synthesize(text, { signal: signal() }));
    const elapsed = performance.now() - started;
    clearInterval(timer);
    expect(chunks.length).toBeGreaterThan(5);
    expect(seconds(chunks)).toBeGreaterThan(60);
    console.info(`espeak: 2,000 characters in ${elapsed.toFixed(0)} ms, longest event-loop gap ${maxGap.toFixed(1)} ms`);
    // On the main thread the whole synthesis was one gap; in a worker the loop keeps turning.
    expect(maxGap).toBeLessThan(Math.max(50, elapsed / 3));
  });

  it('stops a long synthesis when aborted: nothing is yielded after the abort', async () => {
    await tts.prepare();
    const controller = new AbortController();
    const received: number[] = [];
    let abortedAt = 0;
    const done = (async () => {
      for await (const chunk of tts.synthesize(longText(2000), { signal: controller.signal })) {
        received.push(performance.now());
        if (received.length === 1) {
          controller.abort();
          abortedAt = performance.now();
        }
        expect(chunk.samples.length).toBeGreaterThan(0);
      }
      return performance.now();
    })();
    const endedAt = await done;
    expect(received).toHaveLength(1);
    expect(endedAt - abortedAt).toBeLessThan(100);
    // The worker is free again at once: a short sentence after it is quick.
    const next = performance.now();
    expect((await collect(tts.synthesize('Next one.', { signal: signal() }))).length).toBeGreaterThan(0);
    expect(performance.now() - next).toBeLessThan(500);
  });

  it('drops calls still waiting for a worker when they are aborted', async () => {
    await tts.prepare();
    // More long calls than workers: the last ones wait in the queue; abort them all at once.
    const controller = new AbortController();
    const calls = Array.from({ length: 6 }, () => collect(tts.synthesize(longText(2000), { signal: controller.signal })));
    await new Promise((resolve) => setTimeout(resolve, 5));
    const abortedAt = performance.now();
    controller.abort();
    const results = await Promise.all(calls);
    expect(performance.now() - abortedAt).toBeLessThan(150);
    expect(results.flat().length).toBeLessThan(6 * 3);
  });
});

/** `length` characters of plain English with no sentence end (one long eSpeak clause). */
function longText(length: number): string {
  const words = 'the learner keeps talking about her weekend plans and the weather and a long walk by the river with friends';
  let text = '';
  while (text.length < length) text += `${words} `;
  return text.slice(0, length);
}
