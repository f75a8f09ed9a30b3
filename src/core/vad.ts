/**
 * Voice activity detection (VAD) on a stream of audio: where speech starts and stops.
 */

/** Turn-detection settings, as in the OpenAI Realtime API's `server_vad` (times in ms). */
export interface VadSettings {
  /** Speech probability above which a frame counts as speech, 0-1. Silero's default is 0.5. */
  threshold: number;
  /**
   * Silence that ends a turn ("thinking time"). Learners pause to think, so the default is long:
   * 900 ms (OpenAI's default is 500 ms).
   */
  silenceDurationMs: number;
  /** Audio kept from before the detected start, so the first syllable is not cut. */
  prefixPaddingMs: number;
  /** Speech shorter than this (a cough, "uh") neither starts a turn nor interrupts. */
  minSpeechMs: number;
  /**
   * Silence inside a turn after which the learner "may be done", ms: a `speech-paused` event
   * (with the audio so far) lets the caller prepare a reply before the turn ends. 0 or absent:
   * no pause events. Only meaningful when shorter than `silenceDurationMs`.
   */
  pauseMs?: number;
}

export const DEFAULT_VAD_SETTINGS: VadSettings = {
  threshold: 0.5,
  silenceDurationMs: 900,
  prefixPaddingMs: 300,
  minSpeechMs: 250,
};

export type VadEvent =
  /** Speech started at `audioStartMs` (stream time, padding excluded); reported once `minSpeechMs` of speech is confirmed. */
  | { type: 'speech-started'; audioStartMs: number }
  /**
   * Speech stopped at `audioEndMs`; `audio` is the utterance (prefix padding included) at the
   * detector's input sample rate, mono PCM16.
   */
  | { type: 'speech-stopped'; audioEndMs: number; audio: Int16Array };

/** Moments inside a turn, reported only with `VadSettings.pauseMs` set (see `StreamingVad.pushDetailed`). */
export type VadPauseEvent =
  /**
   * `pauseMs` of silence inside a turn: the learner may be done. `audio` is the utterance so far
   * (as `speech-stopped` would give it now); `audioEndMs` is where the silence began.
   */
  | { type: 'speech-paused'; audioEndMs: number; audio: Int16Array }
  /** Speech came back after a `speech-paused`: the turn goes on. `pauseMs` is the pause's length. */
  | { type: 'speech-resumed'; pauseMs: number };

/** A streaming VAD: feed audio, get events. Not thread-safe; one per audio stream. */
export interface StreamingVad {
  /** Sample rate `push` expects, Hz. */
  readonly sampleRate: number;
  /** Feeds mono PCM16 at `sampleRate`; resolves with the events this audio completed, in order. */
  push(samples: Int16Array): Promise<VadEvent[]>;
  /** As `push`, with the pause events (`pauseMs`) in order among the others. */
  pushDetailed?(samples: Int16Array): Promise<(VadEvent | VadPauseEvent)[]>;
  /** Changes the settings from the next frame on (e.g. a raised threshold while the reply plays). */
  configure(settings: Partial<VadSettings>): void;
  /** Forgets buffered audio and state (e.g. `input_audio_buffer.clear`). */
  reset(): void;
}
