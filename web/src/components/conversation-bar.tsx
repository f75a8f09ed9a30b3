/**
 * The strip above the transcript: what this conversation is (a role-play with its goal and useful
 * phrases, a topic, or free talk), listening practice (hide the tutor's text), and End session.
 */
import { useId, useState } from 'react';
import type { Scenario } from '../api/client.js';
import type { ConversationInfo } from '../session/state.js';
import { CalendarIcon, ChatIcon, ChevronDownIcon, EyeIcon, EyeOffIcon, FlagIcon, MaskIcon } from './icons.js';

interface ConversationBarProps {
  conversation: ConversationInfo;
  /** The scene, from the library (richer than what the reset event says). */
  scenario: Scenario | null;
  hideText: boolean;
  onHideText(hide: boolean): void;
  /** Offer End session (not without the tutor API: there would be no report). */
  showEnd: boolean;
  canEnd: boolean;
  ending: boolean;
  onEnd(): void;
  /** A useful phrase was chosen: put it in the message box. */
  onPhrase(phrase: string): void;
}

export function ConversationBar({ conversation, scenario, hideText, onHideText, showEnd, canEnd, ending, onEnd, onPhrase }: ConversationBarProps) {
  const [phrasesOpen, setPhrasesOpen] = useState(false);
  const phrasesId = useId();
  const title = scenario?.title ?? conversation.scenario?.title ?? null;
  const goal = scenario?.learnerGoal ?? conversation.scenario?.learner_goal ?? null;
  const phrases = scenario?.usefulPhrases ?? conversation.scenario?.useful_phrases ?? [];
  const isScene = title !== null;

  return (
    <section className={`conversation-bar${isScene ? ' conversation-bar--scene' : ''}`} aria-label="This conversation">
      <div className="conversation-bar__card">
      <div className="conversation-bar__row">
        <div className="conversation-bar__what">
          {isScene ? (
            <MaskIcon width="18" height="18" className="conversation-bar__icon" />
          ) : conversation.topic ? (
            <CalendarIcon width="18" height="18" className="conversation-bar__icon" />
          ) : (
            <ChatIcon width="18" height="18" className="conversation-bar__icon" />
          )}
          <span className="conversation-bar__title">
            {isScene ? (
              <>
                <span className="conversation-bar__kind">Role-play</span> {title}
              </>
            ) : conversation.topic ? (
              <>
                <span className="conversation-bar__kind">Topic</span> {conversation.topic.title}
              </>
            ) : (
              conversation.title ?? 'Free conversation'
            )}
          </span>
        </div>
        <div className="conversation-bar__actions">
          <button
            type="button"
            className={`chip-button${hideText ? ' chip-button--on' : ''}`}
            onClick={() => onHideText(!hideText)}
            aria-pressed={hideText}
            aria-label="Hide text"
            title={hideText ? "Listening practice is on: press to show the tutor's text again" : "Listening practice: hide the tutor's text until you reveal it"}
          >
            {hideText ? <EyeOffIcon width="16" height="16" /> : <EyeIcon width="16" height="16" />}
            <span className="chip-button__label">Hide text</span>
          </button>
          {showEnd ? (
            <button type="button" className="chip-button chip-button--end" onClick={onEnd} disabled={!canEnd || ending}>
              {ending ? <span className="spinner spinner--small" aria-hidden="true" /> : <FlagIcon width="16" height="16" />}
              <span>{isScene ? 'End scene' : 'End session'}</span>
            </button>
          ) : null}
        </div>
      </div>
      {isScene && (goal || phrases.length > 0) ? (
        <div className="conversation-bar__scene">
          {goal ? (
            <p className="conversation-bar__goal">
              <strong>Goal:</strong> {goal}
            </p>
          ) : null}
          {phrases.length > 0 ? (
            <>
              <button type="button" className="link-button conversation-bar__toggle" aria-expanded={phrasesOpen} aria-controls={phrasesId} onClick={() => setPhrasesOpen((open) => !open)}>
                Useful phrases
                <ChevronDownIcon width="16" height="16" className={phrasesOpen ? 'rotate' : undefined} />
              </button>
              <ul id={phrasesId} className="phrases" hidden={!phrasesOpen} aria-label="Useful phrases (choose one to put it in the message box)">
                {phrases.map((phrase) => (
                  <li key={phrase}>
                    <button type="button" className="phrase" onClick={() => onPhrase(phrase)}>
                      {phrase}
                    </button>
                  </li>
                ))}
              </ul>
            </>
          ) : null}
        </div>
      ) : null}
      </div>
    </section>
  );
}
