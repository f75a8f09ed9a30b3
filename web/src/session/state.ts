/**
 * The UI's view of a realtime session, built from server events by a pure reducer: transcript,
 * engine states, downloads, voices, notices and toasts. Audio never passes through here (see
 * use-session.ts); a message only records that it has audio. Spoken turns appear as learner
 * messages whose text is the server's transcription ("what I heard").
 */
import type { EngineStatus } from '../../../src/core/engine-status.js';
import type { Voice } from '../../../src/core/tts.js';
import type { ConversationLoadedEvent, CorrectionPayload, DownloadProgressEvent } from '../../../src/server/realtime/server-events.js';
import { DEFAULT_TUTOR_PROMPT } from '../../../src/tutor/persona.js';
import type { SessionReport } from '../../../src/tutor/report.js';
import type { ConnectionStatus, ServerEvent } from '../realtime/client.js';

export type { CorrectionPayload, EngineStatus, SessionReport, Voice };

export type MessageStatus = 'sending' | 'sent' | 'streaming' | 'completed' | 'cancelled' | 'failed';

export interface ChatMessage {
  id: string;
  role: 'user' | 'assistant' | 'note';
  text: string;
  status: MessageStatus;
  /** Why the message failed (shown under it). */
  error?: string;
  responseId?: string;
  hasAudio: boolean;
  /** Time to first token and to first audio, ms (from `localchat.response.metrics`). */
  ttftMs?: number | null;
  ttfaMs?: number | null;
  /** A spoken turn: its text is what the server heard. */
  spoken?: boolean;
  /** Transcription of a spoken turn. */
  transcription?: 'pending' | 'completed' | 'failed';
  /** Length of a spoken turn's audio, ms. */
  durationMs?: number;
  /** A tutor message the learner talked over: only what was heard stays in the conversation. */
  interrupted?: boolean;
  /** The correction card of a learner message (`localchat.correction`); none for a correct one. */
  correction?: CorrectionPayload;
}

/** The conversation on screen: its saved id and theme (free talk, a topic, or a scenario). */
export interface ConversationInfo {
  /** The server's conversation id (null until the server named it). */
  id: string | null;
  /** A saved conversation's title (set when resumed). */
  title: string | null;
  scenarioId: string | null;
  /** What the server said about the scenario when it started one. */
  scenario: { id: string; title: string; learner_goal: string; useful_phrases: string[] } | null;
  topic: { id: string; title: string } | null;
  /** Loaded from the list (`localchat.conversation.loaded`) rather than started here. */
  resumed: boolean;
}

/** The end-of-session report: asked for, shown, or failed. */
export type ReportState =
  | { status: 'waiting'; conversationId: string | null }
  | { status: 'ready'; conversationId: string | null; report: SessionReport | null }
  | { status: 'failed'; conversationId: string | null; message: string };

export interface Notice {
  id: string;
  level: 'info' | 'warning' | 'error';
  message: string;
}

export interface Toast {
  id: string;
  message: string;
  level: 'info' | 'error';
}

export interface SessionState {
  connection: ConnectionStatus;
  /** True once the first connection opened (later drops show "reconnecting", not "connecting"). */
  everConnected: boolean;
  messages: ChatMessage[];
  engines: EngineStatus[];
  /** Downloads in progress, by model. */
  downloads: Record<string, DownloadProgressEvent>;
  voices: Voice[];
  defaultVoice: string | null;
  /** The voice engine speaking now, and every usable one (for the engine picker). */
  voiceEngine: string | null;
  voiceEngines: { provider: string; model_id: string }[];
  voice: string | null;
  speed: number;
  /** The response running now, or null. */
  activeResponseId: string | null;
  /** A `response.create` was sent and its `response.created` has not come yet. */
  awaitingResponse: boolean;
  notices: Notice[];
  toasts: Toast[];
  /** Durations of committed utterances whose `input_audio_buffer.committed` has not come yet, ms. */
  pendingVoiceDurations: number[];
  /** Spoken turn durations by item id, ms (known before the item's message may exist). */
  voiceDurations: Record<string, number>;
  /** Server VAD: `audio_start_ms` by item id. */
  speechStarts: Record<string, number>;
  conversation: ConversationInfo;
  /** The session report of the live session (`localchat.session.end`), or null when none is open. */
  report: ReportState | null;
  /** "End scene": the tutor is giving its verdict on the scene; the report follows. */
  sceneEnding: boolean;
  /**
   * Whether the server runs the tutor (profile, store, `/api`): its sessions then start with the
   * tutor's own system prompt rather than the plain persona. Null until `session.created`. Only
   * then does the page ask `/api` (a server without it would answer 404s).
   */
  serverTutor: boolean | null;
}

export const emptyConversation: ConversationInfo = { id: null, title: null, scenarioId: null, scenario: null, topic: null, resumed: false };

export const initialSessionState: SessionState = {
  connection: 'connecting',
  everConnected: false,
  messages: [],
  engines: [],
  downloads: {},
  voices: [],
  defaultVoice: null,
  voiceEngine: null,
  voiceEngines: [],
  voice: null,
  speed: 1,
  activeResponseId: null,
  awaitingResponse: false,
  notices: [],
  toasts: [],
  pendingVoiceDurations: [],
  voiceDurations: {},
  speechStarts: {},
  conversation: emptyConversation,
  report: null,
  sceneEnding: false,
  serverTutor: null,
};

export type SessionAction =
  | { type: 'server'; event: ServerEvent }
  | { type: 'connection'; status: ConnectionStatus }
  | { type: 'user-message'; id: string; text: string }
  | { type: 'user-message-failed'; id: string; error: string }
  | { type: 'response-requested' }
  | { type: 'response-request-failed' }
  | { type: 'audio-received'; itemId: string; responseId: string }
  | { type: 'voice-committed'; durationMs: number }
  | { type: 'interrupted'; itemId: string }
  | { type: 'voice'; voice: string }
  | { type: 'speed'; speed: number }
  | { type: 'toast'; toast: Toast }
  | { type: 'dismiss-toast'; id: string }
  | { type: 'dismiss-notice'; id: string }
  /** The server named the conversation without starting a new one on screen (a quiet reset at connect). */
  | { type: 'conversation-id'; id: string | null }
  /** A saved conversation was loaded: its turns replace the transcript (`audioIds`: replies whose audio is still kept). */
  | { type: 'conversation-loaded'; event: ConversationLoadedEvent; audioIds: readonly string[]; reconnected?: boolean }
  | { type: 'report-requested' }
  | { type: 'scene-ending'; on: boolean }
  | { type: 'report-closed' };

let localCounter = 0;
/** A client-side id (messages, toasts, notes). */
export function localId(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}${(++localCounter).toString(36)}`;
}

const MAX_TOASTS = 4;

/** True while a reply is requested or running (the composer shows Stop). */
export function isResponding(state: SessionState): boolean {
  return state.awaitingResponse || state.activeResponseId !== null;
}

export function sessionReducer(state: SessionState, action: SessionAction): SessionState {
  switch (action.type) {
    case 'server':
      return applyServerEvent(state, action.event);
    case 'connection':
      return applyConnection(state, action.status);
    case 'user-message':
      return {
        ...state,
        messages: [...state.messages, { id: action.id, role: 'user', text: action.text, status: 'sending', hasAudio: false }],
      };
    case 'user-message-failed':
      return updateMessage(state, action.id, () => ({ status: 'failed', error: action.error }));
    case 'response-requested':
      return { ...state, awaitingResponse: true };
    case 'response-request-failed':
      return { ...state, awaitingResponse: false };
    case 'audio-received': {
      const existing = state.messages.find((message) => message.id === action.itemId);
      if (existing?.hasAudio) return state;
      const withMessage = existing ? state : addAssistant(state, action.itemId, action.responseId);
      return updateMessage(withMessage, action.itemId, () => ({ hasAudio: true }));
    }
    case 'voice-committed':
      return { ...state, pendingVoiceDurations: [...state.pendingVoiceDurations, action.durationMs] };
    case 'interrupted':
      return updateMessage(state, action.itemId, () => ({ interrupted: true }));
    case 'voice':
      return { ...state, voice: action.voice };
    case 'speed':
      return { ...state, speed: action.speed };
    case 'toast':
      return { ...state, toasts: [...state.toasts, action.toast].slice(-MAX_TOASTS) };
    case 'dismiss-toast':
      return { ...state, toasts: state.toasts.filter((toast) => toast.id !== action.id) };
    case 'dismiss-notice':
      return { ...state, notices: state.notices.filter((notice) => notice.id !== action.id) };
    case 'conversation-id':
      return { ...state, conversation: { ...emptyConversation, id: action.id } };
    case 'conversation-loaded':
      return applyLoaded(state, action.event, new Set(action.audioIds), action.reconnected === true);
    case 'report-requested':
      return { ...state, sceneEnding: false, report: { status: 'waiting', conversationId: state.conversation.id } };
    case 'scene-ending':
      return { ...state, sceneEnding: action.on };
    case 'report-closed':
      return { ...state, report: null };
  }
}

/** A saved conversation's turns, with their correction cards, as the transcript. */
function applyLoaded(state: SessionState, event: ConversationLoadedEvent, audioIds: ReadonlySet<string>, reconnected: boolean): SessionState {
  const messages = event.turns.map((turn): ChatMessage => {
    if (turn.role === 'user') {
      const spoken = turn.source === 'spoken';
      return {
        id: turn.id,
        role: 'user',
        text: turn.text,
        status: 'sent',
        hasAudio: false,
        ...(spoken ? { spoken: true, transcription: 'completed' as const } : {}),
        ...(turn.correction && turn.correction.errors.length > 0 ? { correction: turn.correction } : {}),
      };
    }
    return {
      id: turn.id,
      role: 'assistant',
      text: turn.text,
      status: 'completed',
      hasAudio: audioIds.has(turn.id),
      ...(turn.interrupted ? { interrupted: true } : {}),
    };
  });
  if (reconnected) messages.push(note('Reconnected. The conversation goes on where it was.'));
  return {
    ...state,
    messages,
    activeResponseId: null,
    awaitingResponse: false,
    conversation: {
      id: event.conversation_id,
      title: event.title,
      scenarioId: event.scenario_id,
      scenario: null,
      topic: null,
      resumed: true,
    },
  };
}

function applyConnection(state: SessionState, status: ConnectionStatus): SessionState {
  if (status === state.connection) return state;
  if (status === 'connected') {
    const messages = state.everConnected && state.messages.length > 0
      ? [...state.messages, note('Reconnected. The tutor starts a fresh conversation.')]
      : state.messages;
    // A new connection is a new server session: a new conversation, until one is resumed.
    const conversation = state.everConnected ? emptyConversation : state.conversation;
    return { ...state, connection: status, everConnected: true, messages, conversation, pendingVoiceDurations: [], speechStarts: {} };
  }
  if (state.connection !== 'connected') return { ...state, connection: status };
  // The connection dropped: whatever was running is lost.
  const messages = state.messages.map((message): ChatMessage => {
    if (message.status === 'streaming') return { ...message, status: 'failed', error: 'The connection was lost.' };
    if (message.status === 'sending') return { ...message, status: 'failed', error: 'Not sent: the connection was lost.' };
    if (message.transcription === 'pending') {
      return { ...message, status: 'failed', transcription: 'failed', error: 'The connection was lost before your words were recognised.' };
    }
    return message;
  });
  const report: ReportState | null = state.report?.status === 'waiting'
    ? { status: 'failed', conversationId: state.report.conversationId, message: 'The connection was lost before the report was ready. Open it later from the conversation list.' }
    : state.report;
  return { ...state, connection: status, messages, activeResponseId: null, awaitingResponse: false, downloads: {}, report, sceneEnding: false };
}

function applyServerEvent(state: SessionState, event: ServerEvent): SessionState {
  switch (event.type) {
    case 'localchat.session.info':
      return { ...state, serverTutor: event.tutor, conversation: { ...emptyConversation, id: event.conversation_id } };
    case 'session.created':
    case 'session.updated': {
      const { voice, speed } = sessionOutput(event.session);
      const instructions = field(event.session, 'instructions');
      const serverTutor = event.type === 'session.created' && typeof instructions === 'string' ? instructions.trim() !== DEFAULT_TUTOR_PROMPT : state.serverTutor;
      return { ...state, voice: voice ?? state.voice, speed: speed ?? state.speed, serverTutor: state.serverTutor === true ? true : serverTutor };
    }
    case 'localchat.voices':
      return {
        ...state,
        voices: event.voices,
        defaultVoice: event.default_voice,
        voiceEngine: event.provider,
        voiceEngines: event.engines ?? [],
        // After an engine switch the server's session.updated carries the voice it picked.
        voice: state.voice ?? event.default_voice,
      };
    case 'localchat.engine.status': {
      const downloads = { ...state.downloads };
      for (const engine of event.engines) if (engine.state !== 'downloading') delete downloads[engine.modelId];
      return { ...state, engines: event.engines, downloads };
    }
    case 'localchat.download.progress': {
      const downloads = { ...state.downloads };
      if (event.total_bytes !== null && event.downloaded_bytes >= event.total_bytes) delete downloads[event.model];
      else downloads[event.model] = event;
      return { ...state, downloads };
    }
    case 'localchat.conversation.reset':
      return {
        ...state,
        messages: [],
        activeResponseId: null,
        awaitingResponse: false,
        conversation: {
          id: event.conversation_id ?? null,
          title: null,
          scenarioId: event.scenario?.id ?? null,
          scenario: event.scenario ?? null,
          topic: event.topic ?? null,
          resumed: false,
        },
      };
    case 'localchat.conversation.loaded':
      return applyLoaded(state, event, new Set(), false);
    case 'localchat.correction':
      // A correct sentence gets no event; an empty error list (never sent) would show no card either.
      if (event.correction.errors.length === 0) return state;
      return updateMessage(state, event.item_id, () => ({ correction: event.correction }));
    case 'localchat.session.report':
      return {
        ...state,
        conversation: event.conversation_id ? { ...state.conversation, id: event.conversation_id } : state.conversation,
        report: { status: 'ready', conversationId: event.conversation_id ?? state.conversation.id, report: (event.report ?? null) as SessionReport | null },
      };
    case 'localchat.notice':
      if (state.report?.status === 'waiting' && /session report/i.test(event.message)) {
        return { ...state, report: { status: 'failed', conversationId: state.report.conversationId, message: event.message } };
      }
      if (state.notices.some((notice) => notice.message === event.message)) return state;
      return { ...state, notices: [...state.notices, { id: event.event_id || localId('notice'), level: event.level, message: event.message }] };
    case 'conversation.item.added':
    case 'conversation.item.done': {
      const item = event.item;
      if (item.type !== 'message' || item.role !== 'user' || !item.id) return state;
      if (item.content.some((part) => part.type === 'input_audio')) return applySpokenItem(state, item.id, item.content);
      const text = item.content.map((part) => part.text ?? part.transcript ?? '').join('');
      if (state.messages.some((message) => message.id === item.id)) {
        return updateMessage(state, item.id, (message) => (message.status === 'sending' ? { status: 'sent' } : {}));
      }
      // The server chose its own id: adopt it for the oldest unconfirmed message with this text.
      const pending = state.messages.find((message) => message.role === 'user' && message.status === 'sending' && message.text === text);
      if (pending) return updateMessage(state, pending.id, () => ({ id: item.id, status: 'sent' }));
      return { ...state, messages: [...state.messages, { id: item.id, role: 'user', text, status: 'sent', hasAudio: false }] };
    }
    case 'input_audio_buffer.committed': {
      const [duration, ...rest] = state.pendingVoiceDurations;
      const known = state.voiceDurations[event.item_id];
      const durationMs = known ?? duration;
      if (durationMs === undefined) return state;
      const next = {
        ...state,
        pendingVoiceDurations: known === undefined ? rest : state.pendingVoiceDurations,
        voiceDurations: { ...state.voiceDurations, [event.item_id]: durationMs },
      };
      return updateMessage(next, event.item_id, () => ({ durationMs }));
    }
    case 'input_audio_buffer.speech_started':
      return { ...state, speechStarts: { ...state.speechStarts, [event.item_id]: event.audio_start_ms } };
    case 'input_audio_buffer.speech_stopped': {
      const start = state.speechStarts[event.item_id];
      if (start === undefined) return state;
      const speechStarts = { ...state.speechStarts };
      delete speechStarts[event.item_id];
      return { ...state, speechStarts, voiceDurations: { ...state.voiceDurations, [event.item_id]: Math.max(0, event.audio_end_ms - start) } };
    }
    case 'conversation.item.input_audio_transcription.delta': {
      const withMessage = ensureSpoken(state, event.item_id);
      return updateMessage(withMessage, event.item_id, (message) =>
        message.transcription === 'pending' ? { text: message.text + (event.delta ?? '') } : {},
      );
    }
    case 'conversation.item.input_audio_transcription.completed': {
      const withMessage = ensureSpoken(state, event.item_id);
      return updateMessage(withMessage, event.item_id, () => ({ text: event.transcript.trim(), transcription: 'completed', status: 'sent' }));
    }
    case 'conversation.item.input_audio_transcription.failed': {
      const withMessage = ensureSpoken(state, event.item_id);
      const reason = event.error.message?.trim();
      return updateMessage(withMessage, event.item_id, () => ({
        transcription: 'failed',
        status: 'failed',
        // The server's message is meant for the learner (what went wrong, and to type instead).
        error: reason || "I couldn't make out what you said. Please say it again, or type it.",
      }));
    }
    case 'conversation.item.truncated':
      return updateMessage(state, event.item_id, () => ({ interrupted: true }));
    case 'response.created':
      return { ...state, activeResponseId: event.response.id ?? state.activeResponseId, awaitingResponse: false };
    case 'response.output_item.added': {
      const item = event.item;
      if (item.type !== 'message' || item.role !== 'assistant' || !item.id) return state;
      if (state.messages.some((message) => message.id === item.id)) return state;
      return addAssistant(state, item.id, event.response_id);
    }
    case 'response.output_audio_transcript.delta': {
      const withMessage = state.messages.some((message) => message.id === event.item_id)
        ? state
        : addAssistant(state, event.item_id, event.response_id);
      return updateMessage(withMessage, event.item_id, (message) => ({ text: message.text + event.delta }));
    }
    case 'response.output_audio_transcript.done':
      // The final transcript is authoritative (it is what history keeps, e.g. after a cancel).
      if (!state.messages.some((message) => message.id === event.item_id)) return state;
      return updateMessage(state, event.item_id, (message) => ({ text: event.transcript || message.text }));
    case 'response.done':
      return applyResponseDone(state, event.response);
    case 'localchat.response.metrics':
      return updateWhere(state, (message) => message.responseId === event.response_id, () => ({
        ttftMs: event.ttft_ms,
        ttfaMs: event.ttfa_ms,
      }));
    case 'error':
      // The same failure repeated (e.g. one per audio frame) shows once.
      if (state.toasts.some((toast) => toast.message === event.error.message)) return state;
      return {
        ...state,
        toasts: [...state.toasts, { id: event.event_id || localId('toast'), level: 'error' as const, message: event.error.message }].slice(-MAX_TOASTS),
      };
    default:
      return state;
  }
}

type ResponseDone = Extract<ServerEvent, { type: 'response.done' }>['response'];

function applyResponseDone(state: SessionState, response: ResponseDone): SessionState {
  const responseId = response.id;
  const activeResponseId = state.activeResponseId === responseId || !responseId ? null : state.activeResponseId;
  const status: MessageStatus = response.status === 'cancelled'
    ? 'cancelled'
    : response.status === 'failed' || response.status === 'incomplete'
      ? 'failed'
      : 'completed';
  const error = status === 'failed' ? failureMessage(response) : undefined;
  const belongs = (message: ChatMessage): boolean => message.role === 'assistant' && message.responseId === responseId;
  const next = { ...state, activeResponseId };
  if (status === 'failed' && failureCode(response) === 'transcription_failed') {
    // The learner's bubble already says their words were not understood: no empty tutor bubble.
    return { ...next, messages: state.messages.filter((message) => !(belongs(message) && message.text === '')) };
  }
  if (!state.messages.some(belongs)) {
    // Nothing was said (e.g. no LLM available): still tell the learner what happened.
    if (status !== 'failed') return next;
    const id = localId('failed');
    return {
      ...next,
      messages: [...state.messages, { id, role: 'assistant', text: '', status, error, responseId, hasAudio: false }],
    };
  }
  return updateWhere(next, belongs, () => ({ status, error }));
}

function failureCode(response: ResponseDone): string | undefined {
  const error = response.status_details?.error as { code?: string } | undefined;
  return error?.code;
}

function failureMessage(response: ResponseDone): string {
  const details = response.status_details;
  const error = details?.error as { message?: string; code?: string; type?: string } | undefined;
  if (error?.message) return error.message;
  if (response.status === 'incomplete') return 'The reply was cut short.';
  if (error?.code === 'llm_error') return 'The language model could not answer: see the status at the top.';
  return error?.code ? `The reply failed (${error.code}).` : 'The reply failed.';
}

type UserContent = Extract<Extract<ServerEvent, { type: 'conversation.item.added' }>['item'], { role: 'user' }>['content'];

/** A user item made of audio: a "what I heard" message, transcribed later (or already). */
function applySpokenItem(state: SessionState, id: string, content: UserContent): SessionState {
  const transcript = content.map((part) => (part.type === 'input_audio' ? part.transcript ?? '' : part.text ?? '')).join('').trim();
  const withMessage = ensureSpoken(state, id);
  if (!transcript) return withMessage;
  return updateMessage(withMessage, id, (message) =>
    message.transcription === 'failed' ? {} : { text: transcript, transcription: 'completed', status: 'sent' },
  );
}

function ensureSpoken(state: SessionState, id: string): SessionState {
  if (state.messages.some((message) => message.id === id)) return state;
  const message: ChatMessage = {
    id,
    role: 'user',
    text: '',
    status: 'sent',
    hasAudio: false,
    spoken: true,
    transcription: 'pending',
    durationMs: state.voiceDurations[id],
  };
  return { ...state, messages: [...state.messages, message] };
}

function addAssistant(state: SessionState, id: string, responseId: string): SessionState {
  return {
    ...state,
    activeResponseId: state.activeResponseId ?? responseId,
    messages: [...state.messages, { id, role: 'assistant', text: '', status: 'streaming', responseId, hasAudio: false }],
  };
}

function note(text: string): ChatMessage {
  return { id: localId('note'), role: 'note', text, status: 'completed', hasAudio: false };
}

function updateMessage(state: SessionState, id: string, change: (message: ChatMessage) => Partial<ChatMessage>): SessionState {
  return updateWhere(state, (message) => message.id === id, change);
}

function updateWhere(
  state: SessionState,
  predicate: (message: ChatMessage) => boolean,
  change: (message: ChatMessage) => Partial<ChatMessage>,
): SessionState {
  let changed = false;
  const messages = state.messages.map((message) => {
    if (!predicate(message)) return message;
    changed = true;
    return { ...message, ...change(message) };
  });
  return changed ? { ...state, messages } : state;
}

/** `session.audio.output.voice` and `.speed` of a session object, where present. */
function sessionOutput(session: unknown): { voice?: string; speed?: number } {
  const audio = field(session, 'audio');
  const output = field(audio, 'output');
  const speed = field(output, 'speed');
  return { voice: voiceId(field(output, 'voice')), speed: typeof speed === 'number' ? speed : undefined };
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function voiceId(voice: unknown): string | undefined {
  if (typeof voice === 'string') return voice;
  if (typeof voice === 'object' && voice !== null && typeof (voice as { id?: unknown }).id === 'string') return (voice as { id: string }).id;
  return undefined;
}
