/**
 * Whisper engine: the real transformers.js `automatic-speech-recognition` pipeline (local files,
 * dtype q8, feature extraction, encoder-decoder generation with a KV cache, Whisper token
 * decoding) on a stand-in model directory (test/fixtures/whisper-fixture.ts) whose tiny ONNX pair
 * says "hello world" for audio with sound in it and "quiet" for digital silence. Whisper's
 * weights cannot be downloaded on the test machines: the words are the stand-in's, not Whisper's.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { resample } from '../../src/audio/resample.js';
import { decodeWav } from '../../src/audio/wav.js';
import { EngineError, ModelLoadError, isAbortError } from '../../src/core/errors.js';
import {
  WHISPER_DEFAULT_MODEL_ID,
  WhisperSTT,
  whisperModelFiles,
} from '../../src/engines/stt/whisper.js';
import { isInstalled, localPath } from '../../src/models/models-dir.js';
import { DEFAULT_STT_MODEL_ID, STT_CATALOG } from '../../src/models/stt-catalog.js';
import {
  FIXTURE_SILENCE_TEXT,
  FIXTURE_SPEECH_TEXT,
  buildWhisperFixture,
  type WhisperFixture,
} from '../fixtures/whisper-fixture.js';

const CLIP = '/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0880.wav';
const haveClip = existsSync(CLIP);
if (!haveClip && process.env.CI) {
  throw new Error(`${CLIP} is missing: install the Debian package "pocketsphinx-testdata".`);
}

const signal = (): AbortSignal => new AbortController().signal;

/** Real speech, or a 440 Hz tone where pocketsphinx-testdata is missing: either has sound. */
function speech16k(): Int16Array {
  if (haveClip) return decodeWav(readFileSync(CLIP)).samples;
  return Int16Array.from({ length: 48_000 }, (_, i) => Math.round(8_000 * Math.sin((2 * Math.PI * 440 * i) / 16_000)));
}

let fixture: WhisperFixture;
let stt: WhisperSTT;
let scratch: string;
let speech: Int16Array;

beforeAll(async () => {
  fixture = await buildWhisperFixture();
  scratch = await mkdtemp(path.join(tmpdir(), 'localchat-whisper-'));
  speech = speech16k();
  const started = performance.now();
  stt = await WhisperSTT.load({ modelDir: fixture.modelDir });
  console.info(`whisper stand-in: loaded through the transformers.js pipeline in ${(performance.now() - started).toFixed(0)} ms`);
});

afterAll(async () => {
  await stt?.dispose();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('WhisperSTT', () => {
  it('loads an English-only Whisper directory through the real pipeline', () => {
    expect(stt.provider).toBe('whisper');
    expect(stt.modelId).toBe(WHISPER_DEFAULT_MODEL_ID);
    expect(stt.modelType).toBe('whisper');
    expect(stt.multilingual).toBe(false);
  });

  it('transcribes PCM16 at 24 kHz, 16 kHz and 44.1 kHz (resampled to 16 kHz)', async () => {
    const at24k = resample(speech, 16_000, 24_000);
    const started = performance.now();
    const transcript = await stt.transcribe({ samples: at24k, sampleRate: 24_000 }, { signal: signal() });
    const elapsed = performance.now() - started;
    console.info(`whisper stand-in: ${(at24k.length / 24).toFixed(0)} ms of audio transcribed in ${elapsed.toFixed(0)} ms (log-mel of the 30 s window + tiny ONNX pair)`);
    expect(transcript).toEqual({ text: FIXTURE_SPEECH_TEXT, language: 'en' });

    expect((await stt.transcribe({ samples: speech, sampleRate: 16_000 }, { signal: signal() })).text).toBe(FIXTURE_SPEECH_TEXT);
    const at44k = resample(speech, 16_000, 44_100);
    expect((await stt.transcribe({ samples: at44k, sampleRate: 44_100 }, { signal: signal() })).text).toBe(FIXTURE_SPEECH_TEXT);
  });

  it('hears the audio: digital silence gives the other transcript, empty audio none', async () => {
    const silent = await stt.transcribe({ samples: new Int16Array(24_000), sampleRate: 24_000 }, { signal: signal() });
    expect(silent.text).toBe(FIXTURE_SILENCE_TEXT);
    expect(await stt.transcribe({ samples: new Int16Array(0), sampleRate: 24_000 }, { signal: signal() })).toEqual({ text: '', language: 'en' });
  });

  it('ignores a language on an English-only model instead of failing', async () => {
    const transcript = await stt.transcribe({ samples: speech, sampleRate: 16_000 }, { signal: signal(), language: 'fr' });
    expect(transcript).toEqual({ text: FIXTURE_SPEECH_TEXT, language: 'en' });
  });

  it('transcribes audio over 30 s in chunks', async () => {
    const long = new Int16Array(16_000 * 45);
    for (let offset = 0; offset + speech.length <= long.length; offset += speech.length) long.set(speech, offset);
    const transcript = await stt.transcribe({ samples: long, sampleRate: 16_000 }, { signal: signal() });
    expect(transcript.text).toContain(FIXTURE_SPEECH_TEXT);
  });

  it('honours the AbortSignal before and after the (uninterruptible) run', async () => {
    const aborted = new AbortController();
    aborted.abort();
    const before = await stt.transcribe({ samples: speech, sampleRate: 16_000 }, { signal: aborted.signal }).catch((error: unknown) => error);
    expect(isAbortError(before)).toBe(true);

    const during = new AbortController();
    const pending = stt.transcribe({ samples: speech, sampleRate: 16_000 }, { signal: during.signal });
    during.abort();
    expect(isAbortError(await pending.catch((error: unknown) => error))).toBe(true);

    // A queued call aborted while waiting for the one before it never runs.
    const first = stt.transcribe({ samples: speech, sampleRate: 16_000 }, { signal: signal() });
    const queued = new AbortController();
    const second = stt.transcribe({ samples: speech, sampleRate: 16_000 }, { signal: queued.signal });
    queued.abort();
    expect((await first).text).toBe(FIXTURE_SPEECH_TEXT);
    expect(isAbortError(await second.catch((error: unknown) => error))).toBe(true);
  });

  it('passes the language to a multilingual model', async () => {
    const multilingual = await buildWhisperFixture({ multilingual: true });
    const engine = await WhisperSTT.load({ modelDir: multilingual.modelDir, modelId: 'onnx-community/whisper-base' });
    try {
      expect(engine.multilingual).toBe(true);
      const english = await engine.transcribe({ samples: speech, sampleRate: 16_000 }, { signal: signal() });
      expect(english).toEqual({ text: FIXTURE_SPEECH_TEXT, language: 'en' });
      const french = await engine.transcribe({ samples: speech, sampleRate: 16_000 }, { signal: signal(), language: 'french' });
      expect(french).toEqual({ text: FIXTURE_SPEECH_TEXT, language: 'french' });
      const unknown = await engine.transcribe({ samples: speech, sampleRate: 16_000 }, { signal: signal(), language: 'klingon' }).catch((error: unknown) => error);
      expect(EngineError.isInstance(unknown)).toBe(true);
      expect((unknown as EngineError).engine).toBe('whisper');
      expect((unknown as EngineError).message).toMatch(/klingon/);
    } finally {
      await engine.dispose();
    }
  });

  describe('missing or broken model', () => {
    it('names the missing directory and how to download it', async () => {
      const modelDir = path.join(scratch, 'nowhere', 'onnx-community', 'whisper-base.en');
      const error = await WhisperSTT.load({ modelDir }).catch((caught: unknown) => caught);
      expect(ModelLoadError.isInstance(error)).toBe(true);
      expect((error as ModelLoadError).path).toBe(modelDir);
      expect((error as ModelLoadError).fix).toContain('localchat models pull whisper-base.en');
    });

    it('names each missing file', async () => {
      for (const file of whisperModelFiles('q8')) {
        const modelDir = path.join(scratch, `without-${file.replaceAll('/', '_')}`);
        await cp(fixture.modelDir, modelDir, { recursive: true });
        await rm(path.join(modelDir, file));
        const error = await WhisperSTT.load({ modelDir, catalogId: 'whisper-small.en' }).catch((caught: unknown) => caught);
        expect(ModelLoadError.isInstance(error), file).toBe(true);
        expect((error as ModelLoadError).path).toBe(path.join(modelDir, file));
        expect((error as ModelLoadError).fix).toContain('localchat models pull whisper-small.en');
      }
    });

    it('reports a corrupt ONNX file as a ModelLoadError', async () => {
      const modelDir = path.join(scratch, 'corrupt');
      await cp(fixture.modelDir, modelDir, { recursive: true });
      await writeFile(path.join(modelDir, 'onnx', 'decoder_model_merged_quantized.onnx'), 'not an onnx model');
      const error = await WhisperSTT.load({ modelDir }).catch((caught: unknown) => caught);
      expect(ModelLoadError.isInstance(error)).toBe(true);
      expect((error as ModelLoadError).message).toMatch(/Could not load/);
      expect((error as ModelLoadError).fix).toMatch(/Delete .* and run `localchat models pull whisper-base\.en` again/);
    });
  });

  describe('catalog', () => {
    it('lists exactly the files the engine loads, the default first', () => {
      expect(STT_CATALOG[0]?.id).toBe(DEFAULT_STT_MODEL_ID);
      expect(STT_CATALOG.map((entry) => entry.repo)).toContain(WHISPER_DEFAULT_MODEL_ID);
      for (const entry of STT_CATALOG) {
        expect(entry.kind).toBe('stt');
        expect(entry.files.map((file) => file.path).sort()).toEqual(whisperModelFiles('q8').sort());
        expect(entry.files.every((file) => !file.sizeIsExact)).toBe(true);
      }
      expect(new Set(STT_CATALOG.map((entry) => entry.id)).size).toBe(STT_CATALOG.length);
    });

    it('loads from where the model manager installs the default entry', async () => {
      const entry = STT_CATALOG[0]!;
      expect(await isInstalled(entry, fixture.modelsDir)).toBe(true);
      const modelDir = localPath(entry, fixture.modelsDir);
      expect(modelDir).toBe(fixture.modelDir);
      const engine = await WhisperSTT.load({ modelDir, modelId: entry.repo, catalogId: entry.id });
      await engine.dispose();
    });
  });
});
