/**
 * The session report: speaking time, words, words per minute, turns, errors by category with
 * examples, new words, a level estimate with its reason, and one thing to practise next. Shown
 * when the learner ends a session, and for any saved conversation from the list (read, or
 * written on request when it has none yet).
 */
import { useCallback, useEffect, useState } from 'react';
import { api, downloads, errorText, type SessionReport } from '../api/client.js';
import { formatSpeakingTime } from '../format.js';
import { Dialog } from './dialog.js';
import { DownloadIcon, NewChatIcon, RefreshIcon, WarningIcon } from './icons.js';

export type ReportSource =
  /** The live session's report (`localchat.session.end`). */
  | { kind: 'live'; status: 'waiting' | 'ready' | 'failed'; conversationId: string | null; report: SessionReport | null; message?: string; title: string | null }
  /** A saved conversation's, loaded (or written) through the API. */
  | { kind: 'saved'; conversationId: string; title: string };

interface ReportDialogProps {
  source: ReportSource;
  onClose(): void;
  /** Offered after the live session's report. */
  onNewChat?(): void;
  /** A report was written (the list and the profile's estimate change). */
  onWritten?(): void;
}

type Loaded = { status: 'loading' } | { status: 'missing' } | { status: 'writing' } | { status: 'ready'; report: SessionReport } | { status: 'failed'; message: string };

export function ReportDialog({ source, onClose, onNewChat, onWritten }: ReportDialogProps) {
  const [saved, setSaved] = useState<Loaded>({ status: 'loading' });
  const savedId = source.kind === 'saved' ? source.conversationId : null;

  useEffect(() => {
    if (!savedId) return;
    const controller = new AbortController();
    setSaved({ status: 'loading' });
    api.report(savedId, controller.signal).then(
      (record) => setSaved(record ? { status: 'ready', report: record.report } : { status: 'missing' }),
      (error: unknown) => {
        if (!controller.signal.aborted) setSaved({ status: 'failed', message: errorText(error) });
      },
    );
    return () => controller.abort();
  }, [savedId]);

  const write = useCallback(() => {
    if (!savedId) return;
    setSaved({ status: 'writing' });
    api.writeReport(savedId).then(
      (report) => {
        setSaved({ status: 'ready', report });
        onWritten?.();
      },
      (error: unknown) => setSaved({ status: 'failed', message: errorText(error) }),
    );
  }, [savedId, onWritten]);

  const conversationId = source.conversationId;
  const title = source.title;
  let body;
  let report: SessionReport | null = null;
  if (source.kind === 'live') {
    if (source.status === 'waiting') body = <Waiting />;
    else if (source.status === 'failed') body = <Failure message={source.message ?? 'The report could not be written.'} />;
    else if (!source.report) body = <p className="empty-note">Nothing to report yet: say a few sentences first, then end the session.</p>;
    else report = source.report;
  } else if (saved.status === 'loading') {
    body = <Waiting text="Loading the report…" />;
  } else if (saved.status === 'writing') {
    body = <Waiting />;
  } else if (saved.status === 'missing') {
    body = (
      <div className="report__missing">
        <p>This conversation has no report yet.</p>
        <button type="button" className="button button--primary" onClick={write}>
          Write the report
        </button>
      </div>
    );
  } else if (saved.status === 'failed') {
    body = <Failure message={saved.message} onRetry={write} />;
  } else {
    report = saved.report;
  }

  return (
    <Dialog
      title={source.kind === 'live' ? 'Your session report' : 'Session report'}
      onClose={onClose}
      size="wide"
      className="report"
      footer={
        <>
          {conversationId && report ? (
            <span className="report__exports">
              <a className="button button--ghost button--small" href={downloads.conversation(conversationId, 'md')} download>
                <DownloadIcon width="16" height="16" />
                Markdown
              </a>
              <a className="button button--ghost button--small" href={downloads.conversation(conversationId, 'json')} download>
                <DownloadIcon width="16" height="16" />
                JSON
              </a>
            </span>
          ) : null}
          <span className="dialog__spacer" />
          {onNewChat && source.kind === 'live' && source.status !== 'waiting' ? (
            <button type="button" className="button button--secondary" onClick={onNewChat}>
              <NewChatIcon width="18" height="18" />
              New chat
            </button>
          ) : null}
          <button type="button" className="button button--primary" onClick={onClose}>
            {source.kind === 'live' && source.status !== 'waiting' ? 'Keep talking' : 'Close'}
          </button>
        </>
      }
    >
      {title ? <p className="report__subtitle">{title}</p> : null}
      {report ? <ReportContent report={report} /> : body}
    </Dialog>
  );
}

function Waiting({ text = 'Writing your report…' }: { text?: string }) {
  return (
    <div className="report__waiting" role="status">
      <span className="spinner spinner--large" aria-hidden="true" />
      <p>{text}</p>
      <p className="report__hint">The tutor reads the conversation again: this can take a few seconds.</p>
    </div>
  );
}

function Failure({ message, onRetry }: { message: string; onRetry?: () => void }) {
  return (
    <div className="report__failure" role="alert">
      <WarningIcon width="18" height="18" />
      <p>{message}</p>
      {onRetry ? (
        <button type="button" className="button button--secondary button--small" onClick={onRetry}>
          <RefreshIcon width="16" height="16" />
          Try again
        </button>
      ) : null}
    </div>
  );
}

function number(value: number | null, digits = 0): string {
  return value === null ? '–' : value.toLocaleString('en', { maximumFractionDigits: digits });
}

export function ReportContent({ report }: { report: SessionReport }) {
  const { stats } = report;
  return (
    <div className="report__content">
      {report.levelEstimate || report.practiseNext ? (
        <div className="report__headline">
          {report.levelEstimate ? (
            <div className="report__level">
              <span className="report__level-badge" aria-label={`Estimated level ${report.levelEstimate}`}>
                {report.levelEstimate}
              </span>
              <div>
                <h3>Estimated level</h3>
                {report.reason ? <p>{report.reason}</p> : null}
              </div>
            </div>
          ) : null}
          {report.practiseNext ? (
            <div className="report__next">
              <h3>Practise next</h3>
              <p>{report.practiseNext}</p>
            </div>
          ) : null}
        </div>
      ) : null}

      <dl className="stats">
        <div className="stat">
          <dt>Speaking time</dt>
          <dd>{stats.speakingMs > 0 ? formatSpeakingTime(stats.speakingMs) : '–'}</dd>
        </div>
        <div className="stat">
          <dt>Words</dt>
          <dd>{number(stats.words)}</dd>
        </div>
        <div className="stat">
          <dt>Words per minute</dt>
          <dd>{number(stats.wordsPerMinute)}</dd>
        </div>
        <div className="stat">
          <dt>Your turns</dt>
          <dd>
            {number(stats.turns)}
            {stats.turns > 0 ? (
              <span className="stat__detail">
                {stats.spokenTurns} spoken · {stats.typedTurns} typed
              </span>
            ) : null}
          </dd>
        </div>
        <div className="stat">
          <dt>Mistakes per 100 words</dt>
          <dd>{number(stats.errorsPer100Words, 1)}</dd>
        </div>
      </dl>

      {report.highlights.length > 0 ? (
        <section className="report__section">
          <h3>What went well</h3>
          <ul className="report__highlights">
            {report.highlights.map((highlight) => (
              <li key={highlight}>{highlight}</li>
            ))}
          </ul>
        </section>
      ) : null}

      <section className="report__section">
        <h3>Mistakes by kind</h3>
        {stats.errorsByCategory.length === 0 ? (
          <p className="empty-note">{stats.words > 0 ? 'No mistakes found. Well done!' : 'Nothing to check yet.'}</p>
        ) : (
          <ul className="report__categories">
            {stats.errorsByCategory.map((category) => (
              <li key={category.category} className="report__category">
                <div className="report__category-head">
                  <span className="chip chip--category">{category.category}</span>
                  <span className="report__count">
                    {category.count} {category.count === 1 ? 'time' : 'times'}
                  </span>
                </div>
                <ul className="report__examples">
                  {category.examples.map((example, index) => (
                    <li key={index}>
                      <span className="report__change">
                        <s>{example.original}</s> <span aria-hidden="true">→</span>
                        <span className="visually-hidden"> becomes </span> <b>{example.correction || '(leave it out)'}</b>
                      </span>
                      {example.rule ? <span className="report__rule">{example.rule}</span> : null}
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ul>
        )}
      </section>

      {report.newWords.length > 0 ? (
        <section className="report__section">
          <h3>New words</h3>
          <ul className="word-chips">
            {report.newWords.map((word) => (
              <li key={word} className="chip">
                {word}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </div>
  );
}
