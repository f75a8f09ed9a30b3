/**
 * LocalChat's single screen: header, status banners, transcript (or the welcome), the voice strip
 * and composer, settings drawer and toasts, all driven by one realtime session.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { Composer, type ComposerHandle } from './components/composer.js';
import { Header } from './components/header.js';
import { SettingsPanel } from './components/settings-panel.js';
import { StatusBanners } from './components/status-banners.js';
import { Toasts } from './components/toasts.js';
import { Transcript } from './components/transcript.js';
import { VoiceBar } from './components/voice-bar.js';
import { Welcome } from './components/welcome.js';
import { loadPreferences, savePreferences } from './session/preferences.js';
import { useSession } from './session/use-session.js';
import { isSpeechRecognitionSupported } from './speech/use-speech-recognition.js';
import { useTheme } from './theme/use-theme.js';
import type { VoiceMode } from './voice/voice-controller.js';

/** Space starts push-to-talk unless the key is meant for a text field or the settings. */
function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.closest('textarea, select, [contenteditable="true"], .settings')) return true;
  return target instanceof HTMLInputElement && !['radio', 'checkbox', 'button'].includes(target.type);
}

export function App() {
  const { state, player, voice, voiceController, responding, actions } = useSession();
  const theme = useTheme();
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [webSpeech, setWebSpeech] = useState(() => loadPreferences().webSpeech);
  const composer = useRef<ComposerHandle>(null);
  const connected = state.connection === 'connected';
  const speechSupported = isSpeechRecognitionSupported();
  const mode = voice.settings.mode;

  const onSuggestion = useCallback(
    (text: string) => {
      actions.sendText(text);
      composer.current?.focus();
    },
    [actions],
  );
  const onSpeechStart = useCallback(() => {
    if (responding) actions.cancel();
    else actions.stopPlayback();
  }, [responding, actions]);
  const onError = useCallback((message: string) => actions.toast(message, 'error'), [actions]);
  const closeSettings = useCallback(() => setSettingsOpen(false), []);
  const onMode = useCallback((next: VoiceMode) => actions.setVoiceSettings({ mode: next }), [actions]);
  const onDetectInBrowser = useCallback(() => actions.setVoiceSettings({ turnDetection: 'browser' }), [actions]);
  const onWebSpeech = useCallback((on: boolean) => {
    setWebSpeech(on);
    savePreferences({ webSpeech: on });
  }, []);

  // Push to talk with the space bar (outside the text box): hold to record, release to send.
  useEffect(() => {
    if (mode !== 'push-to-talk') return;
    let held = false;
    const down = (event: KeyboardEvent): void => {
      if (event.code !== 'Space' || event.ctrlKey || event.metaKey || event.altKey || isTypingTarget(event.target)) return;
      event.preventDefault();
      if (event.repeat || held) return;
      held = true;
      actions.pushToTalk(true, event.timeStamp);
    };
    const up = (event: KeyboardEvent): void => {
      if (event.code !== 'Space' || !held) return;
      event.preventDefault();
      held = false;
      actions.pushToTalk(false, event.timeStamp);
    };
    const release = (): void => {
      if (!held) return;
      held = false;
      actions.pushToTalk(false);
    };
    window.addEventListener('keydown', down);
    window.addEventListener('keyup', up);
    window.addEventListener('blur', release);
    return () => {
      window.removeEventListener('keydown', down);
      window.removeEventListener('keyup', up);
      window.removeEventListener('blur', release);
      release();
    };
  }, [mode, actions]);

  const lastUser = [...state.messages].reverse().find((message) => message.role === 'user');
  const activity = { responding, transcribing: lastUser?.transcription === 'pending' };

  return (
    <div className="app">
      <a className="skip-link" href="#composer-input">
        Skip to the message box
      </a>
      <Header
        connection={state.connection}
        engines={state.engines}
        downloads={state.downloads}
        theme={theme.effective}
        onToggleTheme={theme.toggle}
        onNewChat={actions.newChat}
        canStartNewChat={connected && state.messages.length > 0}
        settingsOpen={settingsOpen}
        onOpenSettings={() => setSettingsOpen(true)}
      />
      <main className="main">
        <StatusBanners notices={state.notices} engines={state.engines} downloads={state.downloads} onDismissNotice={actions.dismissNotice} />
        {state.messages.length === 0 ? (
          <Welcome onSuggestion={onSuggestion} disabled={!connected} mode={mode} />
        ) : (
          <Transcript messages={state.messages} playingId={player.source} onToggleReplay={actions.toggleReplay} />
        )}
        <div className="dock">
          <VoiceBar
            voice={voice}
            controller={voiceController}
            player={player}
            activity={activity}
            connected={connected}
            onMode={onMode}
            onPushToTalk={actions.pushToTalk}
            onRetry={actions.retryVoice}
            onResume={actions.resumeVoice}
            onDetectInBrowser={onDetectInBrowser}
          />
          <Composer
            ref={composer}
            connected={connected}
            responding={responding}
            mode={mode}
            webSpeech={webSpeech && speechSupported}
            onSend={actions.sendText}
            onStop={actions.cancel}
            onSpeechStart={onSpeechStart}
            onError={onError}
          />
        </div>
      </main>
      <SettingsPanel
        open={settingsOpen}
        onClose={closeSettings}
        voices={state.voices}
        voice={state.voice}
        onVoice={actions.setVoice}
        speed={state.speed}
        onSpeed={actions.setSpeed}
        theme={theme.preference}
        onTheme={theme.setPreference}
        onNewChat={actions.newChat}
        connected={connected}
        voiceInput={voice.settings}
        onVoiceInput={actions.setVoiceSettings}
        webSpeech={webSpeech}
        webSpeechSupported={speechSupported}
        onWebSpeech={onWebSpeech}
      />
      <Toasts toasts={state.toasts} onDismiss={actions.dismissToast} />
    </div>
  );
}
