/**
 * Server events sent on `/v1/realtime`: OpenAI Realtime API events (typed by the `openai` package
 * itself, so the shapes cannot drift) plus `localchat.*` extensions for what that API has no name
 * for. docs/protocol.md lists them with an example exchange.
 */
import type {
  ConversationItem,
  ConversationItemInputAudioTranscriptionCompletedEvent,
  ConversationItemInputAudioTranscriptionDeltaEvent,
  ConversationItemInputAudioTranscriptionFailedEvent,
  ConversationItemTruncatedEvent,
  InputAudioBufferClearedEvent,
  InputAudioBufferCommittedEvent,
  InputAudioBufferSpeechStartedEvent,
  InputAudioBufferSpeechStoppedEvent,
  ConversationItemAdded,
  ConversationItemDone,
  RealtimeConversationItemUserMessage,
  RealtimeErrorEvent,
  ResponseAudioDeltaEvent,
  ResponseAudioDoneEvent,
  ResponseAudioTranscriptDeltaEvent,
  ResponseAudioTranscriptDoneEvent,
  ResponseContentPartAddedEvent,
  ResponseContentPartDoneEvent,
  ResponseCreatedEvent,
  ResponseDoneEvent,
  ResponseFunctionCallArgumentsDeltaEvent,
  ResponseFunctionCallArgumentsDoneEvent,
  ResponseOutputItemAddedEvent,
  ResponseOutputItemDoneEvent,
  ResponseTextDeltaEvent,
  ResponseTextDoneEvent,
  SessionCreatedEvent,
  SessionUpdatedEvent,
} from 'openai/resources/realtime/realtime';
import type { EngineStatus } from '../../core/engine-status.js';
import type { Voice } from '../../core/tts.js';

/**
 * A user message as sent on the wire. OpenAI sends `transcript: null` on an `input_audio` part
 * whose transcript is not known yet, and clients rely on it (the `@openai/agents` SDK's schema
 * requires `transcript: string | null`), while the `openai` package types it `string | undefined`.
 */
export interface WireUserMessage extends Omit<RealtimeConversationItemUserMessage, 'content'> {
  content: (Omit<RealtimeConversationItemUserMessage.Content, 'transcript'> & { transcript?: string | null })[];
}

/** A conversation item as sent on the wire (see {@link WireUserMessage}). */
export type WireItem = Exclude<ConversationItem, RealtimeConversationItemUserMessage> | WireUserMessage;

/** `conversation.item.added` with a {@link WireItem}. */
export interface ItemAddedEvent extends Omit<ConversationItemAdded, 'item'> {
  item: WireItem;
}

/** `conversation.item.done` with a {@link WireItem}. */
export interface ItemDoneEvent extends Omit<ConversationItemDone, 'item'> {
  item: WireItem;
}

/** Answer to `conversation.item.retrieve` (the `openai` package types it inside `RealtimeServerEvent`). */
export interface ItemRetrievedEvent {
  type: 'conversation.item.retrieved';
  event_id: string;
  item: WireItem;
}

/** Every engine's state; sent on connect and whenever one changes. */
export interface EngineStatusEvent {
  type: 'localchat.engine.status';
  event_id: string;
  engines: EngineStatus[];
}

/** A model download in progress (throttled, ~10 per second at most). */
export interface DownloadProgressEvent {
  type: 'localchat.download.progress';
  event_id: string;
  model: string;
  file: string;
  downloaded_bytes: number;
  total_bytes: number | null;
  bytes_per_second: number;
  eta_seconds: number | null;
}

/** The voices of the active TTS engine, for the voice picker. */
export interface VoicesEvent {
  type: 'localchat.voices';
  event_id: string;
  /** The voice engine this session speaks with. */
  provider: string;
  default_voice: string;
  voices: Voice[];
  /** Every voice engine usable now, for the engine picker (`session.localchat.tts`). */
  engines: { provider: string; model_id: string }[];
}

/** Timings of one response, in ms from the moment the user's turn ended. */
export interface ResponseMetricsEvent {
  type: 'localchat.response.metrics';
  event_id: string;
  response_id: string;
  /** Time to the first LLM token. */
  ttft_ms: number | null;
  /** Time to the first audio sample of the reply. */
  ttfa_ms: number | null;
  total_ms: number;
  /** Time to the first clause (or sentence) handed to the voice, when there was one. */
  first_chunk_ms?: number | null;
  /** How long speech recognition took for the learner turn this reply answers (spoken turns only). */
  transcribe_ms?: number;
}

/** Something the learner should know (e.g. "no LLM configured: here is how"). */
export interface NoticeEvent {
  type: 'localchat.notice';
  event_id: string;
  level: 'info' | 'warning' | 'error';
  message: string;
  /** The conversation item the notice is about (e.g. a turn that could not be saved). */
  item_id?: string;
  /** A machine-readable reason, e.g. `store_full` (a turn waits for disk space). */
  code?: string;
}

/** Sent on connect, after `session.created`: the session's conversation and whether the tutor (store, profile, scenarios, `/api`) is on. */
export interface SessionInfoEvent {
  type: 'localchat.session.info';
  event_id: string;
  conversation_id: string;
  tutor: boolean;
}

/** A new conversation started (answer to `localchat.conversation.reset`). */
export interface ConversationResetEvent {
  type: 'localchat.conversation.reset';
  event_id: string;
  conversation_id: string;
  scenario: { id: string; title: string; learner_goal: string; useful_phrases: string[] } | null;
  topic: { id: string; title: string } | null;
}

/** A saved conversation was loaded (answer to `localchat.conversation.resume`). */
export interface ConversationLoadedEvent {
  type: 'localchat.conversation.loaded';
  event_id: string;
  conversation_id: string;
  title: string | null;
  scenario_id: string | null;
  turns: { id: string; role: 'user' | 'assistant'; text: string; interrupted: boolean; source: string | null; correction: CorrectionPayload | null }[];
}

/** A correction card for a learner message. */
export interface CorrectionPayload {
  original: string;
  corrected: string;
  errors: { original: string; correction: string; category: string; rule: string; example: string; start: number | null; end: number | null }[];
  diff: { type: 'same' | 'removed' | 'added'; text: string }[];
}

export interface CorrectionEvent {
  type: 'localchat.correction';
  event_id: string;
  /** The learner message it corrects. */
  item_id: string;
  correction: CorrectionPayload;
}

/** The session report (answer to `localchat.session.end`). */
export interface SessionReportEvent {
  type: 'localchat.session.report';
  event_id: string;
  conversation_id: string;
  /** The report (see src/tutor/report.ts SessionReport), or null when there was nothing to report. */
  report: unknown;
}

/**
 * The thinking time in use (the silence that ends a spoken turn) and where it comes from: sent when
 * a session opens and whenever it changes, so the settings can show it and a client-side VAD can
 * use it.
 */
export interface ThinkingTimeEvent {
  type: 'localchat.thinking_time';
  event_id: string;
  /** `learned`: from the learner's pauses; `fixed`: the value the client chose. */
  mode: 'learned' | 'fixed';
  /** The turn-end silence in use, ms. */
  silence_duration_ms: number;
  /** The value learned from the learner's pauses, ms (whatever the mode). */
  learned_ms: number;
  /** How many within-turn pauses it was learned from. */
  pauses: number;
  /** The settings' range the learned value stays within, ms. */
  range: { min: number; max: number };
}

export type LocalChatServerEvent =
  | ThinkingTimeEvent
  | EngineStatusEvent
  | DownloadProgressEvent
  | VoicesEvent
  | ResponseMetricsEvent
  | NoticeEvent
  | ConversationResetEvent
  | SessionInfoEvent
  | ConversationLoadedEvent
  | CorrectionEvent
  | SessionReportEvent;

export type ServerEvent =
  | SessionCreatedEvent
  | SessionUpdatedEvent
  | ItemAddedEvent
  | ItemDoneEvent
  | ItemRetrievedEvent
  | ConversationItemTruncatedEvent
  | ConversationItemInputAudioTranscriptionDeltaEvent
  | ConversationItemInputAudioTranscriptionCompletedEvent
  | ConversationItemInputAudioTranscriptionFailedEvent
  | InputAudioBufferCommittedEvent
  | InputAudioBufferClearedEvent
  | InputAudioBufferSpeechStartedEvent
  | InputAudioBufferSpeechStoppedEvent
  | ResponseCreatedEvent
  | ResponseOutputItemAddedEvent
  | ResponseOutputItemDoneEvent
  | ResponseAudioTranscriptDeltaEvent
  | ResponseAudioTranscriptDoneEvent
  | ResponseAudioDeltaEvent
  | ResponseAudioDoneEvent
  | ResponseContentPartAddedEvent
  | ResponseContentPartDoneEvent
  | ResponseTextDeltaEvent
  | ResponseTextDoneEvent
  | ResponseDoneEvent
  | ResponseFunctionCallArgumentsDeltaEvent
  | ResponseFunctionCallArgumentsDoneEvent
  | RealtimeErrorEvent
  | LocalChatServerEvent;

/** A server event before the session stamps its `event_id`. */
export type OutgoingEvent = ServerEvent extends infer E ? (E extends { event_id: string } ? Omit<E, 'event_id'> : never) : never;
