/**
 * The learner's choices kept in localStorage: voice, speed and theme. They survive reloads and
 * are sent to every new session (a reconnect opens a fresh one with server defaults).
 */

export type ThemePreference = 'system' | 'light' | 'dark';

export interface Preferences {
  voice?: string;
  speed?: number;
  theme: ThemePreference;
}

const KEY = 'localchat.preferences';

export function loadPreferences(): Preferences {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(KEY) ?? '{}');
    if (typeof parsed !== 'object' || parsed === null) return { theme: 'system' };
    const record = parsed as Record<string, unknown>;
    const theme = record.theme === 'light' || record.theme === 'dark' ? record.theme : 'system';
    return {
      theme,
      voice: typeof record.voice === 'string' ? record.voice : undefined,
      speed: typeof record.speed === 'number' && record.speed >= 0.5 && record.speed <= 2 ? record.speed : undefined,
    };
  } catch {
    return { theme: 'system' };
  }
}

export function savePreferences(change: Partial<Preferences>): void {
  try {
    localStorage.setItem(KEY, JSON.stringify({ ...loadPreferences(), ...change }));
  } catch {
    // Private mode or storage full: the choice lasts for this page only.
  }
}
