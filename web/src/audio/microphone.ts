/**
 * The learner's microphone: `getUserMedia` with the browser's echo cancellation, noise
 * suppression and automatic gain on, into the `localchat-capture` AudioWorklet, which hands back
 * 32 ms frames (PCM16 mono 24 kHz + 16 kHz floats for the VAD + level). One MediaStream feeds
 * everything: level meter, VAD and the audio sent.
 *
 * Failures become a `MicrophoneError` with a `kind` and a message a learner can act on.
 */
import captureWorkletUrl from './capture-worklet.ts?worker&url';
import type { CaptureFrame } from './capture-dsp.js';
import type { CaptureWorkletMessage } from './capture-worklet.js';

export type MicrophoneErrorKind = 'insecure' | 'unsupported' | 'denied' | 'not-found' | 'busy' | 'ended' | 'failed';

export class MicrophoneError extends Error {
  constructor(
    readonly kind: MicrophoneErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'MicrophoneError';
  }
}

/** The constraints LocalChat records with: the browser's own speech clean-up, all on. */
export const MIC_CONSTRAINTS: MediaStreamConstraints = {
  audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true, channelCount: 1 },
  video: false,
};

const MESSAGES: Record<MicrophoneErrorKind, string> = {
  insecure:
    'The microphone only works on a secure page. Open LocalChat at http://localhost on this computer, or start it with --tls to use it from another device. You can type meanwhile.',
  unsupported: 'This browser cannot record audio for LocalChat. Try a current Chrome, Edge or Firefox, or type your messages.',
  denied: 'Microphone access is blocked. Allow it for this page (the icon in the address bar), then press Try again. You can type meanwhile.',
  'not-found': 'No microphone was found. Plug one in and press Try again, or type your message.',
  busy: 'The microphone could not start: another program may be using it. Close it and press Try again, or type.',
  ended: 'The microphone was disconnected. Plug it back in and press Try again, or type your message.',
  failed: 'The microphone could not start. Press Try again, or type your message.',
};

export function microphoneError(kind: MicrophoneErrorKind, detail?: string): MicrophoneError {
  return new MicrophoneError(kind, detail && kind === 'failed' ? `${MESSAGES.failed} (${detail})` : MESSAGES[kind]);
}

/** Maps what `getUserMedia` threw to a `MicrophoneError`. */
export function toMicrophoneError(error: unknown): MicrophoneError {
  if (error instanceof MicrophoneError) return error;
  const name = typeof error === 'object' && error !== null && 'name' in error ? String((error as { name: unknown }).name) : '';
  switch (name) {
    case 'NotAllowedError':
    case 'PermissionDeniedError':
    case 'SecurityError':
      return microphoneError('denied');
    case 'NotFoundError':
    case 'DevicesNotFoundError':
    case 'OverconstrainedError':
      return microphoneError('not-found');
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return microphoneError('busy');
    default:
      return microphoneError('failed', error instanceof Error ? error.message : String(error));
  }
}

/** A frame as the page receives it. */
export interface MicrophoneFrame extends CaptureFrame {
  /** When its last sample was captured, on the `performance.now()` clock, ms. */
  capturedAt: number;
}

export interface MicrophoneHandlers {
  /** Every 32 ms of audio, in order; `index` counts frames since the microphone opened. */
  onFrame(frame: MicrophoneFrame, index: number): void;
  /** The device went away (unplugged, permission revoked, another app took it). */
  onEnded(): void;
}

export class Microphone {
  private frameIndex = 0;
  private closed = false;

  private constructor(
    readonly stream: MediaStream,
    readonly context: AudioContext,
    private readonly source: MediaStreamAudioSourceNode,
    private readonly node: AudioWorkletNode,
    private readonly handlers: MicrophoneHandlers,
  ) {
    node.port.onmessage = (message: MessageEvent<CaptureWorkletMessage>) => {
      const data = message.data;
      if (this.closed || data.type !== 'frame') return;
      // How long ago it was captured: the context's clock has moved on since (main-thread lag).
      const lagMs = Math.max(0, (this.context.currentTime - data.time) * 1000);
      this.handlers.onFrame({ pcm: data.pcm, vad: data.vad, rms: data.rms, peak: data.peak, capturedAt: performance.now() - lagMs }, this.frameIndex++);
    };
    for (const track of stream.getAudioTracks()) track.addEventListener('ended', this.ended);
  }

  /** Asks for the microphone and starts capturing. @throws MicrophoneError */
  static async open(handlers: MicrophoneHandlers): Promise<Microphone> {
    if (typeof window === 'undefined') throw microphoneError('unsupported');
    if (!window.isSecureContext) throw microphoneError('insecure');
    if (!navigator.mediaDevices?.getUserMedia || typeof AudioWorkletNode !== 'function') throw microphoneError('unsupported');
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia(MIC_CONSTRAINTS);
    } catch (error) {
      throw toMicrophoneError(error);
    }
    if (stream.getAudioTracks().length === 0) throw microphoneError('not-found');
    let context: AudioContext | null = null;
    try {
      // At the microphone's own rate where known: no resampling in the browser, and Firefox
      // refuses to connect a stream to a context of another rate.
      const trackRate = stream.getAudioTracks()[0]?.getSettings().sampleRate;
      try {
        context = new AudioContext({ latencyHint: 'interactive', ...(trackRate ? { sampleRate: trackRate } : {}) });
      } catch {
        context = new AudioContext({ latencyHint: 'interactive' });
      }
      await context.audioWorklet.addModule(captureWorkletUrl);
      const source = new MediaStreamAudioSourceNode(context, { mediaStream: stream });
      const node = new AudioWorkletNode(context, 'localchat-capture', {
        numberOfInputs: 1,
        numberOfOutputs: 1,
        outputChannelCount: [1],
        channelCount: 1,
        channelCountMode: 'explicit',
        channelInterpretation: 'speakers',
      });
      const microphone = new Microphone(stream, context, source, node, handlers);
      source.connect(node);
      // The node outputs silence; connecting it keeps it pulled by the rendering graph everywhere.
      node.connect(context.destination);
      if (context.state === 'suspended') void context.resume().catch(() => undefined);
      return microphone;
    } catch (error) {
      for (const track of stream.getTracks()) track.stop();
      void context?.close().catch(() => undefined);
      throw error instanceof MicrophoneError ? error : microphoneError('failed', error instanceof Error ? error.message : String(error));
    }
  }

  /** The device's name where the browser tells it (after permission). */
  get label(): string {
    return this.stream.getAudioTracks()[0]?.label ?? '';
  }

  /** False until the AudioContext runs (a browser may wait for a click). */
  get running(): boolean {
    return this.context.state === 'running';
  }

  /** Resumes a suspended context; call from a user gesture. */
  resume(): Promise<void> {
    return this.context.state === 'suspended' ? this.context.resume() : Promise.resolve();
  }

  /** Stops the tracks (the browser's recording indicator goes off) and releases the audio graph. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const track of this.stream.getTracks()) {
      track.removeEventListener('ended', this.ended);
      track.stop();
    }
    this.node.port.onmessage = null;
    this.source.disconnect();
    this.node.disconnect();
    void this.context.close().catch(() => undefined);
  }

  private readonly ended = (): void => {
    if (this.closed) return;
    this.handlers.onEnded();
  };
}
