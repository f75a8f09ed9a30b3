/**
 * The learner's choices kept in localStorage: voice, speed, volume, theme and voice input (mode,
 * thinking time: learned or fixed, and the fixed value; barge-in, turn detection, the browser's
 * speech recognition button). They survive reloads and are sent to every new session (a reconnect
 * opens a fresh one with server defaults).
 */

export type ThemePreference = 'system' | 'light' | 'dark';

export interface VoiceInputPreferences {
  mode?: 'hands-free' | 'push-to-talk' | 'typing';
  thinkingTimeMs?: number;
  /** `learned`: the thinking time follows the learner's pauses; `fixed`: `thinkingTimeMs`. */
  thinkingTime?: 'learned' | 'fixed';
  bargeIn?: boolean;
  turnDetection?: 'browser' | 'server';
}

export interface Preferences {
  voice?: string;
  speed?: number;
  theme: ThemePreference;
  voiceInput: VoiceInputPreferences;
  /** Show the browser's own speech recognition button (Google's servers in Chrome). */
  webSpeech: boolean;
  /** Listening practice: the tutor's text is hidden until revealed. */
  hideTutorText?: boolean;
  /** The tutor's voice volume, 0-1 (default 1). */
  volume?: number;
}

const KEY = 'localchat.preferences';

function voiceInput(value: unknown): VoiceInputPreferences {
  if (typeof value !== 'object' || value === null) return {};
  const record = value as Record<string, unknown>;
  const result: VoiceInputPreferences = {};
  if (record.mode === 'hands-free' || record.mode === 'push-to-talk' || record.mode === 'typing') result.mode = record.mode;
  if (typeof record.thinkingTimeMs === 'number' && Number.isFinite(record.thinkingTimeMs)) result.thinkingTimeMs = record.thinkingTimeMs;
  if (record.thinkingTime === 'learned' || record.thinkingTime === 'fixed') result.thinkingTime = record.thinkingTime;
  if (typeof record.bargeIn === 'boolean') result.bargeIn = record.bargeIn;
  if (record.turnDetection === 'browser' || record.turnDetection === 'server') result.turnDetection = record.turnDetection;
  return result;
}

export function loadPreferences(): Preferences {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(KEY) ?? '{}');
    if (typeof parsed !== 'object' || parsed === null) return { theme: 'system', voiceInput: {}, webSpeech: false };
    const record = parsed as Record<string, unknown>;
    const theme = record.theme === 'light' || record.theme === 'dark' ? record.theme : 'system';
    return {
      theme,
      voice: typeof record.voice === 'string' ? record.voice : undefined,
      speed: typeof record.speed === 'number' && record.speed >= 0.5 && record.speed <= 2 ? record.speed : undefined,
      voiceInput: voiceInput(record.voiceInput),
      webSpeech: record.webSpeech === true,
      hideTutorText: record.hideTutorText === true,
      volume: typeof record.volume === 'number' && record.volume >= 0 && record.volume <= 1 ? record.volume : undefined,
    };
  } catch {
    return { theme: 'system', voiceInput: {}, webSpeech: false };
  }
}

export function savePreferences(change: Partial<Preferences>): void {
  try {
    localStorage.setItem(KEY, JSON.stringify({ ...loadPreferences(), ...change }));
  } catch {
    // Private mode or storage full: the choice lasts for this page only.
  }
}
