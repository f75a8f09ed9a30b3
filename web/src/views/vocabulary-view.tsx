/**
 * The vocabulary page: the saved words (search, delete), a review of the words due today (show the
 * word, recall its meaning, reveal, grade Again / Hard / Good / Easy: spaced repetition on the
 * server, SM-2), and the whole list as a CSV file that Anki imports.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, downloads, errorText, isStoreDown, type VocabularyEntry } from '../api/client.js';
import { ConfirmDialog } from '../components/dialog.js';
import { BookIcon, CheckIcon, DownloadIcon, RefreshIcon, SearchIcon, TrashIcon, WarningIcon } from '../components/icons.js';

interface VocabularyViewProps {
  /** Bumped when a word is saved elsewhere (the chat's word look-up). */
  version: number;
  toast(message: string, level?: 'info' | 'error'): void;
}

type Load = { status: 'loading' } | { status: 'ready'; words: VocabularyEntry[] } | { status: 'failed'; message: string; storeDown: boolean };

export function VocabularyView({ version, toast }: VocabularyViewProps) {
  const [search, setSearch] = useState('');
  const [load, setLoad] = useState<Load>({ status: 'loading' });
  const [due, setDue] = useState<VocabularyEntry[] | null>(null);
  const [reviewing, setReviewing] = useState(false);
  const [deleting, setDeleting] = useState<VocabularyEntry | null>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    const timer = setTimeout(() => {
      api.vocabulary(search.trim() || undefined, controller.signal).then(
        ({ data }) => setLoad({ status: 'ready', words: data }),
        (error: unknown) => {
          if (!controller.signal.aborted) setLoad({ status: 'failed', message: errorText(error), storeDown: isStoreDown(error) });
        },
      );
      api.dueWords(controller.signal).then(({ data }) => setDue(data), () => undefined);
    }, search ? 200 : 0);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [search, version, attempt, reviewing]);

  const remove = useCallback(async () => {
    if (!deleting) return;
    try {
      await api.deleteWord(deleting.id);
      setLoad((previous) => (previous.status === 'ready' ? { status: 'ready', words: previous.words.filter((word) => word.id !== deleting.id) } : previous));
      setDue((previous) => previous?.filter((word) => word.id !== deleting.id) ?? null);
      toast(`“${deleting.word}” was deleted.`);
    } catch (error) {
      toast(errorText(error), 'error');
    } finally {
      setDeleting(null);
    }
  }, [deleting, toast]);

  if (reviewing && due) return <Review words={due} onDone={() => setReviewing(false)} toast={toast} />;

  const words = load.status === 'ready' ? load.words : [];
  const dueCount = due?.length ?? 0;
  const empty = load.status === 'ready' && words.length === 0 && !search.trim();

  return (
    <div className="page">
      <div className="page__inner">
        <header className="page__header">
          <div>
            <h2 className="page__title">Vocabulary</h2>
            <p className="page__lead">Words you saved from your conversations. Click any word in a message to add it.</p>
          </div>
          <div className="page__actions">
            {dueCount > 0 ? (
              <button type="button" className="button button--primary" onClick={() => setReviewing(true)}>
                <BookIcon width="18" height="18" />
                Review {dueCount} {dueCount === 1 ? 'word' : 'words'}
              </button>
            ) : words.length > 0 ? (
              <span className="page__note">
                <CheckIcon width="18" height="18" />
                Nothing to review today
              </span>
            ) : null}
            <a className="button button--secondary" href={downloads.vocabularyCsv} download aria-disabled={empty || undefined}>
              <DownloadIcon width="18" height="18" />
              Export for Anki (CSV)
            </a>
          </div>
        </header>

        {load.status === 'failed' ? (
          <div className="banner banner--error page__banner" role="alert">
            <WarningIcon className="banner__icon" />
            <p className="banner__text">{load.message}</p>
            <button type="button" className="button button--secondary button--small" onClick={() => setAttempt((value) => value + 1)}>
              <RefreshIcon width="16" height="16" />
              Try again
            </button>
          </div>
        ) : null}

        {empty ? (
          <div className="empty-state">
            <BookIcon width="40" height="40" className="empty-state__icon" />
            <h3>No words yet</h3>
            <p>In the chat, click a word you do not know: you will see what it means, and can save it here to review later.</p>
          </div>
        ) : load.status !== 'failed' ? (
          <>
            <div className="search-box search-box--page">
              <SearchIcon width="16" height="16" className="search-box__icon" />
              <label htmlFor="vocabulary-search" className="visually-hidden">
                Search your words
              </label>
              <input id="vocabulary-search" type="search" placeholder="Search your words" value={search} onChange={(event) => setSearch(event.target.value)} autoComplete="off" />
            </div>
            {load.status === 'loading' ? (
              <p className="empty-note" role="status">
                Loading…
              </p>
            ) : words.length === 0 ? (
              <p className="empty-note" role="status">
                No saved word matches “{search.trim()}”.
              </p>
            ) : (
              <ul className="word-list" aria-label="Saved words">
                {words.map((word) => (
                  <li key={word.id} className="word-card">
                    <div className="word-card__main">
                      <h3 className="word-card__word">{word.word}</h3>
                      {word.meaning ? <p className="word-card__meaning">{word.meaning}</p> : <p className="word-card__meaning word-card__meaning--none">No meaning saved</p>}
                      {word.meaningNative ? <p className="word-card__native">{word.meaningNative}</p> : null}
                      {word.example ? <p className="word-card__example">“{word.example}”</p> : null}
                    </div>
                    <div className="word-card__side">
                      <span className="word-card__due">{dueLabel(word)}</span>
                      <button type="button" className="icon-button icon-button--small" onClick={() => setDeleting(word)} aria-label={`Delete “${word.word}”`} title="Delete">
                        <TrashIcon width="18" height="18" />
                      </button>
                    </div>
                  </li>
                ))}
              </ul>
            )}
          </>
        ) : null}
      </div>
      {deleting ? (
        <ConfirmDialog
          title={`Delete “${deleting.word}”?`}
          message="The word and its review history are removed from your vocabulary."
          confirmLabel="Delete"
          danger
          onConfirm={() => void remove()}
          onCancel={() => setDeleting(null)}
        />
      ) : null}
    </div>
  );
}

function dueLabel(word: VocabularyEntry): string {
  if (word.reviews === 0) return 'New';
  if (word.dueAt <= Date.now()) return 'Due now';
  const days = Math.ceil((word.dueAt - Date.now()) / 86_400_000);
  return days <= 1 ? 'Due tomorrow' : `Due in ${days} days`;
}

const grades = [
  { grade: 1, label: 'Again', hint: 'I forgot', key: '1' },
  { grade: 3, label: 'Hard', hint: 'With effort', key: '2' },
  { grade: 4, label: 'Good', hint: 'I knew it', key: '3' },
  { grade: 5, label: 'Easy', hint: 'Too easy', key: '4' },
] as const;

/** One word at a time: recall, reveal, grade. */
function Review({ words, onDone, toast }: { words: VocabularyEntry[]; onDone(): void; toast: VocabularyViewProps['toast'] }) {
  const [queue, setQueue] = useState(words);
  const [revealed, setRevealed] = useState(false);
  const [done, setDone] = useState(0);
  const [busy, setBusy] = useState(false);
  const revealButton = useRef<HTMLButtonElement>(null);
  const firstGrade = useRef<HTMLButtonElement>(null);
  const current = queue[0];

  useEffect(() => {
    if (revealed) firstGrade.current?.focus();
    else revealButton.current?.focus();
  }, [revealed, current?.id]);

  const grade = useCallback(
    async (value: number) => {
      if (!current || busy) return;
      setBusy(true);
      try {
        await api.reviewWord(current.id, value);
        setDone((count) => count + 1);
        // "Again": the word comes back at the end of this review.
        setQueue((previous) => (value < 3 ? [...previous.slice(1), previous[0]!] : previous.slice(1)));
        setRevealed(false);
      } catch (error) {
        toast(errorText(error), 'error');
      } finally {
        setBusy(false);
      }
    },
    [current, busy, toast],
  );

  useEffect(() => {
    const onKey = (event: KeyboardEvent): void => {
      if (event.target instanceof HTMLInputElement || event.ctrlKey || event.metaKey || event.altKey) return;
      if (!revealed && (event.key === ' ' || event.key === 'Enter') && event.target === document.body) {
        event.preventDefault();
        setRevealed(true);
      } else if (revealed) {
        const match = grades.find((entry) => entry.key === event.key);
        if (match) {
          event.preventDefault();
          void grade(match.grade);
        }
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [revealed, grade]);

  return (
    <div className="page">
      <div className="page__inner page__inner--narrow">
        <header className="page__header">
          <div>
            <h2 className="page__title">Review</h2>
            <p className="page__lead" role="status">
              {current ? `${queue.length} to go · ${done} done` : `${done} reviewed`}
            </p>
          </div>
          <div className="page__actions">
            <button type="button" className="button button--secondary" onClick={onDone}>
              {current ? 'Stop reviewing' : 'Back to the list'}
            </button>
          </div>
        </header>
        {current ? (
          <div className="flashcard" aria-live="polite">
            <p className="flashcard__prompt">What does this mean?</p>
            <p className="flashcard__word">{current.word}</p>
            {revealed ? (
              <div className="flashcard__answer">
                <p className="flashcard__meaning">{current.meaning || 'No meaning saved.'}</p>
                {current.meaningNative ? <p className="flashcard__native">{current.meaningNative}</p> : null}
                {current.example ? <p className="flashcard__example">“{current.example}”</p> : null}
              </div>
            ) : (
              <button ref={revealButton} type="button" className="button button--primary flashcard__reveal" onClick={() => setRevealed(true)}>
                Show the answer
              </button>
            )}
            {revealed ? (
              <div className="grades" role="group" aria-label="How well did you remember it?">
                {grades.map((entry, index) => (
                  <button
                    key={entry.grade}
                    ref={index === 0 ? firstGrade : undefined}
                    type="button"
                    className={`grade grade--${entry.label.toLowerCase()}`}
                    onClick={() => void grade(entry.grade)}
                    disabled={busy}
                    aria-keyshortcuts={entry.key}
                  >
                    <span className="grade__label">{entry.label}</span>
                    <span className="grade__hint">
                      {entry.hint} <kbd>{entry.key}</kbd>
                    </span>
                  </button>
                ))}
              </div>
            ) : null}
          </div>
        ) : (
          <div className="empty-state">
            <CheckIcon width="40" height="40" className="empty-state__icon" />
            <h3>All done for now</h3>
            <p>
              You reviewed {done} {done === 1 ? 'word' : 'words'}. Words come back when it is time to see them again.
            </p>
          </div>
        )}
        <p className="page__footnote">Your grade decides when a word comes back: “Again” shows it once more in this review, “Easy” waits longest.</p>
      </div>
    </div>
  );
}
