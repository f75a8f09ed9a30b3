/**
 * The app bar: name, connection status, engine status chips, and the theme, new-chat and
 * settings buttons.
 */
import type { ConnectionStatus } from '../realtime/client.js';
import type { EngineStatus } from '../session/state.js';
import type { ReactNode } from 'react';
import type { DownloadProgressEvent } from '../../../src/server/realtime/server-events.js';
import { VIEWS, viewHref, type View } from '../navigation.js';
import { BookIcon, ChartIcon, ChatIcon, LogoMark, MenuIcon, MoonIcon, NewChatIcon, SettingsIcon, SunIcon } from './icons.js';

const viewIcons: Record<View, typeof ChatIcon> = { chat: ChatIcon, vocabulary: BookIcon, progress: ChartIcon };

const connectionLabels: Record<ConnectionStatus, string> = {
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
};

const engineLabels: Record<EngineStatus['kind'], string> = { llm: 'LLM', tts: 'Voice', stt: 'Speech input' };
const stateLabels: Record<EngineStatus['state'], string> = {
  loading: 'loading',
  downloading: 'downloading',
  ready: 'ready',
  error: 'error',
};

/** Download progress of an engine (0-1), from its status or the latest progress event. */
export function engineProgress(engine: EngineStatus, downloads: Record<string, DownloadProgressEvent>): number | null {
  if (engine.state !== 'downloading') return null;
  const download = downloads[engine.modelId];
  if (download?.total_bytes) return Math.min(1, download.downloaded_bytes / download.total_bytes);
  if (engine.progress !== undefined) return Math.min(1, Math.max(0, engine.progress));
  return null;
}

interface HeaderProps {
  connection: ConnectionStatus;
  engines: EngineStatus[];
  downloads: Record<string, DownloadProgressEvent>;
  theme: 'light' | 'dark';
  onToggleTheme(): void;
  onNewChat(): void;
  canStartNewChat: boolean;
  settingsOpen: boolean;
  onOpenSettings(): void;
  /** The views (Chat, Vocabulary, Progress); none without the tutor API. */
  view: View;
  showViews: boolean;
  /** Replaces the plain New chat button (the menu of free talk, topic, scene). */
  newChat?: ReactNode;
  /** Phones: opens the conversation list; null when there is none. */
  onOpenConversations: (() => void) | null;
  conversationsOpen: boolean;
}

export function Header(props: HeaderProps) {
  const { connection, engines, downloads } = props;
  return (
    <header className={`app-header${props.showViews ? ' app-header--views' : ''}`}>
      <div className="brand">
        {props.onOpenConversations ? (
          <button
            type="button"
            className="icon-button brand__menu"
            onClick={props.onOpenConversations}
            aria-label="Conversations"
            aria-expanded={props.conversationsOpen}
            aria-controls="conversation-list"
            title="Conversations"
          >
            <MenuIcon />
          </button>
        ) : null}
        <LogoMark />
        <h1>LocalChat</h1>
        <span className={`connection connection--${connection}`} role="status" title={connectionLabels[connection]}>
          <span className="connection__dot" aria-hidden="true" />
          <span className="connection__label">{connectionLabels[connection]}</span>
        </span>
      </div>
      {props.showViews ? (
        <nav className="views" aria-label="Views">
          <ul>
            {VIEWS.map((entry) => {
              const Icon = viewIcons[entry.id];
              const current = entry.id === props.view;
              return (
                <li key={entry.id}>
                  <a href={viewHref(entry.id)} className={`views__link${current ? ' views__link--current' : ''}`} aria-current={current ? 'page' : undefined}>
                    <Icon width="18" height="18" />
                    <span>{entry.label}</span>
                  </a>
                </li>
              );
            })}
          </ul>
        </nav>
      ) : null}
      <ul
        className={`engine-chips${connection === 'connected' ? '' : ' engine-chips--stale'}${engines.every((engine) => engine.state === 'ready' || (engine.kind === 'stt' && engine.state !== 'error')) ? ' engine-chips--ready' : ''}`}
        aria-label={connection === 'connected' ? 'Engines' : 'Engines (last known state)'}
      >
        {engines
          .filter((engine) => engine.kind !== 'stt' || engine.state !== 'ready')
          .map((engine) => (
            <EngineChip
              key={`${engine.kind}:${engine.modelId}`}
              engine={engine}
              progress={engineProgress(engine, downloads)}
              named={engines.filter((other) => other.kind === engine.kind).length > 1}
            />
          ))}
      </ul>
      <div className="header-actions">
        <button
          type="button"
          className="icon-button"
          onClick={props.onToggleTheme}
          aria-label={props.theme === 'dark' ? 'Switch to light theme' : 'Switch to dark theme'}
          title={props.theme === 'dark' ? 'Light theme' : 'Dark theme'}
        >
          {props.theme === 'dark' ? <SunIcon /> : <MoonIcon />}
        </button>
        {props.newChat ?? (
          <button
            type="button"
            className="icon-button"
            onClick={props.onNewChat}
            disabled={!props.canStartNewChat}
            aria-label="New chat"
            title="New chat"
          >
            <NewChatIcon />
          </button>
        )}
        <button
          type="button"
          className="icon-button"
          onClick={props.onOpenSettings}
          aria-label="Settings"
          aria-expanded={props.settingsOpen}
          aria-controls="settings-panel"
          title="Settings"
        >
          <SettingsIcon />
        </button>
      </div>
    </header>
  );
}

/** Display names of engine providers, for when two engines of one kind are shown. */
const providerLabels: Record<string, string> = { kokoro: 'Kokoro', espeak: 'eSpeak NG', 'llama-cpp': 'llama.cpp', 'openai-compatible': 'LLM server' };

function EngineChip({ engine, progress, named }: { engine: EngineStatus; progress: number | null; named: boolean }) {
  const label = named ? `${engineLabels[engine.kind]} · ${providerLabels[engine.provider] ?? engine.provider}` : engineLabels[engine.kind];
  const percent = progress === null ? null : Math.round(progress * 100);
  const detail = [`${engine.provider} · ${engine.modelId}`, engine.message].filter(Boolean).join('\n');
  const stateText = engine.state === 'downloading' && percent !== null ? `${percent}%` : stateLabels[engine.state];
  return (
    <li className={`engine-chip engine-chip--${engine.state}`} title={detail}>
      <span className="engine-chip__dot" aria-hidden="true" />
      <span className="engine-chip__name">{label}</span>
      <span className="engine-chip__state">
        <span className="visually-hidden">: </span>
        {stateText}
      </span>
      {engine.state === 'downloading' && (
        <span
          className="engine-chip__bar"
          role="progressbar"
          aria-label={`${label} model download`}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={percent ?? undefined}
        >
          <span className={percent === null ? 'bar-fill bar-fill--indeterminate' : 'bar-fill'} style={percent === null ? undefined : { width: `${percent}%` }} />
        </span>
      )}
    </li>
  );
}
