/**
 * The app bar: name, connection status, engine status chips, and the theme, new-chat and
 * settings buttons.
 */
import type { ConnectionStatus } from '../realtime/client.js';
import type { EngineStatus } from '../session/state.js';
import type { ReactNode } from 'react';
import type { DownloadProgressEvent } from '../../../src/server/realtime/server-events.js';
import { VIEWS, viewHref, type View } from '../navigation.js';
import { engineChips, type EngineChipView } from '../session/status-summary.js';
import { BookIcon, ChartIcon, ChatIcon, LogoMark, MenuIcon, MoonIcon, NewChatIcon, SettingsIcon, SunIcon } from './icons.js';

const viewIcons: Record<(typeof VIEWS)[number]['id'], typeof ChatIcon> = { chat: ChatIcon, vocabulary: BookIcon, progress: ChartIcon };

const connectionLabels: Record<ConnectionStatus, string> = {
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
};

/** Download progress of an engine (0-1): kept here for existing imports. */
export { engineProgress } from '../session/status-summary.js';

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
  /** The status details are open; the chips toggle them. */
  statusOpen: boolean;
  onToggleStatus(): void;
}

export function Header(props: HeaderProps) {
  const { connection, engines, downloads } = props;
  const chips = engineChips(engines, downloads);
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
      <button
        type="button"
        className={`engine-chips${connection === 'connected' ? '' : ' engine-chips--stale'}${chips.every((chip) => chip.tone === 'ready' || chip.tone === 'fallback') ? ' engine-chips--ready' : ''}`}
        aria-label={`${connection === 'connected' ? 'Engines' : 'Engines (last known state)'}: ${chips.map((chip) => `${chip.label} ${chip.state}`).join(', ')}. Show the status details`}
        aria-expanded={props.statusOpen}
        onClick={props.onToggleStatus}
      >
        {chips.map((chip) => (
          <EngineChip key={chip.key} chip={chip} />
        ))}
      </button>
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

function EngineChip({ chip }: { chip: EngineChipView }) {
  const percent = chip.progress === null ? null : Math.round(chip.progress * 100);
  return (
    <span className={`engine-chip engine-chip--${chip.tone}`} title={chip.detail} aria-hidden="true">
      <span className="engine-chip__dot" />
      <span className="engine-chip__name">{chip.label}</span>
      <span className="engine-chip__state">{chip.state}</span>
      {chip.tone === 'busy' && chip.progress !== null ? (
        <span className="engine-chip__bar">
          <span className="bar-fill" style={{ width: `${percent}%` }} />
        </span>
      ) : null}
    </span>
  );
}
