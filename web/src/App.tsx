/**
 * LocalChat's screen: the header with its views (Chat, Vocabulary, Progress), the saved
 * conversations (a sidebar, a drawer on phones), and the view: the chat (the status line, the
 * conversation strip, transcript or welcome, voice strip and composer), the vocabulary page or
 * the progress page, or diagnostics. Dialogs: settings, the configuration, the scene library, session reports, confirmations, the
 * word look-up. One realtime session drives the chat; the tutor API (when the server has one) the
 * rest — without it, the chat works alone.
 */
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { api, errorText, type ConversationSummary, type Scenario } from './api/client.js';
import { Composer, type ComposerHandle } from './components/composer.js';
import { ConversationBar } from './components/conversation-bar.js';
import { ConversationList, conversationTitle } from './components/conversation-list.js';
import { ConfirmDialog } from './components/dialog.js';
import { Header } from './components/header.js';
import { NewChatIcon } from './components/icons.js';
import type { MessageActions } from './components/message-bubble.js';
import { NewChatMenu } from './components/new-chat-menu.js';
import { ReportDialog, type ReportSource } from './components/report-dialog.js';
import { ScenarioPicker } from './components/scenario-picker.js';
import { SettingsPanel, type SettingsTutor } from './components/settings-panel.js';
import { ConfigDialog } from './components/config-dialog.js';
import { StatusLine } from './components/status-line.js';
import { Toasts } from './components/toasts.js';
import { Transcript } from './components/transcript.js';
import { VoiceBar } from './components/voice-bar.js';
import { Welcome } from './components/welcome.js';
import { WordPopover } from './components/word-popover.js';
import type { WordLookup } from './components/word-text.js';
import { useView } from './navigation.js';
import { loadPreferences, savePreferences } from './session/preferences.js';
import { useSession, type ChatTheme } from './session/use-session.js';
import { isSpeechRecognitionSupported } from './speech/use-speech-recognition.js';
import { useTheme } from './theme/use-theme.js';
import { sceneVerdictInstructions } from './tutor/scene.js';
import { useTutor } from './tutor/use-tutor.js';
import { VocabularyView } from './views/vocabulary-view.js';
import type { VoiceMode } from './voice/voice-controller.js';

/** Chart.js loads with the progress page only. */
const ProgressView = lazy(() => import('./views/progress-view.js'));
const DiagnosticsView = lazy(() => import('./views/diagnostics-view.js'));

/** How often a visible page reloads the conversation list (changes made on other devices), ms. */
const LIST_POLL_MS = 15_000;

/** Space starts push-to-talk unless the key is meant for a text field, a dialog or the settings. */
function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.closest('textarea, select, [contenteditable="true"], .settings, .dialog, .word-popover, .menu, .word-text')) return true;
  return target instanceof HTMLInputElement && !['radio', 'checkbox', 'button'].includes(target.type);
}

export function App() {
  const { state, player, voice, voiceController, responding, actions } = useSession();
  const tutor = useTutor(state.serverTutor);
  const theme = useTheme();
  const [view, goTo] = useView();
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [drawerOpen, setDrawerOpen] = useState(false);
  const [pickingScene, setPickingScene] = useState(false);
  const [savedReport, setSavedReport] = useState<ReportSource | null>(null);
  const [deleting, setDeleting] = useState<ConversationSummary | null>(null);
  const [deleteBusy, setDeleteBusy] = useState(false);
  const [lookup, setLookup] = useState<WordLookup | null>(null);
  const [vocabularyVersion, setVocabularyVersion] = useState(0);
  const [progressVersion, setProgressVersion] = useState(0);
  const [hideText, setHideText] = useState(() => loadPreferences().hideTutorText === true);
  const [webSpeech, setWebSpeech] = useState(() => loadPreferences().webSpeech);
  const [volume, setVolume] = useState(() => loadPreferences().volume ?? 1);
  const [statusOpen, setStatusOpen] = useState(false);
  const [configOpen, setConfigOpen] = useState(false);
  const composer = useRef<ComposerHandle>(null);
  const connected = state.connection === 'connected';
  const speechSupported = isSpeechRecognitionSupported();
  const mode = voice.settings.mode;
  const withTutor = tutor.availability === 'available';
  const conversation = state.conversation;
  const { refreshConversations, refreshProfile } = tutor;

  const scenario: Scenario | null = useMemo(
    () => tutor.scenarios.find((candidate) => candidate.id === conversation.scenarioId) ?? null,
    [tutor.scenarios, conversation.scenarioId],
  );
  const profileLevel = tutor.profile ? (tutor.profile.level !== 'auto' ? tutor.profile.level : tutor.profile.estimatedLevel ?? null) : null;

  // The list follows the conversation: a new one, each finished reply, a report.
  const finishedTurns = state.messages.filter((message) => message.status === 'completed' || message.status === 'sent').length;
  useEffect(() => {
    if (withTutor) refreshConversations();
  }, [withTutor, conversation.id, finishedTurns, refreshConversations]);

  // Other tabs of this browser hear of every change at once (BroadcastChannel); other devices'
  // changes show when this tab comes back into view, and every LIST_POLL_MS while it is visible.
  const channel = useMemo(() => (typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel('localchat')), []);
  useEffect(() => () => channel?.close(), [channel]);
  useEffect(() => {
    if (withTutor && finishedTurns > 0) channel?.postMessage({ type: 'conversations-changed' });
  }, [withTutor, channel, conversation.id, finishedTurns]);
  useEffect(() => {
    if (!withTutor) return;
    const refresh = () => {
      if (document.visibilityState === 'visible') refreshConversations();
    };
    const onMessage = (event: MessageEvent<{ type?: string }>) => {
      if (event.data?.type !== 'conversations-changed') return;
      refreshConversations();
      // The other tab's message may be saved a moment after it said so.
      setTimeout(refreshConversations, 600);
    };
    channel?.addEventListener('message', onMessage);
    document.addEventListener('visibilitychange', refresh);
    window.addEventListener('focus', refresh);
    const timer = setInterval(refresh, LIST_POLL_MS);
    return () => {
      channel?.removeEventListener('message', onMessage);
      document.removeEventListener('visibilitychange', refresh);
      window.removeEventListener('focus', refresh);
      clearInterval(timer);
    };
  }, [withTutor, channel, refreshConversations]);

  const reportReady = state.report?.status === 'ready';
  useEffect(() => {
    if (!reportReady) return;
    refreshProfile();
    refreshConversations();
    setProgressVersion((value) => value + 1);
  }, [reportReady, refreshProfile, refreshConversations]);

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
  const closeDrawer = useCallback(() => setDrawerOpen(false), []);
  const onMode = useCallback((next: VoiceMode) => actions.setVoiceSettings({ mode: next }), [actions]);
  const onDetectInBrowser = useCallback(() => actions.setVoiceSettings({ turnDetection: 'browser' }), [actions]);
  const onWebSpeech = useCallback((on: boolean) => {
    setWebSpeech(on);
    savePreferences({ webSpeech: on });
  }, []);
  useEffect(() => actions.setVolume(volume), [actions, volume]);
  const onVolume = useCallback((next: number) => {
    setVolume(next);
    savePreferences({ volume: next });
  }, []);
  const showConfig = useCallback(() => {
    setStatusOpen(false);
    setConfigOpen(true);
  }, []);
  const showDiagnostics = useCallback(() => {
    setStatusOpen(false);
    goTo('diagnostics');
  }, [goTo]);
  const onHideText = useCallback((hide: boolean) => {
    setHideText(hide);
    savePreferences({ hideTutorText: hide });
  }, []);

  const startChat = useCallback(
    (chatTheme: ChatTheme = {}) => {
      actions.newChat(chatTheme);
      setPickingScene(false);
      setDrawerOpen(false);
      goTo('chat');
      composer.current?.focus();
    },
    [actions, goTo],
  );
  const pickScene = useCallback(() => {
    setDrawerOpen(false);
    setPickingScene(true);
  }, []);

  const openConversation = useCallback(
    (id: string) => {
      setDrawerOpen(false);
      goTo('chat');
      if (id !== conversation.id) actions.resume(id);
    },
    [actions, conversation.id, goTo],
  );
  const renameConversation = useCallback(
    async (id: string, title: string) => {
      try {
        await api.renameConversation(id, title);
        refreshConversations();
      } catch (error) {
        actions.toast(`Not renamed: ${errorText(error)}`, 'error');
        throw error;
      }
    },
    [actions, refreshConversations],
  );
  const deleteConversation = useCallback(async () => {
    if (!deleting) return;
    setDeleteBusy(true);
    try {
      await api.deleteConversation(deleting.id);
      if (deleting.id === conversation.id) actions.newChat();
      actions.toast(`“${conversationTitle(deleting)}” was deleted.`);
      refreshConversations();
      setProgressVersion((value) => value + 1);
    } catch (error) {
      actions.toast(`Not deleted: ${errorText(error)}`, 'error');
    } finally {
      setDeleteBusy(false);
      setDeleting(null);
    }
  }, [deleting, conversation.id, actions, refreshConversations]);

  const onLookup = useCallback((next: WordLookup) => setLookup(next), []);
  const closeLookup = useCallback(() => setLookup(null), []);
  const onWordSaved = useCallback(() => setVocabularyVersion((value) => value + 1), []);
  const messageActions: MessageActions = useMemo(
    () => ({
      onToggleReplay: actions.toggleReplay,
      onToggleSlow: actions.toggleSlowReplay,
      onToggleSentence: actions.toggleSentence,
      onLookup: withTutor ? onLookup : null,
    }),
    [actions, withTutor, onLookup],
  );

  const settingsTutor: SettingsTutor | null = useMemo(
    () =>
      withTutor
        ? {
            profile: tutor.profile,
            storeOk: tutor.store?.ok !== false,
            saveProfile: tutor.saveProfile,
            onImported: () => {
              refreshConversations();
              refreshProfile();
              tutor.refreshStore();
              setVocabularyVersion((value) => value + 1);
              setProgressVersion((value) => value + 1);
            },
            toast: actions.toast,
          }
        : null,
    [withTutor, tutor.profile, tutor.store, tutor.saveProfile, tutor.refreshStore, refreshConversations, refreshProfile, actions.toast],
  );

  // Push to talk with the space bar (outside the text box), in the chat: hold to record, release to send.
  useEffect(() => {
    if (mode !== 'push-to-talk' || view !== 'chat') return;
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
  }, [mode, view, actions]);

  const lastUser = [...state.messages].reverse().find((message) => message.role === 'user');
  const sttStatus = state.engines.find((engine) => engine.kind === 'stt');
  const activity = {
    responding,
    transcribing: lastUser?.transcription === 'pending',
    speechUnavailable: sttStatus?.state === 'error' ? (sttStatus.message ?? 'the speech recognition model could not be loaded.') : null,
  };
  const themed = conversation.scenario !== null || conversation.scenarioId !== null || conversation.topic !== null;
  const showBar = state.messages.length > 0 || themed;
  const canEnd = withTutor && connected && state.messages.some((message) => message.role === 'user' && message.status === 'sent');
  const liveReport: ReportSource | null = state.report
    ? {
        kind: 'live',
        status: state.report.status,
        conversationId: state.report.conversationId,
        report: state.report.status === 'ready' ? state.report.report : null,
        message: state.report.status === 'failed' ? state.report.message : undefined,
        title: scenario?.title ?? conversation.scenario?.title ?? conversation.topic?.title ?? conversation.title,
      }
    : null;

  const newChatMenu = (className: string, content: ReactNode, label?: string) => (
    <NewChatMenu
      trigger={content}
      triggerClassName={className}
      label={label}
      today={tutor.topics?.today ?? null}
      disabled={!connected}
      onStart={startChat}
      onPickScenario={pickScene}
      align="start"
    />
  );

  return (
    <div className={`app${withTutor ? ' app--tutor' : ''}`}>
      {view === 'chat' ? (
        <a className="skip-link" href="#composer-input">
          Skip to the message box
        </a>
      ) : null}
      <Header
        connection={state.connection}
        engines={state.engines}
        downloads={state.downloads}
        theme={theme.effective}
        onToggleTheme={theme.toggle}
        onNewChat={() => actions.newChat()}
        canStartNewChat={connected && state.messages.length > 0}
        settingsOpen={settingsOpen}
        onOpenSettings={() => setSettingsOpen(true)}
        view={view}
        showViews={withTutor}
        newChat={
          withTutor ? (
            <NewChatMenu
              trigger={<NewChatIcon />}
              triggerClassName="icon-button header-new-chat"
              today={tutor.topics?.today ?? null}
              disabled={!connected}
              onStart={startChat}
              onPickScenario={pickScene}
            />
          ) : undefined
        }
        onOpenConversations={withTutor ? () => setDrawerOpen(true) : null}
        conversationsOpen={drawerOpen}
        statusOpen={statusOpen}
        onToggleStatus={() => {
          if (view !== 'chat') goTo('chat');
          setStatusOpen((open) => !open);
        }}
      />
      <div className="body">
        {withTutor ? (
          <ConversationList
            list={tutor.conversations}
            store={tutor.store}
            currentId={conversation.id}
            newChat={newChatMenu(
              'button button--primary sidebar__new',
              <>
                <NewChatIcon width="18" height="18" />
                New chat
              </>,
            )}
            onSearch={tutor.setSearch}
            onOpen={openConversation}
            onRename={renameConversation}
            onDelete={setDeleting}
            onReport={(summary) => {
              setDrawerOpen(false);
              setSavedReport({ kind: 'saved', conversationId: summary.id, title: conversationTitle(summary) });
            }}
            drawerOpen={drawerOpen}
            onCloseDrawer={closeDrawer}
          />
        ) : null}
        <main className="main" id="main">
          <div className="chat" hidden={view !== 'chat'}>
            <StatusLine
              notices={state.notices}
              engines={state.engines}
              downloads={state.downloads}
              open={statusOpen}
              onOpenChange={setStatusOpen}
              onDismissNotice={actions.dismissNotice}
              onShowConfig={showConfig}
              onShowDiagnostics={showDiagnostics}
            />
            {showBar ? (
              <ConversationBar
                conversation={conversation}
                scenario={scenario}
                hideText={hideText}
                onHideText={onHideText}
                canEnd={canEnd}
                showEnd={withTutor}
                ending={state.report?.status === 'waiting' || state.sceneEnding}
                onEnd={() => actions.endSession(scenario ? sceneVerdictInstructions(scenario, profileLevel) : undefined)}
                onPhrase={(phrase) => composer.current?.insert(phrase)}
              />
            ) : null}
            {state.messages.length === 0 ? (
              themed ? (
                <div className="transcript transcript--starting">
                  <p className="starting" role="status">
                    <span className="typing" aria-hidden="true">
                      <span />
                      <span />
                      <span />
                    </span>
                    The tutor is setting the scene…
                  </p>
                </div>
              ) : (
                <Welcome
                  onSuggestion={onSuggestion}
                  disabled={!connected}
                  mode={mode}
                  themes={
                    withTutor
                      ? { today: tutor.topics?.today ?? null, onTopic: () => startChat({ topicId: 'today' }), onScenes: pickScene, name: tutor.profile?.name }
                      : undefined
                  }
                />
              )
            ) : (
              <Transcript messages={state.messages} playingId={player.source} actions={messageActions} hideText={hideText} />
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
          </div>
          {view === 'vocabulary' && withTutor ? <VocabularyView version={vocabularyVersion} toast={actions.toast} /> : null}
          {view === 'diagnostics' ? (
            <Suspense
              fallback={
                <p className="empty-note" role="status">
                  Loading…
                </p>
              }
            >
              <DiagnosticsView connection={state.connection} volume={volume} />
            </Suspense>
          ) : null}
          {view === 'progress' && withTutor ? (
            <Suspense
              fallback={
                <p className="empty-note" role="status">
                  Loading…
                </p>
              }
            >
              <ProgressView theme={theme.effective} version={progressVersion} />
            </Suspense>
          ) : null}
        </main>
      </div>
      <SettingsPanel
        open={settingsOpen}
        onClose={closeSettings}
        voices={state.voices}
        voiceEngine={state.voiceEngine}
        voiceEngines={state.voiceEngines}
        onVoiceEngine={actions.setVoiceEngine}
        voice={state.voice}
        onVoice={actions.setVoice}
        speed={state.speed}
        onSpeed={actions.setSpeed}
        theme={theme.preference}
        onTheme={theme.setPreference}
        onNewChat={() => actions.newChat()}
        connected={connected}
        voiceInput={voice.settings}
        thinkingTimeInUseMs={voice.thinkingTimeInUseMs}
        learnedThinkingTimeMs={voice.learnedThinkingTimeMs}
        onVoiceInput={actions.setVoiceSettings}
        webSpeech={webSpeech}
        webSpeechSupported={speechSupported}
        onWebSpeech={onWebSpeech}
        tutor={settingsTutor}
        volume={volume}
        onVolume={onVolume}
        onShowConfig={showConfig}
        onShowDiagnostics={showDiagnostics}
      />
      {configOpen ? (
        <ConfigDialog
          page={{ voice: state.voice, voiceEngine: state.voiceEngine, speed: state.speed, volume, voiceInput: voice.settings, thinkingTimeInUseMs: voice.thinkingTimeInUseMs }}
          onClose={() => setConfigOpen(false)}
          onCopied={(ok) => actions.toast(ok ? 'The configuration was copied.' : 'Copying failed: select the text and copy it.', ok ? 'info' : 'error')}
        />
      ) : null}
      {pickingScene ? <ScenarioPicker scenarios={tutor.scenarios} level={profileLevel} onStart={(picked) => startChat({ scenarioId: picked.id })} onClose={() => setPickingScene(false)} /> : null}
      {liveReport ? (
        <ReportDialog
          source={liveReport}
          onClose={actions.closeReport}
          onNewChat={() => {
            actions.closeReport();
            startChat();
          }}
        />
      ) : savedReport ? (
        <ReportDialog
          source={savedReport}
          onClose={() => setSavedReport(null)}
          onWritten={() => {
            refreshConversations();
            refreshProfile();
            setProgressVersion((value) => value + 1);
          }}
        />
      ) : null}
      {deleting ? (
        <ConfirmDialog
          title="Delete this conversation?"
          message={
            <>
              “{conversationTitle(deleting)}” — its messages, corrections and report — will be deleted for good. Saved words stay in your vocabulary.
            </>
          }
          confirmLabel="Delete"
          danger
          busy={deleteBusy}
          onConfirm={() => void deleteConversation()}
          onCancel={() => setDeleting(null)}
        />
      ) : null}
      {lookup && withTutor ? <WordPopover lookup={lookup} conversationId={conversation.id} onClose={closeLookup} onSaved={onWordSaved} /> : null}
      <Toasts toasts={state.toasts} onDismiss={actions.dismissToast} />
    </div>
  );
}
