import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, describe, expect, it } from 'vitest';
import { loadPreferences, savePreferences } from '../session/preferences.js';
import { DEFAULT_VOICE_SETTINGS, type VoiceSettings } from '../voice/voice-controller.js';
import { SettingsPanel } from './settings-panel.js';

function markup(voiceInput: Partial<VoiceSettings>, thinkingTimeInUseMs: number, learnedThinkingTimeMs: number | null): string {
  const none = (): void => undefined;
  return renderToStaticMarkup(
    createElement(SettingsPanel, {
      open: true,
      onClose: none,
      voices: [],
      voiceEngine: null,
      voiceEngines: [],
      onVoiceEngine: none,
      voice: null,
      onVoice: none,
      speed: 1,
      onSpeed: none,
      theme: 'system',
      onTheme: none,
      onNewChat: none,
      connected: true,
      voiceInput: { ...DEFAULT_VOICE_SETTINGS, mode: 'hands-free', ...voiceInput },
      thinkingTimeInUseMs,
      learnedThinkingTimeMs,
      onVoiceInput: none,
      webSpeech: false,
      webSpeechSupported: false,
      onWebSpeech: none,
      tutor: null,
      volume: 1,
      onVolume: none,
      onShowConfig: none,
      onShowDiagnostics: none,
    }),
  );
}

/** The text a reader sees, tags dropped. */
function render(voiceInput: Partial<VoiceSettings>, thinkingTimeInUseMs: number, learnedThinkingTimeMs: number | null): string {
  return markup(voiceInput, thinkingTimeInUseMs, learnedThinkingTimeMs).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
}

describe('the thinking time setting', () => {
  it('offers Learned and Fixed, and shows the value in use', () => {
    const learned = render({ thinkingTime: 'learned', thinkingTimeMs: 900 }, 1400, 1400);
    expect(learned).toContain('Learned');
    expect(learned).toContain('Fixed');
    expect(learned).toContain('1.4 s · learned');
    expect(learned).not.toContain('Relaxed');

    const notYet = render({ thinkingTime: 'learned', thinkingTimeMs: 1100 }, 1100, null);
    expect(notYet).toContain('1.1 s · until learned');

    const fixed = render({ thinkingTime: 'fixed', thinkingTimeMs: 1200 }, 1200, 1400);
    expect(fixed).toContain('1.2 s');
    expect(fixed).not.toContain('· learned');
    expect(fixed).toContain('Relaxed');
  });

  it('marks the chosen option', () => {
    const checked = (html: string) => [...html.matchAll(/<input type="radio" name="thinking-time-mode"([^>]*)>/g)].filter((match) => match[1]!.includes('checked')).map((match) => /value="(\w+)"/.exec(match[1]!)?.[1]);
    expect(checked(markup({ thinkingTime: 'learned' }, 900, null))).toEqual(['learned']);
    expect(checked(markup({ thinkingTime: 'fixed' }, 900, null))).toEqual(['fixed']);
  });
});

describe('the saved thinking time choice', () => {
  const original = globalThis.localStorage;
  afterEach(() => {
    Object.defineProperty(globalThis, 'localStorage', { value: original, configurable: true, writable: true });
  });

  it('survives a reload; anything else is dropped', () => {
    const items = new Map<string, string>();
    const storage = { getItem: (key: string) => items.get(key) ?? null, setItem: (key: string, value: string) => void items.set(key, value) };
    Object.defineProperty(globalThis, 'localStorage', { value: storage, configurable: true, writable: true });
    savePreferences({ voiceInput: { ...DEFAULT_VOICE_SETTINGS, thinkingTime: 'learned', thinkingTimeMs: 1300 } });
    expect(loadPreferences().voiceInput).toMatchObject({ thinkingTime: 'learned', thinkingTimeMs: 1300 });
    items.set('localchat.preferences', JSON.stringify({ voiceInput: { thinkingTime: 'sometimes' } }));
    expect(loadPreferences().voiceInput.thinkingTime).toBeUndefined();
  });
});
