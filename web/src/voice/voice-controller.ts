/**
 * Voice input: the microphone, Silero VAD and the learner's turns, as realtime events. No React
 * here: `use-session.ts` owns one controller and gives it a `VoiceHost` (sending events, asking
 * for a reply, barge-in); components read `getSnapshot()` and the level meter.
 *
 * Modes (switchable at any time; typing always works alongside):
 * - `hands-free` + browser turn detection: every 32 ms frame goes through Silero VAD. When a turn
 *   is confirmed (>= ~250 ms of speech) the tutor is interrupted (barge-in) and the utterance is
 *   streamed as `input_audio_buffer.append` (padding before the speech start included, trailing
 *   silence held back); when the learner has been silent for the thinking time the client sends
 *   `input_audio_buffer.commit` and `response.create`.
 * - `hands-free` + server turn detection (`server_vad`): all microphone audio is streamed; the
 *   server sends `speech_started` / `speech_stopped` / `committed` and starts the reply itself.
 * - `push-to-talk`: holding the button (or Space) interrupts the tutor and records; release ends
 *   the utterance (after a 200 ms tail) -> commit + `response.create`.
 * - `typing`: the microphone is closed.
 *
 * While the tutor speaks: with barge-in on, the VAD's speech threshold rises (0.5 -> 0.8) so its
 * own voice, leaking past echo cancellation, does not start a turn; with barge-in off the
 * microphone is gated (nothing detected, nothing sent) until the tutor has finished.
 */
import { FRAME_MS, levelFromRms } from '../audio/capture-dsp.js';
import { Microphone, type MicrophoneErrorKind, type MicrophoneFrame, toMicrophoneError } from '../audio/microphone.js';
import { encodePcm16Base64 } from '../audio/pcm.js';
import type { SessionInputUpdateEvent, TurnDetectionConfig, VoiceClientEvent } from '../realtime/voice-events.js';
import type { LoadedSpeechModel } from './silero.js';
import { DEFAULT_TURN_OPTIONS, NORMAL_THRESHOLDS, PLAYBACK_THRESHOLDS, TurnDetector, type TurnEvent } from './turn-detector.js';
import { FrameRing, UtteranceStream } from './utterance.js';

export type VoiceMode = 'hands-free' | 'push-to-talk' | 'typing';
export type TurnDetectionMode = 'browser' | 'server';

export interface VoiceSettings {
  mode: VoiceMode;
  /** Silence that ends a hands-free turn, ms. */
  thinkingTimeMs: number;
  /** Speaking while the tutor talks interrupts it; off: the microphone is gated meanwhile. */
  bargeIn: boolean;
  /** Who decides where a hands-free turn ends. */
  turnDetection: TurnDetectionMode;
  /**
   * `learned`: the thinking time follows the learner's own pauses (the server's
   * `localchat.thinking_time`; `thinkingTimeMs` until it is known); `fixed`: `thinkingTimeMs`.
   */
  thinkingTime: 'fixed' | 'learned';
}

export const THINKING_TIME_RANGE = { min: 300, max: 2500, step: 100, default: 900 } as const;
export const DEFAULT_VOICE_SETTINGS: VoiceSettings = {
  mode: 'typing',
  thinkingTimeMs: THINKING_TIME_RANGE.default,
  bargeIn: true,
  turnDetection: 'browser',
  thinkingTime: 'fixed',
};

/** Longest utterance, ms: a turn ends there (just under the server's 30 s limit). */
export const MAX_UTTERANCE_MS = 29_500;
/**
 * Push-to-talk: audio kept from before the press, and recorded after the release, ms. Frames are
 * placed by their capture time, so a busy main thread does not stretch or shift the recording.
 */
const PTT_PREROLL_MS = 200;
const PTT_POSTROLL_MS = 200;
/** Push-to-talk presses shorter than this are taps, not speech, ms. */
const PTT_MIN_MS = 250;
/** A push-to-talk recording counts as speech if a frame reaches this VAD probability. */
const PTT_SPEECH_PROBABILITY = 0.35;
/** After the tutor stops, the gated microphone reopens this much later (room echo tail), ms. */
const UNGATE_DELAY_MS = 300;
/** Server-VAD streaming: frames per append (96 ms). */
const STREAM_BATCH_FRAMES = 3;
/**
 * Silence inside a turn after which the learner "may be done", ms: the server then prepares the
 * reply unheard, so it plays as soon as the thinking time confirms the turn.
 */
export const MAYBE_DONE_MS = 250;
/** P(turn complete) at or above which a semantic end-of-turn model ends the turn at once. */
export const END_OF_TURN_DONE = 0.5;

/** A semantic end-of-turn model in the page (Smart Turn on onnxruntime-web: ./smart-turn.ts). */
export interface PageEndOfTurn {
  /** P(turn complete) for 16 kHz float audio ending at the pause. */
  predict(audio: Float32Array): Promise<number>;
}
/** `server_vad` settings besides the thinking time. */
const SERVER_VAD = { threshold: 0.5, prefix_padding_ms: 300 } as const;
/** Microphone frames kept for padding and pre-roll (VAD decisions lag the audio): 8 s. */
const RING_FRAMES = 256;

/**
 * `off`: typing mode; `starting`: opening the microphone or loading the VAD; `suspended`: the
 * browser waits for a click before audio can run; `listening`: waiting for speech (push-to-talk:
 * ready); `hearing`: the learner is speaking (push-to-talk: held); `paused`: gated while the tutor
 * speaks (barge-in off); `error`: see `error`.
 */
export type VoicePhase = 'off' | 'starting' | 'suspended' | 'listening' | 'hearing' | 'paused' | 'error';

export interface VoiceSnapshot {
  settings: VoiceSettings;
  phase: VoicePhase;
  /** What went wrong, for the learner (with `phase: 'error'`). */
  error: string | null;
  errorKind: MicrophoneErrorKind | 'vad' | 'server' | 'server-vad' | null;
  /** The microphone's name, once known. */
  device: string;
  /** Push-to-talk is held. */
  recording: boolean;
  /** The thinking time in use, ms (the learned one when `settings.thinkingTime` is `learned` and known). */
  thinkingTimeInUseMs: number;
  /** The learner's thinking time learned by the server from their pauses, ms (null until the server says). */
  learnedThinkingTimeMs: number | null;
}

export type InterruptSource = 'vad' | 'push-to-talk';

export interface VoiceHost {
  /** Sends a voice event. @returns its event id, or null when not connected */
  send(event: VoiceClientEvent): string | null;
  /** After a commit: asks for the tutor's reply (`response.create`, with its bookkeeping). */
  requestResponse(): void;
  /** The learner started a turn: stop the tutor (barge-in). */
  interrupt(source: InterruptSource): void;
  /**
   * An utterance of `durationMs` was committed (now: the turn end was decided); the learner
   * stopped speaking at `stoppedSpeakingAt` (`performance.now()` clock: the last voiced frame's
   * capture time, or the push-to-talk release).
   */
  committed(durationMs: number, stoppedSpeakingAt: number): void;
  notify(message: string, level: 'info' | 'error'): void;
  /**
   * The microphone's audio runs: the browser lets this page play sound too (same autoplay
   * policy), so the tutor's voice can start without waiting for a click.
   */
  audioReady(): void;
}

/** What browser tests read from `window.__localchat.voice`. */
export interface VoiceDebug {
  phase: VoicePhase;
  /** Silero VAD is loaded: every frame from now on goes through it (push-to-talk included). */
  vadReady: boolean;
  frames: number;
  probability: number;
  misfires: number;
  interrupts: number;
  utterances: { kind: 'vad' | 'push-to-talk'; durationMs: number; reason: string; at: number }[];
  /** `performance.now()` when the VAD last confirmed a turn (the barge-in moment). */
  lastSpeechConfirmedAt: number | null;
  /** When the frame that confirmed it was captured (so VAD lag = the difference), ms. */
  lastSpeechConfirmedCapturedAt: number | null;
  /** When the confirmed turn's speech started in the audio (its first speech frame), ms. */
  lastSpeechStartedCapturedAt: number | null;
}

type Listener = () => void;

interface PushToTalk {
  stream: UtteranceStream;
  /** Press and release times (`performance.now()` clock), ms; `releasedAt` null while held. */
  pressedAt: number;
  releasedAt: number | null;
  heardSpeech: boolean;
  finishing: boolean;
}

const noopHost: VoiceHost = {
  send: () => null,
  requestResponse: () => undefined,
  interrupt: () => undefined,
  committed: () => undefined,
  notify: () => undefined,
  audioReady: () => undefined,
};

export class VoiceController {
  private settings: VoiceSettings;
  private host: VoiceHost = noopHost;
  private snapshot: VoiceSnapshot;
  private readonly listeners = new Set<Listener>();
  private readonly levelListeners = new Set<(level: number) => void>();
  private levelValue = 0;

  private mic: Microphone | null = null;
  private micOpening: Promise<void> | null = null;
  private micError: { kind: MicrophoneErrorKind; message: string } | null = null;
  private micSuspended = false;

  private detector: TurnDetector | null = null;
  private model: LoadedSpeechModel | null = null;
  private vadLoading: Promise<void> | null = null;
  private vadError: string | null = null;
  private serverError: { kind: 'server' | 'server-vad'; message: string } | null = null;
  /** VAD work runs strictly in frame order. */
  private vadChain: Promise<void> = Promise.resolve();
  /** Bumped on every reset: queued VAD work from before it is dropped. */
  private vadGeneration = 0;

  private readonly ring = new FrameRing(RING_FRAMES);
  /** Capture time of each frame in the ring, by `index % RING_FRAMES`. */
  private readonly ringTimes = new Float64Array(RING_FRAMES);
  private lastFrame = -1;
  /** The hands-free utterance being streamed. */
  private utterance: UtteranceStream | null = null;
  private ptt: PushToTalk | null = null;
  private pttTimer: ReturnType<typeof setTimeout> | null = null;
  /** Server-VAD mode: the continuous stream. */
  private serverStream: UtteranceStream | null = null;
  /** Frames of silence since the last speech inside the current turn, and whether `maybe_done` was sent for them. */
  private silentFrames = 0;
  private maybeDoneSent = false;
  /** The server's `localchat.thinking_time`: the learner's learned value, ms. */
  private learnedMs: number | null = null;
  /** Semantic end of turn (browser VAD), and whether it said "not done" for the current pause. */
  private endOfTurn: PageEndOfTurn | null = null;
  private waitingLonger = false;
  private serverHearing = false;

  private tutorSpeaking = false;
  private gated = false;
  private ungateTimer: ReturnType<typeof setTimeout> | null = null;
  private connected = false;
  private disposed = false;
  private readonly debug: VoiceDebug = {
    phase: 'off',
    vadReady: false,
    frames: 0,
    probability: 0,
    misfires: 0,
    interrupts: 0,
    utterances: [],
    lastSpeechConfirmedAt: null,
    lastSpeechConfirmedCapturedAt: null,
    lastSpeechStartedCapturedAt: null,
  };

  constructor(settings: Partial<VoiceSettings> = {}) {
    this.settings = normalizeSettings({ ...DEFAULT_VOICE_SETTINGS, ...settings });
    this.snapshot = this.computeSnapshot();
    if (typeof window !== 'undefined') {
      window.__localchat ??= { playedSamples: 0, state: 'locked', contextSampleRate: null };
      window.__localchat.voice = this.debug;
    }
  }

  // ---- subscription -------------------------------------------------------------------------

  getSnapshot = (): VoiceSnapshot => this.snapshot;

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** The input level, 0-1, about 30 times a second (for a meter; not through React state). */
  subscribeLevel(listener: (level: number) => void): () => void {
    this.levelListeners.add(listener);
    listener(this.levelValue);
    return () => this.levelListeners.delete(listener);
  }

  setHost(host: VoiceHost): void {
    this.host = host;
  }

  // ---- settings and session ---------------------------------------------------------------------

  get currentSettings(): VoiceSettings {
    return this.settings;
  }

  /** Applies new settings (mode switches included) at once. */
  update(change: Partial<VoiceSettings>): void {
    const previous = this.settings;
    const next = normalizeSettings({ ...previous, ...change });
    this.settings = next;
    const usesVadBefore = usesBrowserVad(previous);
    const streamingBefore = usesServerVad(previous);
    if (previous.mode !== next.mode || usesVadBefore !== usesBrowserVad(next) || streamingBefore !== usesServerVad(next)) {
      // Whatever turn was in progress belongs to the old mode.
      this.abandonTurns();
    }
    if (this.thinkingTimeFor(next) !== this.thinkingTimeFor(previous)) this.detector?.configure({ thinkingTimeMs: this.thinkingTimeFor(next) });
    if (next.bargeIn !== previous.bargeIn) this.applyTutorSpeaking();
    if (
      previous.mode !== next.mode ||
      previous.turnDetection !== next.turnDetection ||
      (usesServerVad(next) && (previous.thinkingTimeMs !== next.thinkingTimeMs || previous.bargeIn !== next.bargeIn || previous.thinkingTime !== next.thinkingTime))
    ) {
      if (previous.turnDetection !== next.turnDetection && this.serverError?.kind === 'server-vad') this.serverError = null;
      this.syncSession();
    }
    this.startWhatIsNeeded();
    this.emit();
  }

  /** `session.audio.input` for the current settings. */
  sessionUpdate(): SessionInputUpdateEvent {
    const turnDetection: TurnDetectionConfig = usesServerVad(this.settings)
      ? {
          type: 'server_vad',
          threshold: SERVER_VAD.threshold,
          silence_duration_ms: this.settings.thinkingTimeMs,
          prefix_padding_ms: SERVER_VAD.prefix_padding_ms,
          create_response: true,
          interrupt_response: this.settings.bargeIn,
        }
      : null;
    return {
      type: 'session.update',
      session: { audio: { input: { turn_detection: turnDetection } }, ...(turnDetection && this.settings.thinkingTime === 'learned' ? { localchat: { thinking_time: 'learned' as const } } : {}) },
    };
  }

  /**
   * The server's `localchat.thinking_time` (its learned value for this learner): with
   * `thinkingTime: 'learned'` the browser VAD uses it from now on.
   */
  serverThinkingTime(event: { learned_ms: number }): void {
    if (!Number.isFinite(event.learned_ms)) return;
    const before = this.thinkingTimeFor(this.settings);
    this.learnedMs = Math.round(Math.min(THINKING_TIME_RANGE.max, Math.max(THINKING_TIME_RANGE.min, event.learned_ms)));
    const after = this.thinkingTimeFor(this.settings);
    if (after !== before) this.detector?.configure({ thinkingTimeMs: after });
    this.emit();
  }

  /**
   * Sets the page's semantic end-of-turn model (null: silence alone decides). At each "maybe done"
   * pause of a browser-VAD turn it hears the turn so far: "done" ends the turn at once, "not done"
   * waits up to the longest thinking time.
   */
  setEndOfTurn(model: PageEndOfTurn | null): void {
    this.endOfTurn = model;
  }

  /** The thinking time the settings mean now, ms. */
  private thinkingTimeFor(settings: VoiceSettings): number {
    return settings.thinkingTime === 'learned' && this.learnedMs !== null ? this.learnedMs : settings.thinkingTimeMs;
  }

  /** Tells the server how turns are decided (on every new session and settings change). */
  syncSession(): void {
    if (this.connected) this.host.send(this.sessionUpdate());
  }

  setConnected(connected: boolean): void {
    if (connected === this.connected) return;
    this.connected = connected;
    // A new connection is a new session with an empty input buffer.
    if (!connected) this.abandonTurns(false);
    this.emit();
  }

  /** The tutor's voice started or stopped playing. */
  setTutorSpeaking(speaking: boolean): void {
    if (speaking === this.tutorSpeaking) return;
    this.tutorSpeaking = speaking;
    this.applyTutorSpeaking();
    this.emit();
  }

  // ---- server VAD events ------------------------------------------------------------------------

  /** `input_audio_buffer.speech_started` / `speech_stopped` in server-VAD mode. */
  serverSpeech(started: boolean): void {
    this.serverHearing = started;
    this.emit();
  }

  // ---- push to talk ----------------------------------------------------------------------------

  /**
   * Push-to-talk pressed (true) or released (false).
   * @param at when, on the `performance.now()` clock (an event's `timeStamp`); default now
   */
  pushToTalk(down: boolean, at = performance.now()): void {
    if (this.settings.mode !== 'push-to-talk') return;
    if (down) {
      if (this.ptt && this.ptt.releasedAt === null && !this.ptt.finishing) return;
      if (this.ptt) this.finishPushToTalk();
      if (this.micError) {
        // The bar shows the error; a press is a good moment to try the microphone again.
        this.retry();
        return;
      }
      this.startWhatIsNeeded();
      this.debug.interrupts++;
      this.host.interrupt('push-to-talk');
      const stream = this.newStream(STREAM_BATCH_FRAMES, 0);
      const from = at - PTT_PREROLL_MS;
      for (let index = Math.max(0, this.lastFrame - RING_FRAMES + 1); index <= this.lastFrame; index++) {
        const pcm = this.ring.get(index);
        if (pcm && (this.ringTimes[index % RING_FRAMES] ?? 0) - FRAME_MS >= from) stream.add(pcm);
      }
      this.ptt = { stream, pressedAt: at, releasedAt: null, heardSpeech: false, finishing: false };
    } else {
      const ptt = this.ptt;
      if (!ptt || ptt.releasedAt !== null) return;
      ptt.releasedAt = Math.max(at, ptt.pressedAt);
      // Frames normally finish it after the tail; if they stopped coming, finish anyway.
      this.pttTimer = setTimeout(() => this.finishPushToTalk(), PTT_POSTROLL_MS + 600);
    }
    this.emit();
  }

  // ---- recovery --------------------------------------------------------------------------------

  /**
   * The server refused voice input (`server`: voice events at all; `server-vad`: its own speech
   * detection): say so, and stop sending audio.
   */
  serverRefused(message: string, kind: 'server' | 'server-vad' = 'server'): void {
    if (this.serverError?.message === message) return;
    this.serverError = { kind, message };
    this.abandonTurns(false);
    this.emit();
  }

  /** "Try again" after a microphone or VAD error. */
  retry(): void {
    this.micError = null;
    this.vadError = null;
    this.serverError = null;
    this.startWhatIsNeeded();
    this.emit();
  }

  /** Resumes audio after the browser held it until a user gesture; call from one. */
  resumeAudio(): void {
    void this.mic?.resume().then(() => {
      this.micSuspended = !(this.mic?.running ?? true);
      this.emit();
    });
  }

  dispose(): void {
    this.disposed = true;
    this.abandonTurns(false);
    this.closeMic();
    void this.model?.release().catch(() => undefined);
    this.model = null;
    this.detector = null;
    this.debug.vadReady = false;
  }

  // ---- internals -------------------------------------------------------------------------------

  private startWhatIsNeeded(): void {
    if (this.disposed) return;
    if (this.settings.mode === 'typing') {
      this.closeMic();
      return;
    }
    if (!this.mic && !this.micOpening && !this.micError) this.openMic();
    // Push-to-talk uses the VAD only to notice a recording without speech: load it, don't wait.
    if (!this.detector && !this.vadLoading && !this.vadError && this.settings.turnDetection === 'browser') this.loadVad();
  }

  private openMic(): void {
    this.micOpening = Microphone.open({
      onFrame: (frame, index) => this.onFrame(frame, index),
      onEnded: () => this.onMicEnded(),
    }).then(
      (mic) => {
        this.micOpening = null;
        if (this.disposed || this.settings.mode === 'typing') {
          mic.close();
          return;
        }
        this.mic = mic;
        this.micSuspended = !mic.running;
        mic.context.addEventListener('statechange', () => {
          this.micSuspended = mic.context.state === 'suspended';
          if (mic.context.state === 'running') this.host.audioReady();
          this.emit();
        });
        if (this.micSuspended) this.waitForGesture();
        else this.host.audioReady();
        this.emit();
      },
      (error: unknown) => {
        this.micOpening = null;
        const failure = toMicrophoneError(error);
        this.micError = { kind: failure.kind, message: failure.message };
        this.emit();
      },
    );
    this.emit();
  }

  private closeMic(): void {
    const mic = this.mic;
    this.mic = null;
    this.abandonTurns();
    mic?.close();
    this.micSuspended = false;
    this.ring.clear();
    this.lastFrame = -1;
    this.setLevel(0);
  }

  private onMicEnded(): void {
    const wasSpeaking = this.utterance !== null || this.ptt !== null;
    const mic = this.mic;
    this.mic = null;
    this.abandonTurns();
    mic?.close();
    this.ring.clear();
    this.lastFrame = -1;
    this.setLevel(0);
    this.micError = { kind: 'ended', message: endedMessage(wasSpeaking) };
    this.emit();
  }

  private waitForGesture(): void {
    const resume = (): void => {
      window.removeEventListener('pointerdown', resume, true);
      window.removeEventListener('keydown', resume, true);
      this.resumeAudio();
    };
    window.addEventListener('pointerdown', resume, true);
    window.addEventListener('keydown', resume, true);
  }

  private loadVad(): void {
    this.vadLoading = import('./silero.js')
      .then(async ({ loadSileroVad, VAD_ASSET_DIR }) => {
        const model = await loadSileroVad(new URL(VAD_ASSET_DIR, document.baseURI).href);
        if (this.disposed) {
          await model.release();
          return;
        }
        this.model = model;
        this.detector = new TurnDetector(model, { ...DEFAULT_TURN_OPTIONS, thinkingTimeMs: this.thinkingTimeFor(this.settings), maxUtteranceMs: MAX_UTTERANCE_MS });
        this.debug.vadReady = true;
        this.applyTutorSpeaking();
      })
      .catch((error: unknown) => {
        console.error('LocalChat: voice detection could not load', error);
        this.vadError = `Voice detection could not load (${error instanceof Error ? error.message : String(error)}). Use push to talk, or type.`;
      })
      .finally(() => {
        this.vadLoading = null;
        this.emit();
      });
    this.emit();
  }

  private onFrame(frame: MicrophoneFrame, index: number): void {
    this.ring.push(index, frame.pcm);
    this.ringTimes[index % RING_FRAMES] = frame.capturedAt;
    this.lastFrame = index;
    this.debug.frames++;
    this.setLevel(levelFromRms(frame.rms));
    const settings = this.settings;

    if (settings.mode === 'push-to-talk' && !this.serverError) {
      const ptt = this.ptt;
      if (ptt && !ptt.finishing) {
        const startsAt = frame.capturedAt - FRAME_MS;
        if (ptt.releasedAt !== null && startsAt >= ptt.releasedAt + PTT_POSTROLL_MS) {
          this.finishPushToTalk();
        } else if (startsAt >= ptt.pressedAt - PTT_PREROLL_MS) {
          ptt.stream.add(frame.pcm);
          if (ptt.stream.durationMs >= MAX_UTTERANCE_MS) {
            this.host.notify('That was 30 seconds, the longest a turn can be: I sent it.', 'info');
            this.finishPushToTalk();
          }
        }
      }
      if (this.detector) this.queueVad(index, frame.vad);
      return;
    }
    if (settings.mode !== 'hands-free' || this.gated || (this.serverError && (this.serverError.kind === 'server' || usesServerVad(settings)))) return;
    if (usesServerVad(settings)) {
      (this.serverStream ??= this.newStream(STREAM_BATCH_FRAMES, 0)).add(frame.pcm);
      return;
    }
    if (this.detector) this.queueVad(index, frame.vad);
  }

  private queueVad(index: number, samples: Float32Array): void {
    const detector = this.detector;
    if (!detector) return;
    const generation = this.vadGeneration;
    this.vadChain = this.vadChain
      .then(async () => {
        if (generation !== this.vadGeneration || this.detector !== detector) return;
        const result = await detector.push(index, samples);
        if (generation !== this.vadGeneration) return;
        this.debug.probability = result.probability;
        this.onVadResult(index, result.probability, result.events);
      })
      .catch((error: unknown) => {
        console.error('LocalChat: voice detection failed on a frame', error);
      });
  }

  private onVadResult(index: number, probability: number, events: TurnEvent[]): void {
    if (this.settings.mode === 'push-to-talk') {
      if (this.ptt && probability >= PTT_SPEECH_PROBABILITY) this.ptt.heardSpeech = true;
      return;
    }
    if (!usesBrowserVad(this.settings) || this.gated) return;
    const threshold = this.tutorSpeaking && this.settings.bargeIn ? PLAYBACK_THRESHOLDS.positiveSpeechThreshold : NORMAL_THRESHOLDS.positiveSpeechThreshold;
    const frame = this.ring.get(index);
    if (this.utterance && frame && !events.some((event) => event.type === 'speech-confirmed')) {
      this.trackPause(probability >= threshold);
      this.utterance.add(frame, probability >= threshold);
    }
    for (const event of events) {
      switch (event.type) {
        case 'speech-start':
          break;
        case 'misfire':
          this.debug.misfires++;
          break;
        case 'speech-confirmed':
          this.beginUtterance(event.startFrame, event.frame);
          break;
        case 'speech-end':
          if (!this.utterance) this.beginUtterance(event.startFrame, event.frame);
          this.finishUtterance(event.reason, this.ringTimes[event.lastSpeechFrame % RING_FRAMES] ?? performance.now());
          break;
      }
    }
  }

  /**
   * Tells the server about pauses inside the turn: `maybe_done` after MAYBE_DONE_MS of silence
   * (the speech so far sent first), `resumed` with the pause's length when speech comes back
   * (before the held silence and the new speech are sent).
   */
  private trackPause(speech: boolean): void {
    const stream = this.utterance;
    if (!stream) return;
    if (speech) {
      if (this.maybeDoneSent) this.host.send({ type: 'localchat.input_audio_buffer.resumed', pause_ms: this.silentFrames * FRAME_MS });
      this.silentFrames = 0;
      this.maybeDoneSent = false;
      this.restoreThinkingTime();
      return;
    }
    this.silentFrames++;
    if (!this.maybeDoneSent && this.silentFrames * FRAME_MS >= MAYBE_DONE_MS) {
      stream.flushSpeech();
      this.maybeDoneSent = this.host.send({ type: 'localchat.input_audio_buffer.maybe_done' }) !== null;
      this.askEndOfTurn(stream);
    }
  }

  /**
   * Asks the semantic end-of-turn model about the turn so far, after the frames already queued
   * (frames behind it wait for the verdict, as on the server): "done" ends the turn now, "not
   * done" waits up to the longest thinking time. A model that fails leaves silence to decide.
   */
  private askEndOfTurn(stream: UtteranceStream): void {
    const model = this.endOfTurn;
    const detector = this.detector;
    if (!model || !detector) return;
    const audio = detector.turnAudio();
    const generation = this.vadGeneration;
    this.vadChain = this.vadChain.then(async () => {
      let probability: number;
      try {
        probability = await model.predict(audio);
      } catch (error) {
        console.warn('LocalChat: the end-of-turn model failed; the thinking time decides', error);
        return;
      }
      // Speech came back, or the turn ended meanwhile: the verdict is about a pause that is over.
      if (generation !== this.vadGeneration || this.utterance !== stream || this.silentFrames === 0) return;
      if (probability >= END_OF_TURN_DONE) {
        for (const event of detector.endTurn(this.lastFrame)) {
          if (event.type === 'speech-end') this.finishUtterance('silence', this.ringTimes[event.lastSpeechFrame % RING_FRAMES] ?? performance.now());
        }
        return;
      }
      this.waitingLonger = true;
      detector.configure({ thinkingTimeMs: Math.max(THINKING_TIME_RANGE.max, this.thinkingTimeFor(this.settings)) });
    });
  }

  /** After a "not done" pause: the usual thinking time again. */
  private restoreThinkingTime(): void {
    if (!this.waitingLonger) return;
    this.waitingLonger = false;
    this.detector?.configure({ thinkingTimeMs: this.thinkingTimeFor(this.settings) });
  }

  private beginUtterance(startFrame: number, frame: number): void {
    this.utterance?.abort();
    this.silentFrames = 0;
    this.maybeDoneSent = false;
    const stream = this.newStream(STREAM_BATCH_FRAMES, 8);
    for (const pcm of this.ring.range(startFrame, frame)) stream.add(pcm);
    this.utterance = stream;
    this.debug.lastSpeechConfirmedAt = performance.now();
    this.debug.lastSpeechConfirmedCapturedAt = this.ringTimes[frame % RING_FRAMES] ?? null;
    const firstSpeech = startFrame + Math.round(DEFAULT_TURN_OPTIONS.preSpeechPadMs / FRAME_MS);
    this.debug.lastSpeechStartedCapturedAt = firstSpeech <= frame ? (this.ringTimes[firstSpeech % RING_FRAMES] ?? 0) - FRAME_MS : null;
    this.debug.interrupts++;
    this.host.interrupt('vad');
    this.emit();
  }

  private finishUtterance(reason: 'silence' | 'max-length', stoppedSpeakingAt: number): void {
    const stream = this.utterance;
    this.utterance = null;
    this.restoreThinkingTime();
    if (!stream) return;
    stream.end();
    this.commit(stream, 'vad', reason, stoppedSpeakingAt);
    if (reason === 'max-length') this.host.notify('That was 30 seconds, the longest a turn can be: I sent it.', 'info');
    this.emit();
  }

  private finishPushToTalk(): void {
    const ptt = this.ptt;
    if (!ptt || ptt.finishing) return;
    ptt.finishing = true;
    if (this.pttTimer) clearTimeout(this.pttTimer);
    this.pttTimer = null;
    // Let the VAD catch up with the last frames before judging whether there was speech.
    const judge = (): void => {
      if (this.ptt === ptt) this.ptt = null;
      const heldMs = (ptt.releasedAt ?? performance.now()) - ptt.pressedAt;
      if (heldMs < PTT_MIN_MS) {
        this.discard(ptt.stream);
        this.host.notify('Hold the talk button (or Space) while you speak, and let go when you have finished.', 'info');
      } else if (this.detector && !ptt.heardSpeech) {
        this.discard(ptt.stream);
        this.host.notify("I didn't hear any speech. Check the microphone level while you talk, or type your message.", 'info');
      } else {
        ptt.stream.end();
        this.commit(ptt.stream, 'push-to-talk', 'released', ptt.releasedAt ?? performance.now());
      }
      this.emit();
    };
    if (this.detector) {
      const generation = this.vadGeneration;
      this.vadChain = this.vadChain.then(() => {
        if (generation === this.vadGeneration) judge();
        else if (this.ptt === ptt) this.ptt = null;
      });
    } else {
      judge();
    }
    this.emit();
  }

  private commit(stream: UtteranceStream, kind: 'vad' | 'push-to-talk', reason: string, stoppedSpeakingAt: number): void {
    const durationMs = (stream.samples / 24_000) * 1000;
    if (stream.samples === 0) return;
    const sent = this.host.send({ type: 'input_audio_buffer.commit' });
    if (!sent) {
      this.host.notify('Not sent: LocalChat is not connected. Try again in a moment, or type.', 'error');
      return;
    }
    this.debug.utterances.push({ kind, durationMs, reason, at: performance.now() });
    this.host.committed(durationMs, stoppedSpeakingAt);
    this.host.requestResponse();
  }

  /** Drops a turn's audio: what was already appended is cleared on the server. */
  private discard(stream: UtteranceStream): void {
    const sentSomething = stream.samples > 0;
    stream.abort();
    if (sentSomething) this.host.send({ type: 'input_audio_buffer.clear' });
  }

  /** Abandons turns in progress (mode switch, gating, lost microphone or connection). */
  private abandonTurns(clearServer = true): void {
    this.vadGeneration++;
    const detector = this.detector;
    this.vadChain = this.vadChain.then(() => detector?.reset());
    if (this.pttTimer) clearTimeout(this.pttTimer);
    this.pttTimer = null;
    for (const stream of [this.utterance, this.ptt?.stream, this.serverStream]) {
      if (!stream) continue;
      if (clearServer) this.discard(stream);
      else stream.abort();
    }
    this.utterance = null;
    this.ptt = null;
    this.serverStream = null;
    this.serverHearing = false;
  }

  private applyTutorSpeaking(): void {
    const speaking = this.tutorSpeaking;
    this.detector?.configure(speaking && this.settings.bargeIn ? PLAYBACK_THRESHOLDS : NORMAL_THRESHOLDS);
    const gate = speaking && !this.settings.bargeIn;
    if (this.ungateTimer) clearTimeout(this.ungateTimer);
    this.ungateTimer = null;
    if (gate && !this.gated) {
      this.gated = true;
      if (this.settings.mode === 'hands-free') this.abandonTurns();
    } else if (!gate && this.gated) {
      if (!this.settings.bargeIn && !speaking) {
        this.ungateTimer = setTimeout(() => {
          this.ungateTimer = null;
          this.gated = false;
          this.emit();
        }, UNGATE_DELAY_MS);
      } else {
        this.gated = false;
      }
    }
  }

  private newStream(batchFrames: number, trailingFrames: number): UtteranceStream {
    return new UtteranceStream((samples) => this.host.send({ type: 'input_audio_buffer.append', audio: encodePcm16Base64(samples) }), {
      batchFrames,
      trailingFrames,
    });
  }

  private setLevel(level: number): void {
    // Fast attack, slow release: a meter that is readable.
    const next = level > this.levelValue ? level : this.levelValue * 0.8 + level * 0.2;
    if (Math.abs(next - this.levelValue) < 0.005 && level !== 0) return;
    this.levelValue = next;
    for (const listener of this.levelListeners) listener(next);
  }

  private computeSnapshot(): VoiceSnapshot {
    const settings = this.settings;
    let phase: VoicePhase;
    let error: string | null = null;
    let errorKind: VoiceSnapshot['errorKind'] = null;
    const vadNeeded = usesBrowserVad(settings);
    if (settings.mode === 'typing') phase = 'off';
    else if (this.serverError && (this.serverError.kind === 'server' || usesServerVad(settings))) {
      phase = 'error';
      error = this.serverError.message;
      errorKind = this.serverError.kind;
    } else if (this.micError) {
      phase = 'error';
      error = this.micError.message;
      errorKind = this.micError.kind;
    } else if (vadNeeded && this.vadError) {
      phase = 'error';
      error = this.vadError;
      errorKind = 'vad';
    } else if (this.micOpening || !this.mic || (vadNeeded && !this.detector)) phase = 'starting';
    else if (this.micSuspended) phase = 'suspended';
    else if (this.ptt && !this.ptt.finishing && this.ptt.releasedAt === null) phase = 'hearing';
    else if (this.gated && settings.mode === 'hands-free') phase = 'paused';
    else if (this.utterance || (usesServerVad(settings) && this.serverHearing)) phase = 'hearing';
    else phase = 'listening';
    return {
      settings,
      phase,
      error,
      errorKind,
      device: this.mic?.label ?? '',
      recording: this.ptt !== null && this.ptt.releasedAt === null && !this.ptt.finishing,
      thinkingTimeInUseMs: this.thinkingTimeFor(settings),
      learnedThinkingTimeMs: this.learnedMs,
    };
  }

  private emit(): void {
    const next = this.computeSnapshot();
    this.debug.phase = next.phase;
    const previous = this.snapshot;
    if (
      previous.settings === next.settings &&
      previous.phase === next.phase &&
      previous.error === next.error &&
      previous.device === next.device &&
      previous.recording === next.recording &&
      previous.thinkingTimeInUseMs === next.thinkingTimeInUseMs &&
      previous.learnedThinkingTimeMs === next.learnedThinkingTimeMs
    ) {
      return;
    }
    this.snapshot = next;
    for (const listener of this.listeners) listener();
  }
}

function usesBrowserVad(settings: VoiceSettings): boolean {
  return settings.mode === 'hands-free' && settings.turnDetection === 'browser';
}

function usesServerVad(settings: VoiceSettings): boolean {
  return settings.mode === 'hands-free' && settings.turnDetection === 'server';
}

function endedMessage(midTurn: boolean): string {
  return midTurn
    ? 'The microphone was disconnected while you were speaking, so that turn was not sent. Plug it back in and press Try again, or type your message.'
    : 'The microphone was disconnected. Plug it back in and press Try again, or type your message.';
}

/** Settings within their ranges (values from storage may be anything). */
export function normalizeSettings(settings: VoiceSettings): VoiceSettings {
  const mode: VoiceMode = settings.mode === 'hands-free' || settings.mode === 'push-to-talk' ? settings.mode : 'typing';
  const thinking = Number.isFinite(settings.thinkingTimeMs) ? settings.thinkingTimeMs : THINKING_TIME_RANGE.default;
  return {
    mode,
    thinkingTimeMs: Math.round(Math.min(THINKING_TIME_RANGE.max, Math.max(THINKING_TIME_RANGE.min, thinking))),
    bargeIn: settings.bargeIn !== false,
    turnDetection: settings.turnDetection === 'server' ? 'server' : 'browser',
    thinkingTime: settings.thinkingTime === 'learned' ? 'learned' : 'fixed',
  };
}
