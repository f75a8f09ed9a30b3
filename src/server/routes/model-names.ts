/**
 * Which model names the REST API accepts, and which engine each one means.
 *
 * - Chat (`/v1/chat/completions`): LocalChat serves one LLM. `localchat-tutor` is that LLM with the
 *   tutor persona; ANY other name (the engine's own id, `gpt-4o-mini`, whatever a client has
 *   hard-coded) is an alias of the plain engine: clients that insist on a model name just work.
 *   Only the names of LocalChat's speech models are refused (404): sending one to the chat
 *   endpoint is a mistake worth reporting.
 * - Speech (`/v1/audio/speech`): the model picks the TTS engine. `tts-1`, `tts-1-hd`,
 *   `gpt-4o-mini-tts` and `localchat` mean the active one; an engine's provider name (`kokoro`,
 *   `espeak`) or model id means that engine, if it is usable now (503 while it is loading or
 *   downloading); anything else is 404.
 * - Transcription (`/v1/audio/transcriptions`): `whisper-1`, `gpt-4o-transcribe`,
 *   `gpt-4o-mini-transcribe`, `localchat`, and the STT's provider name or model id; else 404.
 */
import type { EngineStatus } from '../../core/engine-status.js';
import type { TTS } from '../../core/tts.js';
import type { EngineSet } from '../../engines/engine-set.js';
import { engineUnavailable, modelNotFound } from './openai-errors.js';

/** The chat model that adds the tutor persona. */
export const TUTOR_MODEL = 'localchat-tutor';
/** OpenAI's speech model names, served by the active TTS. */
export const SPEECH_ALIASES: readonly string[] = ['tts-1', 'tts-1-hd', 'gpt-4o-mini-tts', 'localchat'];
/** OpenAI's transcription model names, served by the configured STT. */
export const TRANSCRIPTION_ALIASES: readonly string[] = ['whisper-1', 'gpt-4o-transcribe', 'gpt-4o-mini-transcribe', 'localchat'];

/** The usable TTS engines: the active one, then the fallback (no duplicates). */
export function usableTts(engines: EngineSet): TTS[] {
  const active = engines.tts();
  const fallback = engines.fallbackTts();
  return fallback && fallback !== active && fallback.provider !== active.provider ? [active, fallback] : [active];
}

/** The STT that `/v1/audio/transcriptions` would use, as a status entry; null when speech recognition is off. */
export function sttStatus(engines: EngineSet): Pick<EngineStatus, 'provider' | 'modelId' | 'state' | 'message'> | null {
  const loaded = engines.stt();
  if (loaded) return { provider: loaded.provider, modelId: loaded.modelId, state: 'ready' };
  return engines.status().find((entry) => entry.kind === 'stt') ?? null;
}

/**
 * Whether `model` names one of LocalChat's speech (TTS or STT) models rather than a chat model.
 */
export function isSpeechModelName(engines: EngineSet, model: string): boolean {
  if (SPEECH_ALIASES.includes(model) || TRANSCRIPTION_ALIASES.includes(model)) return model !== 'localchat';
  const llm = engines.llm();
  if (model === llm.modelId) return false;
  const stt = sttStatus(engines);
  if (stt && (model === stt.modelId || model === stt.provider)) return true;
  return engines.status().some((entry) => entry.kind === 'tts' && (entry.provider === model || entry.modelId === model)) ||
    usableTts(engines).some((tts) => tts.provider === model || tts.modelId === model);
}

/**
 * The TTS engine a speech request's `model` means.
 * @throws OpenAIApiError 404 for an unknown name, 503 for an engine that is not usable yet
 */
export function resolveSpeechModel(engines: EngineSet, model: string): TTS {
  const usable = usableTts(engines);
  if (SPEECH_ALIASES.includes(model)) return usable[0]!;
  const found = usable.find((tts) => tts.provider === model || tts.modelId === model);
  if (found) return found;
  const known = engines.status().find((entry) => entry.kind === 'tts' && (entry.provider === model || entry.modelId === model));
  if (known) {
    throw engineUnavailable(`The speech model \`${model}\` is not ready (${known.state})${known.message ? `: ${known.message}` : '.'} Use \`${usable[0]!.provider}\` meanwhile.`);
  }
  throw modelNotFound(model, [...usable.map((tts) => tts.provider), ...SPEECH_ALIASES], 'Speech');
}

/**
 * Checks a transcription request's `model`.
 * @throws OpenAIApiError 404 for an unknown name, 503 when speech recognition is off
 */
export function checkTranscriptionModel(engines: EngineSet, model: string | undefined): void {
  const stt = sttStatus(engines);
  if (!stt) throw engineUnavailable('Speech recognition is off on this server: start LocalChat with an STT engine (e.g. --stt whisper).');
  if (model === undefined || TRANSCRIPTION_ALIASES.includes(model) || model === stt.modelId || model === stt.provider) return;
  throw modelNotFound(model, [stt.modelId, ...TRANSCRIPTION_ALIASES], 'Transcription');
}
