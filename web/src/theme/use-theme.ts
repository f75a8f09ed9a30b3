/**
 * `useTheme`: light or dark, following `prefers-color-scheme` unless the learner picked one.
 * The choice is applied as `data-theme` on <html> (styles.css reads it) and kept in localStorage.
 */
import { useCallback, useEffect, useState, useSyncExternalStore } from 'react';
import { loadPreferences, savePreferences, type ThemePreference } from '../session/preferences.js';

const darkQuery = '(prefers-color-scheme: dark)';

function subscribeToSystem(listener: () => void): () => void {
  const media = window.matchMedia(darkQuery);
  media.addEventListener('change', listener);
  return () => media.removeEventListener('change', listener);
}

const systemIsDark = (): boolean => window.matchMedia(darkQuery).matches;

/** Applies a preference to the document (also called before the first render, in main.tsx). */
export function applyTheme(preference: ThemePreference): void {
  const root = document.documentElement;
  if (preference === 'system') delete root.dataset.theme;
  else root.dataset.theme = preference;
}

export interface Theme {
  preference: ThemePreference;
  /** The theme on screen now. */
  effective: 'light' | 'dark';
  setPreference(preference: ThemePreference): void;
  /** Switches to the other theme (header button). */
  toggle(): void;
}

export function useTheme(): Theme {
  const [preference, setPreferenceState] = useState<ThemePreference>(() => loadPreferences().theme);
  const systemDark = useSyncExternalStore(subscribeToSystem, systemIsDark);
  const effective = preference === 'system' ? (systemDark ? 'dark' : 'light') : preference;

  useEffect(() => applyTheme(preference), [preference]);

  const setPreference = useCallback((next: ThemePreference) => {
    setPreferenceState(next);
    savePreferences({ theme: next });
  }, []);

  const toggle = useCallback(() => {
    const next = effective === 'dark' ? 'light' : 'dark';
    // Back to "system" when the toggle lands on what the system would show anyway.
    setPreference(next === (systemDark ? 'dark' : 'light') ? 'system' : next);
  }, [effective, systemDark, setPreference]);

  return { preference, effective, setPreference, toggle };
}
