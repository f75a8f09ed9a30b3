/**
 * End-of-turn detection on the microphone's 32 ms frames: Silero VAD speech probabilities run
 * through @ricky0123/vad-web's `FrameProcessor` (speech start, "redemption" silence, minimum
 * speech, pre-speech padding), with frame numbers attached so the caller can cut the matching
 * 24 kHz audio exactly.
 *
 * Learner-friendly defaults: the silence that ends a turn ("thinking time") is 900 ms, and sounds
 * with less than ~250 ms of speech (a cough, "uh") are misfires: they neither start a turn nor
 * interrupt the tutor. A turn longer than `maxUtteranceMs` ends there.
 *
 * The model is injected (`SpeechModel`), so this runs and is tested without ONNX.
 */
import { FrameProcessor, type FrameProcessorEvent } from '@ricky0123/vad-web/dist/frame-processor.js';
import { Message } from '@ricky0123/vad-web/dist/messages.js';
import { FRAME_MS } from '../audio/capture-dsp.js';

/** What Silero VAD (or a stand-in) gives per 512-sample 16 kHz frame. */
export interface SpeechModel {
  process(frame: Float32Array): Promise<{ isSpeech: number; notSpeech: number }>;
  reset_state(): void;
}

export interface TurnDetectorOptions {
  /** Silence that ends a turn, ms. */
  thinkingTimeMs: number;
  /** Less speech than this in a segment is a misfire (cough, "uh"), ms. */
  minSpeechMs: number;
  /** Audio kept from before the detected start, ms. */
  preSpeechPadMs: number;
  /** Probability at or above which a frame is speech. */
  positiveSpeechThreshold: number;
  /** Probability below which a frame counts towards the end-of-turn silence. */
  negativeSpeechThreshold: number;
  /** Longest turn, ms: it ends there. */
  maxUtteranceMs: number;
}

export const DEFAULT_TURN_OPTIONS: TurnDetectorOptions = {
  thinkingTimeMs: 900,
  minSpeechMs: 250,
  preSpeechPadMs: 320,
  positiveSpeechThreshold: 0.5,
  negativeSpeechThreshold: 0.35,
  maxUtteranceMs: 30_000,
};

/** Thresholds while the tutor's voice plays (barge-in on): its own voice must not start a turn. */
export const PLAYBACK_THRESHOLDS = { positiveSpeechThreshold: 0.8, negativeSpeechThreshold: 0.65 } as const;
export const NORMAL_THRESHOLDS = {
  positiveSpeechThreshold: DEFAULT_TURN_OPTIONS.positiveSpeechThreshold,
  negativeSpeechThreshold: DEFAULT_TURN_OPTIONS.negativeSpeechThreshold,
} as const;

export type TurnEvent =
  /** Speech may have started at `frame` (not yet confirmed: it may be a cough). */
  | { type: 'speech-start'; frame: number; startFrame: number }
  /** At least `minSpeechMs` of speech: a real turn. The barge-in point. */
  | { type: 'speech-confirmed'; frame: number; startFrame: number }
  /** The segment ended with too little speech: ignore it. */
  | { type: 'misfire'; frame: number }
  /**
   * The turn ended at `frame` (inclusive) after the thinking-time silence, or at the length
   * limit. `startFrame` includes the pre-speech padding; `lastSpeechFrame` is the last frame
   * whose probability passed the threshold (the silence after it can be trimmed).
   */
  | { type: 'speech-end'; frame: number; startFrame: number; lastSpeechFrame: number; reason: 'silence' | 'max-length' };

export interface FrameResult {
  probability: number;
  events: TurnEvent[];
}

export class TurnDetector {
  private readonly processor: FrameProcessor;
  private options: TurnDetectorOptions;
  private startFrame = -1;
  private lastSpeechFrame = -1;
  private confirmed = false;

  constructor(
    private readonly model: SpeechModel,
    options: Partial<TurnDetectorOptions> = {},
  ) {
    this.options = { ...DEFAULT_TURN_OPTIONS, ...options };
    this.processor = new FrameProcessor(model.process.bind(model), model.reset_state.bind(model), this.frameOptions(), FRAME_MS);
    this.processor.resume();
  }

  /** A turn is in progress (speech started and not yet ended). */
  get speaking(): boolean {
    return this.startFrame >= 0;
  }

  /** The turn in progress passed `minSpeechMs`. */
  get turnConfirmed(): boolean {
    return this.confirmed;
  }

  /** Changes settings from the next frame on (thresholds while the tutor speaks, thinking time). */
  configure(options: Partial<TurnDetectorOptions>): void {
    this.options = { ...this.options, ...options };
    this.processor.setOptions(this.frameOptions());
  }

  /** Feeds frame number `frame` (16 kHz floats, 512 samples). Call in order, one at a time. */
  async push(frame: number, samples: Float32Array): Promise<FrameResult> {
    const events: TurnEvent[] = [];
    let probability = 0;
    await this.processor.process(samples, (event) => {
      if (event.msg === Message.FrameProcessed) {
        probability = event.probs.isSpeech;
        if (probability >= this.options.positiveSpeechThreshold) this.lastSpeechFrame = frame;
        return;
      }
      this.handle(event, frame, events);
    });
    if (this.speaking && frame - this.startFrame + 1 >= this.maxFrames()) {
      this.processor.endSegment((event) => this.handle(event, frame, events, 'max-length'));
    }
    return { probability, events };
  }

  /** The turn's audio so far, 16 kHz floats (pre-speech padding included); empty without a turn. */
  turnAudio(): Float32Array {
    if (!this.speaking) return new Float32Array(0);
    const frames = this.processor.audioBuffer.map((item) => item.frame);
    const audio = new Float32Array(frames.reduce((sum, frame) => sum + frame.length, 0));
    let offset = 0;
    for (const frame of frames) {
      audio.set(frame, offset);
      offset += frame.length;
    }
    return audio;
  }

  /** Ends the turn in progress now (a semantic end of turn decided it): its `speech-end` (or `misfire`), as `push` gives them. */
  endTurn(frame: number): TurnEvent[] {
    const events: TurnEvent[] = [];
    if (this.speaking) this.processor.endSegment((event) => this.handle(event, frame, events));
    return events;
  }

  /** Forgets the turn in progress and the model state (no events). */
  reset(): void {
    this.processor.reset();
    this.startFrame = -1;
    this.lastSpeechFrame = -1;
    this.confirmed = false;
  }

  private handle(event: FrameProcessorEvent, frame: number, events: TurnEvent[], reason: 'silence' | 'max-length' = 'silence'): void {
    switch (event.msg) {
      case Message.SpeechStart:
        // The processor's buffer holds the padding frames and this one.
        this.startFrame = frame - this.processor.audioBuffer.length + 1;
        this.lastSpeechFrame = frame;
        this.confirmed = false;
        events.push({ type: 'speech-start', frame, startFrame: this.startFrame });
        break;
      case Message.SpeechRealStart:
        this.confirmed = true;
        events.push({ type: 'speech-confirmed', frame, startFrame: this.startFrame });
        break;
      case Message.VADMisfire:
        this.startFrame = -1;
        this.confirmed = false;
        events.push({ type: 'misfire', frame });
        break;
      case Message.SpeechEnd:
        events.push({
          type: 'speech-end',
          frame,
          startFrame: this.startFrame,
          lastSpeechFrame: Math.max(this.startFrame, Math.min(frame, this.lastSpeechFrame)),
          reason,
        });
        this.startFrame = -1;
        this.confirmed = false;
        break;
      default:
        break;
    }
  }

  private maxFrames(): number {
    return Math.max(1, Math.floor(this.options.maxUtteranceMs / FRAME_MS));
  }

  private frameOptions() {
    return {
      positiveSpeechThreshold: this.options.positiveSpeechThreshold,
      negativeSpeechThreshold: this.options.negativeSpeechThreshold,
      redemptionMs: this.options.thinkingTimeMs,
      preSpeechPadMs: this.options.preSpeechPadMs,
      minSpeechMs: this.options.minSpeechMs,
      submitUserSpeechOnPause: false,
    };
  }
}
