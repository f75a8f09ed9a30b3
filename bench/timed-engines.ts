/**
 * Engine wrappers that log when each call starts, yields its first output and ends, on the
 * benchmark process's wall clock (`epochNow()`: performance.timeOrigin + performance.now(), ms),
 * so server-side stage times can be lined up with a browser's clock. They pass everything else
 * through unchanged.
 */
import type { AudioChunk } from '../src/core/audio.js';
import type { CallOptions } from '../src/core/call-options.js';
import type { ChatRequest, LLM, LLMStreamPart } from '../src/core/llm.js';
import type { STT, Transcript } from '../src/core/stt.js';
import type { SynthesizeOptions, TTS, Voice } from '../src/core/tts.js';

/** This process's wall clock with sub-millisecond resolution, ms since the epoch. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

export interface TimedCall {
  /** The JSON schema's name for structured calls (e.g. `correction`), else undefined. */
  task?: string;
  text?: string;
  startedAt: number;
  firstOutputAt?: number;
  endedAt?: number;
  /** Text deltas (LLM) or audio chunks (TTS) yielded. */
  outputs: number;
  /** Audio samples yielded (TTS) or audio length in samples (STT). */
  samples: number;
  sampleRate?: number;
  aborted: boolean;
  error?: string;
}

/**
 * Passes `source` through, recording on `call` the first output's time, the outputs counted by
 * `isOutput`, a thrown error, and the end time and abort state.
 */
async function* timed<T>(call: TimedCall, source: AsyncIterable<T>, signal: AbortSignal, isOutput: (part: T) => boolean): AsyncGenerator<T> {
  try {
    for await (const part of source) {
      if (isOutput(part)) {
        call.firstOutputAt ??= epochNow();
        call.outputs++;
      }
      yield part;
    }
  } catch (error) {
    call.error = String(error);
    throw error;
  } finally {
    call.endedAt = epochNow();
    call.aborted = signal.aborted;
  }
}

export class TimedLLM implements LLM {
  readonly calls: TimedCall[] = [];
  constructor(readonly inner: LLM) {}
  get provider(): string {
    return this.inner.provider;
  }
  get modelId(): string {
    return this.inner.modelId;
  }
  get contextSize(): number {
    return this.inner.contextSize;
  }
  async *stream(request: ChatRequest, options: CallOptions): AsyncIterable<LLMStreamPart> {
    const call: TimedCall = { task: request.jsonSchema?.name, startedAt: epochNow(), outputs: 0, samples: 0, aborted: false };
    this.calls.push(call);
    yield* timed(call, this.inner.stream(request, options), options.signal, (part) => part.type === 'text-delta');
  }
  prepare(conversationId: string, systemPrompt: string, options: CallOptions): Promise<void> {
    return this.inner.prepare?.(conversationId, systemPrompt, options) ?? Promise.resolve();
  }
  release(conversationId: string): void {
    this.inner.release?.(conversationId);
  }
}

export class TimedTTS implements TTS {
  readonly calls: TimedCall[] = [];
  constructor(readonly inner: TTS) {}
  get provider(): string {
    return this.inner.provider;
  }
  get modelId(): string {
    return this.inner.modelId;
  }
  get sampleRate(): number {
    return this.inner.sampleRate;
  }
  get defaultVoice(): string {
    return this.inner.defaultVoice;
  }
  voices(): Voice[] {
    return this.inner.voices();
  }
  async *synthesize(text: string, options: SynthesizeOptions): AsyncIterable<AudioChunk> {
    const call: TimedCall = { text, startedAt: epochNow(), outputs: 0, samples: 0, aborted: false };
    this.calls.push(call);
    yield* timed(call, this.inner.synthesize(text, options), options.signal, (chunk) => {
      call.samples += chunk.samples.length;
      call.sampleRate = chunk.sampleRate;
      return true;
    });
  }
  prepare(): Promise<void> {
    return this.inner.prepare?.() ?? Promise.resolve();
  }
}

export class TimedSTT implements STT {
  readonly calls: TimedCall[] = [];
  constructor(readonly inner: STT) {}
  get provider(): string {
    return this.inner.provider;
  }
  get modelId(): string {
    return this.inner.modelId;
  }
  async transcribe(audio: AudioChunk, options: CallOptions & { language?: string }): Promise<Transcript> {
    const call: TimedCall = { startedAt: epochNow(), outputs: 0, samples: audio.samples.length, sampleRate: audio.sampleRate, aborted: false };
    this.calls.push(call);
    try {
      const transcript = await this.inner.transcribe(audio, options);
      call.text = transcript.text;
      call.outputs = 1;
      return transcript;
    } catch (error) {
      call.error = String(error);
      throw error;
    } finally {
      call.endedAt = epochNow();
      call.firstOutputAt = call.endedAt;
      call.aborted = options.signal.aborted;
    }
  }
}
