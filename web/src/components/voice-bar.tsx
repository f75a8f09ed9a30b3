/**
 * The voice strip above the message box: how the learner talks (hands-free, push to talk, type),
 * what is happening now (listening, hearing you, thinking, the tutor speaking, paused, a problem
 * and how to fix it), the microphone level, and the push-to-talk button.
 */
import { useEffect, useRef, type PointerEvent } from 'react';
import type { PlayerSnapshot } from '../audio/player.js';
import type { VoiceController, VoiceMode, VoiceSnapshot } from '../voice/voice-controller.js';
import { KeyboardIcon, MicIcon, MicOffIcon, PushIcon, WarningIcon, WaveIcon } from './icons.js';

const modes: { value: VoiceMode; label: string; short: string; icon: typeof WaveIcon; title: string }[] = [
  { value: 'hands-free', label: 'Hands-free', short: 'Hands-free', icon: WaveIcon, title: 'Just talk: a pause ends your turn' },
  { value: 'push-to-talk', label: 'Push to talk', short: 'Push', icon: PushIcon, title: 'Hold the button or Space while you talk' },
  { value: 'typing', label: 'Type', short: 'Type', icon: KeyboardIcon, title: 'Microphone off: type your messages' },
];

const errorTitles: Record<NonNullable<VoiceSnapshot['errorKind']>, string> = {
  denied: 'Microphone blocked',
  'not-found': 'No microphone',
  busy: 'Microphone busy',
  ended: 'Microphone disconnected',
  insecure: 'Microphone needs a secure page',
  unsupported: 'Recording not supported',
  failed: 'Microphone failed',
  vad: 'Voice detection unavailable',
  server: 'Voice input unavailable',
  'server-vad': 'Server detection unavailable',
};

export interface VoiceActivity {
  /** A reply was requested or is being made. */
  responding: boolean;
  /** The learner's last spoken turn is being transcribed. */
  transcribing: boolean;
  /**
   * Why speech cannot be recognised (the server's speech recognition failed to load), or null:
   * then the strip says so and offers typing, instead of "Hearing you" with nothing sent.
   */
  speechUnavailable?: string | null;
}

interface VoiceBarProps {
  voice: VoiceSnapshot;
  controller: VoiceController;
  player: PlayerSnapshot;
  activity: VoiceActivity;
  connected: boolean;
  onMode(mode: VoiceMode): void;
  onPushToTalk(down: boolean, at?: number): void;
  onRetry(): void;
  onResume(): void;
  onDetectInBrowser(): void;
}

/** What the strip says, and its tone. */
export function voiceStatus(voice: VoiceSnapshot, player: PlayerSnapshot, activity: VoiceActivity): { text: string; tone: 'idle' | 'live' | 'busy' | 'tutor' | 'warn' | 'error' } {
  const { mode, bargeIn } = voice.settings;
  const tutorTalking = player.state === 'playing' || player.state === 'buffering';
  switch (voice.phase) {
    case 'off':
      return { text: 'Microphone off', tone: 'idle' };
    case 'starting':
      return { text: 'Starting the microphone…', tone: 'busy' };
    case 'suspended':
      return { text: 'Click anywhere to start listening', tone: 'warn' };
    case 'error':
      return { text: errorTitles[voice.errorKind ?? 'failed'], tone: 'error' };
    case 'paused':
      return { text: 'Microphone paused while the tutor speaks', tone: 'tutor' };
    case 'hearing':
      if (activity.speechUnavailable) return { text: "Speech can't be recognised — please type", tone: 'warn' };
      return mode === 'push-to-talk' ? { text: 'Let go to send', tone: 'live' } : { text: 'Hearing you · pause to finish', tone: 'live' };
    case 'listening':
      if (tutorTalking) {
        if (mode === 'push-to-talk') return { text: 'Tutor speaking', tone: 'tutor' };
        return { text: bargeIn ? 'Tutor speaking: talk to interrupt' : 'Tutor speaking', tone: 'tutor' };
      }
      if (activity.transcribing) return { text: 'Working out what you said…', tone: 'busy' };
      if (activity.responding) return { text: 'Thinking…', tone: 'busy' };
      if (activity.speechUnavailable) return { text: "Speech can't be recognised — please type", tone: 'warn' };
      return mode === 'push-to-talk' ? { text: 'Hold to talk', tone: 'idle' } : { text: 'Listening: speak when you are ready', tone: 'idle' };
  }
}

export function VoiceBar({ voice, controller, player, activity, connected, onMode, onPushToTalk, onRetry, onResume, onDetectInBrowser }: VoiceBarProps) {
  const { mode } = voice.settings;
  const status = voiceStatus(voice, player, activity);
  const micLive = voice.phase === 'listening' || voice.phase === 'hearing' || voice.phase === 'paused';
  const recording = voice.recording;

  const onPointerDown = (event: PointerEvent<HTMLButtonElement>): void => {
    if (event.button !== 0) return;
    event.preventDefault();
    event.currentTarget.setPointerCapture(event.pointerId);
    onPushToTalk(true, event.timeStamp);
  };
  const release = (event: { timeStamp: number }): void => {
    if (recording) onPushToTalk(false, event.timeStamp);
  };

  return (
    <section className={`voice-bar voice-bar--${voice.phase} voice-bar--${status.tone}`} aria-label="Voice input">
      <div className="voice-bar__row">
        <div className="voice-bar__status">
          {mode === 'push-to-talk' && voice.phase !== 'error' && voice.phase !== 'starting' ? (
            <button
              type="button"
              className={`talk-button${recording ? ' talk-button--on' : ''}`}
              onPointerDown={onPointerDown}
              onPointerUp={release}
              onPointerCancel={release}
              onLostPointerCapture={release}
              onContextMenu={(event) => event.preventDefault()}
              aria-pressed={recording}
              disabled={!connected}
              title="Hold to talk (or hold Space)"
            >
              <MicIcon width="18" height="18" />
              <span>{recording ? 'Recording…' : 'Hold to talk'}</span>
            </button>
          ) : null}
          {micLive ? <LevelMeter controller={controller} active={voice.phase === 'hearing'} /> : null}
          {voice.phase === 'error' ? <WarningIcon className="voice-bar__icon" width="18" height="18" /> : null}
          {voice.phase === 'off' ? <MicOffIcon className="voice-bar__icon" width="18" height="18" /> : null}
          {voice.phase === 'starting' ? <span className="spinner" aria-hidden="true" /> : null}
          <span className="voice-bar__text" role="status" aria-live="polite">
            {mode === 'push-to-talk' && voice.phase === 'listening' && status.text === 'Hold to talk' ? (
              <span className="voice-bar__hint">
                or hold <kbd>Space</kbd>
              </span>
            ) : (
              status.text
            )}
          </span>
          {voice.phase === 'suspended' ? (
            <button type="button" className="link-button" onClick={onResume}>
              Start listening
            </button>
          ) : null}
        </div>
        <div className="voice-modes" role="radiogroup" aria-label="How you talk to the tutor">
          {modes.map((option) => {
            const Icon = option.icon;
            const on = option.value === mode;
            return (
              <label key={option.value} className={`voice-modes__option${on ? ' voice-modes__option--on' : ''}`} title={option.title}>
                <input type="radio" name="voice-mode" value={option.value} checked={on} onChange={() => onMode(option.value)} />
                <Icon width="16" height="16" />
                <span className="voice-modes__label">{option.label}</span>
                <span className="voice-modes__short" aria-hidden="true">
                  {option.short}
                </span>
              </label>
            );
          })}
        </div>
      </div>
      {activity.speechUnavailable && mode !== 'typing' && voice.phase !== 'error' ? (
        <div className="voice-alert voice-alert--speech" role="alert">
          <p className="voice-alert__text">
            Speech can't be recognised: {activity.speechUnavailable} Type your messages instead.
          </p>
          <div className="voice-alert__actions">
            <button type="button" className="button button--secondary button--small" onClick={() => onMode('typing')}>
              Type instead
            </button>
          </div>
        </div>
      ) : null}
      {voice.phase === 'error' ? (
        <div className="voice-alert" role="alert">
          <p className="voice-alert__text">{voice.error}</p>
          <div className="voice-alert__actions">
            {voice.errorKind !== 'server' && voice.errorKind !== 'server-vad' ? (
              <button type="button" className="button button--secondary button--small" onClick={onRetry}>
                Try again
              </button>
            ) : null}
            {voice.errorKind === 'server-vad' ? (
              <button type="button" className="button button--secondary button--small" onClick={onDetectInBrowser}>
                Detect in the browser
              </button>
            ) : null}
            {voice.errorKind === 'vad' ? (
              <button type="button" className="button button--secondary button--small" onClick={() => onMode('push-to-talk')}>
                Push to talk
              </button>
            ) : null}
            <button type="button" className="button button--secondary button--small" onClick={() => onMode('typing')}>
              Type instead
            </button>
          </div>
        </div>
      ) : null}
    </section>
  );
}

/** Five bars that follow the microphone level; updated straight on the DOM, ~30 times a second. */
function LevelMeter({ controller, active }: { controller: VoiceController; active: boolean }) {
  const meter = useRef<HTMLSpanElement>(null);
  useEffect(
    () =>
      controller.subscribeLevel((level) => {
        meter.current?.style.setProperty('--level', level.toFixed(3));
      }),
    [controller],
  );
  return (
    <span ref={meter} className={`level-meter${active ? ' level-meter--active' : ''}`} aria-hidden="true" data-testid="level-meter">
      <span />
      <span />
      <span />
      <span />
      <span />
    </span>
  );
}
