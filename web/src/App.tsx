/**
 * LocalChat's single screen: header, status banners, transcript (or the welcome), composer,
 * settings drawer and toasts, all driven by one realtime session.
 */
import { useCallback, useRef, useState } from 'react';
import { Composer, type ComposerHandle } from './components/composer.js';
import { Header } from './components/header.js';
import { SettingsPanel } from './components/settings-panel.js';
import { StatusBanners } from './components/status-banners.js';
import { Toasts } from './components/toasts.js';
import { Transcript } from './components/transcript.js';
import { Welcome } from './components/welcome.js';
import { useSession } from './session/use-session.js';
import { isSpeechRecognitionSupported } from './speech/use-speech-recognition.js';
import { useTheme } from './theme/use-theme.js';

export function App() {
  const { state, player, responding, actions } = useSession();
  const theme = useTheme();
  const [settingsOpen, setSettingsOpen] = useState(false);
  const composer = useRef<ComposerHandle>(null);
  const connected = state.connection === 'connected';

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
          <Welcome onSuggestion={onSuggestion} disabled={!connected} canSpeak={isSpeechRecognitionSupported()} />
        ) : (
          <Transcript messages={state.messages} playingId={player.source} onToggleReplay={actions.toggleReplay} />
        )}
        <Composer
          ref={composer}
          connected={connected}
          responding={responding}
          onSend={actions.sendText}
          onStop={actions.cancel}
          onSpeechStart={onSpeechStart}
          onError={onError}
        />
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
      />
      <Toasts toasts={state.toasts} onDismiss={actions.dismissToast} />
    </div>
  );
}
