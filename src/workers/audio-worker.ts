/**
 * The tasks of the worker pool (./pool.ts), each a named export piscina calls in a worker thread.
 * Everything here may compute for a long time synchronously: that is why it is here.
 *
 * - `espeakSynthesize`: eSpeak NG synthesis, converted to 24 kHz and streamed back block by block
 *   over a `MessagePort` (buffers transferred, not copied); stops at the next block once cancelled.
 * - `decodeAudioTask`: decodes an uploaded audio file with the limits of `decodeAudioHere`.
 * - `resampleTask`: converts a whole buffer's sample rate (`resampleOffLoop`).
 * - `encodeSession`: a streaming encoder (PCM, WAV, MP3, Ogg Opus) plus resampler for one HTTP
 *   response, driven over a `MessagePort` until `end` or `dispose`.
 */
import type { MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { REALTIME_SAMPLE_RATE } from '../core/audio.js';
import { type DecodeAnswer, decodeAudioHere, decodeErrorFields } from '../audio/decode-audio.js';
import { resample } from '../audio/resample.js';
import { StreamingResampler } from '../audio/streaming-resampler.js';
import { type StreamAudioFormat, createStreamEncoder } from '../audio/stream-encoders.js';
import { ESPEAK_NATIVE_RATE, loadEspeakWasm, synthesizeBlocks } from '../engines/tts/espeak-wasm.js';
import { CANCELLED, STARTED } from './pool.js';

/**
 * Audio gathered before a block is sent to the main thread, in eSpeak samples (200 ms: eSpeak makes
 * it in ~1-2 ms, so the first audio is hardly later, and the event loop handles 5 messages a second
 * of speech instead of one per ~100 ms eSpeak block).
 */
const ESPEAK_SEND_SAMPLES = Math.round(ESPEAK_NATIVE_RATE * 0.2);
/** Silence run through the resampler after a synthesis: pushes out its held-back last ms. */
const RESAMPLER_FLUSH_SECONDS = 0.02;

/** Messages `espeakSynthesize` posts: audio blocks, then exactly one `done`. */
export type EspeakMessage = { type: 'audio'; samples: Int16Array } | { type: 'done' };

export interface EspeakTask {
  /** SSML-escaped text. */
  text: string;
  espeakName: string;
  wordsPerMinute: number;
  port: MessagePort;
  control: Int32Array;
}

/** This thread's 22,050 -> 24,000 Hz converter, shared by its (one-at-a-time) syntheses. */
let espeakResampler: Promise<StreamingResampler> | undefined;

/**
 * Synthesizes with eSpeak NG, posting 24 kHz PCM16 blocks to `port` as they are made, then
 * `done` (also after a cancel or an error).
 * @returns the number of 24 kHz samples posted
 */
export async function espeakSynthesize(task: EspeakTask): Promise<number> {
  const { port, control } = task;
  Atomics.store(control, STARTED, 1);
  let posted = 0;
  try {
    if (Atomics.load(control, CANCELLED) !== 0) return 0;
    const espeak = await loadEspeakWasm();
    espeakResampler ??= StreamingResampler.create(ESPEAK_NATIVE_RATE, REALTIME_SAMPLE_RATE);
    const resampler = await espeakResampler;
    let pending: Int16Array[] = [];
    let pendingLength = 0;
    const send = (samples: Int16Array) => {
      if (samples.length === 0 || Atomics.load(control, CANCELLED) !== 0) return;
      posted += samples.length;
      port.postMessage({ type: 'audio', samples } satisfies EspeakMessage, [samples.buffer as ArrayBuffer]);
    };
    const sendPending = () => {
      if (pendingLength === 0) return;
      const joined = new Int16Array(pendingLength);
      let offset = 0;
      for (const block of pending) {
        joined.set(block, offset);
        offset += block.length;
      }
      pending = [];
      pendingLength = 0;
      send(resampler.push(joined));
    };
    try {
      synthesizeBlocks(espeak, task.text, task.espeakName, task.wordsPerMinute, (samples) => {
        if (Atomics.load(control, CANCELLED) !== 0) return true;
        pending.push(samples);
        pendingLength += samples.length;
        if (pendingLength >= ESPEAK_SEND_SAMPLES) sendPending();
        return false;
      });
      sendPending();
    } finally {
      // The filter's held-back tail: the end of this synthesis, and no leftovers for the next one.
      send(resampler.push(new Int16Array(Math.ceil(ESPEAK_NATIVE_RATE * RESAMPLER_FLUSH_SECONDS))));
    }
    return posted;
  } finally {
    port.postMessage({ type: 'done' } satisfies EspeakMessage);
    port.close();
  }
}

export interface ResampleTask {
  samples: Int16Array;
  fromRate: number;
  toRate: number;
  control: Int32Array;
}

/** `resample` (wavefile's sinc) of a whole buffer; the result is moved back, not copied. */
export function resampleTask(task: ResampleTask): Int16Array {
  Atomics.store(task.control, STARTED, 1);
  return Piscina.move(resample(task.samples, task.fromRate, task.toRate)) as Int16Array;
}

export interface DecodeTask {
  bytes: ArrayBuffer;
  maxSeconds: number;
  /** Rate to convert the decoded audio to, Hz (none: the file's own). */
  sampleRate?: number;
  /** Receives the decoded audio (its samples transferred). */
  port: MessagePort;
  control: Int32Array;
}

/**
 * Decodes an uploaded file; the answer (`DecodeAnswer`: the audio, its samples moved, not copied,
 * or the error's fields) goes to `port` before the task resolves.
 */
export async function decodeAudioTask(task: DecodeTask): Promise<void> {
  Atomics.store(task.control, STARTED, 1);
  try {
    const audio = await decodeAudioHere(new Uint8Array(task.bytes), {
      maxSeconds: task.maxSeconds,
      cancelled: () => Atomics.load(task.control, CANCELLED) !== 0,
      ...(task.sampleRate ? { sampleRate: task.sampleRate } : {}),
    });
    task.port.postMessage({ audio } satisfies DecodeAnswer, [audio.samples.buffer as ArrayBuffer]);
  } catch (error) {
    task.port.postMessage({ error: decodeErrorFields(error) } satisfies DecodeAnswer);
  } finally {
    task.port.close();
  }
}

/** Requests an encoder session takes; each is answered by one `EncoderReply` with its `id`. */
export type EncoderRequest =
  | { id: number; type: 'push'; samples: Int16Array; sampleRate: number }
  | { id: number; type: 'end' }
  | { id: number; type: 'dispose' };
export type EncoderReply = { id: number; bytes: Uint8Array } | { id: number; error: string };

export interface EncodeSessionTask {
  port: MessagePort;
  format: StreamAudioFormat;
  /** Output sample rate, Hz (input at other rates is resampled to it). */
  sampleRate: number;
}

/**
 * A streaming encoder for one response: input at any rate is converted to `sampleRate` (a
 * streaming resampler, or whole pieces when none is free) and encoded; requests are handled in
 * order. Resolves after `end` or `dispose`, or when the main side closes the port.
 */
export function encodeSession(task: EncodeSessionTask): Promise<void> {
  const { port, format, sampleRate } = task;
  const encoder = createStreamEncoder(format, sampleRate);
  let resampler: StreamingResampler | null = null;
  let resamplerRate = 0;
  let finished = false;
  let chain = Promise.resolve();

  const flushResampler = (): Int16Array => {
    if (!resampler) return new Int16Array(0);
    const tail = resampler.push(new Int16Array(Math.ceil(resampler.fromRate * RESAMPLER_FLUSH_SECONDS)));
    StreamingResampler.release(resampler);
    resampler = null;
    return tail;
  };
  const convert = async (samples: Int16Array, rate: number): Promise<Buffer> => {
    if (rate === sampleRate) return encoder.push(samples);
    const parts: Buffer[] = [];
    if (resampler && resampler.fromRate !== rate) parts.push(encoder.push(flushResampler()));
    if (!resampler && resamplerRate !== rate) {
      resampler = await StreamingResampler.acquire(rate, sampleRate);
      resamplerRate = rate;
    }
    parts.push(encoder.push(resampler ? resampler.push(samples) : resample(samples, rate, sampleRate)));
    return Buffer.concat(parts);
  };

  return new Promise<void>((resolve) => {
    const finish = () => {
      if (finished) return;
      finished = true;
      if (resampler) StreamingResampler.release(resampler);
      resampler = null;
      encoder.dispose();
      port.close();
      resolve();
    };
    const reply = (id: number, bytes: Buffer) => {
      const out = new Uint8Array(bytes.length);
      out.set(bytes);
      port.postMessage({ id, bytes: out } satisfies EncoderReply, [out.buffer]);
    };
    port.on('close', finish);
    port.on('message', (request: EncoderRequest) => {
      chain = chain.then(async () => {
        if (finished) return;
        try {
          if (request.type === 'push') reply(request.id, await convert(request.samples, request.sampleRate));
          else if (request.type === 'end') {
            const last = Buffer.concat([encoder.push(flushResampler()), encoder.end()]);
            reply(request.id, last);
            finish();
          } else finish();
        } catch (error) {
          port.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) } satisfies EncoderReply);
          finish();
        }
      });
    });
  });
}
