/**
 * The empty state: a friendly welcome and a few conversation starters.
 */
import type { Topic } from '../api/client.js';
import type { VoiceMode } from '../voice/voice-controller.js';
import { CalendarIcon, LogoMark, MaskIcon } from './icons.js';

export const SUGGESTIONS = [
  "Let's talk about my weekend",
  'Help me practise a job interview',
  'Can you correct my sentences?',
] as const;

interface WelcomeProps {
  onSuggestion(text: string): void;
  disabled: boolean;
  /** The voice mode, for the tip. */
  mode: VoiceMode;
  /** With the tutor API: the topic of the day and the scene library. */
  themes?: { today: Topic | null; onTopic(): void; onScenes(): void; name?: string };
}

const tips: Record<VoiceMode, string> = {
  'hands-free': 'Tip: just start talking. Take your time: a short pause will not cut you off.',
  'push-to-talk': 'Tip: hold the talk button, or the Space bar, while you speak.',
  typing: 'Tip: choose Hands-free below to talk instead of typing.',
};

export function Welcome({ onSuggestion, disabled, mode, themes }: WelcomeProps) {
  return (
    <div className="welcome">
      <LogoMark width="52" height="52" className="welcome__mark" />
      <h2>{themes?.name ? `Hi ${themes.name}! Let’s practise your English.` : 'Hi! Let’s practise your English.'}</h2>
      <p>
        Type or speak, and your tutor answers out loud. Take your time: mistakes are welcome, and you will get gentle
        corrections along the way.
      </p>
      <ul className="suggestions" aria-label="Conversation starters">
        {SUGGESTIONS.map((suggestion) => (
          <li key={suggestion}>
            <button type="button" className="suggestion" onClick={() => onSuggestion(suggestion)} disabled={disabled}>
              {suggestion}
            </button>
          </li>
        ))}
      </ul>
      {themes ? (
        <div className="welcome__themes">
          <button type="button" className="theme-card" onClick={themes.onTopic} disabled={disabled}>
            <CalendarIcon width="22" height="22" className="theme-card__icon" />
            <span className="theme-card__text">
              <span className="theme-card__title">Topic of the day</span>
              <span className="theme-card__detail">{themes.today?.title ?? 'A new subject every day'}</span>
            </span>
          </button>
          <button type="button" className="theme-card" onClick={themes.onScenes} disabled={disabled}>
            <MaskIcon width="22" height="22" className="theme-card__icon" />
            <span className="theme-card__text">
              <span className="theme-card__title">Role-play a scene</span>
              <span className="theme-card__detail">Order food, check in, a job interview…</span>
            </span>
          </button>
        </div>
      ) : null}
      <p className="welcome__tip">
        {tips[mode]}
      </p>
    </div>
  );
}
