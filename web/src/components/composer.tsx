/**
 * The message box: a growing textarea (Enter sends, Shift+Enter adds a line, 4000 characters at
 * most with a counter near the limit), the send button, a stop button while a reply runs, and —
 * when the learner turned it on in the settings — a button for the browser's own speech
 * recognition (Google's servers in Chrome). Typing works in every voice mode.
 */
import { useCallback, useImperativeHandle, useLayoutEffect, useRef, useState, type KeyboardEvent, type Ref } from 'react';
import { MAX_MESSAGE_CHARS } from '../session/use-session.js';
import { useSpeechRecognition } from '../speech/use-speech-recognition.js';
import type { VoiceMode } from '../voice/voice-controller.js';
import { MicIcon, SendIcon, StopIcon } from './icons.js';

/** The counter shows from this many characters on. */
const COUNTER_FROM = MAX_MESSAGE_CHARS - 400;
/** Tallest the textarea grows before it scrolls, px. */
const MAX_TEXTAREA_HEIGHT_PX = 200;

const speechNote = "In Chrome, speech recognition runs on Google's servers: what you say is sent to Google.";

export interface ComposerHandle {
  focus(): void;
  /** Puts text in the box (after what is there) and focuses it. */
  insert(text: string): void;
}

interface ComposerProps {
  connected: boolean;
  responding: boolean;
  /** The voice mode (placeholder and hint follow it). */
  mode: VoiceMode;
  /** Show the browser speech recognition button. */
  webSpeech: boolean;
  onSend(text: string): void;
  onStop(): void;
  /** The learner started speaking: the tutor should stop talking. */
  onSpeechStart(): void;
  onError(message: string): void;
  ref?: Ref<ComposerHandle>;
}

export function Composer({ connected, responding, mode, webSpeech, onSend, onStop, onSpeechStart, onError, ref }: ComposerProps) {
  const [text, setText] = useState('');
  const textarea = useRef<HTMLTextAreaElement>(null);
  /** What the box held when listening started; recognised speech is appended to it. */
  const speechPrefix = useRef('');

  useImperativeHandle(
    ref,
    () => ({
      focus: () => textarea.current?.focus(),
      insert: (addition: string) => {
        setText((previous) => joinText(previous, addition));
        requestAnimationFrame(() => {
          const element = textarea.current;
          if (!element) return;
          element.focus();
          element.setSelectionRange(element.value.length, element.value.length);
        });
      },
    }),
    [],
  );

  const speech = useSpeechRecognition({
    lang: 'en-US',
    onInterim: (interim) => setText(joinText(speechPrefix.current, interim)),
    onFinal: (final) => {
      const message = joinText(speechPrefix.current, final);
      speechPrefix.current = '';
      setText('');
      onSend(message);
    },
    onError,
  });

  useLayoutEffect(() => {
    const element = textarea.current;
    if (!element) return;
    element.style.height = 'auto';
    element.style.height = `${Math.min(element.scrollHeight, MAX_TEXTAREA_HEIGHT_PX)}px`;
  }, [text]);

  const send = useCallback(() => {
    if (!text.trim() || !connected) return;
    onSend(text);
    setText('');
  }, [text, connected, onSend]);

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>): void => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      send();
    } else if (event.key === 'Escape' && responding) {
      event.preventDefault();
      onStop();
    }
  };

  const toggleMic = (): void => {
    if (speech.listening) {
      speech.stop();
      return;
    }
    speechPrefix.current = text;
    onSpeechStart();
    speech.start();
  };

  const length = text.length;
  const showCounter = length >= COUNTER_FROM;
  const canSend = connected && text.trim().length > 0;
  const placeholder = speech.listening
    ? 'Listening…'
    : !connected
      ? 'Waiting for the connection…'
      : mode === 'typing'
        ? 'Message your tutor…'
        : 'Or type a message…';
  const showSpeechButton = webSpeech && speech.supported;

  return (
    <form
      className="composer"
      onSubmit={(event) => {
        event.preventDefault();
        send();
      }}
    >
      {showCounter ? (
        <div className="composer__counter">
          <span className={`counter${length >= MAX_MESSAGE_CHARS ? ' counter--full' : ''}`} aria-live="polite">
            {length.toLocaleString('en')} / {MAX_MESSAGE_CHARS.toLocaleString('en')}
            <span className="visually-hidden"> characters</span>
          </span>
        </div>
      ) : null}
      <div className={`composer__box${speech.listening ? ' composer__box--listening' : ''}`}>
        <label htmlFor="composer-input" className="visually-hidden">
          Message
        </label>
        <textarea
          id="composer-input"
          ref={textarea}
          value={text}
          onChange={(event) => setText(event.target.value)}
          onKeyDown={onKeyDown}
          placeholder={placeholder}
          maxLength={MAX_MESSAGE_CHARS}
          rows={1}
          autoComplete="off"
          spellCheck
          enterKeyHint="send"
          aria-describedby="composer-hint"
          readOnly={speech.listening}
        />
        <div className="composer__actions">
          {showSpeechButton ? (
            <button
              type="button"
              className={`icon-button mic${speech.listening ? ' mic--listening' : ''}`}
              onClick={toggleMic}
              aria-pressed={speech.listening}
              aria-label={speech.listening ? 'Stop browser speech recognition' : 'Speak (browser speech recognition)'}
              aria-describedby="speech-note"
              title={`${speech.listening ? 'Stop listening' : 'Browser speech recognition'}: ${speechNote}`}
              disabled={!connected}
            >
              <MicIcon />
            </button>
          ) : null}
          {responding ? (
            <button type="button" className="button button--stop" onClick={onStop} aria-label="Stop the reply" title="Stop (Esc)">
              <StopIcon width="18" height="18" />
              <span className="button__label">Stop</span>
            </button>
          ) : null}
          <button type="submit" className="button button--send" disabled={!canSend} aria-label="Send" title="Send (Enter)">
            <SendIcon width="18" height="18" />
          </button>
        </div>
      </div>
      <p id="composer-hint" className="composer__hint">
        {speech.listening ? (
          <span id="speech-note">Listening… {speechNote}</span>
        ) : (
          <>
            {mode === 'push-to-talk' ? (
              <span>
                Hold <kbd>Space</kbd> (outside the text box) to talk · <kbd>Enter</kbd> sends typed text
              </span>
            ) : mode === 'hands-free' ? (
              <span>Just talk, and pause when you have finished · typing works too</span>
            ) : (
              <span>
                <kbd>Enter</kbd> to send · <kbd>Shift</kbd>+<kbd>Enter</kbd> for a new line
              </span>
            )}
            {showSpeechButton ? (
              <span id="speech-note" className="visually-hidden">
                {speechNote}
              </span>
            ) : null}
          </>
        )}
      </p>
    </form>
  );
}

function joinText(prefix: string, addition: string): string {
  if (!prefix.trim()) return addition;
  if (!addition) return prefix;
  return `${prefix.replace(/\s+$/, '')} ${addition}`;
}
