/**
 * Unobtrusive notifications (server `error` events and client hints), each gone after a while.
 */
import { useEffect } from 'react';
import type { Toast } from '../session/state.js';
import { CloseIcon } from './icons.js';

/** How long a toast stays, ms. */
const TOAST_MS = 7000;

export function Toasts({ toasts, onDismiss }: { toasts: Toast[]; onDismiss(id: string): void }) {
  return (
    <div className="toasts" role="status" aria-live="polite">
      {toasts.map((toast) => (
        <ToastItem key={toast.id} toast={toast} onDismiss={onDismiss} />
      ))}
    </div>
  );
}

function ToastItem({ toast, onDismiss }: { toast: Toast; onDismiss(id: string): void }) {
  useEffect(() => {
    const timer = setTimeout(() => onDismiss(toast.id), TOAST_MS);
    return () => clearTimeout(timer);
  }, [toast.id, onDismiss]);
  return (
    <div className={`toast toast--${toast.level}`}>
      <span className="toast__text">{toast.message}</span>
      <button type="button" className="icon-button icon-button--small" onClick={() => onDismiss(toast.id)} aria-label="Dismiss">
        <CloseIcon width="16" height="16" />
      </button>
    </div>
  );
}
