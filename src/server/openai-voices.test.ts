import { describe, expect, it } from 'vitest';
import type { TTS, Voice } from '../core/tts.js';
import { OPENAI_VOICES, resolveOpenAIVoice } from './openai-voices.js';
import { resolveRealtimeVoice } from './realtime/voices.js';
import { resolveVoice } from './routes/speech.js';

/** OpenAI's ten realtime voices (https://platform.openai.com/docs/guides/realtime-conversations). */
const REALTIME_NAMES = ['alloy', 'ash', 'ballad', 'coral', 'echo', 'sage', 'shimmer', 'verse', 'marin', 'cedar'];
/** The speech-only ones (https://platform.openai.com/docs/guides/text-to-speech). */
const SPEECH_ONLY_NAMES = ['fable', 'nova', 'onyx'];

const voice = (id: string, gender: 'female' | 'male'): Voice => ({ id, name: id, language: 'en-US', gender });
const fakeTts = (voices: Voice[], defaultVoice: string) => ({ provider: 'fake', voices: () => voices, defaultVoice }) as unknown as TTS;

describe('OpenAI voice names', () => {
  const espeakLike = fakeTts([voice('en-us', 'male'), voice('en-us+f3', 'female')], 'en-us');
  const kokoroLike = fakeTts([voice('af_heart', 'female'), voice('af_alloy', 'female'), voice('am_echo', 'male'), voice('bm_fable', 'male')], 'af_heart');

  it('has one mapping with every name, REST speech and realtime alike', () => {
    expect(Object.keys(OPENAI_VOICES).sort()).toEqual([...REALTIME_NAMES, ...SPEECH_ONLY_NAMES].sort());
    for (const tts of [espeakLike, kokoroLike]) {
      for (const name of [...REALTIME_NAMES, ...SPEECH_ONLY_NAMES]) {
        const realtime = resolveRealtimeVoice(tts, name);
        expect(realtime, name).not.toBeNull();
        expect(resolveVoice(tts, name), name).toBe(realtime);
        expect(resolveVoice(tts, name.toUpperCase()), name).toBe(realtime);
      }
    }
  });

  it('picks the voice of that name, else one of the same gender', () => {
    expect(resolveOpenAIVoice(kokoroLike, 'alloy')).toBe('af_alloy');
    expect(resolveOpenAIVoice(kokoroLike, 'fable')).toBe('bm_fable');
    expect(resolveOpenAIVoice(kokoroLike, 'marin')).toBe('af_heart');
    expect(resolveOpenAIVoice(kokoroLike, 'cedar')).toBe('am_echo');
    expect(resolveOpenAIVoice(espeakLike, 'marin')).toBe('en-us+f3');
    expect(resolveOpenAIVoice(espeakLike, 'cedar')).toBe('en-us');
  });

  it('refuses other names, Object.prototype keys included', () => {
    for (const name of ['nobody', 'constructor', 'toString', '__proto__']) {
      expect(resolveRealtimeVoice(kokoroLike, name), name).toBeNull();
      expect(() => resolveVoice(kokoroLike, name), name).toThrow(/Unknown voice/);
    }
  });
});
