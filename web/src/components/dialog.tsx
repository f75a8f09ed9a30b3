/**
 * A modal dialog: a centred card (a bottom sheet on phones) over a dimmed page. Focus moves into
 * it when it opens and stays inside (Tab wraps), Escape or the backdrop closes it, and focus goes
 * back to what had it before. `ConfirmDialog` is the "are you sure?" kind.
 */
import { useEffect, useId, useRef, type ReactNode, type RefObject } from 'react';
import { createPortal } from 'react-dom';
import { CloseIcon } from './icons.js';

const FOCUSABLE = 'a[href], select:not([disabled]), input:not([disabled]), textarea:not([disabled]), button:not([disabled]), [tabindex="0"]';

/** Keeps focus inside `container` while mounted; Escape calls `onEscape`; focus returns on unmount. */
export function useFocusTrap(container: RefObject<HTMLElement | null>, onEscape: () => void, initial?: string): void {
  const escape = useRef(onEscape);
  escape.current = onEscape;
  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    const element = container.current;
    const first = (initial ? element?.querySelector<HTMLElement>(initial) : null) ?? element?.querySelector<HTMLElement>(FOCUSABLE);
    (first ?? element)?.focus();
    const onKey = (event: KeyboardEvent): void => {
      if (event.key === 'Escape') {
        event.preventDefault();
        event.stopPropagation();
        escape.current();
      } else if (event.key === 'Tab' && container.current) {
        const focusable = [...container.current.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((node) => node.offsetParent !== null || node === document.activeElement);
        const head = focusable[0];
        const tail = focusable[focusable.length - 1];
        if (!head || !tail) return;
        if (event.shiftKey && (document.activeElement === head || !container.current.contains(document.activeElement))) {
          event.preventDefault();
          tail.focus();
        } else if (!event.shiftKey && (document.activeElement === tail || !container.current.contains(document.activeElement))) {
          event.preventDefault();
          head.focus();
        }
      }
    };
    document.addEventListener('keydown', onKey, true);
    return () => {
      document.removeEventListener('keydown', onKey, true);
      if (opener && document.contains(opener)) opener.focus();
    };
  }, [container, initial]);
}

interface DialogProps {
  title: ReactNode;
  onClose(): void;
  children: ReactNode;
  /** Buttons at the bottom. */
  footer?: ReactNode;
  /** `wide` for the scenario library and the report. */
  size?: 'small' | 'medium' | 'wide';
  /** CSS selector of the element to focus first. */
  initialFocus?: string;
  className?: string;
  /** An `alertdialog` (a confirmation). */
  alert?: boolean;
  description?: ReactNode;
}

export function Dialog({ title, onClose, children, footer, size = 'medium', initialFocus, className, alert, description }: DialogProps) {
  const card = useRef<HTMLDivElement>(null);
  const titleId = useId();
  const descriptionId = useId();
  useFocusTrap(card, onClose, initialFocus);
  return createPortal(
    <div className="dialog-layer">
      <div className="dialog-backdrop" onClick={onClose} aria-hidden="true" />
      <div
        ref={card}
        className={`dialog dialog--${size}${className ? ` ${className}` : ''}`}
        role={alert ? 'alertdialog' : 'dialog'}
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={description ? descriptionId : undefined}
        tabIndex={-1}
      >
        <div className="dialog__header">
          <h2 id={titleId}>{title}</h2>
          <button type="button" className="icon-button" onClick={onClose} aria-label="Close">
            <CloseIcon />
          </button>
        </div>
        <div className="dialog__body">
          {description ? (
            <p id={descriptionId} className="dialog__description">
              {description}
            </p>
          ) : null}
          {children}
        </div>
        {footer ? <div className="dialog__footer">{footer}</div> : null}
      </div>
    </div>,
    document.body,
  );
}

interface ConfirmDialogProps {
  title: string;
  message: ReactNode;
  confirmLabel: string;
  /** A destructive action (red button). */
  danger?: boolean;
  busy?: boolean;
  onConfirm(): void;
  onCancel(): void;
}

export function ConfirmDialog({ title, message, confirmLabel, danger, busy, onConfirm, onCancel }: ConfirmDialogProps) {
  return (
    <Dialog
      title={title}
      onClose={onCancel}
      size="small"
      alert
      description={message}
      initialFocus=".dialog__cancel"
      footer={
        <>
          <button type="button" className="button button--secondary dialog__cancel" onClick={onCancel}>
            Cancel
          </button>
          <button type="button" className={`button ${danger ? 'button--danger' : 'button--primary'}`} onClick={onConfirm} disabled={busy}>
            {busy ? <span className="spinner spinner--on-accent" aria-hidden="true" /> : null}
            {confirmLabel}
          </button>
        </>
      }
    >
      {null}
    </Dialog>
  );
}
