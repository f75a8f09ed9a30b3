/**
 * A message's text with every word clickable (vocabulary look-up). Words are plain spans, so the
 * text reads as one sentence to a screen reader and copies as it is. Keyboard: the text is one
 * tab stop; Enter (or an arrow key) steps into its words, arrows move, Enter looks the word up,
 * Escape steps back out.
 */
import { memo, useMemo, useRef, type KeyboardEvent, type MouseEvent } from 'react';
import { splitSentences } from '../audio/listening.js';

/** A word the learner chose, with the sentence it is in and where it is on screen. */
export interface WordLookup {
  word: string;
  sentence: string;
  anchor: HTMLElement;
  /** The message it came from. */
  messageId: string;
}

/** Id of the one hidden hint the clickable texts point to (rendered by the transcript). */
export const WORD_HINT_ID = 'word-lookup-hint';

const WORD = /[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu;

interface Token {
  text: string;
  word: boolean;
  start: number;
}

/** Words and what lies between them. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let last = 0;
  for (const match of text.matchAll(WORD)) {
    if (match.index > last) tokens.push({ text: text.slice(last, match.index), word: false, start: last });
    tokens.push({ text: match[0], word: true, start: match.index });
    last = match.index + match[0].length;
  }
  if (last < text.length) tokens.push({ text: text.slice(last), word: false, start: last });
  return tokens;
}

interface WordTextProps {
  text: string;
  messageId: string;
  /** Null: words are not clickable (no tutor API). */
  onLookup: ((lookup: WordLookup) => void) | null;
}

export const WordText = memo(function WordText({ text, messageId, onLookup }: WordTextProps) {
  const tokens = useMemo(() => tokenize(text), [text]);
  const container = useRef<HTMLSpanElement>(null);
  if (!onLookup) return <>{text}</>;

  const lookup = (span: HTMLElement): void => {
    const start = Number(span.dataset.start);
    const sentence = splitSentences(text).find((candidate) => candidate.start <= start && start < candidate.end)?.text ?? text;
    onLookup({ word: span.textContent ?? '', sentence, anchor: span, messageId });
  };

  const onClick = (event: MouseEvent<HTMLSpanElement>): void => {
    // A selection being made is not a click on a word.
    if (window.getSelection()?.toString()) return;
    const span = (event.target as HTMLElement).closest<HTMLElement>('.word');
    if (span && container.current?.contains(span)) lookup(span);
  };

  const words = (): HTMLElement[] => [...(container.current?.querySelectorAll<HTMLElement>('.word') ?? [])];
  const onKeyDown = (event: KeyboardEvent<HTMLSpanElement>): void => {
    const list = words();
    const active = document.activeElement as HTMLElement | null;
    const index = active ? list.indexOf(active) : -1;
    const move = (to: number): void => {
      event.preventDefault();
      list[Math.max(0, Math.min(list.length - 1, to))]?.focus();
    };
    if (index < 0) {
      if (event.target === container.current && (event.key === 'Enter' || event.key === 'ArrowRight' || event.key === 'ArrowDown')) move(0);
      return;
    }
    if (event.key === 'ArrowRight' || event.key === 'ArrowDown') move(index + 1);
    else if (event.key === 'ArrowLeft' || event.key === 'ArrowUp') move(index - 1);
    else if (event.key === 'Home') move(0);
    else if (event.key === 'End') move(list.length - 1);
    else if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      if (active) lookup(active);
    } else if (event.key === 'Escape') {
      event.preventDefault();
      container.current?.focus();
    }
  };

  return (
    <span
      ref={container}
      className="word-text"
      tabIndex={0}
      onClick={onClick}
      onKeyDown={onKeyDown}
      aria-describedby={WORD_HINT_ID}
    >
      {tokens.map((token, index) =>
        token.word ? (
          <span key={index} className="word" data-start={token.start} tabIndex={-1}>
            {token.text}
          </span>
        ) : (
          token.text
        ),
      )}
    </span>
  );
});
