/**
 * WebSocket client for LocalChat's realtime protocol (`/v1/realtime`: a subset of the OpenAI
 * Realtime API plus `localchat.*` events; docs/protocol.md). Typed send, event dispatch by
 * type, and automatic reconnection with exponential backoff.
 *
 * @example
 * const client = new RealtimeClient(realtimeUrl(location));
 * client.on('response.output_audio_transcript.delta', (event) => console.log(event.delta));
 * client.onStatus((status) => console.log(status));
 * client.connect();
 * client.send({ type: 'response.create' });
 */
import type { ClientEvent as TextClientEvent } from '../../../src/server/realtime/client-events.js';
import type { ServerEvent as TextServerEvent } from '../../../src/server/realtime/server-events.js';
import type { VoiceClientEvent, VoiceServerEvent } from './voice-events.js';

/** Every client event the browser sends: the text-turn events plus voice input (voice-events.ts). */
export type ClientEvent = TextClientEvent | VoiceClientEvent;
/** Every server event the browser understands. */
export type ServerEvent = TextServerEvent | VoiceServerEvent;
export type ServerEventType = ServerEvent['type'];
export type ServerEventOf<T extends ServerEventType> = Extract<ServerEvent, { type: T }>;

/**
 * `connecting`: first attempt; `connected`: open; `reconnecting`: lost, retrying;
 * `offline`: several attempts failed or the browser is offline (retries go on, slower).
 */
export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'offline';

export interface ReconnectOptions {
  /** First retry delay, ms. */
  initialDelayMs: number;
  /** Longest retry delay, ms. */
  maxDelayMs: number;
  /** Failed attempts after which the status turns `offline`. */
  offlineAfterAttempts: number;
}

const DEFAULT_RECONNECT: ReconnectOptions = { initialDelayMs: 500, maxDelayMs: 15_000, offlineAfterAttempts: 4 };

/** The realtime endpoint on the page's own host: `ws(s)://<host>/v1/realtime`. */
export function realtimeUrl(location: Pick<Location, 'protocol' | 'host'>): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/v1/realtime`;
}

/** Retry delay before attempt `attempt` (1-based): exponential, capped, with ±20% jitter, ms. */
export function backoffDelay(attempt: number, options: ReconnectOptions = DEFAULT_RECONNECT, random = Math.random): number {
  const base = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.8 + 0.4 * random()));
}

type Handler<E> = (event: E) => void;

export class RealtimeClient {
  private socket: WebSocket | null = null;
  private statusValue: ConnectionStatus = 'connecting';
  private failedAttempts = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private closed = true;
  private eventCounter = 0;
  private readonly handlers = new Map<string, Set<Handler<never>>>();
  private readonly anyHandlers = new Set<Handler<ServerEvent>>();
  private readonly statusHandlers = new Set<Handler<ConnectionStatus>>();
  private readonly sendHandlers = new Set<Handler<ClientEvent>>();
  private readonly options: ReconnectOptions;

  constructor(
    private readonly url: string,
    options: Partial<ReconnectOptions> = {},
  ) {
    this.options = { ...DEFAULT_RECONNECT, ...options };
  }

  get status(): ConnectionStatus {
    return this.statusValue;
  }

  /** Opens the connection; keeps it open (reconnecting) until `close()`. */
  connect(): void {
    if (!this.closed) return;
    this.closed = false;
    window.addEventListener('online', this.retryNow);
    document.addEventListener('visibilitychange', this.retryWhenVisible);
    this.open();
  }

  /** Closes the connection for good (no reconnection). */
  close(): void {
    this.closed = true;
    window.removeEventListener('online', this.retryNow);
    document.removeEventListener('visibilitychange', this.retryWhenVisible);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000, 'client closed');
  }

  /**
   * Sends one client event, stamping an `event_id` (`error` events echo it back).
   * @returns the event id, or null when not connected (nothing is queued)
   */
  send(event: ClientEvent): string | null {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return null;
    const eventId = event.event_id ?? `client_${Date.now().toString(36)}_${(++this.eventCounter).toString(36)}`;
    socket.send(JSON.stringify({ ...event, event_id: eventId }));
    for (const handler of this.sendHandlers) handler(event);
    return eventId;
  }

  /** Calls `handler` for every client event sent (the diagnostics timeline). @returns an unsubscribe function */
  onSend(handler: Handler<ClientEvent>): () => void {
    this.sendHandlers.add(handler);
    return () => this.sendHandlers.delete(handler);
  }

  /** Calls `handler` for every server event of `type`. @returns an unsubscribe function */
  on<T extends ServerEventType>(type: T, handler: Handler<ServerEventOf<T>>): () => void {
    let set = this.handlers.get(type);
    if (!set) {
      set = new Set();
      this.handlers.set(type, set);
    }
    set.add(handler as Handler<never>);
    return () => set.delete(handler as Handler<never>);
  }

  /** Calls `handler` for every server event. @returns an unsubscribe function */
  onEvent(handler: Handler<ServerEvent>): () => void {
    this.anyHandlers.add(handler);
    return () => this.anyHandlers.delete(handler);
  }

  /** Calls `handler` on every connection status change. @returns an unsubscribe function */
  onStatus(handler: Handler<ConnectionStatus>): () => void {
    this.statusHandlers.add(handler);
    return () => this.statusHandlers.delete(handler);
  }

  private open(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    let socket: WebSocket;
    try {
      socket = new WebSocket(this.url);
    } catch {
      this.scheduleRetry();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.failedAttempts = 0;
      this.setStatus('connected');
    };
    socket.onmessage = (message: MessageEvent) => {
      if (this.socket !== socket || typeof message.data !== 'string') return;
      this.dispatch(message.data);
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (!this.closed) this.scheduleRetry();
    };
    // `error` is always followed by `close`, which handles it.
    socket.onerror = () => undefined;
  }

  private dispatch(frame: string): void {
    let event: ServerEvent;
    try {
      const parsed: unknown = JSON.parse(frame);
      if (typeof parsed !== 'object' || parsed === null || typeof (parsed as { type?: unknown }).type !== 'string') return;
      event = parsed as ServerEvent;
    } catch {
      return;
    }
    for (const handler of this.handlers.get(event.type) ?? []) (handler as Handler<ServerEvent>)(event);
    for (const handler of this.anyHandlers) handler(event);
  }

  private scheduleRetry(): void {
    this.failedAttempts++;
    const offline = this.failedAttempts >= this.options.offlineAfterAttempts || navigator.onLine === false;
    this.setStatus(offline ? 'offline' : 'reconnecting');
    this.retryTimer = setTimeout(() => this.open(), backoffDelay(this.failedAttempts, this.options));
  }

  private readonly retryNow = (): void => {
    if (this.closed || this.socket) return;
    this.open();
  };

  private readonly retryWhenVisible = (): void => {
    if (document.visibilityState === 'visible') this.retryNow();
  };

  private setStatus(status: ConnectionStatus): void {
    if (status === this.statusValue) return;
    this.statusValue = status;
    for (const handler of this.statusHandlers) handler(status);
  }
}
