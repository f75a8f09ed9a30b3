/**
 * Limits on what one realtime connection may send.
 *
 * - Frames: a {@link TokenBucket} on every frame before it is parsed (cheap protection).
 * - `input_audio_buffer.append`: by audio DURATION per wall-clock time, not by count: a client may
 *   send audio faster than real time (a recording sent in one burst) up to {@link AUDIO_BURST_MS}
 *   at once and {@link AUDIO_SPEEDUP}x real time after that, in frames of any size.
 * - Other events: {@link EVENTS_PER_SECOND} a second, bursts of {@link EVENT_BURST}.
 * - `input_audio_buffer.commit` and `response.cancel` are never refused: they end a turn or stop
 *   work, and cost nothing that the limits above do not already bound.
 * A refused event is answered with an `error` naming it; a client that keeps flooding
 * ({@link ABUSE_LIMIT} refusals) is disconnected.
 */
import { REALTIME_SAMPLE_RATE } from '../../core/audio.js';

/**
 * A token bucket (the classic traffic-shaping algorithm): `capacity` tokens at once, refilled at
 * `ratePerSecond`.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly capacity: number,
    private readonly ratePerSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = capacity;
    this.last = now();
  }

  /** Takes `cost` tokens (default 1); false (nothing taken) when there are not enough. */
  take(cost = 1): boolean {
    const now = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
    this.last = now;
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return true;
  }
}

/** Non-audio events: 100 a second sustained, bursts of 200. */
export const EVENTS_PER_SECOND = 100;
export const EVENT_BURST = 200;
/**
 * Frames of any kind before parsing: a microphone streaming 20 ms frames sends 50 a second; a
 * recording sent at once (e.g. 1,065 appends of 20-100 ms) must pass whole.
 */
export const FRAMES_PER_SECOND = 1000;
export const FRAME_BURST = 2500;
/** Audio accepted at once, ms: two minutes (four times the longest utterance kept). */
export const AUDIO_BURST_MS = 120_000;
/** Audio accepted after the burst, as a multiple of real time. */
export const AUDIO_SPEEDUP = 10;
/** Refusals after which a client that keeps flooding is disconnected. */
export const ABUSE_LIMIT = 1000;
/** Open realtime sessions allowed per client address. */
export const MAX_SESSIONS_PER_CLIENT = 8;

/** Event types that are never refused. */
const ALWAYS_ALLOWED = new Set(['input_audio_buffer.commit', 'response.cancel']);

export class RealtimeRateLimiter {
  private readonly frames: TokenBucket;
  private readonly events: TokenBucket;
  private readonly audio: TokenBucket;

  constructor(now: () => number = () => performance.now()) {
    this.frames = new TokenBucket(FRAME_BURST, FRAMES_PER_SECOND, now);
    this.events = new TokenBucket(EVENT_BURST, EVENTS_PER_SECOND, now);
    this.audio = new TokenBucket(AUDIO_BURST_MS, AUDIO_SPEEDUP * 1000, now);
  }

  /** A frame arrived (before parsing). @returns false when it must be dropped unread */
  admitFrame(): boolean {
    return this.frames.take();
  }

  /**
   * A parsed event. `audioBase64` is an append's audio.
   * @returns null when admitted, else why it was refused (for the `error` event)
   */
  admitEvent(type: string, audioBase64?: string): string | null {
    if (ALWAYS_ALLOWED.has(type)) return null;
    if (type === 'input_audio_buffer.append' && audioBase64 !== undefined) {
      const ms = (base64Bytes(audioBase64) / 2 / REALTIME_SAMPLE_RATE) * 1000;
      if (this.audio.take(ms)) return null;
      return `Audio is accepted at up to ${AUDIO_SPEEDUP}x real time after a burst of ${AUDIO_BURST_MS / 1000} s; this append was dropped. Send audio more slowly.`;
    }
    if (this.events.take()) return null;
    return `Too many events: at most ${EVENTS_PER_SECOND} a second (audio appends are limited by duration instead); this event was dropped.`;
  }
}

/** Bytes that a base64 string decodes to (without decoding it). */
function base64Bytes(base64: string): number {
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  return Math.floor((base64.length * 3) / 4) - padding;
}
