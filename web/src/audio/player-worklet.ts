/**
 * AudioWorklet processor `localchat-player`: gapless playback of mono PCM16 at the source rate
 * (24 kHz), resampled to the context's rate when the browser would not open a 24 kHz context.
 *
 * Port protocol (see player.ts):
 * - in  `{ type: 'push', samples: Int16Array }`: append audio to the current stream
 * - in  `{ type: 'end' }`: the stream is complete; play out the rest, then report `drained`
 * - in  `{ type: 'clear', generation }`: drop everything at once and start stream `generation`
 * - out `{ type: 'status', state, playedSamples, buffered, generation, drained }`: on every
 *   state change, when a stream drains, and every ~40 ms while playing. `playedSamples` counts
 *   source-rate samples played since the processor started, `streamPlayed` those of the current
 *   stream (since the last `clear`): what a barge-in reports as `audio_end_ms`.
 *
 * Bundled as its own file by Vite (`?worker&url`), so it must not share modules with the page at
 * run time; pcm-queue.ts is inlined into it.
 */
import { PcmQueue, pcm16ToFloat32, type QueueState } from './pcm-queue.js';

/* The AudioWorkletGlobalScope is not in TypeScript's DOM lib: declare the parts used here. */
declare const sampleRate: number;
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
  constructor(options?: unknown);
}
declare function registerProcessor(name: string, processor: new (options: ProcessorOptionsInit) => AudioWorkletProcessor): void;

interface ProcessorOptionsInit {
  processorOptions?: { sourceRate?: number; prebufferMs?: number };
}

export type PlayerWorkletInput =
  | { type: 'push'; samples: Int16Array }
  | { type: 'end' }
  | { type: 'clear'; generation: number };

export interface PlayerWorkletStatus {
  type: 'status';
  state: QueueState;
  playedSamples: number;
  /** Source-rate samples of the current stream played so far. */
  streamPlayed: number;
  buffered: number;
  generation: number;
  drained: boolean;
}

/** Status reports while playing: every this many render quanta (128 frames each). */
const REPORT_EVERY_QUANTA = Math.max(1, Math.round((0.04 * sampleRate) / 128));

class PlayerProcessor extends AudioWorkletProcessor {
  private readonly queue: PcmQueue;
  private playedSamples = 0;
  private streamPlayed = 0;
  private generation = 0;
  private lastState: QueueState = 'idle';
  private quantaSinceReport = 0;

  constructor(options: ProcessorOptionsInit) {
    super(options);
    const sourceRate = options.processorOptions?.sourceRate ?? 24_000;
    const prebufferMs = options.processorOptions?.prebufferMs ?? 80;
    this.queue = new PcmQueue(sourceRate / sampleRate, Math.round((prebufferMs / 1000) * sourceRate));
    this.port.onmessage = (message: MessageEvent<PlayerWorkletInput>) => this.receive(message.data);
  }

  private receive(message: PlayerWorkletInput): void {
    switch (message.type) {
      case 'push':
        this.queue.push(pcm16ToFloat32(message.samples));
        break;
      case 'end':
        this.queue.end();
        break;
      case 'clear':
        this.queue.clear();
        this.streamPlayed = 0;
        this.generation = message.generation;
        this.report(false);
        break;
    }
  }

  process(_inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    const channels = outputs[0];
    const first = channels?.[0];
    if (!channels || !first) return true;
    const { played, drained } = this.queue.render(first);
    for (let channel = 1; channel < channels.length; channel++) channels[channel]?.set(first);
    this.playedSamples += played;
    this.streamPlayed += played;
    this.quantaSinceReport++;
    const state = this.queue.state;
    if (drained || state !== this.lastState || (played > 0 && this.quantaSinceReport >= REPORT_EVERY_QUANTA)) {
      this.report(drained);
    }
    return true;
  }

  private report(drained: boolean): void {
    this.lastState = this.queue.state;
    this.quantaSinceReport = 0;
    const status: PlayerWorkletStatus = {
      type: 'status',
      state: this.lastState,
      playedSamples: this.playedSamples,
      streamPlayed: this.streamPlayed,
      buffered: this.queue.buffered,
      generation: this.generation,
      drained,
    };
    this.port.postMessage(status);
  }
}

registerProcessor('localchat-player', PlayerProcessor);
