/**
 * One transcript entry: a learner bubble (typed, or spoken: "what I heard", transcribing, or why
 * it could not be understood), a tutor bubble (streaming text, replay button, "stopped",
 * "interrupted" or the failure message, timings), or a centred note. Text is rendered as React
 * text nodes only: model and transcription output is never interpreted as HTML.
 */
import { memo, useId, useMemo, useState } from 'react';
import { splitSentences } from '../audio/listening.js';
import { formatMs } from '../format.js';
import type { ChatMessage } from '../session/state.js';
import { SLOW_SPEED, sentenceSource, slowSource } from '../session/use-session.js';
import { CorrectionCard } from './correction-card.js';
import { EyeIcon, MicIcon, PlayIcon, SentencesIcon, SlowIcon, SpeakerIcon, StopIcon, WarningIcon } from './icons.js';
import { WordText, type WordLookup } from './word-text.js';

/** What the transcript lets the learner do with a message. */
export interface MessageActions {
  onToggleReplay(id: string): void;
  onToggleSlow(id: string): void;
  onToggleSentence(id: string, index: number): void;
  /** Null: no vocabulary look-up (no tutor API). */
  onLookup: ((lookup: WordLookup) => void) | null;
}

interface MessageBubbleProps {
  message: ChatMessage;
  /** The player's source when it belongs to this message (the reply, slower, or a sentence), else null. */
  playing: string | null;
  actions: MessageActions;
  /** Listening practice: the tutor's text stays hidden until revealed. */
  hideText: boolean;
}

export const MessageBubble = memo(function MessageBubble({ message, playing, actions, hideText }: MessageBubbleProps) {
  const { onLookup } = actions;
  if (message.role === 'note') {
    return (
      <li className="note">
        <span>{message.text}</span>
      </li>
    );
  }
  if (message.role === 'user' && message.spoken) return <SpokenBubble message={message} onLookup={onLookup} />;
  if (message.role === 'user') {
    return (
      <li className={`message message--user${message.status === 'failed' ? ' message--failed' : ''}`}>
        <span className="visually-hidden">You said: </span>
        <div className="bubble">
          <WordText text={message.text} messageId={message.id} onLookup={message.status === 'failed' ? null : onLookup} />
        </div>
        {message.status === 'failed' && message.error ? (
          <div className="message__meta message__meta--error">
            <WarningIcon width="14" height="14" />
            {message.error}
          </div>
        ) : null}
        {message.correction ? <CorrectionCard correction={message.correction} /> : null}
      </li>
    );
  }
  return <TutorBubble message={message} playing={playing} actions={actions} hideText={hideText} />;
});

function TutorBubble({ message, playing, actions, hideText }: MessageBubbleProps) {
  const { onToggleReplay, onLookup } = actions;
  const [revealed, setRevealed] = useState(false);
  const [sentencesOpen, setSentencesOpen] = useState(false);
  const sentencesId = useId();
  const sentences = useMemo(() => (sentencesOpen ? splitSentences(message.text) : []), [sentencesOpen, message.text]);
  const hidden = hideText && !revealed && message.text.length > 0;
  const replaying = playing === message.id;
  const slow = playing === slowSource(message.id);

  const streaming = message.status === 'streaming';
  const empty = message.text.length === 0;
  const canListen = message.hasAudio && !streaming;
  return (
    <li className={`message message--tutor message--${message.status}${message.interrupted ? ' message--interrupted' : ''}`} aria-busy={streaming}>
      <span className="visually-hidden">Tutor: </span>
      {!(empty && message.status === 'failed') && (
        <div className={`bubble${hidden ? ' bubble--hidden' : ''}`}>
          {empty && streaming ? (
            <span className="typing" aria-label="The tutor is thinking">
              <span />
              <span />
              <span />
            </span>
          ) : hidden ? (
            <>
              <span className="bubble__veil" aria-hidden="true">
                {message.text}
              </span>
              <button type="button" className="reveal" onClick={() => setRevealed(true)}>
                <EyeIcon width="16" height="16" />
                Show text
              </button>
            </>
          ) : (
            <WordText text={message.text} messageId={message.id} onLookup={streaming ? null : onLookup} />
          )}
          {streaming && !empty && !hidden ? <span className="caret" aria-hidden="true" /> : null}
        </div>
      )}
      <div className="message__meta">
        {canListen ? (
          <span className="listen" role="group" aria-label="Listen again">
            <button type="button" className={`replay${replaying ? ' replay--playing' : ''}`} onClick={() => onToggleReplay(message.id)} aria-pressed={replaying}>
              {replaying ? <StopIcon width="16" height="16" /> : <SpeakerIcon width="16" height="16" />}
              <span>{replaying ? 'Stop' : 'Replay'}</span>
            </button>
            <button
              type="button"
              className={`replay${slow ? ' replay--playing' : ''}`}
              onClick={() => actions.onToggleSlow(message.id)}
              aria-pressed={slow}
              title={`Replay at ${SLOW_SPEED}× speed, same pitch`}
            >
              {slow ? <StopIcon width="16" height="16" /> : <SlowIcon width="16" height="16" />}
              <span>{slow ? 'Stop' : 'Slower'}</span>
            </button>
            <button
              type="button"
              className={`replay${sentencesOpen ? ' replay--open' : ''}`}
              onClick={() => setSentencesOpen((open) => !open)}
              aria-expanded={sentencesOpen}
              aria-controls={sentencesId}
              title="Replay one sentence at a time"
            >
              <SentencesIcon width="16" height="16" />
              <span>Sentences</span>
            </button>
          </span>
        ) : null}
        {message.interrupted ? (
          <span className="tag tag--interrupted" title="You spoke over the tutor: it remembers only the part you heard.">
            Interrupted
          </span>
        ) : message.status === 'cancelled' ? (
          <span className="tag">Stopped</span>
        ) : null}
        {message.status === 'failed' ? (
          <span className="message__error">
            <WarningIcon width="14" height="14" />
            {message.error ?? 'The reply failed.'}
          </span>
        ) : null}
        {message.status === 'completed' && message.ttfaMs != null ? (
          <span className="metric" title={message.ttftMs != null ? `First word ${formatMs(message.ttftMs)} · first sound ${formatMs(message.ttfaMs)}` : undefined}>
            voice in {formatMs(message.ttfaMs)}
          </span>
        ) : null}
      </div>
      {canListen && sentencesOpen ? (
        <ol className="sentences" id={sentencesId} aria-label="Sentences of this reply">
          {sentences.map((sentence, index) => {
            const on = playing === sentenceSource(message.id, index);
            return (
              <li key={index}>
                <button type="button" className={`sentence${on ? ' sentence--playing' : ''}`} onClick={() => actions.onToggleSentence(message.id, index)} aria-pressed={on}>
                  <span className="sentence__icon">{on ? <StopIcon width="14" height="14" /> : <PlayIcon width="14" height="14" />}</span>
                  <span className="sentence__text">{hidden ? `Sentence ${index + 1}` : sentence.text}</span>
                </button>
              </li>
            );
          })}
        </ol>
      ) : null}
    </li>
  );
}

/** A spoken turn: the transcript ("what I heard"), a placeholder while it is recognised, or why it failed. */
function SpokenBubble({ message, onLookup }: { message: ChatMessage; onLookup: MessageActions['onLookup'] }) {
  const pending = message.transcription === 'pending';
  const failed = message.transcription === 'failed' || message.status === 'failed';
  const duration = message.durationMs !== undefined ? ` · ${formatDuration(message.durationMs)}` : '';
  return (
    <li className={`message message--user message--spoken${failed ? ' message--failed' : ''}${pending ? ' message--transcribing' : ''}`} aria-busy={pending}>
      <span className="visually-hidden">You said: </span>
      <div className="bubble">
        {pending && !message.text ? (
          <span className="transcribing" aria-label="Recognising what you said">
            <span />
            <span />
            <span />
            <span />
            <span />
          </span>
        ) : failed && !message.text ? (
          <span className="bubble__placeholder">Not understood</span>
        ) : message.text ? (
          <WordText text={message.text} messageId={message.id} onLookup={pending || failed ? null : onLookup} />
        ) : (
          <span className="bubble__placeholder">(no words recognised)</span>
        )}
      </div>
      <div className="message__meta message__meta--heard">
        <MicIcon width="13" height="13" />
        <span>
          {pending ? 'Recognising…' : failed ? 'Spoken' : 'What I heard'}
          {duration}
        </span>
      </div>
      {failed && message.error ? (
        <div className="message__meta message__meta--error" role="alert">
          <WarningIcon width="14" height="14" />
          {message.error}
        </div>
      ) : null}
      {message.correction ? <CorrectionCard correction={message.correction} /> : null}
    </li>
  );
}

function formatDuration(ms: number): string {
  const seconds = ms / 1000;
  return seconds < 10 ? `${seconds.toFixed(1)} s` : `${Math.round(seconds)} s`;
}
