/**
 * The conversation, newest at the bottom. It follows new text while the reader is at the bottom
 * and leaves them alone when they scroll up. `role="log"` announces new messages politely; a
 * streaming reply is `aria-busy` so screen readers read it once complete, not word by word.
 */
import { useEffect, useLayoutEffect, useRef } from 'react';
import type { ChatMessage } from '../session/state.js';
import { MessageBubble, type MessageActions } from './message-bubble.js';
import { WORD_HINT_ID } from './word-text.js';

interface TranscriptProps {
  messages: ChatMessage[];
  /** The player's source: a message id, or one of its listening aids (`id@slow`, `id#2`). */
  playingId: string | null;
  actions: MessageActions;
  hideText: boolean;
}

/** Distance from the bottom (px) within which the view keeps following new text. */
const FOLLOW_THRESHOLD_PX = 80;

/** The message a player source belongs to. */
function messageOf(source: string | null): string | null {
  if (!source) return null;
  const cut = source.search(/[@#]/);
  return cut < 0 ? source : source.slice(0, cut);
}

export function Transcript({ messages, playingId, actions, hideText }: TranscriptProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const following = useRef(true);

  useEffect(() => {
    const element = scroller.current;
    if (!element) return;
    const onScroll = (): void => {
      following.current = element.scrollHeight - element.scrollTop - element.clientHeight < FOLLOW_THRESHOLD_PX;
    };
    element.addEventListener('scroll', onScroll, { passive: true });
    return () => element.removeEventListener('scroll', onScroll);
  }, []);

  const last = messages[messages.length - 1];
  const lastUserMessage = last?.role === 'user' ? last.id : null;
  // A message of the learner's own always brings the view back down.
  useEffect(() => {
    if (lastUserMessage) following.current = true;
  }, [lastUserMessage]);

  useLayoutEffect(() => {
    const element = scroller.current;
    if (element && following.current) element.scrollTop = element.scrollHeight;
  });

  const playingMessage = messageOf(playingId);
  return (
    <div className="transcript" ref={scroller}>
      {actions.onLookup ? (
        <p id={WORD_HINT_ID} className="visually-hidden">
          Click any word to look it up. With the keyboard: Enter, then the arrow keys, then Enter.
        </p>
      ) : null}
      <ol className="transcript__list" role="log" aria-live="polite" aria-relevant="additions text" aria-label="Conversation">
        {messages.map((message) => (
          <MessageBubble
            key={message.id}
            message={message}
            playing={playingMessage === message.id ? playingId : null}
            actions={actions}
            hideText={hideText}
          />
        ))}
      </ol>
    </div>
  );
}
