/**
 * Types for `@echogarden/espeak-ng-emscripten` 0.3 (ships none): the part of its Emscripten
 * module and WebIDL-bound `eSpeakNGWorker` that the eSpeak engine uses. Read from the package's
 * `espeak-ng.js` (the bindings and the `synthesize`/`list_voices` helpers at its end).
 */
declare module '@echogarden/espeak-ng-emscripten' {
  export interface EspeakVoiceInfo {
    /** e.g. `English (America)` */
    name: string;
    /** e.g. `gmw/en-US` */
    identifier: string;
    languages: Array<{ priority: number; name: string }>;
  }

  export interface EspeakEvent {
    type: 'list_terminated' | 'word' | 'sentence' | 'mark' | 'play' | 'end' | 'msg_terminated' | 'phoneme' | 'samplerate';
    text_position: number;
    word_length: number;
    audio_position: number;
    id: string | number | undefined;
  }

  export class eSpeakNGWorker {
    /** Output sample rate, Hz (22,050). */
    readonly samplerate: number;
    /**
     * Selects a voice by name, e.g. `en-us` or `en-gb+f3` (language + `+variant`).
     * @returns 0 on success, an `espeak_ERROR` code otherwise (2: not found)
     */
    set_voice(name: string): number;
    /** Words per minute, 80-450 (eSpeak NG's `espeakRATE_MINIMUM`/`MAXIMUM`), default 175. */
    set_rate(wordsPerMinute: number): void;
    get_rate(): number;
    /** 0-99, default 50. */
    set_pitch(pitch: number): void;
    list_voices(): EspeakVoiceInfo[];
    /**
     * Synthesizes synchronously (SSML on), calling `callback` with each block of PCM16 as it is
     * produced; returning true from the callback stops synthesis.
     */
    synthesize(text: string, callback: (samples: Int16Array, events: EspeakEvent[]) => boolean): void;
  }

  export interface EspeakModule {
    eSpeakNGWorker: typeof eSpeakNGWorker;
  }

  /** Emscripten factory: instantiates the WASM and mounts `espeak-ng.data` (voices, dictionaries). */
  export default function createEspeakModule(moduleArg?: Record<string, unknown>): Promise<EspeakModule>;
}
