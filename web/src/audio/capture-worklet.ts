/**
 * AudioWorklet processor `localchat-capture`: the microphone, as 32 ms frames of PCM16 mono
 * 24 kHz (sent to the server) plus the same audio at 16 kHz for Silero VAD, plus its level.
 *
 * Port protocol (see microphone.ts):
 * - out `{ type: 'frame', pcm: Int16Array, vad: Float32Array, rms, peak, time }` every 32 ms of
 *   input (the buffers are transferred); `time` is the context time (s) at the end of the render
 *   quantum that completed the frame, so the page can tell when it was captured even if the
 *   message waited behind other work on the main thread.
 *
 * Bundled as its own file by Vite (`?worker&url`): a separate script, as the strict CSP
 * (`script-src 'self'`) requires; capture-dsp.ts is inlined into it.
 */
import { CaptureFramer, type CaptureFrame } from './capture-dsp.js';

/* The AudioWorkletGlobalScope is not in TypeScript's DOM lib: declare the parts used here. */
declare const sampleRate: number;
declare const currentTime: number;
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
  constructor(options?: unknown);
}
declare function registerProcessor(name: string, processor: new (options: unknown) => AudioWorkletProcessor): void;

export type CaptureWorkletMessage = { type: 'frame'; time: number } & CaptureFrame;

class CaptureProcessor extends AudioWorkletProcessor {
  private readonly framer = new CaptureFramer(sampleRate);
  private mono: Float32Array = new Float32Array(128);

  process(inputs: Float32Array[][]): boolean {
    const channels = inputs[0];
    const first = channels?.[0];
    // No input connected (e.g. the track ended): nothing to capture this quantum.
    if (!channels || !first) return true;
    let samples = first;
    if (channels.length > 1) {
      if (this.mono.length !== first.length) this.mono = new Float32Array(first.length);
      for (let index = 0; index < first.length; index++) {
        let sum = 0;
        for (const channel of channels) sum += channel[index] ?? 0;
        this.mono[index] = sum / channels.length;
      }
      samples = this.mono;
    }
    for (const frame of this.framer.push(samples)) {
      const message: CaptureWorkletMessage = { type: 'frame', time: currentTime + samples.length / sampleRate, ...frame };
      this.port.postMessage(message, [frame.pcm.buffer, frame.vad.buffer]);
    }
    return true;
  }
}

registerProcessor('localchat-capture', CaptureProcessor);
