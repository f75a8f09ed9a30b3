/**
 * "New chat": free conversation, the topic of the day, or a role-play scene from the library.
 */
import type { ReactNode } from 'react';
import type { Topic } from '../api/client.js';
import type { ChatTheme } from '../session/use-session.js';
import { CalendarIcon, ChatIcon, MaskIcon } from './icons.js';
import { Menu } from './menu.js';

interface NewChatMenuProps {
  trigger: ReactNode;
  triggerClassName?: string;
  label?: string;
  today: Topic | null;
  disabled: boolean;
  onStart(theme: ChatTheme): void;
  onPickScenario(): void;
  align?: 'start' | 'end';
  className?: string;
}

export function NewChatMenu({ trigger, triggerClassName, label = 'New chat', today, disabled, onStart, onPickScenario, align, className }: NewChatMenuProps) {
  return (
    <Menu
      trigger={trigger}
      triggerClassName={triggerClassName}
      label={label}
      align={align}
      className={className}
      disabled={disabled}
      items={[
        { label: 'Free conversation', description: 'Talk about anything you like', icon: <ChatIcon width="18" height="18" />, onSelect: () => onStart({}) },
        {
          label: 'Topic of the day',
          description: today ? today.title : 'A new subject every day',
          icon: <CalendarIcon width="18" height="18" />,
          onSelect: () => onStart({ topicId: 'today' }),
        },
        { label: 'Role-play a scene…', description: 'Order food, check in, a job interview…', icon: <MaskIcon width="18" height="18" />, onSelect: onPickScenario },
      ]}
    />
  );
}
