/**
 * A response as OpenAI Realtime API server events: `response.created`, its output items (the
 * message, opened at its first text when tools are on, and `function_call` items), the transcript,
 * audio and argument deltas, the closing `...done` events and `response.done` with its status and
 * usage, then `localchat.response.metrics`. The session decides when; this file decides what is
 * said.
 */
import { randomUUID } from 'node:crypto';
import type { RealtimeResponseStatus, RealtimeResponseUsage } from 'openai/resources/realtime/realtime';
import type { ToolCall, Usage } from '../../core/llm.js';
import type { Conversation } from '../../turn/conversation.js';
import type { ResponseHandle, ResponseOutcome } from '../../turn/response-handle.js';
import type { VoiceTurnEvent } from '../../turn/voice-turn.js';
import type { OutgoingEvent } from './server-events.js';

/** Largest audio delta sent, in samples at 24 kHz (200 ms): small enough for the client to start early. */
const MAX_DELTA_SAMPLES = 4800;

/** A new item, response or session id: `prefix_` and 20 hex digits. */
export const newId = (prefix: string) => `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 20)}`;

/** A function call item of a response. */
interface FunctionCallOutput {
  itemId: string;
  callId: string;
  name: string;
  arguments: string;
  outputIndex: number;
  done: boolean;
}

/** A response's output items, in order: its message (opened at its first text when tools are on) and function calls. */
interface ResponseOutput {
  messageIndex: number | null;
  calls: FunctionCallOutput[];
  next: number;
  modalities: ('text' | 'audio')[];
}

/** What the writer needs of its session. */
export interface ResponseEventsContext {
  conversation: Conversation;
  emit(event: OutgoingEvent): void;
  sendError(code: string, message: string): void;
  /** The id of the item before `itemId` in the conversation, or null. */
  previousOf(itemId: string): string | null;
  /** Puts a function call the response made into the history (before the client hears of it). */
  addToolCall(handle: ResponseHandle, call: ToolCall, itemId: string): void;
}

export class ResponseEvents {
  /** Replies that were text only (`output_text` content). */
  readonly textItems = new Set<string>();
  /** Recent replies that left no history entry (cut before any text), for `conversation.item.retrieve`. */
  readonly emptyReplies = new Set<string>();
  /** Output items of the responses in progress, by response id. */
  private readonly outputs = new Map<string, ResponseOutput>();

  constructor(private readonly context: ResponseEventsContext) {}

  /** `response.created`; without tools the message item opens at once. */
  created(handle: ResponseHandle, modalities: ('text' | 'audio')[], withTools: boolean): void {
    this.context.emit({
      type: 'response.created',
      response: { id: handle.id, object: 'realtime.response', status: 'in_progress', output: [], conversation_id: this.context.conversation.id, output_modalities: modalities },
    });
    const output: ResponseOutput = { messageIndex: null, calls: [], next: 0, modalities };
    this.outputs.set(handle.id, output);
    if (!withTools) this.openMessage(handle, output);
  }

  /**
   * The protocol events of one voice-turn event of a producing response: transcript or text
   * deltas, audio deltas (in slices of at most 200 ms), function call items and arguments.
   * Call it only while the response is not cut.
   */
  delta(handle: ResponseHandle, event: VoiceTurnEvent): void {
    const output = this.outputs.get(handle.id);
    if (!output) return;
    const withAudio = output.modalities.includes('audio');
    // The message item opens at the reply's first text (at once without tools: see created).
    const ids = () => {
      this.openMessage(handle, output);
      return { response_id: handle.id, item_id: handle.itemId, output_index: output.messageIndex ?? 0, content_index: 0 };
    };
    if (event.type === 'text') {
      this.context.emit(withAudio ? { type: 'response.output_audio_transcript.delta', ...ids(), delta: event.text } : { type: 'response.output_text.delta', ...ids(), delta: event.text });
    } else if (event.type === 'audio') {
      for (let offset = 0; offset < event.samples.length; offset += MAX_DELTA_SAMPLES) {
        const slice = event.samples.subarray(offset, offset + MAX_DELTA_SAMPLES);
        this.context.emit({ type: 'response.output_audio.delta', ...ids(), delta: Buffer.from(slice.buffer, slice.byteOffset, slice.byteLength).toString('base64') });
      }
    } else if (event.type === 'tool-call-start' || event.type === 'tool-call-delta' || event.type === 'tool-call') {
      this.onToolEvent(handle, output, event);
    }
  }

  /**
   * A response settled (its history entry decided and saved): its last events, `response.done`,
   * and its metrics.
   * @param transcribeMs speech recognition time of the learner turn it answers, if spoken
   */
  done(handle: ResponseHandle, outcome: ResponseOutcome, transcribeMs?: number): void {
    const { emit } = this.context;
    const withAudio = handle.withAudio;
    if (!withAudio) this.textItems.add(handle.itemId);
    const output = this.outputs.get(handle.id);
    this.outputs.delete(handle.id);
    if (handle.started && !outcome.turn) {
      this.emptyReplies.add(handle.itemId);
      while (this.emptyReplies.size > 16) this.emptyReplies.delete(this.emptyReplies.values().next().value!);
    }
    const text = outcome.result?.text ?? outcome.text;
    const finishing = outcome.status !== 'cancelled' && outcome.failure !== 'transcription_failed' && outcome.failure !== 'server_error' && handle.started;
    // With tools the message opens at its first text: a reply that only called functions has none.
    if (finishing && output && output.messageIndex === null && (output.calls.length === 0 || text.trim())) this.openMessage(handle, output);
    const hasMessage = !output || output.messageIndex !== null || output.calls.length === 0;
    const messageIndex = output?.messageIndex ?? 0;
    const ids = { response_id: handle.id, item_id: handle.itemId, output_index: messageIndex, content_index: 0 };
    if (finishing && hasMessage) {
      if (withAudio) {
        emit({ type: 'response.output_audio_transcript.done', ...ids, transcript: text });
        emit({ type: 'response.output_audio.done', ...ids });
      } else {
        emit({ type: 'response.output_text.done', ...ids, text });
      }
      const doneItem = {
        id: handle.itemId,
        type: 'message' as const,
        role: 'assistant' as const,
        object: 'realtime.item' as const,
        status: outcome.status === 'completed' ? ('completed' as const) : ('incomplete' as const),
        content: [withAudio ? { type: 'output_audio' as const, transcript: text } : { type: 'output_text' as const, text }],
      };
      emit({ type: 'response.content_part.done', ...ids, part: withAudio ? { type: 'audio', transcript: text } : { type: 'text', text } });
      emit({ type: 'response.output_item.done', response_id: handle.id, output_index: messageIndex, item: doneItem });
      emit({ type: 'conversation.item.done', previous_item_id: this.context.previousOf(handle.itemId), item: doneItem });
    }
    if (outcome.failure === 'server_error') this.context.sendError('server_error', `The reply failed: ${outcome.text}`);
    const details: RealtimeResponseStatus =
      outcome.status === 'completed'
        ? { type: 'completed' }
        : outcome.status === 'cancelled'
          ? outcome.reason === 'shutdown'
            ? { type: 'cancelled', error: { type: 'server_error', code: 'server_shutting_down' } }
            : { type: 'cancelled', reason: outcome.reason ?? 'client_cancelled' }
          : { type: 'failed', error: { type: outcome.failure === 'transcription_failed' ? 'invalid_request_error' : 'server_error', code: outcome.failure ?? 'server_error' } };
    const transcript = outcome.status === 'cancelled' ? (outcome.turn?.text ?? '') : text;
    emit({
      type: 'response.done',
      response: {
        id: handle.id,
        object: 'realtime.response',
        status: outcome.status,
        status_details: details,
        output: [
          ...(hasMessage
            ? [
                {
                  index: messageIndex,
                  item: {
                    id: handle.itemId,
                    type: 'message' as const,
                    role: 'assistant' as const,
                    object: 'realtime.item' as const,
                    status: outcome.status === 'completed' ? ('completed' as const) : ('incomplete' as const),
                    content: [withAudio ? { type: 'output_audio' as const, transcript } : { type: 'output_text' as const, text: transcript }],
                  },
                },
              ]
            : []),
          ...(output?.calls ?? [])
            .filter((call) => call.done)
            .map((call) => ({
              index: call.outputIndex,
              item: { id: call.itemId, type: 'function_call' as const, object: 'realtime.item' as const, status: 'completed' as const, call_id: call.callId, name: call.name, arguments: call.arguments },
            })),
        ]
          .sort((a, b) => a.index - b.index)
          .map((entry) => entry.item),
        conversation_id: this.context.conversation.id,
        output_modalities: handle.withAudio ? ['audio'] : ['text'],
        ...(outcome.usage ? { usage: realtimeUsage(outcome.usage) } : {}),
      },
    });
    const result = outcome.result;
    if (result && outcome.status !== 'cancelled') {
      emit({
        type: 'localchat.response.metrics',
        response_id: handle.id,
        ttft_ms: round(result.ttftMs),
        ttfa_ms: round(result.ttfaMs),
        total_ms: round(result.totalMs) ?? 0,
        first_chunk_ms: round(result.firstChunkMs ?? null),
        ...(transcribeMs !== undefined ? { transcribe_ms: round(transcribeMs) ?? 0 } : {}),
      });
    }
  }

  /** Announces a response's message item (`output_item.added`, `conversation.item.added`, `content_part.added`), once. */
  private openMessage(handle: ResponseHandle, output: ResponseOutput): void {
    if (output.messageIndex !== null) return;
    output.messageIndex = output.next++;
    const withAudio = output.modalities.includes('audio');
    const item = { id: handle.itemId, type: 'message' as const, role: 'assistant' as const, object: 'realtime.item' as const, status: 'in_progress' as const, content: [] };
    this.context.emit({ type: 'response.output_item.added', response_id: handle.id, output_index: output.messageIndex, item });
    this.context.emit({ type: 'conversation.item.added', previous_item_id: this.context.conversation.lastTurn?.id ?? null, item });
    this.context.emit({
      type: 'response.content_part.added',
      response_id: handle.id,
      item_id: handle.itemId,
      output_index: output.messageIndex,
      content_index: 0,
      part: withAudio ? { type: 'audio', transcript: '' } : { type: 'text', text: '' },
    });
  }

  /** A function call event of a response: its `function_call` output item, arguments, and (when complete) its place in the history. */
  private onToolEvent(handle: ResponseHandle, output: ResponseOutput, event: Extract<VoiceTurnEvent, { type: 'tool-call-start' | 'tool-call-delta' | 'tool-call' }>): void {
    const { emit } = this.context;
    const open = (callId: string, name: string): FunctionCallOutput => {
      const call: FunctionCallOutput = { itemId: newId('item'), callId, name, arguments: '', outputIndex: output.next++, done: false };
      output.calls.push(call);
      const item = { id: call.itemId, type: 'function_call' as const, object: 'realtime.item' as const, status: 'in_progress' as const, call_id: callId, name, arguments: '' };
      emit({ type: 'response.output_item.added', response_id: handle.id, output_index: call.outputIndex, item });
      emit({ type: 'conversation.item.added', previous_item_id: this.context.conversation.lastTurn?.id ?? null, item });
      return call;
    };
    const find = (callId: string) => output.calls.find((call) => call.callId === callId && !call.done);
    if (event.type === 'tool-call-start') {
      open(event.id, event.name);
      return;
    }
    if (event.type === 'tool-call-delta') {
      const call = find(event.id);
      if (!call) return;
      call.arguments += event.argumentsDelta;
      emit({ type: 'response.function_call_arguments.delta', response_id: handle.id, item_id: call.itemId, output_index: call.outputIndex, call_id: call.callId, delta: event.argumentsDelta });
      return;
    }
    const call = find(event.call.id) ?? open(event.call.id, event.call.name);
    call.arguments = event.call.arguments;
    call.done = true;
    const ids = { response_id: handle.id, item_id: call.itemId, output_index: call.outputIndex, call_id: call.callId };
    emit({ type: 'response.function_call_arguments.done', ...ids, name: call.name, arguments: call.arguments });
    // In the history before the client hears of it: its function_call_output may come at once.
    this.context.addToolCall(handle, event.call, call.itemId);
    const item = { id: call.itemId, type: 'function_call' as const, object: 'realtime.item' as const, status: 'completed' as const, call_id: call.callId, name: call.name, arguments: call.arguments };
    emit({ type: 'response.output_item.done', response_id: handle.id, output_index: call.outputIndex, item });
    emit({ type: 'conversation.item.done', previous_item_id: this.context.previousOf(call.itemId), item });
  }
}

/** Our token usage as the Realtime API's `response.usage` (text only: audio is not counted in tokens). */
export function realtimeUsage(usage: Usage): RealtimeResponseUsage {
  const input = usage.promptTokens ?? 0;
  const output = usage.completionTokens ?? 0;
  return {
    total_tokens: input + output,
    input_tokens: input,
    output_tokens: output,
    input_token_details: { text_tokens: input, audio_tokens: 0, cached_tokens: usage.cachedPromptTokens ?? 0 },
    output_token_details: { text_tokens: output, audio_tokens: 0 },
  };
}

/** ms to one decimal, or null. */
export function round(value: number | null): number | null {
  return value === null ? null : Math.round(value * 10) / 10;
}
