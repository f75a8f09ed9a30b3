/**
 * Voice names in a realtime `session.update`: an engine voice id, or one of OpenAI's realtime voice
 * names (https://platform.openai.com/docs/guides/realtime-conversations, "voice options"), mapped to
 * an engine voice: the engine's voice of that name if it has one (Kokoro's `af_alloy`), else the
 * default voice when its gender matches, else the first voice of that gender.
 */
import type { TTS } from '../../core/tts.js';
import { OPENAI_VOICES } from '../routes/speech.js';

/** OpenAI's voice names with the gender of each (the REST speech voices plus the realtime-only `marin` and `cedar`). */
export const OPENAI_REALTIME_VOICES: Readonly<Record<string, 'female' | 'male'>> = { ...OPENAI_VOICES, marin: 'female', cedar: 'male' };

/**
 * The engine voice `requested` means for `tts`.
 * @returns the engine voice id, or null when the name is neither an engine voice nor an OpenAI name
 */
export function resolveRealtimeVoice(tts: TTS, requested: string): string | null {
  const voices = tts.voices();
  const wanted = requested.toLowerCase();
  const exact = voices.find((voice) => voice.id.toLowerCase() === wanted);
  if (exact) return exact.id;
  const gender = OPENAI_REALTIME_VOICES[wanted];
  if (!gender) return null;
  const named = voices.find((voice) => voice.id.toLowerCase().endsWith(`_${wanted}`));
  if (named) return named.id;
  const defaultVoice = voices.find((voice) => voice.id === tts.defaultVoice);
  if (defaultVoice?.gender === gender) return defaultVoice.id;
  const sameGender = voices.find((voice) => voice.gender === gender && voice.language === defaultVoice?.language) ?? voices.find((voice) => voice.gender === gender);
  return (sameGender ?? defaultVoice ?? voices[0])?.id ?? tts.defaultVoice;
}
