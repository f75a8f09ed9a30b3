/**
 * `useSession`: one realtime connection, its UI state and its audio. Server events go through
 * the pure reducer (state.ts) for the transcript, and straight to the player and the audio store
 * for sound, so audio never waits on a React render.
 *
 * Voice input lives in a `VoiceController` (voice/voice-controller.ts); this hook is its host: it
 * sends its events, asks for replies after a spoken turn, and performs barge-in (stop playback at
 * once, `response.cancel` if the reply is still running, `conversation.item.truncate` at the
 * point the learner stopped hearing it).
 */
import { useCallback, useEffect, useMemo, useReducer, useRef, useSyncExternalStore } from 'react';
import { AudioStore } from '../audio/audio-store.js';
import { SAMPLE_RATE, concatChunks, sentenceRanges, splitSentences, timeStretch } from '../audio/listening.js';
import { decodePcm16Base64 } from '../audio/pcm.js';
import { AudioPlayer, installUnlockListeners, type PlayerSnapshot } from '../audio/player.js';
import { timeline } from '../diagnostics/timeline.js';
import { RealtimeClient, realtimeUrl, type ServerEvent } from '../realtime/client.js';
import { fetchPageSmartTurn } from '../voice/page-smart-turn.js';
import { VoiceController, type VoiceSettings, type VoiceSnapshot } from '../voice/voice-controller.js';
import { loadPreferences, savePreferences } from './preferences.js';
import { initialSessionState, isResponding, localId, sessionReducer, type SessionState } from './state.js';

/** Longest user message, characters (the server's MAX_MESSAGE_CHARS). */
export const MAX_MESSAGE_CHARS = 4000;
/** How long a message typed during a reply waits for that reply's cancellation, ms. */
const CANCEL_WAIT_MS = 2500;
/** After a failed transcription, a reply request the server has not started is given up after this, ms. */
const FAILED_TURN_WAIT_MS = 5000;
/** Errors that only mean a barge-in or Stop raced with the reply's own end. */
const QUIET_ERRORS = new Set(['response_cancel_not_active', 'item_truncate_invalid_item_id']);
/** Speed slider changes are sent after this pause, ms. */
const SPEED_DEBOUNCE_MS = 250;
/** "Slower" replays play at this speed (same pitch: see audio/listening.ts). */
export const SLOW_SPEED = 0.75;

/** Player source ids of the listening aids: a reply slower, or one sentence of it. */
export const slowSource = (messageId: string): string => `${messageId}@slow`;
export const sentenceSource = (messageId: string, index: number): string => `${messageId}#${index}`;

/** What a new chat is about: free conversation (nothing), a scenario, or a topic (`'today'`). */
export interface ChatTheme {
  scenarioId?: string;
  topicId?: string;
}

export interface SessionActions {
  /** Sets the tutor's voice volume, 0-1 (applies at once; the caller keeps the preference). */
  setVolume(volume: number): void;
  /** Sends a user message and asks for a reply; interrupts a running reply first. */
  sendText(text: string): void;
  /** Stops the running reply: playback clears at once, the server is told to cancel. */
  cancel(): void;
  /** Starts a new conversation (server and screen): free talk, a scenario, or a topic. */
  newChat(theme?: ChatTheme): void;
  /** Continues a saved conversation: its turns and correction cards come back. */
  resume(conversationId: string): void;
  /**
   * Ends the session: the server writes the report (`state.report`). With `verdict` (the
   * instructions for one more reply, "End scene"), the tutor first steps out of role and says
   * whether the learner met the scene's goal; the report follows that reply.
   */
  endSession(verdict?: string): void;
  closeReport(): void;
  setVoice(voice: string): void;
  /** Switches this session's voice engine (a provider from `localchat.voices`). */
  setVoiceEngine(provider: string): void;
  /** Changes the voice's speed now; `remember: false` leaves it to the learner profile. */
  setSpeed(speed: number, remember?: boolean): void;
  /** Replays a tutor message's audio, or stops it if it is the one playing. */
  toggleReplay(messageId: string): void;
  /** Replays a tutor message slower (0.75x, same pitch), or stops it. */
  toggleSlowReplay(messageId: string): void;
  /** Replays one sentence of a tutor message, or stops it. */
  toggleSentence(messageId: string, index: number): void;
  /** Stops whatever audio plays, without cancelling the reply. */
  stopPlayback(): void;
  dismissToast(id: string): void;
  dismissNotice(id: string): void;
  toast(message: string, level?: 'info' | 'error'): void;
  /** Changes voice input settings (mode, thinking time, barge-in, turn detection); saved. */
  setVoiceSettings(change: Partial<VoiceSettings>): void;
  /** Push-to-talk pressed or released (`at`: the event's `timeStamp`). */
  pushToTalk(down: boolean, at?: number): void;
  /** Tries the microphone (and voice detection) again after an error. */
  retryVoice(): void;
  /** Starts audio capture the browser held until a click. */
  resumeVoice(): void;
}

export interface Session {
  state: SessionState;
  player: PlayerSnapshot;
  voice: VoiceSnapshot;
  /** For the level meter (which reads it without React renders). */
  voiceController: VoiceController;
  responding: boolean;
  actions: SessionActions;
}

interface QueuedMessage {
  id: string;
  text: string;
}

type Correlation = { kind: 'item'; messageId: string } | { kind: 'response' } | { kind: 'resume'; automatic: boolean };

interface SessionResources {
  client: RealtimeClient;
  player: AudioPlayer;
  store: AudioStore;
  voice: VoiceController;
  /** The server's Smart Turn was asked for (once a page, when browser turn detection is first used). */
  smartTurnRequested: boolean;
}

let resources: SessionResources | null = null;

/** One connection, player and audio store per page (React may run initializers twice). */
function sessionResources(): SessionResources {
  resources ??= {
    client: new RealtimeClient(realtimeUrl(window.location)),
    player: new AudioPlayer(),
    store: new AudioStore(),
    voice: new VoiceController(loadPreferences().voiceInput),
    smartTurnRequested: false,
  };
  return resources;
}

export function useSession(): Session {
  const [state, dispatch] = useReducer(sessionReducer, initialSessionState);
  const { client, player, store, voice } = sessionResources();
  const playerSnapshot = useSyncExternalStore(player.subscribe, player.getSnapshot);
  const voiceSnapshot = useSyncExternalStore(voice.subscribe, voice.getSnapshot);

  // Mutable session facts the event handlers need synchronously.
  const live = useRef({
    activeResponseId: null as string | null,
    awaitingResponse: false,
    /** `response.created` events seen (to notice that one came). */
    responsesCreated: 0,
    cancelRequested: false,
    /** Items whose audio stream was started on the player. */
    streamedItems: new Set<string>(),
    /** The assistant item whose audio streams live (not a replay): what a barge-in truncates. */
    liveItemId: null as string | null,
    /** Assistant item ids by response id. */
    itemsByResponse: new Map<string, string[]>(),
    /** Client event ids -> what they carried, to attribute `error` events. */
    correlations: new Map<string, Correlation>(),
    /** Messages typed while a reply was being cancelled. */
    queued: [] as QueuedMessage[],
    queueTimer: null as ReturnType<typeof setTimeout> | null,
    speedTimer: null as ReturnType<typeof setTimeout> | null,
    /**
     * Resets sent quietly (a fresh conversation after an automatic resume failed): their answer
     * must not clear the screen.
     */
    quietResets: 0,
    /** After a reconnect: the saved conversation to carry on with, if any. */
    resumeOnConnect: null as string | null,
    /** A resume asked for at connect, whose `loaded` answer is shown as "reconnected". */
    autoResuming: false,
    /** "End scene": the session ends when this response (the tutor's verdict) is done. */
    endAfter: null as 'pending' | string | null,
  });
  /** The latest state, for event handlers that run outside React renders. */
  const latest = useRef(state);
  latest.current = state;

  /**
   * A new server session: carry on with the conversation of the last one (after a reconnect, when
   * it was saved). Otherwise the session's own conversation (`localchat.session.info`) is used.
   */
  const greetSession = useCallback(() => {
    const current = live.current;
    const resumeId = current.resumeOnConnect;
    current.resumeOnConnect = null;
    if (resumeId) {
      const eventId = client.send({ type: 'localchat.conversation.resume', conversation_id: resumeId });
      if (eventId) {
        current.correlations.set(eventId, { kind: 'resume', automatic: true });
        current.autoResuming = true;
        return;
      }
    }
  }, [client]);

  const requestReply = useCallback(
    (messages: readonly QueuedMessage[]) => {
      if (messages.length === 0) return;
      const current = live.current;
      const itemEventIds = messages.map((message) =>
        client.send({
          type: 'conversation.item.create',
          item: { id: message.id, type: 'message', role: 'user', content: [{ type: 'input_text', text: message.text }] },
        }),
      );
      const responseEventId = client.send({ type: 'response.create' });
      messages.forEach((message, index) => {
        const eventId = itemEventIds[index];
        if (eventId) current.correlations.set(eventId, { kind: 'item', messageId: message.id });
        else dispatch({ type: 'user-message-failed', id: message.id, error: 'Not sent: not connected.' });
      });
      if (!responseEventId) {
        current.awaitingResponse = false;
        dispatch({ type: 'response-request-failed' });
        return;
      }
      current.correlations.set(responseEventId, { kind: 'response' });
      current.awaitingResponse = true;
    },
    [client],
  );

  const flushQueued = useCallback(() => {
    const current = live.current;
    if (current.queueTimer) clearTimeout(current.queueTimer);
    current.queueTimer = null;
    const queued = current.queued;
    current.queued = [];
    requestReply(queued);
  }, [requestReply]);

  const handleEvent = useCallback(
    (event: ServerEvent) => {
      const current = live.current;
      switch (event.type) {
        case 'session.created': {
          const saved = loadPreferences();
          if (saved.speed !== undefined) client.send({ type: 'session.update', session: { audio: { output: { speed: saved.speed } } } });
          voice.syncSession();
          greetSession();
          break;
        }
        case 'input_audio_buffer.speech_started':
          // Server VAD: the server cancels the reply itself (as OpenAI's does); stop the sound here.
          voice.serverSpeech(true);
          if (voice.currentSettings.bargeIn) bargeIn(false);
          break;
        case 'localchat.thinking_time':
          voice.serverThinkingTime(event);
          break;
        case 'input_audio_buffer.speech_stopped':
          voice.serverSpeech(false);
          break;
        case 'conversation.item.input_audio_transcription.failed':
          // Nothing to answer: if the server does not start (and end) a reply, don't wait forever.
          if (current.awaitingResponse) {
            const created = current.responsesCreated;
            setTimeout(() => {
              if (!current.awaitingResponse || current.responsesCreated !== created) return;
              current.awaitingResponse = false;
              dispatch({ type: 'response-request-failed' });
            }, FAILED_TURN_WAIT_MS);
          }
          break;
        case 'localchat.voices': {
          const saved = loadPreferences().voice;
          if (saved && saved !== event.default_voice && event.voices.some((voice) => voice.id === saved)) {
            client.send({ type: 'session.update', session: { audio: { output: { voice: saved } } } });
            dispatch({ type: 'voice', voice: saved });
          }
          break;
        }
        case 'response.created':
          if (current.endAfter === 'pending') current.endAfter = event.response.id ?? null;
          current.responsesCreated++;
          current.activeResponseId = event.response.id ?? null;
          current.awaitingResponse = false;
          if (current.cancelRequested) {
            current.cancelRequested = false;
            client.send({ type: 'response.cancel', response_id: event.response.id });
          }
          break;
        case 'response.output_item.added':
          if (event.item.type === 'message' && event.item.role === 'assistant' && event.item.id) {
            startItemStream(event.item.id, event.response_id);
          }
          break;
        case 'response.output_audio.delta': {
          const samples = decodePcm16Base64(event.delta);
          if (!current.streamedItems.has(event.item_id)) startItemStream(event.item_id, event.response_id);
          if (!store.has(event.item_id)) dispatch({ type: 'audio-received', itemId: event.item_id, responseId: event.response_id });
          store.append(event.item_id, samples);
          player.push(event.item_id, samples);
          break;
        }
        case 'response.output_audio.done':
          player.endStream(event.item_id);
          break;
        case 'response.done': {
          const responseId = event.response.id;
          const items = responseId ? current.itemsByResponse.get(responseId) ?? [] : [];
          for (const itemId of items) {
            if (event.response.status === 'cancelled') {
              if (player.getSnapshot().source === itemId) player.stop();
            } else {
              player.endStream(itemId);
            }
          }
          if (responseId) current.itemsByResponse.delete(responseId);
          if (!responseId || current.activeResponseId === responseId) current.activeResponseId = null;
          current.cancelRequested = false;
          if (current.endAfter && current.endAfter === responseId) {
            current.endAfter = null;
            requestReport();
          }
          flushQueued();
          break;
        }
        case 'localchat.conversation.reset':
          if (current.quietResets > 0) {
            // The answer to the reset sent at connect: only the id is news.
            current.quietResets--;
            dispatch({ type: 'conversation-id', id: event.conversation_id ?? null });
            return;
          }
          store.clear();
          player.stop();
          current.liveItemId = null;
          current.streamedItems.clear();
          current.itemsByResponse.clear();
          current.activeResponseId = null;
          current.awaitingResponse = false;
          break;
        case 'localchat.conversation.loaded': {
          player.stop();
          current.liveItemId = null;
          current.itemsByResponse.clear();
          current.activeResponseId = null;
          current.awaitingResponse = false;
          const reconnected = current.autoResuming;
          current.autoResuming = false;
          const audioIds = event.turns.filter((turn) => turn.role === 'assistant' && store.has(turn.id)).map((turn) => turn.id);
          dispatch({ type: 'conversation-loaded', event, audioIds, reconnected });
          return;
        }
        case 'error': {
          const eventId = event.error.event_id;
          const correlation = eventId ? current.correlations.get(eventId) : undefined;
          if (correlation?.kind === 'item') dispatch({ type: 'user-message-failed', id: correlation.messageId, error: event.error.message });
          if (correlation?.kind === 'response') {
            current.awaitingResponse = false;
            dispatch({ type: 'response-request-failed' });
            if (current.endAfter === 'pending') {
              // The verdict could not start: the report comes without it.
              current.endAfter = null;
              requestReport();
            }
          }
          if (correlation?.kind === 'resume' && correlation.automatic) {
            // The conversation could not be carried on (not saved, or no database): a fresh one, quietly.
            current.autoResuming = false;
            if (client.send({ type: 'localchat.conversation.reset' })) current.quietResets++;
            return;
          }
          if (event.error.code === 'unsupported_event' && /input_audio_buffer|item\.truncate/.test(event.error.message)) {
            voice.serverRefused('This LocalChat server does not accept spoken turns yet. Update it, or type your messages.');
          } else if (event.error.code === 'vad_unavailable') {
            voice.serverRefused(`${event.error.message.replace(/\.?$/, '.')} Detect pauses in the browser instead, or type.`, 'server-vad');
          }
          break;
        }
        default:
          break;
      }
      if (event.type === 'error' && QUIET_ERRORS.has(event.error.code ?? '')) {
        // A cancel or truncation that raced with the reply's own end: nothing for the learner to do.
        console.warn('LocalChat:', event.error.message);
        return;
      }
      dispatch({ type: 'server', event });

      function startItemStream(itemId: string, responseId: string): void {
        if (current.streamedItems.has(itemId)) return;
        current.streamedItems.add(itemId);
        current.liveItemId = itemId;
        const items = current.itemsByResponse.get(responseId) ?? [];
        items.push(itemId);
        current.itemsByResponse.set(responseId, items);
        player.startStream(itemId);
      }
    },
    // `bargeIn` (hoisted below) only reads refs and these stable resources.
    [client, player, store, voice, flushQueued, greetSession],
  );

  /** Asks the server for the session report (`localchat.session.end`). */
  function requestReport(): void {
    dispatch({ type: 'report-requested' });
    if (!client.send({ type: 'localchat.session.end' })) {
      dispatch({ type: 'report-closed' });
      dispatch({ type: 'toast', toast: { id: localId('toast'), level: 'error', message: 'Not connected: the session could not be ended.' } });
    }
  }

  /**
   * The learner started speaking over the tutor: stop the sound at once, stop the reply if it is
   * still being made (`cancel`; not in server-VAD mode, where the server does it), and tell the
   * server how much of the message was heard so history keeps only that.
   */
  function bargeIn(cancel: boolean): void {
    const current = live.current;
    const liveItem = current.liveItemId;
    const stopped = player.stop();
    if (cancel) {
      if (current.activeResponseId) client.send({ type: 'response.cancel', response_id: current.activeResponseId });
      else if (current.awaitingResponse) current.cancelRequested = true;
    }
    if (liveItem && stopped.source === liveItem) {
      current.liveItemId = null;
      client.send({ type: 'conversation.item.truncate', item_id: liveItem, content_index: 0, audio_end_ms: Math.max(0, Math.floor(stopped.playedMs)) });
      dispatch({ type: 'interrupted', itemId: liveItem });
    }
  }

  // Semantic end of turn in the page: the server's Smart Turn, when it has one, hears each pause of
  // a browser-VAD turn (VoiceController.setEndOfTurn). Without it the thinking time alone decides.
  const browserTurns = voiceSnapshot.settings.mode === 'hands-free' && voiceSnapshot.settings.turnDetection === 'browser';
  useEffect(() => {
    const shared = sessionResources();
    if (!browserTurns || shared.smartTurnRequested) return;
    shared.smartTurnRequested = true;
    fetchPageSmartTurn()
      .then((model) => {
        if (model) voice.setEndOfTurn(model);
      })
      .catch((error: unknown) => console.warn('LocalChat: the end-of-turn model could not load; the thinking time decides', error));
  }, [browserTurns, voice]);

  useEffect(() => {
    voice.setHost({
      send: (event) => client.send(event),
      requestResponse: () => {
        const current = live.current;
        // The server cancels whatever reply is running (or still to start) when a new one is
        // asked for: an earlier cancel request (a barge-in before its response.created) is moot,
        // and must not hit this new reply.
        current.cancelRequested = false;
        dispatch({ type: 'response-requested' });
        const eventId = client.send({ type: 'response.create' });
        if (!eventId) {
          dispatch({ type: 'response-request-failed' });
          return;
        }
        current.correlations.set(eventId, { kind: 'response' });
        current.awaitingResponse = true;
      },
      interrupt: () => bargeIn(true),
      committed: (durationMs, stoppedSpeakingAt) => {
        timeline.committed(stoppedSpeakingAt);
        dispatch({ type: 'voice-committed', durationMs });
      },
      notify: (message, level) => dispatch({ type: 'toast', toast: { id: localId('toast'), level, message } }),
      audioReady: () => player.unlock(),
    });
    const removePlayer = player.subscribe(() => {
      const source = player.getSnapshot().source;
      if (player.getSnapshot().state === 'playing') timeline.playing(source);
      // Once the live reply has played out (or something else plays), a barge-in has nothing to truncate.
      if (live.current.liveItemId && source !== live.current.liveItemId) live.current.liveItemId = null;
      // A locked player (no AudioContext yet) is not making any sound.
      voice.setTutorSpeaking(source !== null && player.getSnapshot().state !== 'locked');
    });
    voice.update({});
    return () => {
      removePlayer();
      voice.setHost({
        send: () => null,
        requestResponse: () => undefined,
        interrupt: () => undefined,
        committed: () => undefined,
        notify: () => undefined,
        audioReady: () => undefined,
      });
    };
  }, [client, player, voice]);

  useEffect(() => {
    const removeUnlock = installUnlockListeners(player);
    const removeEvents = client.onEvent(handleEvent);
    const removeTimelineIn = client.onEvent((event) => timeline.serverEvent(event));
    const removeTimelineOut = client.onSend((event) => timeline.clientEvent(event));
    const removeStatus = client.onStatus((status) => {
      if (status !== 'connected') {
        const current = live.current;
        // A saved conversation (one with a learner turn) is carried on after the reconnect.
        const { conversation, messages } = latest.current;
        if (conversation.id && messages.some((message) => message.role === 'user' && message.status === 'sent')) current.resumeOnConnect = conversation.id;
        current.quietResets = 0;
        current.autoResuming = false;
        current.endAfter = null;
        current.activeResponseId = null;
        current.awaitingResponse = false;
        current.cancelRequested = false;
        current.queued = [];
        current.correlations.clear();
        current.liveItemId = null;
        player.stop();
      }
      voice.setConnected(status === 'connected');
      dispatch({ type: 'connection', status });
    });
    client.connect();
    return () => {
      removeUnlock();
      removeEvents();
      removeTimelineIn();
      removeTimelineOut();
      removeStatus();
      client.close();
    };
  }, [client, player, voice, handleEvent]);

  const actions = useMemo((): SessionActions => {
    const current = live.current;
    const cancel = (): void => {
      player.stop();
      if (current.activeResponseId) client.send({ type: 'response.cancel', response_id: current.activeResponseId });
      else if (current.awaitingResponse) current.cancelRequested = true;
    };
    return {
      sendText(text) {
        const trimmed = text.trim();
        if (!trimmed) return;
        player.unlock();
        if (client.status !== 'connected') {
          dispatch({ type: 'toast', toast: { id: localId('toast'), level: 'error', message: 'Not connected to LocalChat yet. Your message was not sent.' } });
          return;
        }
        // The learner's turn: the tutor stops talking (a reply still playing, or a replay).
        player.stop();
        const message = { id: localId('item'), text: trimmed.slice(0, MAX_MESSAGE_CHARS) };
        dispatch({ type: 'user-message', id: message.id, text: message.text });
        dispatch({ type: 'response-requested' });
        if (current.activeResponseId || current.awaitingResponse) {
          // Interrupt the running reply; send once its cancellation is confirmed.
          cancel();
          current.queued.push(message);
          current.queueTimer ??= setTimeout(flushQueued, CANCEL_WAIT_MS);
          return;
        }
        requestReply([message]);
      },
      cancel,
      newChat(theme = {}) {
        player.unlock();
        player.stop();
        if (current.activeResponseId || current.awaitingResponse) cancel();
        current.queued = [];
        const event = {
          type: 'localchat.conversation.reset' as const,
          ...(theme.scenarioId ? { scenario_id: theme.scenarioId } : {}),
          ...(theme.topicId ? { topic_id: theme.topicId } : {}),
        };
        if (!client.send(event)) {
          dispatch({ type: 'toast', toast: { id: localId('toast'), level: 'error', message: 'Not connected: the conversation was not reset.' } });
        }
      },
      resume(conversationId) {
        player.stop();
        if (current.activeResponseId || current.awaitingResponse) cancel();
        current.queued = [];
        const eventId = client.send({ type: 'localchat.conversation.resume', conversation_id: conversationId });
        if (eventId) current.correlations.set(eventId, { kind: 'resume', automatic: false });
        else dispatch({ type: 'toast', toast: { id: localId('toast'), level: 'error', message: 'Not connected: the conversation could not be opened.' } });
      },
      endSession(verdict) {
        player.stop();
        if (current.activeResponseId || current.awaitingResponse) cancel();
        current.queued = [];
        if (verdict) {
          // One more reply, out of role, on the whole conversation; the report follows it.
          const eventId = client.send({ type: 'response.create', response: { instructions: verdict } });
          if (eventId) {
            current.correlations.set(eventId, { kind: 'response' });
            current.awaitingResponse = true;
            current.cancelRequested = false;
            current.endAfter = 'pending';
            dispatch({ type: 'response-requested' });
            dispatch({ type: 'scene-ending', on: true });
            return;
          }
        }
        requestReport();
      },
      closeReport() {
        dispatch({ type: 'report-closed' });
      },
      setVoiceEngine(provider) {
        client.send({ type: 'session.update', session: { localchat: { tts: provider } } });
      },
      setVoice(voice) {
        dispatch({ type: 'voice', voice });
        savePreferences({ voice });
        client.send({ type: 'session.update', session: { audio: { output: { voice } } } });
      },
      setVolume(volume) {
        player.setVolume(volume);
      },
      setSpeed(speed, remember = true) {
        dispatch({ type: 'speed', speed });
        savePreferences({ speed: remember ? speed : undefined });
        if (current.speedTimer) clearTimeout(current.speedTimer);
        current.speedTimer = setTimeout(() => {
          client.send({ type: 'session.update', session: { audio: { output: { speed } } } });
        }, SPEED_DEBOUNCE_MS);
      },
      toggleReplay(messageId) {
        player.unlock();
        if (player.getSnapshot().source === messageId) {
          player.stop();
          return;
        }
        const chunks = store.get(messageId);
        if (!chunks) {
          dispatch({ type: 'toast', toast: { id: localId('toast'), level: 'info', message: 'The audio of this message is no longer kept.' } });
          return;
        }
        player.play(messageId, chunks);
      },
      toggleSlowReplay(messageId) {
        player.unlock();
        const source = slowSource(messageId);
        if (player.getSnapshot().source === source) {
          player.stop();
          return;
        }
        const chunks = store.get(messageId);
        if (!chunks) {
          dispatch({ type: 'toast', toast: { id: localId('toast'), level: 'info', message: 'The audio of this message is no longer kept.' } });
          return;
        }
        player.play(source, [timeStretch(concatChunks(chunks), SLOW_SPEED)]);
      },
      toggleSentence(messageId, index) {
        player.unlock();
        const source = sentenceSource(messageId, index);
        if (player.getSnapshot().source === source) {
          player.stop();
          return;
        }
        const chunks = store.get(messageId);
        const message = latest.current.messages.find((candidate) => candidate.id === messageId);
        if (!chunks || !message) {
          dispatch({ type: 'toast', toast: { id: localId('toast'), level: 'info', message: 'The audio of this message is no longer kept.' } });
          return;
        }
        const samples = concatChunks(chunks);
        const range = sentenceRanges(splitSentences(message.text), samples.length, samples)[index];
        if (!range || range[1] - range[0] < SAMPLE_RATE / 20) return;
        player.play(source, [samples.slice(range[0], range[1])]);
      },
      stopPlayback() {
        player.stop();
      },
      dismissToast(id) {
        dispatch({ type: 'dismiss-toast', id });
      },
      dismissNotice(id) {
        dispatch({ type: 'dismiss-notice', id });
      },
      toast(message, level = 'info') {
        dispatch({ type: 'toast', toast: { id: localId('toast'), level, message } });
      },
      setVoiceSettings(change) {
        voice.update(change);
        savePreferences({ voiceInput: voice.currentSettings });
      },
      pushToTalk(down, at) {
        player.unlock();
        voice.pushToTalk(down, at);
      },
      retryVoice() {
        voice.retry();
      },
      resumeVoice() {
        player.unlock();
        voice.resumeAudio();
      },
    };
  }, [client, player, store, voice, requestReply, flushQueued]);

  return { state, player: playerSnapshot, voice: voiceSnapshot, voiceController: voice, responding: isResponding(state), actions };
}
