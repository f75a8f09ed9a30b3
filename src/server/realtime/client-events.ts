/**
 * Client events accepted on `/v1/realtime`: the subset of the OpenAI Realtime API (GA names and
 * shapes, as typed in the `openai` npm package, `resources/realtime`) that a text turn needs, plus
 * `localchat.*` extensions. Every incoming frame is validated here with zod.
 */
import { z } from 'zod';
import { MAX_SPEED, MIN_SPEED } from '../../core/tts.js';

/** Longest user message, in characters. */
export const MAX_MESSAGE_CHARS = 4000;
/** Largest WebSocket frame accepted, in bytes (a text turn needs far less). */
export const MAX_FRAME_BYTES = 256 * 1024;

const eventId = z.string().max(128).optional();

/** `session.audio.output` and the `localchat` extension: what a client may change in a session. */
export const sessionConfigSchema = z.object({
  type: z.literal('realtime').optional(),
  instructions: z.string().max(20_000).optional(),
  output_modalities: z.array(z.enum(['text', 'audio'])).min(1).max(2).optional(),
  max_output_tokens: z.union([z.number().int().min(1).max(4096), z.literal('inf')]).optional(),
  audio: z
    .object({
      input: z
        .object({
          format: z.object({ type: z.literal('audio/pcm'), rate: z.literal(24000).optional() }).optional(),
          /** null: the client decides turns (commit); `server_vad`: the server detects speech. */
          turn_detection: z
            .object({
              type: z.literal('server_vad'),
              threshold: z.number().min(0).max(1).optional(),
              /** Silence that ends a turn: the learner's "thinking time". */
              silence_duration_ms: z.number().int().min(200).max(5000).optional(),
              prefix_padding_ms: z.number().int().min(0).max(2000).optional(),
              create_response: z.boolean().optional(),
              interrupt_response: z.boolean().optional(),
            })
            .nullable()
            .optional(),
          transcription: z.object({ model: z.string().max(200).optional(), language: z.string().max(16).optional() }).nullable().optional(),
        })
        .optional(),
      output: z
        .object({
          voice: z.string().min(1).max(64).optional(),
          speed: z.number().min(MIN_SPEED).max(MAX_SPEED).optional(),
          format: z.object({ type: z.literal('audio/pcm'), rate: z.literal(24000).optional() }).optional(),
        })
        .optional(),
    })
    .optional(),
  /** LocalChat extension (ignored by OpenAI's servers). */
  localchat: z
    .object({
      /** `streaming`: speak each chunk as soon as it is ready; `whole_reply`: all text first, then audio. */
      delivery: z.enum(['streaming', 'whole_reply']).optional(),
      /** The voice engine to speak with (a provider from `localchat.voices`), or `auto`: the best one ready. */
      tts: z.string().min(1).max(40).optional(),
    })
    .optional(),
});
export type SessionConfigUpdate = z.infer<typeof sessionConfigSchema>;

const inputText = z.object({
  type: z.literal('input_text'),
  text: z
    .string()
    .refine((text) => text.trim().length > 0, 'The message is empty.')
    .refine((text) => text.length <= MAX_MESSAGE_CHARS, `The message is longer than ${MAX_MESSAGE_CHARS} characters.`),
});

export const clientEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('session.update'), event_id: eventId, session: sessionConfigSchema }),
  z.object({
    type: z.literal('conversation.item.create'),
    event_id: eventId,
    previous_item_id: z.string().nullable().optional(),
    item: z.object({
      id: z.string().max(64).optional(),
      type: z.literal('message'),
      role: z.literal('user'),
      content: z.array(inputText).min(1).max(8),
    }),
  }),
  z.object({
    type: z.literal('response.create'),
    event_id: eventId,
    response: z
      .object({
        instructions: z.string().max(20_000).optional(),
        output_modalities: z.array(z.enum(['text', 'audio'])).min(1).max(2).optional(),
        audio: sessionConfigSchema.shape.audio,
      })
      .optional(),
  }),
  z.object({ type: z.literal('response.cancel'), event_id: eventId, response_id: z.string().optional() }),
  /** Base64 PCM16 mono 24 kHz little-endian; an even number of bytes. */
  z.object({ type: z.literal('input_audio_buffer.append'), event_id: eventId, audio: z.string().max(MAX_FRAME_BYTES) }),
  z.object({ type: z.literal('input_audio_buffer.commit'), event_id: eventId }),
  z.object({ type: z.literal('input_audio_buffer.clear'), event_id: eventId }),
  z.object({
    type: z.literal('conversation.item.truncate'),
    event_id: eventId,
    item_id: z.string().min(1).max(64),
    content_index: z.number().int().min(0),
    audio_end_ms: z.number().int().min(0),
  }),
  /**
   * LocalChat extension: start a new conversation ("New chat"), optionally a role-play scenario
   * or a topic (`"today"`: the topic of the day); the tutor then opens it.
   */
  z.object({
    type: z.literal('localchat.conversation.reset'),
    event_id: eventId,
    scenario_id: z.string().max(100).nullable().optional(),
    topic_id: z.string().max(100).nullable().optional(),
  }),
  /** LocalChat extension: continue a saved conversation. */
  z.object({ type: z.literal('localchat.conversation.resume'), event_id: eventId, conversation_id: z.string().min(1).max(100) }),
  /** LocalChat extension: end the conversation and get its session report. */
  z.object({ type: z.literal('localchat.session.end'), event_id: eventId }),
]);
export type ClientEvent = z.infer<typeof clientEventSchema>;

/** Client event types of the OpenAI Realtime API that this server does not implement (yet). */
export const UNSUPPORTED_EVENT_TYPES = new Set(['output_audio_buffer.clear', 'conversation.item.delete', 'conversation.item.retrieve']);

export type ParseResult =
  | { ok: true; event: ClientEvent }
  | { ok: false; code: string; message: string; eventId?: string; param?: string };

/**
 * Parses one WebSocket text frame.
 * @returns the event, or an error code (`invalid_json`, `unknown_event`, `unsupported_event`,
 *   `invalid_event`, `frame_too_large`) with a message fit for an `error` event
 */
export function parseClientEvent(frame: string): ParseResult {
  if (Buffer.byteLength(frame) > MAX_FRAME_BYTES) {
    return { ok: false, code: 'frame_too_large', message: `Frames are limited to ${MAX_FRAME_BYTES} bytes.` };
  }
  let json: unknown;
  try {
    json = JSON.parse(frame);
  } catch {
    return { ok: false, code: 'invalid_json', message: 'The frame is not valid JSON.' };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, code: 'invalid_event', message: 'An event must be a JSON object with a "type".' };
  }
  const record = json as Record<string, unknown>;
  const type = record.type;
  const eventIdValue = typeof record.event_id === 'string' ? record.event_id : undefined;
  if (typeof type !== 'string') {
    return { ok: false, code: 'invalid_event', message: 'An event must have a string "type".', eventId: eventIdValue };
  }
  const parsed = clientEventSchema.safeParse(json);
  if (parsed.success) return { ok: true, event: parsed.data };
  const known = clientEventSchema.options.some((option) => option.shape.type.value === type);
  if (!known) {
    return UNSUPPORTED_EVENT_TYPES.has(type)
      ? { ok: false, code: 'unsupported_event', message: `"${type}" is not supported by this server yet.`, eventId: eventIdValue }
      : { ok: false, code: 'unknown_event', message: `Unknown event type "${type}".`, eventId: eventIdValue };
  }
  const issue = parsed.error.issues[0];
  const param = issue?.path.join('.');
  return {
    ok: false,
    code: 'invalid_event',
    message: `Invalid "${type}" event${param ? ` at ${param}` : ''}: ${issue?.message ?? 'invalid'}`,
    eventId: eventIdValue,
    param,
  };
}
