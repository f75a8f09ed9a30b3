/**
 * Supertonic engine: the real text front end, voice style parsing and ONNX pipeline, run on
 * stand-in graphs with Supertone's input/output names and shapes (test/fixtures/supertonic-fixture.ts).
 * The stand-in predicts 1/16 s per token (times 1 + the voice's style value), halves the latent at
 * every denoising step, and its vocoder holds each latent frame's mean |value| for 3072 samples.
 */
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { AudioChunk } from '../../src/core/audio.js';
import { ConfigError, EngineError, ModelLoadError } from '../../src/core/errors.js';
import {
  SUPERTONIC_DEFAULT_SPEED,
  SUPERTONIC_DEFAULT_STEPS,
  SupertonicTTSEngine,
  type SupertonicTTSOptions,
} from '../../src/engines/tts/supertonic.js';
import { fillGaussian, mulberry32 } from '../../src/engines/tts/supertonic-noise.js';
import { parseVoiceStyle } from '../../src/engines/tts/supertonic-style.js';
import { DEFAULT_SUPERTONIC_MODEL_ID, TTS_CATALOG, supertonicEntry } from '../../src/models/tts-catalog.js';
import {
  chunkSupertonicText,
  normalizeSupertonicText,
  supertonicTextIds,
  type SupertonicVersion,
} from '../../src/engines/tts/supertonic-text.js';
import {
  FIXTURE_FRAME_SAMPLES,
  FIXTURE_SAMPLE_RATE,
  FIXTURE_SECONDS_PER_TOKEN,
  FIXTURE_VOICE_VALUES,
  buildSupertonicFixture,
  fixtureIndexer,
  fixtureVoiceStyle,
  type SupertonicFixture,
} from '../fixtures/supertonic-fixture.js';

async function collect(iterable: AsyncIterable<AudioChunk>): Promise<AudioChunk[]> {
  const chunks: AudioChunk[] = [];
  for await (const chunk of iterable) chunks.push(chunk);
  return chunks;
}

const totalSamples = (chunks: AudioChunk[]): number => chunks.reduce((total, chunk) => total + chunk.samples.length, 0);
const signal = (): AbortSignal => new AbortController().signal;
const indexer = fixtureIndexer();
const SILENCE_SAMPLES = Math.floor(0.3 * FIXTURE_SAMPLE_RATE);

/** Tokens the engine feeds for one chunk of text. */
function tokenCount(text: string, version: SupertonicVersion = 2, language = 'en'): number {
  return supertonicTextIds(normalizeSupertonicText(text, { version, language }), indexer).length;
}

/** Samples the stand-in yields for one chunk: floor(44100 * duration / speed), as the recipe trims. */
function expectedSamples(text: string, options: { speed?: number; voice?: string; version?: SupertonicVersion } = {}): number {
  const seconds = tokenCount(text, options.version) * FIXTURE_SECONDS_PER_TOKEN * (1 + FIXTURE_VOICE_VALUES[options.voice ?? 'F1']!);
  return Math.floor((seconds / (options.speed ?? 1)) * FIXTURE_SAMPLE_RATE);
}

let fixture: SupertonicFixture;
let scratch: string;
/** Steps reported by the engine under test, and a hook run at each. */
let stepsSeen: Array<[number, number]> = [];
let onStep: ((step: number) => void) | undefined;
const engines: SupertonicTTSEngine[] = [];

async function load(options: Partial<SupertonicTTSOptions> = {}): Promise<SupertonicTTSEngine> {
  const engine = await SupertonicTTSEngine.load({
    modelDir: fixture.modelDir,
    seed: 7,
    speed: 1,
    onDenoisingStep: (step, total) => {
      stepsSeen.push([step, total]);
      onStep?.(step);
    },
    ...options,
  });
  engines.push(engine);
  return engine;
}

beforeAll(async () => {
  fixture = await buildSupertonicFixture();
  scratch = await mkdtemp(path.join(tmpdir(), 'localchat-supertonic-'));
});

afterAll(async () => {
  await Promise.all(engines.map((engine) => engine.dispose()));
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('Supertonic text front end', () => {
  it('normalises as Supertone’s helpers: NFKD, emoji, dashes, quotes, symbols, final period, <en> tags', () => {
    const v2 = (text: string): string => normalizeSupertonicText(text, { version: 2, language: 'en' });
    expect(v2('Hello there')).toBe('<en>Hello there.</en>');
    expect(v2('Great job! 😀👍')).toBe('<en>Great job!</en>');
    expect(v2('I like it 🚀')).toBe('<en>I like it.</en>');
    expect(v2('Well—maybe – or not')).toBe('<en>Well-maybe - or not.</en>');
    expect(v2('She said “yes” and it’s fine')).toBe('<en>She said "yes" and it\'s fine.</en>');
    expect(v2('snake_case [a|b] #tag c/d → e')).toBe('<en>snake case a b tag c d e.</en>');
    expect(v2('I ♥ tea © 2024')).toBe('<en>I tea 2024.</en>');
    expect(v2('mail me @ home, e.g., tomorrow')).toBe('<en>mail me at home, for example, tomorrow.</en>');
    expect(v2('Wait , what ?')).toBe('<en>Wait, what?</en>');
    expect(v2('  lots \n of   space  ')).toBe('<en>lots of space.</en>');
    expect(v2('He said "no"')).toBe('<en>He said "no"</en>');
    expect(v2('(see above)')).toBe('<en>(see above)</en>');
    // NFKD: the ellipsis becomes three periods, the ligature two letters, é a letter and a combining mark.
    expect(v2('Well…')).toBe('<en>Well...</en>');
    expect(v2('ﬁne café')).toBe('<en>fine cafe\u0301.</en>');
  });

  it('v1 has no language tags and strips the combining marks its helper lists; v3 takes its own languages', () => {
    expect(normalizeSupertonicText('Hello there', { version: 1, language: 'en' })).toBe('Hello there.');
    expect(normalizeSupertonicText('naïve señor', { version: 1, language: 'en' })).toBe('naive senor.');
    expect(normalizeSupertonicText('Guten Tag', { version: 3, language: 'de' })).toBe('<de>Guten Tag.</de>');
    expect(normalizeSupertonicText('Hola', { version: 2, language: 'es' })).toBe('<es>Hola.</es>');
    expect(() => normalizeSupertonicText('Guten Tag', { version: 2, language: 'de' })).toThrow(RangeError);
  });

  it('indexes by code point through unicode_indexer.json and drops unknown characters', () => {
    const ids = supertonicTextIds('<en>Hi~.</en>', indexer);
    const id = (character: string): bigint => BigInt(indexer[character.codePointAt(0)!]!);
    expect(Array.from(ids)).toEqual([..."<en>Hi.</en>"].map(id));
    expect(supertonicTextIds('\u{1F600}é', indexer)).toHaveLength(0);
  });

  it('splits long text at sentence ends into chunks of at most 300 characters', () => {
    const sentence = (n: number): string => `Sentence number ${n} talks about Dr. Smith and the U.S. economy at some length, ${'more '.repeat(16)}words.`;
    const text = [1, 2, 3, 4].map(sentence).join(' ');
    const chunks = chunkSupertonicText(text);
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(300);
    expect(chunks.join(' ')).toBe(text);
    // Abbreviations and initials do not end sentences.
    expect(chunkSupertonicText('Ask Dr. Smith. Then go.', 15)).toEqual(['Ask Dr. Smith.', 'Then go.']);
    expect(chunkSupertonicText('First paragraph.\n\nSecond one.')).toEqual(['First paragraph.', 'Second one.']);
    expect(chunkSupertonicText('   ')).toEqual([]);
    // A sentence longer than the limit is cut at a comma, else a space.
    const long = `${'word '.repeat(50)}and then, ${'more '.repeat(40)}end.`;
    const pieces = chunkSupertonicText(long, 300);
    expect(pieces.every((piece) => piece.length <= 300)).toBe(true);
    expect(pieces[0]).toMatch(/then,$/);
    expect(pieces.join(' ')).toBe(long);
  });
});

describe('Supertonic voice styles', () => {
  it('parses {style_ttl, style_dp} {dims, data} into float32 [1,50,256] and [1,8,16]', () => {
    const style = parseVoiceStyle(JSON.stringify(fixtureVoiceStyle(0.5)), 'F2.json');
    expect(style.ttl.dims).toEqual([1, 50, 256]);
    expect(style.ttl.data).toBeInstanceOf(Float32Array);
    expect(style.ttl.data).toHaveLength(50 * 256);
    expect(style.dp.dims).toEqual([1, 8, 16]);
    expect(style.dp.data).toHaveLength(128);
    expect(style.dp.data[127]).toBe(0.5);
    // Flat data is accepted as well as nested.
    const flat = parseVoiceStyle(JSON.stringify({ style_ttl: { dims: [1, 2, 2], data: [1, 2, 3, 4] }, style_dp: { dims: [1, 1, 2], data: [[[5, 6]]] } }), 'x.json');
    expect(Array.from(flat.ttl.data)).toEqual([1, 2, 3, 4]);
    expect(Array.from(flat.dp.data)).toEqual([5, 6]);
  });

  it.each([
    ['not JSON', '{"style_ttl": ', /not valid JSON/],
    ['no style_dp', JSON.stringify({ style_ttl: { dims: [1, 1, 1], data: [1] } }), /"style_dp" is missing/],
    ['wrong count', JSON.stringify({ style_ttl: { dims: [1, 2, 2], data: [1, 2, 3] }, style_dp: { dims: [1, 1, 1], data: [1] } }), /holds 3 values/],
    ['bad dims', JSON.stringify({ style_ttl: { dims: [50, 256], data: [] }, style_dp: { dims: [1, 1, 1], data: [1] } }), /dims/],
    ['non-number', JSON.stringify({ style_ttl: { dims: [1, 1, 2], data: [1, 'a'] }, style_dp: { dims: [1, 1, 1], data: [1] } }), /not a finite number/],
  ])('rejects a style file with %s as a ModelLoadError naming the file', (_case, json, message) => {
    let error: unknown;
    try {
      parseVoiceStyle(json, '/models/voice_styles/F9.json');
    } catch (caught) {
      error = caught;
    }
    expect(ModelLoadError.isInstance(error)).toBe(true);
    expect((error as ModelLoadError).path).toBe('/models/voice_styles/F9.json');
    expect((error as ModelLoadError).message).toMatch(message);
  });
});

describe('SupertonicTTSEngine', () => {
  let tts: SupertonicTTSEngine;

  beforeAll(async () => {
    tts = await load();
  });

  it('describes itself, lists F1-F5 and M1-M5, and reports 44.1 kHz', () => {
    expect(tts.provider).toBe('supertonic');
    expect(tts.modelId).toBe('Supertone/supertonic-2');
    expect(tts.sampleRate).toBe(44_100);
    expect(tts.defaultVoice).toBe('F1');
    expect(tts.version).toBe(2);
    expect(tts.settings).toEqual({ steps: SUPERTONIC_DEFAULT_STEPS, speed: 1 });
    const voices = tts.voices();
    expect(voices.map((voice) => voice.id)).toEqual(['F1', 'F2', 'F3', 'F4', 'F5', 'M1', 'M2', 'M3', 'M4', 'M5']);
    expect(voices).toContainEqual({ id: 'F2', name: 'Female 2', language: 'en', gender: 'female' });
    expect(voices).toContainEqual({ id: 'M1', name: 'Male 1', language: 'en', gender: 'male' });
  });

  it('yields 44.1 kHz PCM16 of floor(44100 x duration) samples', async () => {
    const chunks = await collect(tts.synthesize('Hello there', { signal: signal() }));
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.sampleRate).toBe(44_100);
    // "<en>Hello there.</en>": 21 tokens x 1/16 s = 1.3125 s -> 57,881 samples (the vocoder made 19 x 3072 = 58,368).
    expect(tokenCount('Hello there')).toBe(21);
    expect(chunks[0]!.samples.length).toBe(57_881);
    expect(chunks[0]!.samples.length).toBeLessThan(Math.ceil(57_881 / FIXTURE_FRAME_SAMPLES) * FIXTURE_FRAME_SAMPLES);
    expect(chunks[0]!.samples.some((sample) => sample !== 0)).toBe(true);
  });

  it('runs the denoising loop exactly N times (the steps setting), from N(0,1) noise', async () => {
    for (const steps of [1, 3, 5, 12]) {
      tts.updateSettings({ steps });
      stepsSeen = [];
      await collect(tts.synthesize('Count the steps', { signal: signal() }));
      expect(stepsSeen).toEqual(Array.from({ length: steps }, (_, index) => [index + 1, steps]));
    }
    // Same seed, same noise: each extra step halves the stand-in's latent, so 3 steps are 1/4 of 1.
    tts.updateSettings({ steps: 1 });
    const [one] = await collect(tts.synthesize('Count the steps', { signal: signal() }));
    tts.updateSettings({ steps: 3 });
    const [three] = await collect(tts.synthesize('Count the steps', { signal: signal() }));
    expect(three!.samples.length).toBe(one!.samples.length);
    for (let i = 0; i < one!.samples.length; i += 997) {
      expect(Math.abs(three!.samples[i]! - one!.samples[i]! / 4)).toBeLessThanOrEqual(1);
    }
    // The first frame's level is the mean |N(0,1)| of the seeded noise over 144 channels, halved once.
    const noise = fillGaussian(new Float32Array(144 * Math.ceil(one!.samples.length / FIXTURE_FRAME_SAMPLES)), mulberry32(7));
    const frames = noise.length / 144;
    let level = 0;
    for (let channel = 0; channel < 144; channel++) level += Math.abs(noise[channel * frames]!);
    expect(one!.samples[0]! / 0x7fff).toBeCloseTo((level / 144) * 0.5, 3);
    tts.updateSettings({ steps: SUPERTONIC_DEFAULT_STEPS });
  });

  it('rejects steps outside 1-50 and speed outside 0.5-2.0', async () => {
    expect(() => tts.updateSettings({ steps: 0 })).toThrow(ConfigError);
    expect(() => tts.updateSettings({ steps: 51 })).toThrow(ConfigError);
    expect(() => tts.updateSettings({ steps: 2.5 })).toThrow(ConfigError);
    expect(() => tts.updateSettings({ speed: 2.5 })).toThrow(ConfigError);
    expect(tts.settings).toEqual({ steps: SUPERTONIC_DEFAULT_STEPS, speed: 1 });
    await expect(SupertonicTTSEngine.load({ modelDir: fixture.modelDir, steps: 60 })).rejects.toThrow(ConfigError);
    await expect(SupertonicTTSEngine.load({ modelDir: fixture.modelDir, language: 'de' })).rejects.toThrow(/no language "de"/);
  });

  it('divides the duration by the speed: speed 2 gives half the samples', async () => {
    const text = 'Thirty two tokens here';
    expect(tokenCount(text)).toBe(32); // 2 s at speed 1: 88,200 samples
    const [normal] = await collect(tts.synthesize(text, { signal: signal() }));
    const [fast] = await collect(tts.synthesize(text, { signal: signal(), speed: 2 }));
    const [slow] = await collect(tts.synthesize(text, { signal: signal(), speed: 0.5 }));
    expect(normal!.samples.length).toBe(expectedSamples(text));
    expect(fast!.samples.length).toBe(expectedSamples(text, { speed: 2 }));
    expect(slow!.samples.length).toBe(expectedSamples(text, { speed: 0.5 }));
    expect(normal!.samples.length).toBe(88_200);
    expect(fast!.samples.length).toBe(88_200 / 2);
    expect(slow!.samples.length).toBe(88_200 * 2);
  });

  it('uses the default speed 1.05 as the base a call speed multiplies', async () => {
    const engine = await load({ speed: undefined });
    expect(engine.settings.speed).toBe(SUPERTONIC_DEFAULT_SPEED);
    const [normal] = await collect(engine.synthesize('Hello there', { signal: signal() }));
    expect(normal!.samples.length).toBe(expectedSamples('Hello there', { speed: 1.05 }));
    const [faster] = await collect(engine.synthesize('Hello there', { signal: signal(), speed: 1.5 }));
    expect(faster!.samples.length).toBe(expectedSamples('Hello there', { speed: 1.05 * 1.5 }));
    // The product is clamped to 2.0.
    const [fastest] = await collect(engine.synthesize('Hello there', { signal: signal(), speed: 2 }));
    expect(fastest!.samples.length).toBe(expectedSamples('Hello there', { speed: 2 }));
  });

  it('conditions on the chosen voice style', async () => {
    const [female] = await collect(tts.synthesize('Hello there', { signal: signal(), voice: 'F1' }));
    const [male] = await collect(tts.synthesize('Hello there', { signal: signal(), voice: 'M1' }));
    const [other] = await collect(tts.synthesize('Hello there', { signal: signal(), voice: 'F2' }));
    expect(female!.samples.length).toBe(expectedSamples('Hello there', { voice: 'F1' }));
    expect(male!.samples.length).toBe(expectedSamples('Hello there', { voice: 'M1' }));
    expect(other!.samples.length).toBe(expectedSamples('Hello there', { voice: 'F2' }));
    expect(male!.samples.length).toBe(2 * female!.samples.length);
    await expect(collect(tts.synthesize('Hi', { signal: signal(), voice: 'af_heart' }))).rejects.toSatisfy(
      (error: unknown) => EngineError.isInstance(error) && error.code === 'unknown_voice' && /F1, F2/.test(error.message),
    );
  });

  it('splits long text into <= 300-character chunks joined by 0.3 s of silence', async () => {
    const sentence = (topic: string): string =>
      `Today we are going to talk about ${topic}, which is a topic that many learners of English find interesting and useful in daily life.`;
    const text = ['travel', 'cooking', 'music', 'sports'].map(sentence).join(' ');
    const pieces = chunkSupertonicText(text);
    expect(pieces.length).toBe(2);
    stepsSeen = [];
    const chunks = await collect(tts.synthesize(text, { signal: signal() }));
    expect(chunks.map((chunk) => chunk.samples.length)).toEqual([expectedSamples(pieces[0]!), SILENCE_SAMPLES, expectedSamples(pieces[1]!)]);
    expect(chunks[1]!.samples.every((sample) => sample === 0)).toBe(true);
    expect(chunks[0]!.samples.every((sample) => sample !== 0)).toBe(true);
    expect(chunks.every((chunk) => chunk.sampleRate === 44_100)).toBe(true);
    expect(stepsSeen).toHaveLength(2 * SUPERTONIC_DEFAULT_STEPS);
  });

  it('yields nothing for blank text', async () => {
    expect(await collect(tts.synthesize('  \n ', { signal: signal() }))).toEqual([]);
  });

  it('stops between denoising steps on abort, quietly and without audio', async () => {
    const controller = new AbortController();
    stepsSeen = [];
    onStep = (step) => {
      if (step === 2) controller.abort();
    };
    try {
      const chunks = await collect(tts.synthesize('Stop me after two steps. And never start this one.', { signal: controller.signal }));
      expect(chunks).toEqual([]);
      expect(stepsSeen.map(([step]) => step)).toEqual([1, 2]);
    } finally {
      onStep = undefined;
    }
    stepsSeen = [];
    const aborted = new AbortController();
    aborted.abort();
    expect(await collect(tts.synthesize('Never.', { signal: aborted.signal }))).toEqual([]);
    expect(stepsSeen).toEqual([]);
    // The engine still works afterwards.
    expect(totalSamples(await collect(tts.synthesize('Still here', { signal: signal() })))).toBe(expectedSamples('Still here'));
  });

  it('runs concurrent calls one after the other, each complete', async () => {
    const [first, second] = await Promise.all([
      collect(tts.synthesize('First caller', { signal: signal() })),
      collect(tts.synthesize('Second caller here', { signal: signal(), voice: 'M2' })),
    ]);
    expect(totalSamples(first)).toBe(expectedSamples('First caller'));
    expect(totalSamples(second)).toBe(expectedSamples('Second caller here', { voice: 'M2' }));
  });

  it('loads v1 (no language tags) and v3 (its languages) from their directories', async () => {
    const v1Fixture = await buildSupertonicFixture({ version: 1 });
    const v1 = await load({ modelDir: v1Fixture.modelDir, version: 1 });
    expect(v1.modelId).toBe('Supertone/supertonic');
    const [audio] = await collect(v1.synthesize('Hello there', { signal: signal() }));
    expect(tokenCount('Hello there', 1)).toBe(12);
    expect(audio!.samples.length).toBe(expectedSamples('Hello there', { version: 1 }));

    const v3Fixture = await buildSupertonicFixture({ version: 3 });
    const v3 = await load({ modelDir: v3Fixture.modelDir, version: 3, language: 'de' });
    expect(v3.modelId).toBe('Supertone/supertonic-3');
    expect(v3.voices()[0]!.language).toBe('de');
    expect(totalSamples(await collect(v3.synthesize('Guten Tag', { signal: signal() })))).toBe(
      Math.floor((tokenCount('Guten Tag', 3, 'de') * FIXTURE_SECONDS_PER_TOKEN) * FIXTURE_SAMPLE_RATE),
    );
  });
});

describe('SupertonicTTSEngine.load errors', () => {
  async function copyWithout(file: string | undefined, replace?: [string, string]): Promise<string> {
    const target = await mkdtemp(path.join(scratch, 'model-'));
    await cp(fixture.modelDir, target, { recursive: true });
    if (file) await rm(path.join(target, file));
    if (replace) await writeFile(path.join(target, replace[0]), replace[1]);
    return target;
  }

  async function loadError(options: SupertonicTTSOptions): Promise<ModelLoadError> {
    const error: unknown = await SupertonicTTSEngine.load(options).then(
      (engine) => engine.dispose().then(() => undefined),
      (caught: unknown) => caught,
    );
    expect(ModelLoadError.isInstance(error)).toBe(true);
    return error as ModelLoadError;
  }

  it.each([
    'onnx/vector_estimator.onnx',
    'onnx/duration_predictor.onnx',
    'onnx/tts.json',
    'onnx/unicode_indexer.json',
    'voice_styles/M1.json',
  ])('names a missing %s and says to pull supertonic-2', async (file) => {
    const modelDir = await copyWithout(file);
    const error = await loadError({ modelDir });
    expect(error.path).toBe(path.join(modelDir, file));
    expect(error.message).toContain(path.join(modelDir, file));
    expect(error.fix).toContain('localchat models pull supertonic-2');
  });

  it('loads without the optional voices F3-F5/M3-M5, but not without a voice it was asked for', async () => {
    const modelDir = await copyWithout('voice_styles/M5.json');
    const engine = await SupertonicTTSEngine.load({ modelDir });
    expect(engine.voices().map((voice) => voice.id)).not.toContain('M5');
    await engine.dispose();
    const error = await loadError({ modelDir, voices: ['F1', 'M5'] });
    expect(error.path).toBe(path.join(modelDir, 'voice_styles', 'M5.json'));
  });

  it('names a missing directory, a corrupt voice style and a corrupt config', async () => {
    const missing = path.join(scratch, 'nowhere');
    expect((await loadError({ modelDir: missing, version: 3 })).fix).toContain('localchat models pull supertonic-3');

    const corruptStyle = await copyWithout(undefined, ['voice_styles/F2.json', '{"style_ttl": [']);
    const styleError = await loadError({ modelDir: corruptStyle });
    expect(styleError.path).toBe(path.join(corruptStyle, 'voice_styles', 'F2.json'));
    expect(styleError.message).toMatch(/not valid JSON/);

    const corruptConfig = await copyWithout(undefined, ['onnx/tts.json', JSON.stringify({ ae: { sample_rate: 44_100 } })]);
    const configError = await loadError({ modelDir: corruptConfig });
    expect(configError.path).toBe(path.join(corruptConfig, 'onnx', 'tts.json'));
    expect(configError.message).toMatch(/ae\.base_chunk_size/);
  });

  it('rejects a graph that is not Supertonic’s, naming it', async () => {
    const modelDir = await copyWithout(undefined);
    await cp(path.join(fixture.modelDir, 'onnx', 'vocoder.onnx'), path.join(modelDir, 'onnx', 'text_encoder.onnx'));
    const error = await loadError({ modelDir });
    expect(error.path).toBe(path.join(modelDir, 'onnx', 'text_encoder.onnx'));
    expect(error.message).toMatch(/not a Supertonic textEncoder graph: its inputs are latent/);

    await writeFile(path.join(modelDir, 'onnx', 'text_encoder.onnx'), 'not onnx');
    expect((await loadError({ modelDir })).path).toBe(path.join(modelDir, 'onnx', 'text_encoder.onnx'));
  });
});

describe('Supertonic catalog entries', () => {
  it('lists supertonic-2 (default), -3 (pinned) and -1 with the Hub sizes and the voice styles', () => {
    expect(TTS_CATALOG.map((entry) => entry.id)).toEqual([DEFAULT_SUPERTONIC_MODEL_ID, 'supertonic-3', 'supertonic-1']);
    for (const entry of TTS_CATALOG) {
      expect(entry.kind).toBe('tts');
      expect(entry.license).toBe('OpenRAIL-M');
      expect(entry.revision === 'main' || /^[0-9a-f]{40}$/.test(entry.revision)).toBe(true);
      expect(entry.description).toMatch(/archival/);
      for (const file of entry.files) if (file.sizeIsExact) expect(Number.isInteger(file.size) && file.size! > 0).toBe(true);
      for (const voice of ['F1', 'F2', 'M1', 'M2']) expect(entry.files.map((file) => file.path)).toContain(`voice_styles/${voice}.json`);
      // A pinned entry checks every file's digest; an unpinned one has no sizes to trust for voices.
      if (entry.revision !== 'main') for (const file of entry.files) expect(file.sha256 ?? file.gitSha1).toMatch(/^[0-9a-f]{40,64}$/);
      else for (const file of entry.files.filter((candidate) => candidate.path.startsWith('voice_styles/'))) expect(file.sizeIsExact).toBe(false);
    }
    const v2 = supertonicEntry(2);
    expect(v2).toMatchObject({ id: 'supertonic-2', repo: 'Supertone/supertonic-2', revision: 'main' });
    expect(v2.files.filter((file) => file.path.startsWith('onnx/')).map((file) => [file.path, file.size, file.sizeIsExact])).toEqual([
      ['onnx/duration_predictor.onnx', 1_521_526, true],
      ['onnx/text_encoder.onnx', 27_431_318, true],
      ['onnx/vector_estimator.onnx', 132_471_364, true],
      ['onnx/vocoder.onnx', 101_405_066, true],
      ['onnx/tts.json', 8_699, true],
      ['onnx/unicode_indexer.json', 262_196, true],
    ]);
    expect(v2.files.filter((file) => file.path.startsWith('voice_styles/'))).toHaveLength(10);
    const v3 = supertonicEntry(3);
    expect(v3).toMatchObject({ repo: 'Supertone/supertonic-3', revision: '3cadd1ee6394adea1bd021217a0e650ede09a323' });
    expect(v3.files.filter((file) => file.path.startsWith('onnx/')).map((file) => [file.size, file.sizeIsExact])).toEqual(
      [3_700_147, 36_416_150, 256_534_781, 101_424_195, 8_253, 277_676].map((size) => [size, true]),
    );
    // Pinned: its voice styles have exact sizes too.
    expect(v3.files.filter((file) => file.path.startsWith('voice_styles/')).every((file) => file.sizeIsExact && file.size! > 0)).toBe(true);
    expect(supertonicEntry(1).files.every((file) => !file.sizeIsExact && file.size === undefined)).toBe(true);
  });

  it('lets the repository and revision be configured (a mirror of the archived upstream)', () => {
    const mirror = supertonicEntry(2, { repo: 'example-org/supertonic-2-mirror', revision: 'a'.repeat(40) });
    expect(mirror).toMatchObject({ id: 'supertonic-2', repo: 'example-org/supertonic-2-mirror', revision: 'a'.repeat(40) });
    expect(mirror.files).toEqual(supertonicEntry(2).files);
  });
});
