/**
 * OpenAI's voice names, mapped to an engine's voices, for both the REST speech route
 * (`POST /v1/audio/speech`, routes/speech.ts) and a realtime `session.update` (realtime/voices.ts).
 * The names are those of OpenAI's text-to-speech guide
 * (https://platform.openai.com/docs/guides/text-to-speech, "Voice options": alloy, ash, ballad,
 * coral, echo, fable, nova, onyx, sage, shimmer, verse, marin, cedar), which include all ten
 * realtime voices (https://platform.openai.com/docs/guides/realtime-conversations: alloy, ash,
 * ballad, coral, echo, sage, shimmer, verse, marin, cedar). The genders are ours (how each voice
 * sounds), used to pick an engine voice when the engine has none of that name.
 */
import type { TTS } from '../core/tts.js';

/** OpenAI's voice names (lower case) and the gender of each. */
export const OPENAI_VOICES: Readonly<Record<string, 'female' | 'male'>> = {
  alloy: 'female',
  coral: 'female',
  marin: 'female',
  nova: 'female',
  sage: 'female',
  shimmer: 'female',
  ash: 'male',
  ballad: 'male',
  cedar: 'male',
  echo: 'male',
  fable: 'male',
  onyx: 'male',
  verse: 'male',
};

/**
 * The engine voice `requested` means for `tts`: an engine voice id (any case); else, for an OpenAI
 * name, the engine's voice of that name (Kokoro's `af_alloy`), else the default voice when its
 * gender matches, else the first voice of that gender (the default voice's language first).
 * @returns the engine voice id, or null when the name is neither an engine voice nor an OpenAI name
 */
export function resolveOpenAIVoice(tts: Pick<TTS, 'voices' | 'defaultVoice'>, requested: string): string | null {
  const voices = tts.voices();
  const wanted = requested.toLowerCase();
  const exact = voices.find((voice) => voice.id.toLowerCase() === wanted);
  if (exact) return exact.id;
  const gender = Object.hasOwn(OPENAI_VOICES, wanted) ? OPENAI_VOICES[wanted] : undefined;
  if (!gender) return null;
  const named = voices.find((voice) => voice.id.toLowerCase().endsWith(`_${wanted}`));
  if (named) return named.id;
  const defaultVoice = voices.find((voice) => voice.id === tts.defaultVoice);
  if (defaultVoice?.gender === gender) return defaultVoice.id;
  const sameGender = voices.find((voice) => voice.gender === gender && voice.language === defaultVoice?.language) ?? voices.find((voice) => voice.gender === gender);
  return (sameGender ?? defaultVoice ?? voices[0])?.id ?? tts.defaultVoice;
}
