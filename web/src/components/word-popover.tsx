/**
 * The word look-up: a small card by the word (a bottom sheet on phones). It asks the tutor for the
 * meaning in simple English (and in the learner's language, when the profile names one) with an
 * example, and saves the word to the vocabulary. The model can take a few seconds, or fail: a
 * spinner, then the answer or a message with Try again (and Save without a meaning).
 */
import { useCallback, useEffect, useLayoutEffect, useRef, useState, type CSSProperties } from 'react';
import { api, errorText, type WordExplanation } from '../api/client.js';
import { CheckIcon, CloseIcon, RefreshIcon, WarningIcon } from './icons.js';
import type { WordLookup } from './word-text.js';

interface WordPopoverProps {
  lookup: WordLookup;
  conversationId: string | null;
  onClose(): void;
  /** A word was saved (the vocabulary page reloads). */
  onSaved(word: string): void;
}

type Explain = { status: 'loading' } | { status: 'ready'; explanation: WordExplanation } | { status: 'failed'; message: string };
type Save = { status: 'idle' } | { status: 'saving' } | { status: 'saved' } | { status: 'failed'; message: string };

const WIDTH = 320;
const PHONE = 640;

export function WordPopover({ lookup, conversationId, onClose, onSaved }: WordPopoverProps) {
  const [explain, setExplain] = useState<Explain>({ status: 'loading' });
  const [save, setSave] = useState<Save>({ status: 'idle' });
  const [attempt, setAttempt] = useState(0);
  const [position, setPosition] = useState<CSSProperties | undefined>(undefined);
  const card = useRef<HTMLDivElement>(null);
  const word = lookup.word;

  useEffect(() => {
    const controller = new AbortController();
    setExplain({ status: 'loading' });
    api.explain(word, lookup.sentence, controller.signal).then(
      (explanation) => setExplain({ status: 'ready', explanation }),
      (error: unknown) => {
        if (!controller.signal.aborted) setExplain({ status: 'failed', message: errorText(error) });
      },
    );
    return () => controller.abort();
  }, [word, lookup.sentence, attempt]);

  // Next to the word: below it, or above when there is no room; phones use a bottom sheet (CSS).
  useLayoutEffect(() => {
    const place = (): void => {
      if (window.innerWidth < PHONE) {
        setPosition(undefined);
        return;
      }
      const rect = lookup.anchor.getBoundingClientRect();
      const height = card.current?.offsetHeight ?? 200;
      const left = Math.max(8, Math.min(window.innerWidth - WIDTH - 8, rect.left + rect.width / 2 - WIDTH / 2));
      const below = rect.bottom + 8;
      const top = below + height > window.innerHeight - 8 ? Math.max(8, rect.top - height - 8) : below;
      setPosition({ left: `${left}px`, top: `${top}px` });
    };
    place();
    window.addEventListener('resize', place);
    return () => window.removeEventListener('resize', place);
  }, [lookup.anchor, explain.status]);

  // Focus moves in; Escape or a click elsewhere closes, and focus goes back to the word.
  useEffect(() => {
    card.current?.focus();
    const anchor = lookup.anchor;
    const onKey = (event: KeyboardEvent): void => {
      if (event.key === 'Escape') {
        event.preventDefault();
        onClose();
        if (document.contains(anchor)) anchor.focus();
      }
    };
    const onPointer = (event: PointerEvent): void => {
      const target = event.target as Node;
      if (!card.current?.contains(target) && !anchor.contains(target)) onClose();
    };
    document.addEventListener('keydown', onKey);
    document.addEventListener('pointerdown', onPointer, true);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('pointerdown', onPointer, true);
    };
  }, [lookup.anchor, onClose]);

  const saveWord = useCallback(async () => {
    setSave({ status: 'saving' });
    const explanation = explain.status === 'ready' ? explain.explanation : null;
    try {
      await api.saveWord({
        word,
        meaning: explanation?.meaning,
        meaningNative: explanation?.meaningNative ?? null,
        example: explanation?.example ?? null,
        conversationId,
        turnId: lookup.messageId,
      });
      setSave({ status: 'saved' });
      onSaved(word);
    } catch (error) {
      setSave({ status: 'failed', message: errorText(error) });
    }
  }, [explain, word, conversationId, lookup.messageId, onSaved]);

  return (
    <>
      <div className="popover-backdrop" aria-hidden="true" />
      <div ref={card} className="word-popover" role="dialog" aria-label={`The word “${word}”`} tabIndex={-1} style={position}>
        <div className="word-popover__head">
          <h2 className="word-popover__word">{word}</h2>
          <button type="button" className="icon-button icon-button--small" onClick={onClose} aria-label="Close">
            <CloseIcon width="18" height="18" />
          </button>
        </div>
        <div className="word-popover__body" aria-live="polite" aria-busy={explain.status === 'loading'}>
          {explain.status === 'loading' ? (
            <p className="word-popover__loading">
              <span className="spinner" aria-hidden="true" />
              Looking it up…
            </p>
          ) : explain.status === 'failed' ? (
            <div className="word-popover__error" role="alert">
              <WarningIcon width="16" height="16" />
              <span>{explain.message}</span>
            </div>
          ) : (
            <dl className="word-popover__meaning">
              <dt className="visually-hidden">Meaning</dt>
              <dd className="word-popover__english">{explain.explanation.meaning}</dd>
              {explain.explanation.meaningNative ? (
                <>
                  <dt className="visually-hidden">In your language</dt>
                  <dd className="word-popover__native">{explain.explanation.meaningNative}</dd>
                </>
              ) : null}
              <dt className="word-popover__label">Example</dt>
              <dd className="word-popover__example">{explain.explanation.example}</dd>
            </dl>
          )}
        </div>
        <div className="word-popover__actions">
          {explain.status === 'failed' ? (
            <button type="button" className="button button--secondary button--small" onClick={() => setAttempt((value) => value + 1)}>
              <RefreshIcon width="16" height="16" />
              Try again
            </button>
          ) : null}
          {save.status === 'saved' ? (
            <span className="word-popover__saved" role="status">
              <CheckIcon width="16" height="16" />
              Saved to your vocabulary
            </span>
          ) : (
            <button
              type="button"
              className={`button button--small ${explain.status === 'failed' ? 'button--secondary' : 'button--primary'}`}
              onClick={() => void saveWord()}
              disabled={explain.status === 'loading' || save.status === 'saving'}
            >
              {save.status === 'saving' ? <span className="spinner spinner--small spinner--on-accent" aria-hidden="true" /> : null}
              {explain.status === 'failed' ? 'Save without meaning' : 'Save word'}
            </button>
          )}
        </div>
        {save.status === 'failed' ? (
          <p className="word-popover__save-error" role="alert">
            {save.message}
          </p>
        ) : null}
      </div>
    </>
  );
}
