/**
 * A token bucket (the classic traffic-shaping algorithm): `capacity` events at once, refilled at
 * `ratePerSecond`. Used to limit the events a realtime connection may send.
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

  /** Takes one token; false when the bucket is empty (the event should be refused). */
  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * Per-connection event limit: 100 events/s sustained, bursts of 200 (a microphone streaming 20 ms
 * frames sends 50/s). Refused events get one `error` a second; a client that keeps flooding
 * (`ABUSE_LIMIT` refusals) is disconnected.
 */
export const EVENTS_PER_SECOND = 100;
export const EVENT_BURST = 200;
export const ABUSE_LIMIT = 1000;
/** Open realtime sessions allowed per client address. */
export const MAX_SESSIONS_PER_CLIENT = 8;
