/**
 * The saved conversations: a sidebar on wide screens, a drawer on phones. Search (titles and
 * everything said), open one to carry on, rename it in place, read or write its report, export it
 * as Markdown or JSON, or delete it (after a confirmation, asked by the parent).
 */
import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { downloads, type ConversationSummary, type StoreStatus } from '../api/client.js';
import { formatWhen } from '../format.js';
import type { ConversationList as ListState } from '../tutor/use-tutor.js';
import { CloseIcon, DownloadIcon, EditIcon, MoreIcon, ReportIcon, SearchIcon, TrashIcon, WarningIcon } from './icons.js';
import { Menu } from './menu.js';

interface ConversationListProps {
  list: ListState;
  store: StoreStatus | null;
  currentId: string | null;
  /** The "New chat" menu, at the top. */
  newChat: ReactNode;
  onSearch(search: string): void;
  onOpen(id: string): void;
  onRename(id: string, title: string): Promise<void>;
  onDelete(conversation: ConversationSummary): void;
  onReport(conversation: ConversationSummary): void;
  /** Phones: the drawer is open. */
  drawerOpen: boolean;
  onCloseDrawer(): void;
}

/** What a conversation is called in the list. */
export function conversationTitle(conversation: Pick<ConversationSummary, 'title' | 'preview'>): string {
  return conversation.title?.trim() || conversation.preview?.trim() || 'Untitled conversation';
}

/** Characters of a title that the list shows before cutting it (two titles alike this far look the same). */
const TITLE_KEY_CHARS = 36;

/** "14:05" for today, "6 Dec" before. */
function startedWhen(ms: number, now: number): string {
  const date = new Date(ms);
  if (date.toDateString() === new Date(now).toDateString()) return date.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
  return date.toLocaleDateString('en-GB', { day: 'numeric', month: 'short' });
}

/**
 * A tag for each conversation whose title looks like another's in `items` (conversations that
 * begin with the same words): when it started ("14:05" today, "6 Dec" before), and "#1", "#2" in
 * order of start when even that is shared. Conversations with a title of their own get none.
 * @returns tags by conversation id
 */
export function titleTags(items: readonly Pick<ConversationSummary, 'id' | 'title' | 'preview' | 'createdAt'>[], now = Date.now()): Map<string, string> {
  const groups = new Map<string, typeof items[number][]>();
  for (const item of items) {
    const key = conversationTitle(item).slice(0, TITLE_KEY_CHARS).toLowerCase();
    groups.set(key, [...(groups.get(key) ?? []), item]);
  }
  const tags = new Map<string, string>();
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    const ordered = [...group].sort((a, b) => a.createdAt - b.createdAt);
    const whens = ordered.map((item) => startedWhen(item.createdAt, now));
    ordered.forEach((item, index) => {
      const when = whens[index]!;
      const shared = whens.filter((other) => other === when).length > 1;
      tags.set(item.id, shared ? `${when} #${index + 1}` : when);
    });
  }
  return tags;
}

function modeLabel(conversation: ConversationSummary): string | null {
  if (conversation.mode === 'scenario' || conversation.scenarioId) return 'Role-play';
  if (conversation.mode.startsWith('topic')) return 'Topic';
  return null;
}

export function ConversationList(props: ConversationListProps) {
  const { list, store, currentId, drawerOpen, onCloseDrawer } = props;
  const [renaming, setRenaming] = useState<string | null>(null);
  const tags = useMemo(() => titleTags(list.items), [list.items]);
  const panel = useRef<HTMLElement>(null);

  // Phones: Escape closes the drawer; focus moves into it when it opens.
  useEffect(() => {
    if (!drawerOpen) return;
    panel.current?.querySelector<HTMLElement>('input[type="search"]')?.focus();
    const onKey = (event: KeyboardEvent): void => {
      if (event.key === 'Escape' && !event.defaultPrevented) onCloseDrawer();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [drawerOpen, onCloseDrawer]);

  const searching = list.search.trim().length > 0;

  return (
    <>
      {drawerOpen ? <div className="drawer-backdrop" onClick={onCloseDrawer} aria-hidden="true" /> : null}
      <nav ref={panel} className={`sidebar${drawerOpen ? ' sidebar--open' : ''}`} aria-label="Conversations" id="conversation-list">
        <div className="sidebar__top">
          {props.newChat}
          <button type="button" className="icon-button sidebar__close" onClick={onCloseDrawer} aria-label="Close the conversation list">
            <CloseIcon />
          </button>
        </div>
        <div className="search-box">
          <SearchIcon width="16" height="16" className="search-box__icon" />
          <label htmlFor="conversation-search" className="visually-hidden">
            Search conversations
          </label>
          <input
            id="conversation-search"
            type="search"
            placeholder="Search conversations"
            value={list.search}
            onChange={(event) => props.onSearch(event.target.value)}
            autoComplete="off"
          />
        </div>
        {store && !store.ok ? (
          <div className="sidebar__notice" role="status">
            <WarningIcon width="16" height="16" />
            <span>{store.message || 'The database is unavailable: conversations go on, but are not saved.'}</span>
          </div>
        ) : null}
        <div className="sidebar__scroll">
          <h2 className="sidebar__heading">{searching ? 'Results' : 'Recent'}</h2>
          {list.error && !(store && !store.ok) ? (
            <p className="sidebar__empty" role="status">
              {list.error}
            </p>
          ) : list.items.length === 0 ? (
            <p className="sidebar__empty">
              {list.loading ? 'Loading…' : searching ? `Nothing found for “${list.search.trim()}”.` : 'No conversations yet. Everything you say is saved here.'}
            </p>
          ) : (
            <ul className="conversations" aria-busy={list.loading}>
              {list.items.map((conversation) => (
                <ConversationRow
                  key={conversation.id}
                  conversation={conversation}
                  tag={tags.get(conversation.id) ?? null}
                  current={conversation.id === currentId}
                  mode={modeLabel(conversation)}
                  renaming={renaming === conversation.id}
                  onRenameStart={() => setRenaming(conversation.id)}
                  onRenameEnd={() => setRenaming(null)}
                  onRename={props.onRename}
                  onOpen={props.onOpen}
                  onDelete={props.onDelete}
                  onReport={props.onReport}
                />
              ))}
            </ul>
          )}
        </div>
      </nav>
    </>
  );
}

interface RowProps {
  conversation: ConversationSummary;
  /** Tells this conversation from others with a title alike (see `titleTags`). */
  tag: string | null;
  current: boolean;
  mode: string | null;
  renaming: boolean;
  onRenameStart(): void;
  onRenameEnd(): void;
  onRename(id: string, title: string): Promise<void>;
  onOpen(id: string): void;
  onDelete(conversation: ConversationSummary): void;
  onReport(conversation: ConversationSummary): void;
}

function ConversationRow({ conversation, tag, current, mode, renaming, onRenameStart, onRenameEnd, onRename, onOpen, onDelete, onReport }: RowProps) {
  const title = conversationTitle(conversation);
  const [draft, setDraft] = useState(title);
  const [saving, setSaving] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const more = useRef<HTMLDivElement>(null);
  /** A save or cancel is under way (Enter, then the blur it causes, must not save twice). */
  const finishing = useRef(false);

  useEffect(() => {
    if (!renaming) return;
    finishing.current = false;
    setDraft(title);
    // After the menu hands focus back to its button.
    requestAnimationFrame(() => {
      input.current?.focus();
      input.current?.select();
    });
  }, [renaming]); // `title` is read when renaming starts only.

  const finish = async (save: boolean): Promise<void> => {
    if (finishing.current) return;
    finishing.current = true;
    const value = draft.trim();
    if (!save || !value || value === title) {
      onRenameEnd();
      more.current?.querySelector('button')?.focus();
      return;
    }
    setSaving(true);
    try {
      await onRename(conversation.id, value);
      onRenameEnd();
      more.current?.querySelector('button')?.focus();
    } catch {
      finishing.current = false;
      input.current?.focus();
    } finally {
      setSaving(false);
    }
  };

  const meta = [formatWhen(conversation.updatedAt), `${conversation.turnCount} ${conversation.turnCount === 1 ? 'turn' : 'turns'}`].join(' · ');

  return (
    <li className={`conversation${current ? ' conversation--current' : ''}`}>
      {renaming ? (
        <form
          className="conversation__rename"
          onSubmit={(event) => {
            event.preventDefault();
            void finish(true);
          }}
        >
          <label htmlFor={`rename-${conversation.id}`} className="visually-hidden">
            New name for “{title}”
          </label>
          <input
            id={`rename-${conversation.id}`}
            ref={input}
            value={draft}
            maxLength={200}
            disabled={saving}
            onChange={(event) => setDraft(event.target.value)}
            onKeyDown={(event) => {
              if (event.key === 'Escape') {
                event.preventDefault();
                event.stopPropagation();
                void finish(false);
              }
            }}
            onBlur={() => void finish(true)}
          />
        </form>
      ) : (
        <button type="button" className="conversation__open" onClick={() => onOpen(conversation.id)} aria-current={current ? 'true' : undefined}>
          <span className="conversation__title">
            <span className="conversation__title-text">{title}</span>
            {tag ? <span className="conversation__title-tag"> · {tag}</span> : null}
          </span>
          {conversation.snippet ? <span className="conversation__snippet">{conversation.snippet}</span> : null}
          <span className="conversation__meta">
            {mode ? <span className="chip chip--small">{mode}</span> : null}
            <span>{meta}</span>
          </span>
        </button>
      )}
      <div ref={more} className="conversation__more">
        <Menu
          trigger={<MoreIcon width="18" height="18" />}
          triggerClassName="icon-button icon-button--small"
          label={`Actions for “${title}”${tag ? ` (${tag})` : ''}`}
          items={[
            { label: 'Rename', icon: <EditIcon width="16" height="16" />, onSelect: onRenameStart },
            { label: 'Session report', icon: <ReportIcon width="16" height="16" />, onSelect: () => onReport(conversation) },
            { kind: 'separator' },
            { kind: 'link', label: 'Export as Markdown', icon: <DownloadIcon width="16" height="16" />, href: downloads.conversation(conversation.id, 'md'), download: true },
            { kind: 'link', label: 'Export as JSON', icon: <DownloadIcon width="16" height="16" />, href: downloads.conversation(conversation.id, 'json'), download: true },
            { kind: 'separator' },
            { label: 'Delete…', icon: <TrashIcon width="16" height="16" />, danger: true, onSelect: () => onDelete(conversation) },
          ]}
        />
      </div>
    </li>
  );
}
