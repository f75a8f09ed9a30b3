/**
 * TTS engine over eSpeak NG compiled to WebAssembly (`@echogarden/espeak-ng-emscripten`, the
 * build Echogarden uses). Formant synthesis: robotic, but instant, tiny, and with no download —
 * the voice the app always has, even with no model and no network.
 *
 * Synthesis inside the WASM module is synchronous (~10-30 ms a sentence, several hundred ms for a
 * long paragraph), so it runs in the worker pool (src/workers/pool.ts), never on the event loop:
 * each worker holds its own copy of the module (./espeak-wasm.ts). The worker converts eSpeak's
 * native 22,050 Hz to the realtime protocol's 24 kHz with a streaming resampler and sends the
 * audio back in ~200 ms blocks as it is made, so the engine reports `sampleRate: 24000` and yields
 * several chunks for a long text. A cancel drops a call still queued for a worker and stops a
 * running one at eSpeak's next block; nothing is yielded after the signal aborts.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { REALTIME_SAMPLE_RATE, type AudioChunk } from '../../core/audio.js';
import { EngineError, errorMessage, isAbortError } from '../../core/errors.js';
import { MAX_SPEED, MIN_SPEED, type SynthesizeOptions, type TTS, type Voice } from '../../core/tts.js';
import type { EspeakMessage } from '../../workers/audio-worker.js';
import { runTask } from '../../workers/pool.js';
import { ESPEAK_NATIVE_RATE } from './espeak-wasm.js';

/** eSpeak NG's native sample rate, Hz (what the WASM module produces). */
export const ESPEAK_SAMPLE_RATE = ESPEAK_NATIVE_RATE;
/** The rate `EspeakTTSEngine` yields, Hz: the realtime protocol's (converted in the worker). */
export const ESPEAK_OUTPUT_RATE = REALTIME_SAMPLE_RATE;

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
  readonly sampleRate = ESPEAK_OUTPUT_RATE;
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
   * Warms up every worker of the pool: each loads the WASM module and speaks one short phrase
   * (dropped), so the first real sentence pays neither for the module (~150-300 ms) nor for
   * loading the voice's data and the first, unoptimised WASM run (~70-150 ms).
   */
  async prepare(): Promise<void> {
    const warmOne = async () => {
      for await (const _chunk of this.synthesize('Hello there.', { signal: new AbortController().signal })) {
        // Discarded: only the side effect of loading matters.
      }
    };
    await Promise.all(Array.from({ length: availableParallelism() }, warmOne));
  }

  /**
   * Synthesizes `text` into 24 kHz PCM16 chunks (~200 ms each, as the worker makes them; nothing for
   * blank text). Aborting before or during the call yields nothing more: a call still waiting for a
   * worker is dropped, a running one stops at eSpeak's next block. Stopping the iteration early
   * cancels the same way.
   * @throws EngineError code `unknown_voice` for a voice not in `voices()`; engine failures otherwise
   */
  async *synthesize(text: string, options: SynthesizeOptions): AsyncGenerator<AudioChunk> {
    const voice = options.voice ?? this.defaultVoice;
    const espeakName = assertVoice(voice);
    if (options.signal.aborted || text.trim() === '') return;
    const stop = new AbortController();
    const signal = AbortSignal.any([options.signal, stop.signal]);
    const { port1, port2 } = new MessageChannel();
    const messages = new PortQueue(port1);
    const task = runTask<number>(
      'espeakSynthesize',
      { text: escapeSsml(text), espeakName, wordsPerMinute: espeakWordsPerMinute(options.speed), port: port2 },
      { signal, transferList: [port2] },
    );
    task.catch((error: unknown) => messages.fail(error));
    // Return at once on abort, not when the worker has noticed it (at its next block).
    const onAbort = () => messages.fail(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        const message = await messages.next();
        if (signal.aborted || message.type === 'done') return;
        yield { samples: message.samples, sampleRate: ESPEAK_OUTPUT_RATE };
        if (signal.aborted) return;
      }
    } catch (error) {
      if (signal.aborted || isAbortError(error)) return;
      if (error instanceof EngineError) throw error;
      throw new EngineError('espeak', `eSpeak NG synthesis failed: ${errorMessage(error)}`, { cause: error });
    } finally {
      signal.removeEventListener('abort', onAbort);
      stop.abort();
      messages.close();
    }
  }
}

/** The messages of one synthesis, in order, as a pull queue; a failure of the task ends it. */
class PortQueue {
  #buffered: EspeakMessage[] = [];
  #waiting: { resolve: (message: EspeakMessage) => void; reject: (error: unknown) => void } | undefined;
  #error: { error: unknown } | undefined;

  constructor(private readonly port: MessagePort) {
    port.on('message', (message: EspeakMessage) => {
      const waiting = this.#waiting;
      this.#waiting = undefined;
      if (waiting) waiting.resolve(message);
      else this.#buffered.push(message);
    });
  }

  next(): Promise<EspeakMessage> {
    const message = this.#buffered.shift();
    if (message) return Promise.resolve(message);
    if (this.#error) return Promise.reject(this.#error.error);
    return new Promise((resolve, reject) => (this.#waiting = { resolve, reject }));
  }

  fail(error: unknown): void {
    this.#error ??= { error };
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.reject(error);
  }

  close(): void {
    this.port.close();
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
