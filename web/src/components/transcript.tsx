/**
 * The conversation, newest at the bottom. It follows new text while the reader is at the bottom
 * and leaves them alone when they scroll up. `role="log"` announces new messages politely; a
 * streaming reply is `aria-busy` so screen readers read it once complete, not word by word.
 */
import { useEffect, useLayoutEffect, useRef } from 'react';
import type { ChatMessage } from '../session/state.js';
import { MessageBubble } from './message-bubble.js';

interface TranscriptProps {
  messages: ChatMessage[];
  playingId: string | null;
  onToggleReplay(id: string): void;
}

/** Distance from the bottom (px) within which the view keeps following new text. */
const FOLLOW_THRESHOLD_PX = 80;

export function Transcript({ messages, playingId, onToggleReplay }: TranscriptProps) {
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

  return (
    <div className="transcript" ref={scroller}>
      <ol className="transcript__list" role="log" aria-live="polite" aria-relevant="additions text" aria-label="Conversation">
        {messages.map((message) => (
          <MessageBubble key={message.id} message={message} playing={playingId === message.id} onToggleReplay={onToggleReplay} />
        ))}
      </ol>
    </div>
  );
}
