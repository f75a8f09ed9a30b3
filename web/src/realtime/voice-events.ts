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
  };
}

export type VoiceClientEvent =
  | SessionInputUpdateEvent
  | InputAudioBufferAppendEvent
  | InputAudioBufferCommitEvent
  | InputAudioBufferClearEvent
  | ConversationItemTruncateEvent;

export type VoiceServerEvent =
  | InputAudioBufferCommittedEvent
  | InputAudioBufferClearedEvent
  | InputAudioBufferSpeechStartedEvent
  | InputAudioBufferSpeechStoppedEvent
  | ConversationItemInputAudioTranscriptionDeltaEvent
  | ConversationItemInputAudioTranscriptionCompletedEvent
  | ConversationItemInputAudioTranscriptionFailedEvent
  | ConversationItemTruncatedEvent;
