/**
 * The progress page: charts over sessions (speaking time, words per minute, mistakes per 100
 * words, mistakes by kind) drawn with Chart.js on canvas — loaded only when this page opens. Colours
 * come from the theme's custom properties, so the charts follow light and dark. Each chart has a
 * text summary, and the figures are in a table for screen readers.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import { useEffect, useMemo, useRef, useState } from 'react';
import { api, errorText, type Progress, type SessionProgress } from '../api/client.js';
import { ChartIcon, RefreshIcon, WarningIcon } from '../components/icons.js';
import { formatShortDate, formatSpeakingTime } from '../format.js';

Chart.register(BarController, BarElement, LineController, LineElement, PointElement, CategoryScale, LinearScale, Tooltip, Legend, Filler);

interface ProgressViewProps {
  theme: 'light' | 'dark';
  /** Bumped when a session ends (new figures). */
  version: number;
}

type Load = { status: 'loading' } | { status: 'ready'; progress: Progress } | { status: 'failed'; message: string };

/** Category colours, distinct in both themes. */
const PALETTE = ['#3f8f7f', '#d08a2c', '#5b7fd1', '#c4566b', '#8a6cc9', '#4e9bb8', '#a3a03a', '#c97a9f', '#6f8f4e', '#b8743f', '#7c8691'];

export default function ProgressView({ theme, version }: ProgressViewProps) {
  const [load, setLoad] = useState<Load>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    api.progress(controller.signal).then(
      (progress) => setLoad({ status: 'ready', progress }),
      (error: unknown) => {
        if (!controller.signal.aborted) setLoad({ status: 'failed', message: errorText(error) });
      },
    );
    return () => controller.abort();
  }, [version, attempt]);

  return (
    <div className="page">
      <div className="page__inner">
        <header className="page__header">
          <div>
            <h2 className="page__title">Progress</h2>
            <p className="page__lead">How your speaking changes from session to session.</p>
          </div>
        </header>
        {load.status === 'loading' ? (
          <p className="empty-note" role="status">
            Loading…
          </p>
        ) : load.status === 'failed' ? (
          <div className="banner banner--error page__banner" role="alert">
            <WarningIcon className="banner__icon" />
            <p className="banner__text">{load.message}</p>
            <button type="button" className="button button--secondary button--small" onClick={() => setAttempt((value) => value + 1)}>
              <RefreshIcon width="16" height="16" />
              Try again
            </button>
          </div>
        ) : load.progress.sessions.length === 0 ? (
          <div className="empty-state">
            <ChartIcon width="40" height="40" className="empty-state__icon" />
            <h3>No sessions yet</h3>
            <p>Have a conversation with your tutor: your speaking time, speed and mistakes will show here, session by session.</p>
          </div>
        ) : (
          <ProgressCharts progress={load.progress} theme={theme} />
        )}
      </div>
    </div>
  );
}

function average(values: readonly (number | null)[]): number | null {
  const known = values.filter((value): value is number => value !== null);
  return known.length ? known.reduce((sum, value) => sum + value, 0) / known.length : null;
}

function ProgressCharts({ progress, theme }: { progress: Progress; theme: 'light' | 'dark' }) {
  const { sessions, categories } = progress;
  // Two sessions on one day are told apart by their time.
  const days = sessions.map((session) => formatShortDate(session.startedAt));
  const labels = days.map((day, index) =>
    days.indexOf(day) !== days.lastIndexOf(day) ? `${day} ${new Date(sessions[index]!.startedAt).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })}` : day,
  );
  const spoken = sessions.some((session) => session.speakingMs > 0);
  // Short sessions read better in seconds.
  const inSeconds = Math.max(...sessions.map((session) => session.speakingMs)) < 120_000;
  const noSpeech = spoken ? undefined : 'Nothing spoken yet: talk hands-free or with push to talk to see this.';
  const totalSpeaking = sessions.reduce((sum, session) => sum + session.speakingMs, 0);
  const recent = sessions.slice(-5);
  const wpm = average(recent.map((session) => session.wordsPerMinute));
  const errorRate = average(recent.map((session) => session.errorsPer100Words));
  const totalWords = sessions.reduce((sum, session) => sum + session.words, 0);

  return (
    <>
      <dl className="stats stats--summary">
        <div className="stat">
          <dt>Sessions</dt>
          <dd>{sessions.length}</dd>
        </div>
        <div className="stat">
          <dt>Speaking time</dt>
          <dd>{totalSpeaking > 0 ? formatSpeakingTime(totalSpeaking) : '–'}</dd>
        </div>
        <div className="stat">
          <dt>Words said</dt>
          <dd>{totalWords.toLocaleString('en')}</dd>
        </div>
        <div className="stat">
          <dt>Words per minute</dt>
          <dd>
            {wpm === null ? '–' : Math.round(wpm)}
            <span className="stat__detail">last {recent.length} sessions</span>
          </dd>
        </div>
        <div className="stat">
          <dt>Mistakes per 100 words</dt>
          <dd>
            {errorRate === null ? '–' : errorRate.toFixed(1)}
            <span className="stat__detail">last {recent.length} sessions</span>
          </dd>
        </div>
      </dl>

      <div className="charts">
        <ChartCard
          title="Speaking time"
          unit={inSeconds ? 'seconds' : 'minutes'}
          summary={`Speaking time per session: ${sessions.map((session, index) => `${labels[index]}: ${formatSpeakingTime(session.speakingMs)}`).join('; ')}.`}
          theme={theme}
          empty={noSpeech}
          config={(colors) => ({
            type: 'bar',
            data: {
              labels,
              datasets: [
                {
                  label: inSeconds ? 'Seconds' : 'Minutes',
                  data: sessions.map((session) => (inSeconds ? Math.round(session.speakingMs / 1000) : round(session.speakingMs / 60_000))),
                  backgroundColor: colors.accent,
                  borderRadius: 6,
                  maxBarThickness: 36,
                },
              ],
            },
            options: baseOptions(colors, sessions, false),
          })}
        />
        <ChartCard
          title="Words per minute"
          unit="spoken words a minute"
          summary={`Words per minute: ${sessions.map((session, index) => `${labels[index]}: ${session.wordsPerMinute ?? 'none'}`).join('; ')}.`}
          theme={theme}
          empty={noSpeech}
          config={(colors) => lineConfig(colors, sessions, labels, 'Words per minute', sessions.map((session) => session.wordsPerMinute), colors.accent)}
        />
        <ChartCard
          title="Mistakes per 100 words"
          unit="lower is better"
          summary={`Mistakes per 100 words: ${sessions.map((session, index) => `${labels[index]}: ${session.errorsPer100Words ?? 'none'}`).join('; ')}.`}
          theme={theme}
          config={(colors) => lineConfig(colors, sessions, labels, 'Mistakes per 100 words', sessions.map((session) => session.errorsPer100Words), colors.warm)}
        />
        <ChartCard
          title="Mistakes by kind"
          unit="per session"
          summary={
            categories.length === 0
              ? 'No mistakes found in any session.'
              : `Mistakes by kind: ${categories.map((category) => `${category} ${sessions.reduce((sum, session) => sum + (session.errorsByCategory[category]?.count ?? 0), 0)}`).join(', ')}.`
          }
          theme={theme}
          empty={categories.length === 0 ? 'No mistakes found yet.' : undefined}
          config={(colors) => ({
            type: 'bar',
            data: {
              labels,
              datasets: categories.map((category, index) => ({
                label: category,
                data: sessions.map((session) => session.errorsByCategory[category]?.count ?? 0),
                backgroundColor: PALETTE[index % PALETTE.length],
                borderRadius: 3,
                maxBarThickness: 36,
              })),
            },
            options: {
              ...baseOptions(colors, sessions, true),
              scales: {
                x: { stacked: true, grid: { display: false }, ticks: { color: colors.muted }, border: { color: colors.border } },
                y: { stacked: true, beginAtZero: true, ticks: { color: colors.muted, precision: 0 }, grid: { color: colors.grid }, border: { display: false } },
              },
            },
          })}
        />
      </div>

      <table className="visually-hidden">
        <caption>Figures by session</caption>
        <thead>
          <tr>
            <th scope="col">Session</th>
            <th scope="col">Speaking time</th>
            <th scope="col">Words per minute</th>
            <th scope="col">Mistakes per 100 words</th>
            <th scope="col">Mistakes</th>
          </tr>
        </thead>
        <tbody>
          {sessions.map((session, index) => (
            <tr key={session.conversationId}>
              <th scope="row">
                {labels[index]} {session.title ?? ''}
              </th>
              <td>{formatSpeakingTime(session.speakingMs)}</td>
              <td>{session.wordsPerMinute ?? '–'}</td>
              <td>{session.errorsPer100Words ?? '–'}</td>
              <td>{session.errors}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

interface Colors {
  text: string;
  muted: string;
  border: string;
  grid: string;
  accent: string;
  accentSoft: string;
  warm: string;
  surface: string;
}

/** The theme's colours, as the page shows them now. */
function themeColors(): Colors {
  const style = getComputedStyle(document.documentElement);
  const value = (name: string, fallback: string): string => style.getPropertyValue(name).trim() || fallback;
  const accent = value('--accent', '#2f6f62');
  return {
    text: value('--text', '#1c2420'),
    muted: value('--muted', '#5b6760'),
    border: value('--border-strong', '#c7cec4'),
    grid: value('--border', '#dde2da'),
    accent,
    accentSoft: value('--accent-soft', '#e0eee8'),
    warm: value('--chart-warm', '#c98a12'),
    surface: value('--surface', '#ffffff'),
  };
}

function baseOptions(colors: Colors, sessions: readonly SessionProgress[], legend: boolean): ChartConfiguration['options'] {
  const reduced = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: reduced ? false : { duration: 350 },
    plugins: {
      legend: { display: legend, position: 'bottom', labels: { color: colors.muted, boxWidth: 12, boxHeight: 12, usePointStyle: true, pointStyle: 'rectRounded' } },
      tooltip: {
        backgroundColor: colors.text,
        titleColor: colors.surface,
        bodyColor: colors.surface,
        padding: 10,
        cornerRadius: 8,
        callbacks: { title: (items) => { const session = sessions[items[0]?.dataIndex ?? 0]; return session ? `${formatShortDate(session.startedAt)} · ${session.title ?? 'Conversation'}` : ''; } },
      },
    },
    scales: {
      x: { grid: { display: false }, ticks: { color: colors.muted, maxRotation: 0, autoSkip: true }, border: { color: colors.border } },
      y: { beginAtZero: true, ticks: { color: colors.muted }, grid: { color: colors.grid }, border: { display: false } },
    },
  };
}

function lineConfig(colors: Colors, sessions: readonly SessionProgress[], labels: string[], label: string, data: (number | null)[], color: string): ChartConfiguration {
  return {
    type: 'line',
    data: {
      labels,
      datasets: [
        {
          label,
          data,
          borderColor: color,
          backgroundColor: `${color}22`,
          pointBackgroundColor: color,
          pointRadius: 4,
          pointHoverRadius: 6,
          borderWidth: 2.5,
          tension: 0.3,
          cubicInterpolationMode: 'monotone',
          fill: true,
          spanGaps: true,
        },
      ],
    },
    options: baseOptions(colors, sessions, false),
  };
}

interface ChartCardProps {
  title: string;
  unit: string;
  summary: string;
  theme: 'light' | 'dark';
  config(colors: Colors): ChartConfiguration;
  empty?: string;
}

function ChartCard({ title, unit, summary, theme, config, empty }: ChartCardProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const build = useRef(config);
  build.current = config;
  const key = useMemo(() => JSON.stringify(config(themeColors()).data), [config]);

  useEffect(() => {
    const element = canvas.current;
    if (!element || empty) return;
    let chart: Chart | null = null;
    // After the frame: a theme switch sets its colours in an effect that runs after this one.
    const frame = requestAnimationFrame(() => {
      chart = new Chart(element, build.current(themeColors()));
    });
    return () => {
      cancelAnimationFrame(frame);
      chart?.destroy();
    };
    // Rebuilt when the data or the theme changes.
  }, [key, theme, empty]);

  return (
    <figure className="chart-card">
      <figcaption className="chart-card__head">
        <span className="chart-card__title">{title}</span>
        <span className="chart-card__unit">{unit}</span>
      </figcaption>
      <div className="chart-card__plot">
        {empty ? <p className="chart-card__empty">{empty}</p> : <canvas ref={canvas} role="img" aria-label={summary} />}
      </div>
    </figure>
  );
}
