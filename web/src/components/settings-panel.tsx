/**
 * Settings drawer: voice (grouped by language), speaking speed, theme, and New chat.
 * A modal dialog: focus moves in when it opens, Escape or the backdrop closes it, and focus
 * returns to the button that opened it.
 */
import { useEffect, useId, useMemo, useRef } from 'react';
import { languageName } from '../format.js';
import type { ThemePreference } from '../session/preferences.js';
import type { Voice } from '../session/state.js';
import { CloseIcon, NewChatIcon } from './icons.js';

/** Speed range every TTS engine accepts (src/core/tts.ts). */
const MIN_SPEED = 0.5;
const MAX_SPEED = 2;

interface SettingsPanelProps {
  open: boolean;
  onClose(): void;
  voices: Voice[];
  voice: string | null;
  onVoice(voice: string): void;
  speed: number;
  onSpeed(speed: number): void;
  theme: ThemePreference;
  onTheme(theme: ThemePreference): void;
  onNewChat(): void;
  connected: boolean;
}

/** Voices grouped by language, groups and voices sorted by name. */
export function groupVoices(voices: readonly Voice[]): { language: string; label: string; voices: Voice[] }[] {
  const groups = new Map<string, Voice[]>();
  for (const voice of voices) {
    const list = groups.get(voice.language) ?? [];
    list.push(voice);
    groups.set(voice.language, list);
  }
  return [...groups]
    .map(([language, list]) => ({
      language,
      label: languageName(language),
      voices: list.sort((a, b) => a.name.localeCompare(b.name)),
    }))
    .sort((a, b) => a.label.localeCompare(b.label));
}

const themes: { value: ThemePreference; label: string }[] = [
  { value: 'system', label: 'System' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

export function SettingsPanel(props: SettingsPanelProps) {
  const { open, onClose, voices, voice, speed } = props;
  const panel = useRef<HTMLDivElement>(null);
  const titleId = useId();
  const groups = useMemo(() => groupVoices(voices), [voices]);

  useEffect(() => {
    if (!open) return;
    const opener = document.activeElement as HTMLElement | null;
    panel.current?.querySelector<HTMLElement>('select, input, button:not([disabled])')?.focus();
    const onKey = (event: KeyboardEvent): void => {
      if (event.key === 'Escape') {
        event.preventDefault();
        onClose();
      } else if (event.key === 'Tab' && panel.current) {
        // Keep focus inside the dialog.
        const focusable = [...panel.current.querySelectorAll<HTMLElement>('select, input, button:not([disabled])')];
        const first = focusable[0];
        const last = focusable[focusable.length - 1];
        if (!first || !last) return;
        if (event.shiftKey && document.activeElement === first) {
          event.preventDefault();
          last.focus();
        } else if (!event.shiftKey && document.activeElement === last) {
          event.preventDefault();
          first.focus();
        }
      }
    };
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('keydown', onKey);
      opener?.focus();
    };
  }, [open, onClose]);

  if (!open) return null;

  return (
    <div className="settings-layer">
      <div className="settings-backdrop" onClick={onClose} aria-hidden="true" />
      <div className="settings" id="settings-panel" role="dialog" aria-modal="true" aria-labelledby={titleId} ref={panel}>
        <div className="settings__header">
          <h2 id={titleId}>Settings</h2>
          <button type="button" className="icon-button" onClick={onClose} aria-label="Close settings">
            <CloseIcon />
          </button>
        </div>

        <div className="field">
          <label htmlFor="voice-select">Voice</label>
          <select
            id="voice-select"
            value={voice ?? ''}
            onChange={(event) => props.onVoice(event.target.value)}
            disabled={voices.length === 0 || !props.connected}
          >
            {voices.length === 0 ? <option value="">No voices yet</option> : null}
            {groups.map((group) => (
              <optgroup key={group.language} label={group.label}>
                {group.voices.map((option) => (
                  <option key={option.id} value={option.id}>
                    {option.name}
                    {option.gender ? ` (${option.gender})` : ''}
                  </option>
                ))}
              </optgroup>
            ))}
          </select>
        </div>

        <div className="field">
          <div className="field__row">
            <label htmlFor="speed-range">Speaking speed</label>
            <output htmlFor="speed-range" className="field__value">
              {speed.toFixed(2)}×
            </output>
          </div>
          <input
            id="speed-range"
            type="range"
            min={MIN_SPEED}
            max={MAX_SPEED}
            step={0.05}
            value={speed}
            onChange={(event) => props.onSpeed(Number(event.target.value))}
            aria-valuetext={`${speed.toFixed(2)} times`}
            disabled={!props.connected}
          />
          <div className="field__scale">
            <span aria-hidden="true">Slower</span>
            <button
              type="button"
              className="link-button"
              onClick={() => props.onSpeed(1)}
              disabled={speed === 1 || !props.connected}
              aria-label="Reset to normal speed"
            >
              Normal
            </button>
            <span aria-hidden="true">Faster</span>
          </div>
        </div>

        <fieldset className="field">
          <legend>Theme</legend>
          <div className="segmented">
            {themes.map((theme) => (
              <label key={theme.value} className={props.theme === theme.value ? 'segmented__option segmented__option--on' : 'segmented__option'}>
                <input
                  type="radio"
                  name="theme"
                  value={theme.value}
                  checked={props.theme === theme.value}
                  onChange={() => props.onTheme(theme.value)}
                />
                {theme.label}
              </label>
            ))}
          </div>
        </fieldset>

        <div className="field">
          <span className="field__label">Conversation</span>
          <button
            type="button"
            className="button button--secondary"
            onClick={() => {
              props.onNewChat();
              onClose();
            }}
            disabled={!props.connected}
          >
            <NewChatIcon width="18" height="18" />
            New chat
          </button>
          <p className="field__help">Clears this conversation; the tutor starts fresh.</p>
        </div>

        <p className="settings__footnote">
          The tutor and its voice run on this computer. Speaking uses your browser’s speech recognition, which in Chrome
          runs on Google’s servers.
        </p>
      </div>
    </div>
  );
}
