/**
 * One transcript entry: a learner bubble (typed, or spoken: "what I heard", transcribing, or why
 * it could not be understood), a tutor bubble (streaming text, replay button, "stopped",
 * "interrupted" or the failure message, timings), or a centred note. Text is rendered as React
 * text nodes only: model and transcription output is never interpreted as HTML.
 */
import { memo } from 'react';
import { formatMs } from '../format.js';
import type { ChatMessage } from '../session/state.js';
import { MicIcon, SpeakerIcon, StopIcon, WarningIcon } from './icons.js';

interface MessageBubbleProps {
  message: ChatMessage;
  /** This message's audio is the one playing (or about to). */
  playing: boolean;
  onToggleReplay(id: string): void;
}

export const MessageBubble = memo(function MessageBubble({ message, playing, onToggleReplay }: MessageBubbleProps) {
  if (message.role === 'note') {
    return (
      <li className="note">
        <span>{message.text}</span>
      </li>
    );
  }
  if (message.role === 'user' && message.spoken) return <SpokenBubble message={message} />;
  if (message.role === 'user') {
    return (
      <li className={`message message--user${message.status === 'failed' ? ' message--failed' : ''}`}>
        <span className="visually-hidden">You said: </span>
        <div className="bubble">{message.text}</div>
        {message.status === 'failed' && message.error ? (
          <div className="message__meta message__meta--error">
            <WarningIcon width="14" height="14" />
            {message.error}
          </div>
        ) : null}
      </li>
    );
  }

  const streaming = message.status === 'streaming';
  const empty = message.text.length === 0;
  return (
    <li className={`message message--tutor message--${message.status}${message.interrupted ? ' message--interrupted' : ''}`} aria-busy={streaming}>
      <span className="visually-hidden">Tutor: </span>
      {!(empty && message.status === 'failed') && (
        <div className="bubble">
          {empty && streaming ? (
            <span className="typing" aria-label="The tutor is thinking">
              <span />
              <span />
              <span />
            </span>
          ) : (
            message.text
          )}
          {streaming && !empty ? <span className="caret" aria-hidden="true" /> : null}
        </div>
      )}
      <div className="message__meta">
        {message.hasAudio && !streaming ? (
          <button
            type="button"
            className={`replay${playing ? ' replay--playing' : ''}`}
            onClick={() => onToggleReplay(message.id)}
            aria-pressed={playing}
          >
            {playing ? <StopIcon width="16" height="16" /> : <SpeakerIcon width="16" height="16" />}
            <span>{playing ? 'Stop' : 'Replay'}</span>
          </button>
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
    </li>
  );
});

/** A spoken turn: the transcript ("what I heard"), a placeholder while it is recognised, or why it failed. */
function SpokenBubble({ message }: { message: ChatMessage }) {
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
          message.text
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
    </li>
  );
}

function formatDuration(ms: number): string {
  const seconds = ms / 1000;
  return seconds < 10 ? `${seconds.toFixed(1)} s` : `${Math.round(seconds)} s`;
}
