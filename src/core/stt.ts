/**
 * The STT interface: one utterance of audio in, its transcript out.
 */
import type { AudioChunk } from './audio.js';
import type { CallOptions } from './call-options.js';

export interface Transcript {
  text: string;
  language?: string;
}

export interface STT {
  readonly provider: string;
  readonly modelId: string;
  /** @throws EngineError on failure */
  transcribe(audio: AudioChunk, options: CallOptions & { language?: string }): Promise<Transcript>;
}
