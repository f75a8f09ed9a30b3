/**
 * An STT for tests and benchmarks: returns a scripted transcript (or one per call) after a set
 * delay, logging each call's audio length. Stands in for Whisper, whose weights cannot be
 * downloaded on the test machines.
 */
import type { AudioChunk } from '../core/audio.js';
import type { CallOptions } from '../core/call-options.js';
import { EngineError } from '../core/errors.js';
import type { STT, Transcript } from '../core/stt.js';
import { sleep } from './scripted-llm.js';

export interface ScriptedSTTOptions {
  /** Transcripts in order (the last repeats), or a function of the call index. */
  transcripts: string[] | ((call: number, audio: AudioChunk) => string);
  delayMs?: number;
  /** Throw on the call with this index (0-based). */
  failOnCall?: number;
}

export class ScriptedSTT implements STT {
  readonly provider = 'scripted';
  readonly modelId = 'scripted-stt';
  readonly calls: { durationMs: number; language?: string }[] = [];

  constructor(private readonly options: ScriptedSTTOptions) {}

  async transcribe(audio: AudioChunk, options: CallOptions & { language?: string }): Promise<Transcript> {
    const index = this.calls.push({ durationMs: (audio.samples.length / audio.sampleRate) * 1000, language: options.language }) - 1;
    if (this.options.delayMs) await sleep(this.options.delayMs, options.signal);
    if (index === this.options.failOnCall) throw new EngineError('scripted', 'the test STT failed');
    const { transcripts } = this.options;
    const text = typeof transcripts === 'function' ? transcripts(index, audio) : (transcripts[Math.min(index, transcripts.length - 1)] ?? '');
    return { text, language: options.language ?? 'en' };
  }
}
