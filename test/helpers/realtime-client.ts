/**
 * A small realtime test client: connects to `/v1/realtime`, records every server event, and
 * waits for events by predicate.
 */
import WebSocket from 'ws';
import type { ServerEvent } from '../../src/server/realtime/server-events.js';

export class TestRealtimeClient {
  readonly events: ServerEvent[] = [];
  private waiters: { predicate: (event: ServerEvent) => boolean; resolve: (event: ServerEvent) => void }[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const event = JSON.parse(data.toString()) as ServerEvent;
      this.events.push(event);
      this.waiters = this.waiters.filter((waiter) => {
        if (!waiter.predicate(event)) return true;
        waiter.resolve(event);
        return false;
      });
    });
  }

  static connect(url: string, options: WebSocket.ClientOptions = {}): Promise<TestRealtimeClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, options);
      const client = new TestRealtimeClient(socket);
      socket.once('open', () => resolve(client));
      socket.once('error', reject);
      socket.once('unexpected-response', (request, response) => {
        request.destroy();
        reject(new Error(`HTTP ${response.statusCode}`));
      });
    });
  }

  send(event: Record<string, unknown>): void {
    this.socket.send(JSON.stringify(event));
  }

  sendText(text: string): void {
    this.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] } });
    this.send({ type: 'response.create' });
  }

  /** Resolves with the first event (already received after `fromIndex`, or coming) that matches. */
  waitFor<T extends ServerEvent['type']>(type: T, predicate: (event: Extract<ServerEvent, { type: T }>) => boolean = () => true, fromIndex = 0, timeoutMs = 20_000): Promise<Extract<ServerEvent, { type: T }>> {
    const match = (event: ServerEvent) => event.type === type && predicate(event as Extract<ServerEvent, { type: T }>);
    const seen = this.events.slice(fromIndex).find(match);
    if (seen) return Promise.resolve(seen as Extract<ServerEvent, { type: T }>);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${type}; got ${this.events.map((e) => e.type).join(', ')}`)), timeoutMs);
      this.waiters.push({
        predicate: match,
        resolve: (event) => {
          clearTimeout(timer);
          resolve(event as Extract<ServerEvent, { type: T }>);
        },
      });
    });
  }

  ofType<T extends ServerEvent['type']>(type: T, fromIndex = 0): Extract<ServerEvent, { type: T }>[] {
    return this.events.slice(fromIndex).filter((event) => event.type === type) as Extract<ServerEvent, { type: T }>[];
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.readyState === WebSocket.CLOSED) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.close();
    });
  }
}

/** Decodes base64 PCM16 little-endian into samples. */
export function decodePcm16(base64: string): Int16Array {
  const bytes = Buffer.from(base64, 'base64');
  return new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}
