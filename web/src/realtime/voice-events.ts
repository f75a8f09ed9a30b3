/**
 * The voice-input part of the realtime protocol, as the browser speaks it: OpenAI Realtime API
 * GA event names and shapes (typed by the `openai` package), for turns made of audio.
 *
 * Client -> server:
 * - `session.update` with `session.audio.input.turn_detection`: `null` (the browser decides
 *   turns: hands-free with browser VAD, push-to-talk, typing) or `{ type: 'server_vad', ... }`
 * - `input_audio_buffer.append` `{ audio }`: base64 PCM16 mono 24 kHz little-endian
 * - `input_audio_buffer.commit`, `input_audio_buffer.clear`
 * - `conversation.item.truncate` `{ item_id, content_index: 0, audio_end_ms }` after a barge-in
 * - `localchat.input_audio_buffer.maybe_done` / `resumed` `{ pause_ms }` (browser VAD): a short
 *   pause inside a turn, and speech coming back after it, for the server's speculative reply
 *
 * Server -> client: `input_audio_buffer.committed | cleared | speech_started | speech_stopped`,
 * `conversation.item.input_audio_transcription.delta | completed | failed`,
 * `conversation.item.truncated`.
 */
import type {
  ConversationItemInputAudioTranscriptionCompletedEvent,
  ConversationItemInputAudioTranscriptionDeltaEvent,
  ConversationItemInputAudioTranscriptionFailedEvent,
  ConversationItemTruncatedEvent,
  ConversationItemTruncateEvent,
  InputAudioBufferAppendEvent,
  InputAudioBufferClearedEvent,
  InputAudioBufferClearEvent,
  InputAudioBufferCommitEvent,
  InputAudioBufferCommittedEvent,
  InputAudioBufferSpeechStartedEvent,
  InputAudioBufferSpeechStoppedEvent,
} from 'openai/resources/realtime/realtime';

/** `session.audio.input.turn_detection`: null = the client decides turns. */
export type TurnDetectionConfig = null | {
  type: 'server_vad';
  threshold: number;
  silence_duration_ms: number;
  prefix_padding_ms: number;
  /** The server starts the reply when the turn ends (default true). */
  create_response?: boolean;
  /** Speech cancels the reply in progress (default true). */
  interrupt_response?: boolean;
};

export interface SessionInputUpdateEvent {
  type: 'session.update';
  event_id?: string;
  session: {
    audio: {
      input: {
        turn_detection: TurnDetectionConfig;
        transcription?: { model?: string };
      };
    };
    /** LocalChat extension: the server VAD's thinking time follows the learner's pauses. */
    localchat?: { thinking_time?: 'learned' | 'fixed' };
  };
}

/**
 * LocalChat extension (browser VAD): the learner went quiet inside a turn; the audio appended so
 * far may be the whole turn, so the server prepares the reply unheard (a speculative reply).
 */
export interface MaybeDoneEvent {
  type: 'localchat.input_audio_buffer.maybe_done';
  event_id?: string;
}

/** LocalChat extension (browser VAD): speech came back after `maybe_done`, after `pause_ms` of pause. */
export interface ResumedEvent {
  type: 'localchat.input_audio_buffer.resumed';
  event_id?: string;
  pause_ms?: number;
}

export type VoiceClientEvent =
  | SessionInputUpdateEvent
  | InputAudioBufferAppendEvent
  | InputAudioBufferCommitEvent
  | InputAudioBufferClearEvent
  | ConversationItemTruncateEvent
  | MaybeDoneEvent
  | ResumedEvent;

export type VoiceServerEvent =
  | InputAudioBufferCommittedEvent
  | InputAudioBufferClearedEvent
  | InputAudioBufferSpeechStartedEvent
  | InputAudioBufferSpeechStoppedEvent
  | ConversationItemInputAudioTranscriptionDeltaEvent
  | ConversationItemInputAudioTranscriptionCompletedEvent
  | ConversationItemInputAudioTranscriptionFailedEvent
  | ConversationItemTruncatedEvent;
