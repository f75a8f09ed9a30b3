/**
 * Silero VAD (server side) on real human speech: LibriVox recordings from Debian's
 * `pocketsphinx-testdata` (16 kHz, resampled here to the realtime rate, 24 kHz), fed in pieces of
 * 20-100 ms as a realtime client sends them. Silences are low-level noise, not digital zero.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { resample } from '../../src/audio/resample.js';
import { decodeWav } from '../../src/audio/wav.js';
import { ConfigError, ModelLoadError } from '../../src/core/errors.js';
import { DEFAULT_VAD_SETTINGS, type VadEvent, type VadSettings } from '../../src/core/vad.js';
import { FRAME_MS } from '../../src/engines/vad/frame-downsampler.js';
import {
  DEFAULT_MAX_UTTERANCE_MS,
  DEFAULT_SUFFIX_PADDING_MS,
  SileroVad,
  createSileroVad,
  loadSileroModel,
  sileroModelPath,
} from '../../src/engines/vad/silero-vad.js';

const LIBRIVOX_DIR = '/usr/share/pocketsphinx/test/data/librivox';
const CLIP_IDS = ['0870', '0880', '0890', '0920', '0930'] as const;
type ClipId = (typeof CLIP_IDS)[number];
const RATE = 24_000;

const haveLibrivox = existsSync(LIBRIVOX_DIR);
if (!haveLibrivox) {
  if (process.env.CI) {
    throw new Error(`${LIBRIVOX_DIR} is missing: install the Debian package "pocketsphinx-testdata".`);
  }
  console.warn('Skipping the Silero VAD speech tests: install the Debian package "pocketsphinx-testdata".');
}

function loadClip(id: ClipId): Int16Array {
  const wav = decodeWav(readFileSync(path.join(LIBRIVOX_DIR, `sense_and_sensibility_01_austen_64kb-${id}.wav`)));
  return resample(wav.samples, wav.sampleRate, RATE);
}

/** Deterministic pseudo-random numbers in [0, 1) (a linear congruential generator). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Room noise at about -66 dBFS: what a quiet microphone hears between words. */
function quiet(ms: number, seed = 1): Int16Array {
  const next = random(seed);
  return Int16Array.from({ length: Math.round((ms / 1000) * RATE) }, () => Math.round((next() - 0.5) * 30));
}

function concat(...parts: Int16Array[]): Int16Array {
  const output = new Int16Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    output.set(part, offset);
    offset += part.length;
  }
  return output;
}

const ms = (samples: number): number => (samples / RATE) * 1000;
const samplesOf = (milliseconds: number): number => Math.round((milliseconds / 1000) * RATE);

/** Pushes `audio` in pieces of 20-100 ms; returns every event and the time spent in `push`. */
async function feed(vad: SileroVad, audio: Int16Array, seed = 7): Promise<{ events: VadEvent[]; pushMs: number }> {
  const next = random(seed);
  const events: VadEvent[] = [];
  let pushMs = 0;
  for (let offset = 0; offset < audio.length; ) {
    const size = samplesOf(20 + Math.floor(next() * 81));
    const started = performance.now();
    events.push(...(await vad.push(audio.subarray(offset, offset + size))));
    pushMs += performance.now() - started;
    offset += size;
  }
  return { events, pushMs };
}

type Utterance = { startMs: number; endMs: number; audio: Int16Array };

/** Pairs started/stopped events into utterances, checking they alternate. */
function utterances(events: VadEvent[]): Utterance[] {
  const result: Utterance[] = [];
  let startMs: number | undefined;
  for (const event of events) {
    if (event.type === 'speech-started') {
      expect(startMs, 'speech-started twice without a stop').toBeUndefined();
      startMs = event.audioStartMs;
    } else {
      expect(startMs, 'speech-stopped without a start').toBeDefined();
      result.push({ startMs: startMs!, endMs: event.audioEndMs, audio: event.audio });
      startMs = undefined;
    }
  }
  expect(startMs, 'speech still open at the end').toBeUndefined();
  return result;
}

/**
 * Where a clip's speech starts and ends by its energy: the first and last run of 50 ms whose
 * 10 ms frames are all within 20 dB of the loudest frame (room noise and breaths stay below).
 */
function energyBounds(audio: Int16Array): { onsetMs: number; offsetMs: number } {
  const window = samplesOf(10);
  const levels: number[] = [];
  for (let offset = 0; offset + window <= audio.length; offset += window) {
    let sum = 0;
    for (let i = offset; i < offset + window; i++) sum += audio[i]! ** 2;
    levels.push(Math.sqrt(sum / window));
  }
  const loud = Math.max(...levels) / 10;
  const run = 5;
  const isRun = (index: number): boolean => levels.slice(index, index + run).every((level) => level > loud);
  const first = levels.findIndex((_, index) => isRun(index));
  let last = levels.length - run;
  while (last > first && !isRun(last)) last -= 1;
  return { onsetMs: first * 10, offsetMs: (last + run) * 10 };
}

const clips = new Map<ClipId, Int16Array>();
let vadCostPerSecond = 0;

beforeAll(async () => {
  if (!haveLibrivox) return;
  for (const id of CLIP_IDS) clips.set(id, loadClip(id));
  const started = performance.now();
  await loadSileroModel();
  console.info(`silero vad: model loaded in ${(performance.now() - started).toFixed(0)} ms`);
});

describe('SileroVad', () => {
  it('loads the v5 model shipped in @ricky0123/vad-web and validates settings', async () => {
    expect(sileroModelPath()).toMatch(/@ricky0123[/\\]vad-web[/\\]dist[/\\]silero_vad_v5\.onnx$/);
    const vad = await createSileroVad({ silenceDurationMs: 500 });
    expect(vad.sampleRate).toBe(24_000);
    expect(vad.settings).toEqual({ ...DEFAULT_VAD_SETTINGS, silenceDurationMs: 500 });
    expect(vad.maxUtteranceMs).toBe(DEFAULT_MAX_UTTERANCE_MS);
    expect(vad.suffixPaddingMs).toBe(DEFAULT_SUFFIX_PADDING_MS);
    vad.configure({ threshold: 0.8, undefinedKey: 1 } as Partial<VadSettings>);
    expect(vad.settings.threshold).toBe(0.8);
    expect(() => vad.configure({ threshold: 1.5 })).toThrow(ConfigError);
    expect(() => vad.configure({ silenceDurationMs: -1 })).toThrow(ConfigError);
    expect(vad.settings.threshold).toBe(0.8);
    await expect(createSileroVad({ minSpeechMs: Number.NaN })).rejects.toThrow(ConfigError);
  });

  it('reports a missing model file as a ModelLoadError naming the path', async () => {
    const missing = path.join(path.dirname(sileroModelPath()), 'no-such-model.onnx');
    const error = await createSileroVad({}, { modelPath: missing }).catch((caught: unknown) => caught);
    expect(ModelLoadError.isInstance(error)).toBe(true);
    expect((error as ModelLoadError).path).toBe(missing);
    expect((error as ModelLoadError).fix).toMatch(/npm install/);
  });

  it.skipIf(!haveLibrivox)('finds exactly one utterance covering the speech of each LibriVox clip', async () => {
    const vad = await createSileroVad();
    let audioMs = 0;
    let pushMs = 0;
    for (const [index, id] of CLIP_IDS.entries()) {
      vad.reset();
      const clip = clips.get(id)!;
      const stream = concat(clip, quiet(1_500, index));
      const result = await feed(vad, stream, index + 1);
      audioMs += ms(stream.length);
      pushMs += result.pushMs;
      const found = utterances(result.events);
      const { onsetMs, offsetMs } = energyBounds(clip);
      const summary = `${id}: speech ${onsetMs}-${offsetMs} ms by energy, VAD ${found.map((u) => `${u.startMs}-${u.endMs}`).join(', ')}`;
      console.info(summary);
      expect(found, summary).toHaveLength(1);
      const [utterance] = found as [Utterance];
      expect(utterance.startMs, summary).toBeLessThan(1_000);
      expect(Math.abs(utterance.startMs - onsetMs), summary).toBeLessThanOrEqual(100);
      expect(utterance.endMs, summary).toBeGreaterThanOrEqual(offsetMs - 150);
      expect(utterance.endMs, summary).toBeLessThanOrEqual(Math.min(offsetMs + 400, ms(clip.length) + 100));
      // The utterance is the stream itself, from 300 ms before the start to 300 ms after the end.
      const from = Math.max(0, samplesOf(utterance.startMs - DEFAULT_VAD_SETTINGS.prefixPaddingMs));
      const to = samplesOf(utterance.endMs + DEFAULT_SUFFIX_PADDING_MS);
      expect(utterance.audio.length).toBe(to - from);
      expect(Buffer.from(utterance.audio.buffer).equals(Buffer.from(stream.slice(from, to).buffer))).toBe(true);
    }
    vadCostPerSecond = pushMs / (audioMs / 1000);
    console.info(`silero vad: ${vadCostPerSecond.toFixed(1)} ms of CPU per second of 24 kHz audio (resampling included)`);
    expect(vadCostPerSecond).toBeLessThan(200);
  });

  it.skipIf(!haveLibrivox)('separates two clips with 2 s of silence between them', async () => {
    const vad = await createSileroVad();
    const first = clips.get('0880')!;
    const second = clips.get('0930')!;
    const stream = concat(first, quiet(2_000, 3), second, quiet(1_500, 4));
    const found = utterances((await feed(vad, stream)).events);
    expect(found).toHaveLength(2);
    const [one, two] = found as [Utterance, Utterance];
    const secondOffsetMs = ms(first.length) + 2_000;
    expect(one.endMs).toBeLessThanOrEqual(ms(first.length) + 100);
    expect(two.startMs).toBeGreaterThan(secondOffsetMs);
    expect(two.startMs - secondOffsetMs).toBeLessThanOrEqual(energyBounds(second).onsetMs + 100);
    expect(two.endMs).toBeGreaterThan(secondOffsetMs + ms(second.length) - 500);
  });

  it.skipIf(!haveLibrivox)('ignores silence, a click and a burst shorter than minSpeechMs', async () => {
    const vad = await createSileroVad();
    expect((await feed(vad, quiet(5_000, 9))).events).toEqual([]);

    const next = random(11);
    const click = Int16Array.from({ length: samplesOf(100) }, () => Math.round((next() - 0.5) * 40_000));
    vad.reset();
    expect((await feed(vad, concat(quiet(1_000, 12), click, quiet(2_000, 13)))).events).toEqual([]);

    // 150 ms of a real word ("he", the start of clip 0880): speech, but too short to be a turn.
    const clip = clips.get('0880')!;
    const onset = samplesOf(energyBounds(clip).onsetMs);
    const word = clip.slice(onset, onset + samplesOf(150));
    vad.reset();
    expect((await feed(vad, concat(quiet(1_000, 14), word, quiet(2_000, 15)))).events).toEqual([]);

    // The same word is a turn when minSpeechMs allows it.
    vad.reset();
    vad.configure({ minSpeechMs: 64 });
    expect(utterances((await feed(vad, concat(quiet(1_000, 14), word, quiet(2_000, 15)))).events)).toHaveLength(1);
  });

  it.skipIf(!haveLibrivox)('cuts 40 s of continuous speech at the 30 s maximum', async () => {
    const vad = await createSileroVad();
    const ids: ClipId[] = ['0870', '0880', '0890', '0920', '0930', '0870', '0880', '0890'];
    const speech = concat(...ids.map((id) => clips.get(id)!));
    expect(ms(speech.length)).toBeGreaterThan(40_000);
    const found = utterances((await feed(vad, concat(speech, quiet(1_500, 5)))).events);
    expect(found).toHaveLength(2);
    const [first, rest] = found as [Utterance, Utterance];
    // Padding included, the first utterance's audio is exactly 30 s, and ends there.
    expect(first.audio.length).toBe(30 * RATE);
    expect(first.startMs).toBeLessThan(1_000);
    expect(first.endMs).toBe(30_000);
    // The speech goes on: a new turn starts at once, its audio picking up where the first stopped.
    expect(rest.startMs).toBeGreaterThanOrEqual(30_000);
    expect(rest.startMs).toBeLessThanOrEqual(30_000 + FRAME_MS + 300);
    expect(rest.endMs).toBeGreaterThan(ms(speech.length) - 500);
    const restFrom = Math.max(samplesOf(rest.startMs - 300), 30 * RATE);
    expect(rest.audio.length).toBe(samplesOf(rest.endMs + DEFAULT_SUFFIX_PADDING_MS) - restFrom);
  });

  it.skipIf(!haveLibrivox)('keeps a 600 ms thinking pause inside the turn at 900 ms, splits it at 300 ms', async () => {
    const clip = clips.get('0870')!;
    const cut = samplesOf(3_000); // in the middle of a word
    const stream = concat(clip.subarray(0, cut), quiet(600, 21), clip.subarray(cut), quiet(1_500, 22));

    const patient = await createSileroVad({ silenceDurationMs: 900 });
    const one = utterances((await feed(patient, stream)).events);
    expect(one).toHaveLength(1);
    expect(one[0]!.endMs).toBeGreaterThan(ms(stream.length) - 1_500 - 500);

    const hasty = await createSileroVad({ silenceDurationMs: 300 });
    const two = utterances((await feed(hasty, stream)).events);
    expect(two).toHaveLength(2);
    expect(two[0]!.endMs).toBeGreaterThan(2_800);
    expect(two[0]!.endMs).toBeLessThanOrEqual(3_000 + 2 * FRAME_MS); // Silero lags a frame or so
    expect(two[1]!.startMs).toBeGreaterThanOrEqual(3_600 - FRAME_MS);
    // The second utterance's padding does not reach back into the first one.
    expect(two[0]!.audio.length + two[1]!.audio.length).toBeLessThanOrEqual(stream.length);
  });

  it.skipIf(!haveLibrivox)('reset() forgets a turn in progress and restarts stream time', async () => {
    const vad = await createSileroVad();
    const clip = clips.get('0890')!;
    const half = await feed(vad, concat(quiet(2_000, 31), clip.subarray(0, clip.length >> 1)));
    expect(half.events.map((event) => event.type)).toEqual(['speech-started']);
    expect((half.events[0] as { audioStartMs: number }).audioStartMs).toBeGreaterThan(2_000);

    // A push queued before the reset is dropped with it.
    const queued = vad.push(clip.subarray(clip.length >> 1));
    vad.reset();
    expect(await queued).toEqual([]);
    expect((await feed(vad, quiet(2_000, 32))).events).toEqual([]);

    vad.reset();
    const again = utterances((await feed(vad, concat(clip, quiet(1_500, 33)))).events);
    expect(again).toHaveLength(1);
    expect(Math.abs(again[0]!.startMs - energyBounds(clip).onsetMs)).toBeLessThanOrEqual(100);
  });

  it.skipIf(!haveLibrivox)('keeps separate state per instance on the shared session', async () => {
    const speaking = await createSileroVad();
    const silent = await createSileroVad();
    const clip = clips.get('0930')!;
    const noise = quiet(ms(clip.length), 41);
    const [a, b] = await Promise.all([feed(speaking, concat(clip, quiet(1_500, 42))), feed(silent, concat(noise, quiet(1_500, 43)))]);
    expect(utterances(a.events)).toHaveLength(1);
    expect(b.events).toEqual([]);
  });
});
