/**
 * A TTS for tests and benchmarks: a quiet tone whose length follows the text (~60 ms a
 * character at speed 1), after a set synthesis delay. Logs calls; can throw on chosen chunks.
 */
import type { AudioChunk } from '../core/audio.js';
import { EngineError } from '../core/errors.js';
import type { SynthesizeOptions, TTS, Voice } from '../core/tts.js';
import { sleep } from './scripted-llm.js';

export interface ToneTTSOptions {
  sampleRate?: number;
  /** Synthesis time per call, ms. */
  delayMs?: number;
  /** Throw on the call with this index (0-based). */
  failOnCall?: number;
}

export class ToneTTS implements TTS {
  readonly provider = 'tone';
  readonly modelId = 'tone-tts';
  readonly sampleRate: number;
  readonly defaultVoice = 'tone_a';
  readonly calls: { text: string; voice?: string; speed?: number; aborted: boolean }[] = [];

  constructor(private readonly options: ToneTTSOptions = {}) {
    this.sampleRate = options.sampleRate ?? 24_000;
  }

  voices(): Voice[] {
    return [
      { id: 'tone_a', name: 'Tone A', language: 'en-US', gender: 'female' },
      { id: 'tone_b', name: 'Tone B', language: 'en-GB', gender: 'male' },
    ];
  }

  async *synthesize(text: string, options: SynthesizeOptions): AsyncIterable<AudioChunk> {
    const call = { text, voice: options.voice, speed: options.speed, aborted: false };
    const index = this.calls.push(call) - 1;
    if (options.voice && !this.voices().some((voice) => voice.id === options.voice)) {
      throw new EngineError('tone', `Unknown voice "${options.voice}".`);
    }
    if (this.options.delayMs) await sleep(this.options.delayMs, options.signal);
    if (options.signal.aborted) {
      call.aborted = true;
      return;
    }
    if (index === this.options.failOnCall) throw new EngineError('tone', 'the test TTS failed on this chunk');
    const length = Math.round((text.length * 0.06 * this.sampleRate) / (options.speed ?? 1));
    const samples = new Int16Array(length);
    for (let i = 0; i < length; i++) samples[i] = Math.round(3000 * Math.sin((2 * Math.PI * 220 * i) / this.sampleRate));
    yield { samples, sampleRate: this.sampleRate };
  }
}
