/**
 * One transcript entry: a learner bubble, a tutor bubble (streaming text, replay button,
 * "stopped" or the failure message, timings), or a centred note. Text is rendered as React text
 * nodes only: model output is never interpreted as HTML.
 */
import { memo } from 'react';
import { formatMs } from '../format.js';
import type { ChatMessage } from '../session/state.js';
import { SpeakerIcon, StopIcon, WarningIcon } from './icons.js';

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
    <li className={`message message--tutor message--${message.status}`} aria-busy={streaming}>
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
        {message.status === 'cancelled' ? <span className="tag">Stopped</span> : null}
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
