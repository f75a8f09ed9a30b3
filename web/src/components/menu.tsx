/**
 * A small pop-up menu (WAI-ARIA menu button pattern): the trigger toggles it; arrow keys, Home and
 * End move between items; Escape or a click elsewhere closes it and focus returns to the trigger.
 * Items are buttons or download links.
 */
import { useEffect, useId, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';

export type MenuItem =
  | { kind?: 'button'; label: ReactNode; icon?: ReactNode; onSelect(): void; danger?: boolean; disabled?: boolean; description?: ReactNode }
  | { kind: 'link'; label: ReactNode; icon?: ReactNode; href: string; download?: boolean }
  | { kind: 'separator' };

interface MenuProps {
  /** The trigger's content (an icon or a label). */
  trigger: ReactNode;
  /** The trigger's accessible name. */
  label: string;
  items: MenuItem[];
  triggerClassName?: string;
  /** Which side the menu lines up with. */
  align?: 'start' | 'end';
  /** Opens upwards (a trigger near the bottom of the screen). */
  up?: boolean;
  className?: string;
  title?: string;
  disabled?: boolean;
}

export function Menu({ trigger, label, items, triggerClassName = 'icon-button', align = 'end', up, className, title, disabled }: MenuProps) {
  const [open, setOpen] = useState(false);
  const wrapper = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const list = useRef<HTMLDivElement>(null);
  const menuId = useId();

  const close = (focusTrigger: boolean): void => {
    setOpen(false);
    if (focusTrigger) button.current?.focus();
  };

  useEffect(() => {
    if (!open) return;
    list.current?.querySelector<HTMLElement>('[role="menuitem"]:not([aria-disabled="true"])')?.focus();
    const onPointer = (event: PointerEvent): void => {
      if (!wrapper.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener('pointerdown', onPointer, true);
    return () => document.removeEventListener('pointerdown', onPointer, true);
  }, [open]);

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    const entries = [...(list.current?.querySelectorAll<HTMLElement>('[role="menuitem"]:not([aria-disabled="true"])') ?? [])];
    const index = entries.indexOf(document.activeElement as HTMLElement);
    let next: HTMLElement | undefined;
    if (event.key === 'ArrowDown') next = entries[(index + 1) % entries.length];
    else if (event.key === 'ArrowUp') next = entries[(index - 1 + entries.length) % entries.length];
    else if (event.key === 'Home') next = entries[0];
    else if (event.key === 'End') next = entries[entries.length - 1];
    else if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      close(true);
      return;
    } else if (event.key === 'Tab') {
      setOpen(false);
      return;
    }
    if (next) {
      event.preventDefault();
      next.focus();
    }
  };

  return (
    <div className={`menu${className ? ` ${className}` : ''}`} ref={wrapper}>
      <button
        ref={button}
        type="button"
        className={triggerClassName}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        aria-label={label}
        title={title ?? label}
        disabled={disabled}
        onClick={() => setOpen((value) => !value)}
        onKeyDown={(event) => {
          if (event.key === 'ArrowDown' && !open) {
            event.preventDefault();
            setOpen(true);
          }
        }}
      >
        {trigger}
      </button>
      {open ? (
        <div
          ref={list}
          id={menuId}
          className={`menu__list menu__list--${align}${up ? ' menu__list--up' : ''}`}
          role="menu"
          aria-label={label}
          onKeyDown={onKeyDown}
        >
          {items.map((item, index) => {
            if (item.kind === 'separator') return <div key={index} className="menu__separator" role="separator" />;
            if (item.kind === 'link') {
              return (
                <a key={index} className="menu__item" role="menuitem" tabIndex={-1} href={item.href} download={item.download ? '' : undefined} onClick={() => close(true)}>
                  {item.icon}
                  <span className="menu__label">{item.label}</span>
                </a>
              );
            }
            return (
              <button
                key={index}
                type="button"
                className={`menu__item${item.danger ? ' menu__item--danger' : ''}`}
                role="menuitem"
                tabIndex={-1}
                aria-disabled={item.disabled || undefined}
                onClick={() => {
                  if (item.disabled) return;
                  close(true);
                  item.onSelect();
                }}
              >
                {item.icon}
                <span className="menu__label">
                  {item.label}
                  {item.description ? <span className="menu__description">{item.description}</span> : null}
                </span>
              </button>
            );
          })}
        </div>
      ) : null}
    </div>
  );
}
