/**
 * The empty state: a friendly welcome and a few conversation starters.
 */
import { LogoMark } from './icons.js';

export const SUGGESTIONS = [
  "Let's talk about my weekend",
  'Help me practise a job interview',
  'Can you correct my sentences?',
] as const;

interface WelcomeProps {
  onSuggestion(text: string): void;
  disabled: boolean;
  /** Speech input is available (adds a tip about the microphone). */
  canSpeak: boolean;
}

export function Welcome({ onSuggestion, disabled, canSpeak }: WelcomeProps) {
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
        {canSpeak ? 'Tip: press the microphone to speak instead of typing.' : 'Tip: press Enter to send, Shift+Enter for a new line.'}
      </p>
    </div>
  );
}
