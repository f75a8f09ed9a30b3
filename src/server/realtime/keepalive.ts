/**
 * Keeping realtime sockets honest: a WebSocket ping every `pingIntervalMs`, and a socket whose
 * peer did not answer the previous ping by the next one is cut (`terminate`: the peer is gone or
 * hung). A session with no traffic either way (no client event, no server event) for
 * `idleTimeoutMs` is closed with 1001, and when a client is at its session limit, its sessions
 * idle for `evictIdleAfterMs` or more make room for a new connection (most idle first): idle
 * sockets from some local process cannot lock the learner's UI out.
 *
 * Ping/pong: RFC 6455 §5.5.2-5.5.3 (https://www.rfc-editor.org/rfc/rfc6455#section-5.5.2); the
 * `ws` library answers pings itself (browsers do too), so a live peer needs no code for it.
 */
import type WebSocket from 'ws';

export interface KeepaliveOptions {
  /** Ping period, and how long a peer has to answer one; ms. Default 30,000. */
  pingIntervalMs: number;
  /** No traffic either way for this long closes the session (1001); ms. Default 30 minutes. */
  idleTimeoutMs: number;
  /** At the session limit, sessions idle this long make room for a new one; ms. Default 60,000. */
  evictIdleAfterMs: number;
}

export const DEFAULT_KEEPALIVE: KeepaliveOptions = { pingIntervalMs: 30_000, idleTimeoutMs: 30 * 60_000, evictIdleAfterMs: 60_000 };

/** WebSocket close code "going away" (RFC 6455 §7.4.1). */
export const CLOSE_GOING_AWAY = 1001;

/** One socket's liveness: pings it, tracks its last traffic, closes it when dead or idle. */
export class SocketKeepalive {
  private lastActivity = performance.now();
  private answered = true;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly socket: WebSocket,
    private readonly options: KeepaliveOptions,
    private readonly onClose: (reason: 'unresponsive' | 'idle') => void = () => {},
  ) {
    socket.on('pong', () => {
      this.answered = true;
    });
    socket.on('message', () => this.touch());
    this.timer = setInterval(() => this.tick(), options.pingIntervalMs);
    this.timer.unref();
    socket.once('close', () => clearInterval(this.timer));
  }

  /** Traffic happened (a client event, or an event sent to the client). */
  touch(): void {
    this.lastActivity = performance.now();
  }

  /** ms since the last traffic either way. */
  idleForMs(): number {
    return performance.now() - this.lastActivity;
  }

  /** Closes the session to make room for another (1001). */
  evict(): void {
    clearInterval(this.timer);
    this.socket.close(CLOSE_GOING_AWAY, 'Idle session closed to make room for a new one');
  }

  private tick(): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    if (!this.answered) {
      clearInterval(this.timer);
      this.onClose('unresponsive');
      this.socket.terminate();
      return;
    }
    if (this.idleForMs() >= this.options.idleTimeoutMs) {
      clearInterval(this.timer);
      this.onClose('idle');
      this.socket.close(CLOSE_GOING_AWAY, 'Idle for too long');
      return;
    }
    this.answered = false;
    this.socket.ping();
  }
}

/**
 * The sessions to close so that one more fits under `limit`: those idle for `evictIdleAfterMs` or
 * more, most idle first. @returns empty when there is room, or when none is idle enough (refuse)
 */
export function idleToEvict<T extends { idleForMs(): number }>(open: readonly T[], limit: number, evictIdleAfterMs: number): T[] {
  const excess = open.length - limit + 1;
  if (excess <= 0) return [];
  const idle = open.filter((entry) => entry.idleForMs() >= evictIdleAfterMs).sort((a, b) => b.idleForMs() - a.idleForMs());
  return idle.length >= excess ? idle.slice(0, excess) : [];
}
