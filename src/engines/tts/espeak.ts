/**
 * TTS engine over eSpeak NG compiled to WebAssembly (`@echogarden/espeak-ng-emscripten`, the
 * build Echogarden uses). Formant synthesis: robotic, but instant, tiny, and with no download —
 * the voice the app always has, even with no model and no network.
 *
 * Output is mono PCM16 at eSpeak's native 22,050 Hz; the engine reports `sampleRate: 22050` and
 * leaves conversion to the 24 kHz of the realtime protocol to the turn pipeline, as for every
 * engine whose rate differs (see `src/audio/resample.ts`).
 *
 * Synthesis is synchronous inside the WASM module and blocks the event loop while it runs:
 * ~10-30 ms for a sentence (RTF ~0.005 on a 2-core machine), so a sentence at a time is fine.
 */
import type { AudioChunk } from '../../core/audio.js';
import { EngineError, errorMessage } from '../../core/errors.js';
import { MAX_SPEED, MIN_SPEED, type SynthesizeOptions, type TTS, type Voice } from '../../core/tts.js';
import type { eSpeakNGWorker } from '@echogarden/espeak-ng-emscripten';

/** eSpeak NG's output sample rate, Hz (`samplerate` of the worker; fixed by the engine). */
export const ESPEAK_SAMPLE_RATE = 22_050;

/** eSpeak NG's default speaking rate, words per minute (`espeakRATE_NORMAL`), used at speed 1. */
export const ESPEAK_DEFAULT_WORDS_PER_MINUTE = 175;

/**
 * English voices offered, with the name eSpeak's `SetVoiceByName` takes for each: a language voice
 * file (`espeak-ng-data/lang/gmw/en*`; British English is the file `en`) optionally followed by
 * `+variant` (`espeak-ng-data/voices/!v/`). eSpeak's base voices sound male; the `f3` variant
 * gives a female voice.
 */
const VOICE_TABLE: ReadonlyArray<{ voice: Voice; espeakName: string }> = [
  { espeakName: 'en-us', voice: { id: 'en-us', name: 'English (America)', language: 'en-US', gender: 'male' } },
  {
    espeakName: 'en-us+f3',
    voice: { id: 'en-us+f3', name: 'English (America), female', language: 'en-US', gender: 'female' },
  },
  { espeakName: 'en', voice: { id: 'en-gb', name: 'English (Great Britain)', language: 'en-GB', gender: 'male' } },
  {
    espeakName: 'en+f3',
    voice: { id: 'en-gb+f3', name: 'English (Great Britain), female', language: 'en-GB', gender: 'female' },
  },
  {
    espeakName: 'en-gb-x-rp',
    voice: { id: 'en-gb-x-rp', name: 'English (Received Pronunciation)', language: 'en-GB', gender: 'male' },
  },
  {
    espeakName: 'en-gb-scotland',
    voice: { id: 'en-gb-scotland', name: 'English (Scotland)', language: 'en-GB', gender: 'male' },
  },
];

/** The voices `EspeakTTSEngine` offers (ids are stable: they go into settings). */
export const ESPEAK_VOICES: readonly Voice[] = Object.freeze(VOICE_TABLE.map((entry) => Object.freeze(entry.voice)));

export interface EspeakTTSOptions {
  /** Voice used when a call names none; one of `ESPEAK_VOICES`. Default `en-us+f3`. */
  defaultVoice?: string;
}

/** The one WASM instance, shared by every engine object (the module holds ~24 MB of voice data). */
let sharedWorker: Promise<eSpeakNGWorker> | undefined;

/**
 * Loads the eSpeak NG WASM module once per process (later calls share it).
 * @throws EngineError (engine `espeak`) when the module cannot be loaded; a later call retries
 */
export function loadEspeak(): Promise<eSpeakNGWorker> {
  sharedWorker ??= import('@echogarden/espeak-ng-emscripten')
    .then(async ({ default: createEspeakModule }) => {
      const module = await createEspeakModule();
      return new module.eSpeakNGWorker();
    })
    .catch((error: unknown) => {
      sharedWorker = undefined;
      throw new EngineError('espeak', `Could not load eSpeak NG (WASM): ${errorMessage(error)}`, { cause: error });
    });
  return sharedWorker;
}

/** Maps a speed multiplier (clamped to 0.5-2.0) to eSpeak words per minute: 88-350, 175 at 1. */
export function espeakWordsPerMinute(speed: number | undefined): number {
  const factor = speed === undefined || !Number.isFinite(speed) ? 1 : Math.min(MAX_SPEED, Math.max(MIN_SPEED, speed));
  return Math.round(ESPEAK_DEFAULT_WORDS_PER_MINUTE * factor);
}

/** eSpeak reads its input as SSML: escape markup characters so text is spoken, never parsed. */
function escapeSsml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * eSpeak NG text-to-speech.
 *
 * @example
 * const tts = new EspeakTTSEngine({ defaultVoice: 'en-gb' });
 * for await (const chunk of tts.synthesize('Hello there!', { signal, speed: 1.2 })) play(chunk);
 */
export class EspeakTTSEngine implements TTS {
  readonly provider = 'espeak';
  readonly modelId = 'espeak-ng';
  readonly sampleRate = ESPEAK_SAMPLE_RATE;
  readonly defaultVoice: string;

  /** @throws EngineError (code `unknown_voice`) when `defaultVoice` is not an eSpeak voice here */
  constructor(options: EspeakTTSOptions = {}) {
    this.defaultVoice = options.defaultVoice ?? 'en-us+f3';
    assertVoice(this.defaultVoice);
  }

  voices(): Voice[] {
    return VOICE_TABLE.map((entry) => ({ ...entry.voice }));
  }

  /**
   * Warms up: loads the WASM module and speaks one short phrase with the default voice (dropped),
   * so the first real sentence pays neither for the module (~150-300 ms) nor for loading the
   * voice's data and the first, unoptimised WASM run (~70-150 ms).
   */
  async prepare(): Promise<void> {
    for await (const _chunk of this.synthesize('Hello there.', { signal: new AbortController().signal })) {
      // Discarded: only the side effect of loading matters.
    }
  }

  /**
   * Synthesizes `text` into one chunk of 22,050 Hz PCM16 (nothing for blank text).
   * Aborting before or during the call yields nothing; the synchronous WASM run itself cannot be
   * interrupted, so a signal aborted meanwhile drops its audio.
   * @throws EngineError code `unknown_voice` for a voice not in `voices()`; engine failures otherwise
   */
  async *synthesize(text: string, options: SynthesizeOptions): AsyncGenerator<AudioChunk> {
    const voice = options.voice ?? this.defaultVoice;
    const espeakName = assertVoice(voice);
    if (options.signal.aborted || text.trim() === '') return;
    const worker = await loadEspeak();
    if (options.signal.aborted) return;

    const blocks: Int16Array[] = [];
    let length = 0;
    try {
      // Voice and rate are worker-wide state: set them in the same synchronous run as synthesis.
      if (worker.set_voice(espeakName) !== 0) throw new Error(`eSpeak NG has no voice "${espeakName}"`);
      worker.set_rate(espeakWordsPerMinute(options.speed));
      worker.synthesize(escapeSsml(text), (samples) => {
        if (samples.length > 0) {
          blocks.push(samples);
          length += samples.length;
        }
        return false;
      });
    } catch (error) {
      throw new EngineError('espeak', `eSpeak NG synthesis failed: ${errorMessage(error)}`, { cause: error });
    }
    if (options.signal.aborted || length === 0) return;

    const samples = new Int16Array(length);
    let offset = 0;
    for (const block of blocks) {
      samples.set(block, offset);
      offset += block.length;
    }
    yield { samples, sampleRate: ESPEAK_SAMPLE_RATE };
  }
}

/** @returns the name eSpeak knows the voice by */
function assertVoice(voice: string): string {
  const entry = VOICE_TABLE.find((known) => known.voice.id === voice);
  if (!entry) {
    const known = VOICE_TABLE.map((candidate) => candidate.voice.id).join(', ');
    throw new EngineError('espeak', `Unknown eSpeak voice "${voice}". Voices: ${known}.`, { code: 'unknown_voice' });
  }
  return entry.espeakName;
}
