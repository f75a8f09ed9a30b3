/**
 * One compact status line above the conversation (instead of stacked banners): the most important
 * thing to know now, "+N" for the rest, and the details on demand (every item with the server's
 * full message, links to the configuration and diagnostics). A dismissed item stays dismissed —
 * across reloads, in localStorage — until it changes (its fingerprint, see status-summary.ts).
 *
 * Anything can add an item through `notices` (server notices, or the page's own, e.g. "can't
 * save: disk full").
 */
import { useCallback, useEffect, useId, useMemo, useState } from 'react';
import type { DownloadProgressEvent } from '../../../src/server/realtime/server-events.js';
import type { EngineStatus, Notice } from '../session/state.js';
import { statusItems, type StatusItem } from '../session/status-summary.js';
import { CloseIcon, DownloadIcon, InfoIcon, WarningIcon } from './icons.js';

const STORAGE_KEY = 'localchat.dismissedStatus';
/** Dismissals kept (oldest dropped first). */
const MAX_DISMISSED = 50;

function loadDismissed(): string[] {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '[]');
    return Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === 'string') : [];
  } catch {
    return [];
  }
}

function saveDismissed(list: readonly string[]): void {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(list.slice(-MAX_DISMISSED)));
  } catch {
    // Private mode or a full storage: the dismissal lasts until the reload.
  }
}

interface StatusLineProps {
  notices: Notice[];
  engines: EngineStatus[];
  downloads: Record<string, DownloadProgressEvent>;
  /** The details are open (the header's engine chips open them too). */
  open: boolean;
  onOpenChange(open: boolean): void;
  /** A server notice the learner dismissed (removed from the session's list). */
  onDismissNotice(id: string): void;
  onShowConfig(): void;
  onShowDiagnostics(): void;
}

function ItemIcon({ item }: { item: StatusItem }) {
  if (item.level === 'progress') return <DownloadIcon className="status-line__icon" aria-hidden="true" />;
  if (item.level === 'info') return <InfoIcon className="status-line__icon" aria-hidden="true" />;
  return <WarningIcon className="status-line__icon" aria-hidden="true" />;
}

export function StatusLine(props: StatusLineProps) {
  const { notices, engines, downloads, open, onOpenChange, onDismissNotice } = props;
  const [dismissed, setDismissed] = useState<string[]>(loadDismissed);
  const detailsId = useId();
  const items = useMemo(() => statusItems(engines, notices, downloads), [engines, notices, downloads]);
  const shown = items.filter((entry) => !entry.quiet && !dismissed.includes(entry.fingerprint));
  const first = shown[0];

  // Another tab dismissed something.
  useEffect(() => {
    const onStorage = (event: StorageEvent) => {
      if (event.key === STORAGE_KEY) setDismissed(loadDismissed());
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, []);

  const dismiss = useCallback(
    (entry: StatusItem) => {
      setDismissed((previous) => {
        const next = [...previous.filter((fingerprint) => fingerprint !== entry.fingerprint), entry.fingerprint];
        saveDismissed(next);
        return next;
      });
      if (entry.key.startsWith('notice:')) onDismissNotice(entry.key.slice('notice:'.length));
    },
    [onDismissNotice],
  );

  if (!first && !open) return null;

  return (
    <section className={`status-line${first ? ` status-line--${first.level}` : ''}`} aria-label="Status">
      {first ? (
        <div className="status-line__row" role={first.level === 'error' ? 'alert' : 'status'}>
          <ItemIcon item={first} />
          <p className="status-line__text" title={[first.text, first.detail].filter(Boolean).join('\n')}>
            {first.text}
          </p>
          {first.level === 'progress' ? (
            <span
              className="status-line__bar"
              role="progressbar"
              aria-label={first.text}
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={first.progress == null ? undefined : Math.round(first.progress * 100)}
            >
              <span
                className={first.progress == null ? 'bar-fill bar-fill--indeterminate' : 'bar-fill'}
                style={first.progress == null ? undefined : { width: `${Math.round(first.progress * 100)}%` }}
              />
            </span>
          ) : null}
          <button type="button" className="status-line__more" aria-expanded={open} aria-controls={detailsId} onClick={() => onOpenChange(!open)}>
            {shown.length > 1 ? `+${shown.length - 1} · ` : ''}
            {open ? 'Hide' : 'Details'}
          </button>
          <button type="button" className="icon-button icon-button--small" onClick={() => dismiss(first)} aria-label={`Dismiss: ${first.text}`} title="Dismiss">
            <CloseIcon />
          </button>
        </div>
      ) : null}
      {open ? (
        <div className="status-details" id={detailsId}>
          <div className="status-details__head">
            <h2>Status</h2>
            {!first ? (
              <button type="button" className="icon-button icon-button--small" onClick={() => onOpenChange(false)} aria-label="Close the status details">
                <CloseIcon />
              </button>
            ) : null}
          </div>
          {items.length === 0 ? <p className="status-details__empty">Everything is ready.</p> : null}
          <ul className="status-details__list">
            {items.map((entry) => (
              <li key={entry.key} className={`status-details__item status-details__item--${entry.level}`}>
                <ItemIcon item={entry} />
                <div>
                  <p className="status-details__text">{entry.text}</p>
                  {entry.detail ? <p className="status-details__detail">{entry.detail}</p> : null}
                </div>
                {!entry.quiet && !dismissed.includes(entry.fingerprint) ? (
                  <button type="button" className="button button--secondary button--small" onClick={() => dismiss(entry)}>
                    Dismiss
                  </button>
                ) : null}
              </li>
            ))}
          </ul>
          <div className="status-details__actions">
            <button type="button" className="button button--secondary button--small" onClick={props.onShowConfig}>
              Configuration
            </button>
            <a className="button button--secondary button--small" href="#diagnostics" onClick={props.onShowDiagnostics}>
              Diagnostics
            </a>
          </div>
        </div>
      ) : null}
    </section>
  );
}
