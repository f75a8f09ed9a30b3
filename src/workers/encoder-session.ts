/**
 * The main-thread side of a streaming encoder session in the worker pool (`encodeSession` in
 * ./audio-worker.ts): audio at any sample rate goes in, encoded bytes (PCM, WAV, MP3, Ogg Opus at
 * the session's rate) come out, and the resampling and encoding run in a worker thread. Buffers
 * are transferred both ways, not copied.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { StreamAudioFormat } from '../audio/stream-encoders.js';
import { STREAM_CONTENT_TYPES } from '../audio/stream-encoders.js';
import type { EncoderReply, EncoderRequest } from './audio-worker.js';
import { streamWorkers } from './pool.js';

/**
 * One encoded stream. Calls are answered in order; `end` or `dispose` ends the session (and
 * frees the worker's encoder and resampler). Not reusable after either.
 *
 * @example
 * const session = WorkerStreamEncoder.open('mp3', 24_000);
 * response.write(await session.push(samples, 22_050));
 * response.end(await session.end());
 */
export class WorkerStreamEncoder {
  readonly contentType: string;
  readonly #port: MessagePort;
  readonly #pending = new Map<number, { resolve: (bytes: Buffer) => void; reject: (error: Error) => void }>();
  readonly #task: Promise<unknown>;
  #nextId = 0;
  #closed = false;
  #failed: Error | undefined;

  private constructor(
    readonly format: StreamAudioFormat,
    readonly sampleRate: number,
  ) {
    this.contentType = STREAM_CONTENT_TYPES[format];
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    port1.on('message', (reply: EncoderReply) => {
      const waiting = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      if (!waiting) return;
      if ('error' in reply) waiting.reject(new Error(`Audio encoding failed: ${reply.error}`));
      else waiting.resolve(Buffer.from(reply.bytes.buffer, reply.bytes.byteOffset, reply.bytes.byteLength));
    });
    this.#task = streamWorkers()
      .run({ port: port2, format, sampleRate }, { name: 'encodeSession', transferList: [port2] as never })
      .catch((error: unknown) => {
        this.#failed = error instanceof Error ? error : new Error(String(error));
        this.#failAll(this.#failed);
      });
  }

  /**
   * Starts a session encoding `format` at `sampleRate` Hz.
   * @throws RangeError (from the worker, on the first call) when the format cannot carry the rate
   */
  static open(format: StreamAudioFormat, sampleRate: number): WorkerStreamEncoder {
    return new WorkerStreamEncoder(format, sampleRate);
  }

  /** Encodes the next piece (mono PCM16 at `sampleRate` Hz; moved to the worker, unusable after). */
  push(samples: Int16Array, sampleRate: number): Promise<Buffer> {
    const own = samples.byteOffset === 0 && samples.byteLength === samples.buffer.byteLength ? samples : samples.slice();
    return this.#request({ id: this.#nextId++, type: 'push', samples: own, sampleRate }, [own.buffer as ArrayBuffer]);
  }

  /** The rest of the stream (resampler tail, encoder flush); ends the session. */
  async end(): Promise<Buffer> {
    const last = await this.#request({ id: this.#nextId++, type: 'end' }, []);
    this.#close();
    return last;
  }

  /** Abandons the stream (the client went away); frees the worker's state. */
  dispose(): void {
    if (this.#closed) return;
    this.#port.postMessage({ id: this.#nextId++, type: 'dispose' } satisfies EncoderRequest);
    this.#close();
  }

  #request(request: EncoderRequest, transfer: ArrayBuffer[]): Promise<Buffer> {
    if (this.#failed) return Promise.reject(this.#failed);
    if (this.#closed) return Promise.reject(new Error('WorkerStreamEncoder: the session has ended'));
    return new Promise((resolve, reject) => {
      this.#pending.set(request.id, { resolve, reject });
      this.#port.postMessage(request, transfer);
    });
  }

  #close(): void {
    this.#closed = true;
    this.#port.close();
    this.#failAll(new Error('WorkerStreamEncoder: the session has ended'));
    void this.#task;
  }

  #failAll(error: Error): void {
    for (const waiting of this.#pending.values()) waiting.reject(error);
    this.#pending.clear();
  }
}
