/**
 * The app's views without a router: `#vocabulary`, `#progress` and `#diagnostics` in the address,
 * the chat otherwise. Links and the browser's back button work as usual. Diagnostics is reached
 * from the settings and the status details, not from the header's tabs.
 */
import { useCallback, useSyncExternalStore } from 'react';

export type View = 'chat' | 'vocabulary' | 'progress' | 'diagnostics';

/** The header's tabs. */
export const VIEWS: readonly { id: Exclude<View, 'diagnostics'>; label: string }[] = [
  { id: 'chat', label: 'Chat' },
  { id: 'vocabulary', label: 'Vocabulary' },
  { id: 'progress', label: 'Progress' },
];

/** The view a location hash names. */
export function viewOf(hash: string): View {
  const name = hash.replace(/^#\/?/, '');
  return name === 'vocabulary' || name === 'progress' || name === 'diagnostics' ? name : 'chat';
}

export function viewHref(view: View): string {
  return view === 'chat' ? '#chat' : `#${view}`;
}

function subscribe(listener: () => void): () => void {
  window.addEventListener('hashchange', listener);
  return () => window.removeEventListener('hashchange', listener);
}

/** The current view, and a way to go to another. */
export function useView(): [View, (view: View) => void] {
  const view = useSyncExternalStore(subscribe, () => viewOf(window.location.hash));
  const go = useCallback((next: View) => {
    if (viewOf(window.location.hash) !== next) window.location.hash = viewHref(next);
  }, []);
  return [view, go];
}
