/**
 * The empty state: a friendly welcome and a few conversation starters.
 */
import type { VoiceMode } from '../voice/voice-controller.js';
import { LogoMark } from './icons.js';

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
}

const tips: Record<VoiceMode, string> = {
  'hands-free': 'Tip: just start talking. Take your time: a short pause will not cut you off.',
  'push-to-talk': 'Tip: hold the talk button, or the Space bar, while you speak.',
  typing: 'Tip: choose Hands-free below to talk instead of typing.',
};

export function Welcome({ onSuggestion, disabled, mode }: WelcomeProps) {
  return (
    <div className="welcome">
      <LogoMark width="52" height="52" className="welcome__mark" />
      <h2>Hi! Let’s practise your English.</h2>
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
      <p className="welcome__tip">
        {tips[mode]}
      </p>
    </div>
  );
}
