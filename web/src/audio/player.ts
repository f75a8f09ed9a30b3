/**
 * Plays the tutor's voice: PCM16 mono 24 kHz chunks streamed from the server (or kept for a
 * replay) go to the `localchat-player` AudioWorklet, which plays them gaplessly.
 *
 * - The AudioContext opens at 24 kHz where the browser allows it (no resampling at all); else at
 *   its default rate and the worklet resamples.
 * - Browsers only start audio after a user gesture: `unlock()` runs on the first click or key
 *   (see `installUnlockListeners`), creating and resuming the context inside the gesture.
 * - One stream plays at a time. `startStream` clears whatever was playing (a control message
 *   that overtakes queued audio), `stop` clears at once.
 * - It knows how much of the current stream was heard (`playedMs`): a barge-in truncates the
 *   tutor's message there (`conversation.item.truncate`'s `audio_end_ms`).
 * - `window.__localchat` mirrors the worklet's reports for browser tests:
 *   `{ playedSamples, state }`, `playedSamples` counted in 24 kHz samples since the page loaded.
 */
import workletUrl from './player-worklet.ts?worker&url';
import type { PlayerWorkletInput, PlayerWorkletStatus } from './player-worklet.js';

/** Sample rate of the audio the server sends (OpenAI Realtime API `audio/pcm`), Hz. */
export const SOURCE_SAMPLE_RATE = 24_000;
/** Audio queued before a stream starts playing, absorbing network and synthesis jitter, ms. */
export const PREBUFFER_MS = 80;

/**
 * `locked`: no running AudioContext yet (waiting for a user gesture); `idle`: nothing to play;
 * `buffering`: audio queued, waiting for the prebuffer; `playing`: sound is coming out.
 */
export type PlayerState = 'locked' | 'idle' | 'buffering' | 'playing';

export interface PlayerSnapshot {
  state: PlayerState;
  /** Id of the stream playing or about to play (a message id), or null. */
  source: string | null;
}

/** What `stop()` interrupted. */
export interface StoppedStream {
  /** The stream that was playing or about to play, or null. */
  source: string | null;
  /** How much of it was played, ms (0 if none). */
  playedMs: number;
}

/** What browser tests read from `window.__localchat`. */
export interface LocalChatDebug {
  playedSamples: number;
  state: PlayerState;
  /** The AudioContext's sample rate, Hz (null before unlock). */
  contextSampleRate: number | null;
  /** The last stream stopped (barge-in, Stop, a new turn), with the time it happened. */
  lastStop?: StoppedStream & { at: number };
  /** Voice input (see voice/voice-controller.ts). */
  voice?: unknown;
  /** The tutor's volume, 0-1. */
  volume?: number;
}

declare global {
  interface Window {
    __localchat?: LocalChatDebug;
  }
}

type Listener = () => void;

export class AudioPlayer {
  private context: AudioContext | null = null;
  private node: AudioWorkletNode | null = null;
  /** The tutor's volume (0-1), applied by a GainNode between the worklet and the speakers. */
  private gain: GainNode | null = null;
  private volumeValue = 1;
  /** Messages posted before the worklet is ready; sent once it is. */
  private backlog: PlayerWorkletInput[] = [];
  private generation = 0;
  private workletState: PlayerWorkletStatus['state'] = 'idle';
  /** The current stream: samples pushed, samples played at the last report, and when it came. */
  private streamPushed = 0;
  private streamPlayed = 0;
  private streamReportAt = 0;
  private snapshotValue: PlayerSnapshot = { state: 'locked', source: null };
  private readonly listeners = new Set<Listener>();
  private readonly debug: LocalChatDebug;

  constructor() {
    this.debug = { playedSamples: 0, state: 'locked', contextSampleRate: null, volume: 1 };
    if (typeof window !== 'undefined') window.__localchat = this.debug;
  }

  /** Current state; a new object whenever anything changes (for `useSyncExternalStore`). */
  getSnapshot = (): PlayerSnapshot => this.snapshotValue;

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /**
   * Creates (first call) and resumes the AudioContext. Call it from a user gesture handler:
   * browsers refuse to start audio otherwise.
   */
  unlock(): void {
    if (!this.context) {
      const AudioContextClass = window.AudioContext ?? (window as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
      if (!AudioContextClass) return;
      try {
        this.context = new AudioContextClass({ sampleRate: SOURCE_SAMPLE_RATE, latencyHint: 'interactive' });
      } catch {
        this.context = new AudioContextClass({ latencyHint: 'interactive' });
      }
      this.debug.contextSampleRate = this.context.sampleRate;
      this.context.addEventListener('statechange', () => this.update());
      void this.load(this.context);
    }
    if (this.context.state === 'suspended') {
      this.context.resume().then(
        () => this.update(),
        () => undefined,
      );
    }
  }

  /** The tutor's volume, 0 (silent) to 1 (as synthesized). */
  get volume(): number {
    return this.volumeValue;
  }

  /** Sets the tutor's volume, 0-1 (clamped); it applies at once, also to what is playing. */
  setVolume(volume: number): void {
    this.volumeValue = Number.isFinite(volume) ? Math.min(1, Math.max(0, volume)) : 1;
    if (this.gain && this.context) this.gain.gain.setTargetAtTime(this.volumeValue, this.context.currentTime, 0.015);
    this.debug.volume = this.volumeValue;
  }

  /** Clears whatever plays and starts stream `source` (its audio follows through `push`). */
  startStream(source: string): void {
    this.generation++;
    this.backlog = [];
    this.resetStreamCounters();
    this.post({ type: 'clear', generation: this.generation });
    this.setSource(source);
  }

  /** Appends PCM16 24 kHz samples to stream `source`; ignored unless it is the current stream. */
  push(source: string, samples: Int16Array): void {
    if (this.snapshotValue.source !== source || samples.length === 0) return;
    this.streamPushed += samples.length;
    this.post({ type: 'push', samples });
  }

  /** Stream `source` is complete: play out the rest without waiting for more. */
  endStream(source: string): void {
    if (this.snapshotValue.source !== source) return;
    this.post({ type: 'end' });
  }

  /** Plays a whole recording (a replay), replacing whatever was playing. */
  play(source: string, chunks: readonly Int16Array[]): void {
    this.startStream(source);
    for (const chunk of chunks) this.push(source, chunk);
    this.endStream(source);
  }

  /**
   * How much of the current stream has been heard, ms: the worklet's last report, plus the time
   * since while playing (reports come every ~40 ms), never more than was pushed.
   */
  playedMs(now = performance.now()): number {
    if (this.snapshotValue.source === null) return 0;
    let played = this.streamPlayed;
    if (this.workletState === 'playing' && this.streamReportAt > 0 && this.context?.state === 'running') {
      played += ((now - this.streamReportAt) / 1000) * SOURCE_SAMPLE_RATE;
    }
    return (Math.min(played, this.streamPushed) / SOURCE_SAMPLE_RATE) * 1000;
  }

  /** Stops playback at once and forgets the current stream. @returns what was interrupted */
  stop(): StoppedStream {
    const stopped: StoppedStream = { source: this.snapshotValue.source, playedMs: this.playedMs() };
    this.generation++;
    this.backlog = [];
    this.resetStreamCounters();
    this.post({ type: 'clear', generation: this.generation });
    this.setSource(null);
    if (stopped.source !== null) this.debug.lastStop = { ...stopped, at: performance.now() };
    return stopped;
  }

  private resetStreamCounters(): void {
    this.streamPushed = 0;
    this.streamPlayed = 0;
    this.streamReportAt = 0;
  }

  private async load(context: AudioContext): Promise<void> {
    try {
      await context.audioWorklet.addModule(workletUrl);
      const node = new AudioWorkletNode(context, 'localchat-player', {
        numberOfInputs: 0,
        numberOfOutputs: 1,
        outputChannelCount: [1],
        processorOptions: { sourceRate: SOURCE_SAMPLE_RATE, prebufferMs: PREBUFFER_MS },
      });
      node.port.onmessage = (message: MessageEvent<PlayerWorkletStatus>) => this.receive(message.data);
      const gain = context.createGain();
      gain.gain.value = this.volumeValue;
      node.connect(gain).connect(context.destination);
      this.gain = gain;
      this.node = node;
      const backlog = this.backlog;
      this.backlog = [];
      node.port.postMessage({ type: 'clear', generation: this.generation } satisfies PlayerWorkletInput);
      for (const message of backlog) node.port.postMessage(message);
      this.update();
    } catch (error) {
      console.error('LocalChat: the audio player could not start', error);
    }
  }

  private post(message: PlayerWorkletInput): void {
    if (this.node) this.node.port.postMessage(message);
    else this.backlog.push(message);
  }

  private receive(status: PlayerWorkletStatus): void {
    this.debug.playedSamples = status.playedSamples;
    // A report about a stream cleared since: only the counter is still news.
    if (status.generation !== this.generation) return;
    this.workletState = status.state;
    this.streamPlayed = status.streamPlayed;
    this.streamReportAt = performance.now();
    if (status.drained) this.setSource(null);
    else this.update();
  }

  private setSource(source: string | null): void {
    if (source === null) this.workletState = 'idle';
    this.update(source);
  }

  private update(source: string | null = this.snapshotValue.source): void {
    const running = this.context?.state === 'running' && this.node !== null;
    let state: PlayerState = running ? this.workletState : 'locked';
    if (running && state === 'idle' && source !== null) state = 'buffering';
    this.debug.state = state;
    const previous = this.snapshotValue;
    if (previous.state === state && previous.source === source) return;
    this.snapshotValue = { state, source };
    for (const listener of this.listeners) listener();
  }
}

/**
 * Unlocks `player` on the first pointer or key gesture, and again on later ones while the
 * context is not running (Safari suspends it when the page goes to the background).
 * @returns a function that removes the listeners
 */
export function installUnlockListeners(player: AudioPlayer): () => void {
  const unlock = (): void => player.unlock();
  const options = { capture: true, passive: true } as const;
  window.addEventListener('pointerdown', unlock, options);
  window.addEventListener('keydown', unlock, options);
  window.addEventListener('touchend', unlock, options);
  return () => {
    window.removeEventListener('pointerdown', unlock, options);
    window.removeEventListener('keydown', unlock, options);
    window.removeEventListener('touchend', unlock, options);
  };
}
