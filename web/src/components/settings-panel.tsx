/**
 * Settings drawer: the tutor's voice (grouped by language), speed and volume; how the learner talks
 * (mode, thinking time: learned from their pauses or fixed, with the value in use; barge-in, where turns are detected, the browser's speech recognition
 * button); theme; and New chat.
 * A modal dialog: focus moves in when it opens, Escape or the backdrop closes it, and focus
 * returns to the button that opened it.
 */
import { useEffect, useId, useMemo, useRef, useState } from 'react';
import type { LearnerProfile, ProfileUpdate } from '../api/client.js';
import { languageName } from '../format.js';
import type { ThemePreference } from '../session/preferences.js';
import type { Voice } from '../session/state.js';
import { THINKING_TIME_RANGE, type VoiceMode, type VoiceSettings } from '../voice/voice-controller.js';
import { CloseIcon, NewChatIcon } from './icons.js';
import { DataSection, ProfileSection } from './profile-settings.js';

/** What the settings need from the tutor API (absent on a server without one). */
export interface SettingsTutor {
  profile: LearnerProfile | null;
  storeOk: boolean;
  saveProfile(update: ProfileUpdate): Promise<LearnerProfile>;
  onImported(): void;
  toast(message: string, level?: 'info' | 'error'): void;
}

const FOCUSABLE = 'select:not([disabled]), input:not([disabled]):not([tabindex="-1"]), textarea:not([disabled]), button:not([disabled]), a[href]';

/** Speed range every TTS engine accepts (src/core/tts.ts). */
const MIN_SPEED = 0.5;
const MAX_SPEED = 2;

interface SettingsPanelProps {
  open: boolean;
  onClose(): void;
  voices: Voice[];
  /** The voice engine speaking now and the usable ones; a picker shows when there are several. */
  voiceEngine: string | null;
  voiceEngines: { provider: string; model_id: string }[];
  onVoiceEngine(provider: string): void;
  voice: string | null;
  onVoice(voice: string): void;
  speed: number;
  /** `remember: false`: the profile keeps it, not this browser. */
  onSpeed(speed: number, remember?: boolean): void;
  theme: ThemePreference;
  onTheme(theme: ThemePreference): void;
  onNewChat(): void;
  connected: boolean;
  voiceInput: VoiceSettings;
  /** The thinking time the page uses now, ms (the learned one when learned and known). */
  thinkingTimeInUseMs: number;
  /** The learner's thinking time the server learned from their pauses, ms (null until it says). */
  learnedThinkingTimeMs: number | null;
  onVoiceInput(change: Partial<VoiceSettings>): void;
  webSpeech: boolean;
  webSpeechSupported: boolean;
  onWebSpeech(on: boolean): void;
  /** Null: this server has no tutor API (no profile, no backup). */
  tutor: SettingsTutor | null;
  /** The tutor's voice volume, 0-1 (kept in this browser). */
  volume: number;
  onVolume(volume: number): void;
  onShowConfig(): void;
  onShowDiagnostics(): void;
}

/** Display names of the voice engines. */
const ENGINE_NAMES: Record<string, string> = { kokoro: 'Kokoro', espeak: 'eSpeak NG', supertonic: 'Supertonic', 'openai-compatible': 'Speech server' };

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

const voiceModes: { value: VoiceMode; label: string }[] = [
  { value: 'hands-free', label: 'Hands-free' },
  { value: 'push-to-talk', label: 'Push to talk' },
  { value: 'typing', label: 'Type' },
];

const thinkingTimes: { value: VoiceSettings['thinkingTime']; label: string }[] = [
  { value: 'learned', label: 'Learned' },
  { value: 'fixed', label: 'Fixed' },
];

const turnDetections: { value: VoiceSettings['turnDetection']; label: string }[] = [
  { value: 'browser', label: 'In the browser' },
  { value: 'server', label: 'On the server' },
];

const themes: { value: ThemePreference; label: string }[] = [
  { value: 'system', label: 'System' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

export function SettingsPanel(props: SettingsPanelProps) {
  const { open, onClose, voices, voice, speed, voiceInput } = props;
  const thinkingSeconds = (voiceInput.thinkingTimeMs / 1000).toFixed(1);
  const learned = voiceInput.thinkingTime === 'learned';
  const inUseSeconds = (props.thinkingTimeInUseMs / 1000).toFixed(1);
  const panel = useRef<HTMLDivElement>(null);
  const titleId = useId();
  const groups = useMemo(() => groupVoices(voices), [voices]);
  const tutor = props.tutor;
  const profile = tutor?.profile ?? null;
  /** The "match my level" box as just clicked, until the profile saved says so. */
  const [autoChoice, setAutoChoice] = useState<boolean | null>(null);
  const speedAuto = autoChoice ?? profile?.speakingSpeed === 'auto';
  const profileSpeedTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  /** With a profile the speed is the profile's (the server applies it to new sessions). */
  const onProfileSpeed = (value: number | 'auto', toggled = false): void => {
    if (!tutor) return;
    if (profileSpeedTimer.current) clearTimeout(profileSpeedTimer.current);
    if (value !== 'auto') props.onSpeed(value, false);
    if (toggled) setAutoChoice(value === 'auto');
    const save = (): void => {
      tutor
        .saveProfile({ speakingSpeed: value })
        .catch((error: unknown) => tutor.toast(`The speed was not saved: ${error instanceof Error ? error.message : String(error)}`, 'error'))
        .finally(() => {
          if (toggled) setAutoChoice(null);
        });
    };
    if (toggled) save();
    else profileSpeedTimer.current = setTimeout(save, 400);
  };
  const onSpeedChange = (value: number): void => {
    if (profile) onProfileSpeed(value);
    else props.onSpeed(value);
  };

  useEffect(() => {
    if (!open) return;
    const opener = document.activeElement as HTMLElement | null;
    panel.current?.querySelector<HTMLElement>(FOCUSABLE)?.focus();
    const onKey = (event: KeyboardEvent): void => {
      if (event.key === 'Escape') {
        event.preventDefault();
        onClose();
      } else if (event.key === 'Tab' && panel.current) {
        // Keep focus inside the dialog.
        const focusable = [...panel.current.querySelectorAll<HTMLElement>(FOCUSABLE)];
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

        {tutor && profile ? (
          <>
            <h3 className="settings__section">You</h3>
            <ProfileSection profile={profile} onSave={tutor.saveProfile} />
          </>
        ) : null}

        <h3 className="settings__section">The tutor</h3>

        {props.voiceEngines.length > 1 ? (
          <div className="field">
            <label htmlFor="voice-engine-select">Voice engine</label>
            <select id="voice-engine-select" value={props.voiceEngine ?? ''} onChange={(event) => props.onVoiceEngine(event.target.value)} disabled={!props.connected}>
              {props.voiceEngines.map((engine) => (
                <option key={engine.provider} value={engine.provider}>
                  {ENGINE_NAMES[engine.provider] ?? engine.provider} ({engine.model_id})
                </option>
              ))}
            </select>
          </div>
        ) : null}

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
                    {option.gender && !option.name.toLowerCase().includes(option.gender) ? ` (${option.gender})` : ''}
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
              {speedAuto ? 'by level · ' : ''}
              {speed.toFixed(2)}×
            </output>
          </div>
          {profile ? (
            <label className="check check--compact">
              <input type="checkbox" checked={speedAuto} onChange={(event) => onProfileSpeed(event.target.checked ? 'auto' : speed, true)} />
              <span>Match my level (slower for beginners)</span>
            </label>
          ) : null}
          <input
            id="speed-range"
            type="range"
            min={MIN_SPEED}
            max={MAX_SPEED}
            step={0.05}
            value={speed}
            onChange={(event) => onSpeedChange(Number(event.target.value))}
            aria-valuetext={`${speed.toFixed(2)} times`}
            disabled={!props.connected || speedAuto}
          />
          <div className="field__scale">
            <span aria-hidden="true">Slower</span>
            <button
              type="button"
              className="link-button"
              onClick={() => onSpeedChange(1)}
              disabled={speed === 1 || !props.connected || speedAuto}
              aria-label="Reset to normal speed"
            >
              Normal
            </button>
            <span aria-hidden="true">Faster</span>
          </div>
          {speedAuto ? <p className="field__help">The voice follows your level from your next new chat.</p> : null}
        </div>

        <div className="field">
          <div className="field__row">
            <label htmlFor="volume-range">Volume</label>
            <output htmlFor="volume-range" className="field__value">
              {Math.round(props.volume * 100)}%
            </output>
          </div>
          <input
            id="volume-range"
            type="range"
            min={0}
            max={1}
            step={0.05}
            value={props.volume}
            onChange={(event) => props.onVolume(Number(event.target.value))}
            aria-valuetext={`${Math.round(props.volume * 100)} percent`}
          />
        </div>

        <h3 className="settings__section">How you talk</h3>

        <fieldset className="field">
          <legend className="visually-hidden">Voice input</legend>
          <div className="segmented">
            {voiceModes.map((option) => (
              <label key={option.value} className={voiceInput.mode === option.value ? 'segmented__option segmented__option--on' : 'segmented__option'}>
                <input
                  type="radio"
                  name="settings-voice-mode"
                  value={option.value}
                  checked={voiceInput.mode === option.value}
                  onChange={() => props.onVoiceInput({ mode: option.value })}
                />
                {option.label}
              </label>
            ))}
          </div>
          <p className="field__help">
            {voiceInput.mode === 'hands-free'
              ? 'Just talk: the tutor answers when you pause.'
              : voiceInput.mode === 'push-to-talk'
                ? 'Hold the talk button or the Space bar while you speak.'
                : 'The microphone is off; the tutor still answers out loud.'}
          </p>
        </fieldset>

        <div className="field">
          <div className="field__row">
            <span className="field__label" id="thinking-time-label">
              Thinking time
            </span>
            <output className="field__value" aria-live="polite">
              {learned ? `${inUseSeconds} s · ${props.learnedThinkingTimeMs === null ? 'until learned' : 'learned'}` : `${thinkingSeconds} s`}
            </output>
          </div>
          <div className="segmented segmented--two" role="radiogroup" aria-labelledby="thinking-time-label" aria-describedby="thinking-time-help">
            {thinkingTimes.map((option) => (
              <label key={option.value} className={voiceInput.thinkingTime === option.value ? 'segmented__option segmented__option--on' : 'segmented__option'}>
                <input
                  type="radio"
                  name="thinking-time-mode"
                  value={option.value}
                  checked={voiceInput.thinkingTime === option.value}
                  onChange={() => props.onVoiceInput({ thinkingTime: option.value })}
                />
                {option.label}
              </label>
            ))}
          </div>
          {learned ? null : (
            <>
              <input
                id="thinking-time"
                type="range"
                min={THINKING_TIME_RANGE.min}
                max={THINKING_TIME_RANGE.max}
                step={THINKING_TIME_RANGE.step}
                value={voiceInput.thinkingTimeMs}
                onChange={(event) => props.onVoiceInput({ thinkingTimeMs: Number(event.target.value) })}
                aria-labelledby="thinking-time-label"
                aria-valuetext={`${thinkingSeconds} seconds`}
                aria-describedby="thinking-time-help"
              />
              <div className="field__scale">
                <span aria-hidden="true">Quick</span>
                <button
                  type="button"
                  className="link-button"
                  style={{ left: `${((THINKING_TIME_RANGE.default - THINKING_TIME_RANGE.min) / (THINKING_TIME_RANGE.max - THINKING_TIME_RANGE.min)) * 100}%` }}
                  onClick={() => props.onVoiceInput({ thinkingTimeMs: THINKING_TIME_RANGE.default })}
                  disabled={voiceInput.thinkingTimeMs === THINKING_TIME_RANGE.default}
                  aria-label="Reset the thinking time to 0.9 seconds"
                >
                  Default
                </button>
                <span aria-hidden="true">Relaxed</span>
              </div>
            </>
          )}
          <p className="field__help" id="thinking-time-help">
            {learned
              ? props.learnedThinkingTimeMs === null
                ? `How long you can pause, hands-free, before the tutor answers. It will follow your own pauses once LocalChat has heard a few; until then it waits ${inUseSeconds} s.`
                : 'How long you can pause, hands-free, before the tutor answers: a little longer than your own pauses in the middle of a sentence (0.3–2.5 s), learned as you talk.'
              : 'How long you can pause, hands-free, before the tutor answers. Make it longer if you get cut off while looking for a word.'}
          </p>
        </div>

        <div className="field">
          <label className="check">
            <input type="checkbox" checked={voiceInput.bargeIn} onChange={(event) => props.onVoiceInput({ bargeIn: event.target.checked })} />
            <span>Interrupt the tutor by talking</span>
          </label>
          <p className="field__help">
            {voiceInput.bargeIn
              ? 'Start speaking and the tutor stops to listen. If it keeps interrupting itself, your speakers reach the microphone: use headphones, push to talk, or turn this off.'
              : 'The microphone pauses while the tutor talks, so your speakers cannot trigger it. Press Stop or use push to talk to cut in.'}
          </p>
        </div>

        <fieldset className="field">
          <legend>Where pauses are detected</legend>
          <div className="segmented segmented--two">
            {turnDetections.map((option) => (
              <label key={option.value} className={voiceInput.turnDetection === option.value ? 'segmented__option segmented__option--on' : 'segmented__option'}>
                <input
                  type="radio"
                  name="turn-detection"
                  value={option.value}
                  checked={voiceInput.turnDetection === option.value}
                  onChange={() => props.onVoiceInput({ turnDetection: option.value })}
                />
                {option.label}
              </label>
            ))}
          </div>
          <p className="field__help">
            Hands-free only. In the browser reacts fastest; on the server the microphone streams continuously and LocalChat
            decides.
          </p>
        </fieldset>

        {props.webSpeechSupported ? (
          <div className="field">
            <label className="check">
              <input type="checkbox" checked={props.webSpeech} onChange={(event) => props.onWebSpeech(event.target.checked)} />
              <span>Browser speech recognition (Google in Chrome)</span>
            </label>
            <p className="field__help">Adds a microphone button to the message box that uses your browser’s recognition. In Chrome, your voice is sent to Google.</p>
          </div>
        ) : null}

        <h3 className="settings__section">Appearance</h3>

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

        {tutor ? (
          <>
            <h3 className="settings__section">Your data</h3>
            <DataSection storeOk={tutor.storeOk} onImported={tutor.onImported} toast={tutor.toast} />
          </>
        ) : null}

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
          <p className="field__help">{tutor ? 'Starts a free conversation; this one stays in your list.' : 'Clears this conversation; the tutor starts fresh.'}</p>
        </div>

        <div className="field">
          <span className="field__label">Help</span>
          <div className="field__buttons">
            <button
              type="button"
              className="button button--secondary"
              onClick={() => {
                onClose();
                props.onShowConfig();
              }}
            >
              Configuration
            </button>
            <a
              className="button button--secondary"
              href="#diagnostics"
              onClick={() => {
                onClose();
                props.onShowDiagnostics();
              }}
            >
              Diagnostics
            </a>
          </div>
          <p className="field__help">What LocalChat runs with (to copy into a bug report), and tests of your microphone, speakers and connection with each reply’s timing.</p>
        </div>

        <p className="settings__footnote">
          The tutor, its voice and the recognition of your speech run on this computer; nothing you say leaves it
          {props.webSpeech ? ', except with the browser speech recognition button (Google’s servers in Chrome)' : ''}.
        </p>
      </div>
    </div>
  );
}
