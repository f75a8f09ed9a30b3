/**
 * The eSpeak NG WebAssembly module (`@echogarden/espeak-ng-emscripten`, the build Echogarden
 * uses), as a worker thread runs it: synthesis inside the module is synchronous, so it runs in the
 * worker pool (src/workers/), never on the server's event loop. Main-thread code uses
 * `EspeakTTSEngine` (./espeak.ts).
 */
import type { eSpeakNGWorker } from '@echogarden/espeak-ng-emscripten';
import { EngineError, errorMessage } from '../../core/errors.js';

/** eSpeak NG's native output sample rate, Hz (`samplerate` of the module; fixed by the engine). */
export const ESPEAK_NATIVE_RATE = 22_050;

/** The one WASM instance of this thread (the module holds ~24 MB of voice data). */
let sharedModule: Promise<eSpeakNGWorker> | undefined;

/**
 * Loads the eSpeak NG WASM module once per thread (later calls share it).
 * @throws EngineError (engine `espeak`) when the module cannot be loaded; a later call retries
 */
export function loadEspeakWasm(): Promise<eSpeakNGWorker> {
  sharedModule ??= import('@echogarden/espeak-ng-emscripten')
    .then(async ({ default: createEspeakModule }) => {
      const module = await createEspeakModule();
      return new module.eSpeakNGWorker();
    })
    .catch((error: unknown) => {
      sharedModule = undefined;
      throw new EngineError('espeak', `Could not load eSpeak NG (WASM): ${errorMessage(error)}`, { cause: error });
    });
  return sharedModule;
}

/**
 * Synthesizes SSML-escaped `text` with eSpeak's voice `espeakName` at `wordsPerMinute`, calling
 * `onBlock` with each block of 22,050 Hz PCM16 as eSpeak produces it (a few ms of work each);
 * `onBlock` returning true stops synthesis there.
 * @throws Error when the voice is unknown or the module fails
 */
export function synthesizeBlocks(
  espeak: eSpeakNGWorker,
  text: string,
  espeakName: string,
  wordsPerMinute: number,
  onBlock: (samples: Int16Array) => boolean,
): void {
  // Voice and rate are module-wide state: set them in the same synchronous run as synthesis.
  if (espeak.set_voice(espeakName) !== 0) throw new Error(`eSpeak NG has no voice "${espeakName}"`);
  espeak.set_rate(wordsPerMinute);
  espeak.synthesize(text, (samples) => (samples.length > 0 ? onBlock(samples) : false));
}
