/**
 * The state of an engine as `/health` and `localchat.engine.status` events report it. `idle`: not
 * loaded yet, and loaded on first use (speech recognition, when the learner first speaks).
 */
export type EngineState = 'idle' | 'loading' | 'downloading' | 'ready' | 'error';

export interface EngineStatus {
  kind: 'llm' | 'tts' | 'stt';
  provider: string;
  modelId: string;
  state: EngineState;
  /** Download progress 0-1 while `downloading`. */
  progress?: number;
  downloadedBytes?: number;
  totalBytes?: number;
  /** What went wrong and what to do, while `error`; or a note while `ready` on a fallback. */
  message?: string;
}
