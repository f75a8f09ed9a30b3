/**
 * Client events accepted on `/v1/realtime`: the OpenAI Realtime API's client events (GA names and
 * shapes, as typed in the `openai` npm package, `resources/realtime`) plus `localchat.*`
 * extensions. Every incoming frame is validated here with zod. docs/protocol.md lists every event
 * and field with what LocalChat does with it.
 *
 * A `session.update` is validated field by field ({@link parseSessionConfig}): a field LocalChat
 * cannot honour is reported and left out, and the rest of the update still applies (one unknown
 * voice must not drop an agent's instructions).
 */
import { z } from 'zod';
import { MAX_SPEED, MIN_SPEED } from '../../core/tts.js';

/** Longest user message, in characters. */
export const MAX_MESSAGE_CHARS = 4000;
/** Largest WebSocket frame accepted, in bytes (a text turn needs far less). */
export const MAX_FRAME_BYTES = 256 * 1024;
/** Longest function result (`function_call_output.output`), in characters. */
export const MAX_TOOL_OUTPUT_CHARS = 20_000;
/** Most function tools a session may declare (OpenAI allows 128). */
export const MAX_TOOLS = 128;

const eventId = z.string().max(128).optional();

const pcmFormat = z.object(
  {
    type: z.literal('audio/pcm', { error: 'Only "audio/pcm" (PCM16 mono, 24 kHz) is supported; "audio/pcmu" and "audio/pcma" are not.' }),
    rate: z.literal(24000, { error: 'Only 24000 Hz is supported.' }).optional(),
  },
  { error: 'Expected {"type": "audio/pcm", "rate": 24000}.' },
);

/** `server_vad`: turns end after `silence_duration_ms` of silence. */
const serverVad = z.object({
  type: z.literal('server_vad'),
  threshold: z.number().min(0).max(1).optional(),
  /** Silence that ends a turn: the learner's "thinking time". */
  silence_duration_ms: z.number().int().min(200).max(5000).optional(),
  prefix_padding_ms: z.number().int().min(0).max(2000).optional(),
  create_response: z.boolean().optional(),
  interrupt_response: z.boolean().optional(),
  /** Accepted and ignored: LocalChat sends no `input_audio_buffer.timeout_triggered`. */
  idle_timeout_ms: z.number().int().nullable().optional(),
});

/**
 * `semantic_vad` (OpenAI's turn model): LocalChat maps it onto its server VAD, `eagerness` onto the
 * silence that ends a turn (see {@link SEMANTIC_VAD_SILENCE_MS}).
 */
const semanticVad = z.object({
  type: z.literal('semantic_vad'),
  eagerness: z.enum(['low', 'medium', 'high', 'auto']).optional(),
  create_response: z.boolean().optional(),
  interrupt_response: z.boolean().optional(),
});

/**
 * Silence that ends a turn for each `semantic_vad` eagerness, ms. OpenAI describes `low` as letting
 * the user take their time and `high` as answering as soon as possible, `auto` = `medium`
 * (https://platform.openai.com/docs/guides/realtime-vad); `medium` is LocalChat's own default
 * thinking time for learners.
 */
export const SEMANTIC_VAD_SILENCE_MS = { low: 1500, medium: 900, high: 500, auto: 900 } as const;

const turnDetection = z.discriminatedUnion('type', [serverVad, semanticVad], {
  error: 'turn_detection must be null, {"type": "server_vad", ...} or {"type": "semantic_vad", ...}.',
});

/** A function tool (`{type: "function", name, description, parameters}`). */
const functionTool = z.object({
  type: z.literal('function', { error: 'Only function tools are supported (no MCP servers).' }),
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'A tool name is 1-64 letters, digits, "_" or "-".'),
  description: z.string().max(10_000).optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
});
export type FunctionTool = z.infer<typeof functionTool>;

const toolChoice = z.union(
  [z.enum(['auto', 'none', 'required']), z.object({ type: z.literal('function'), name: z.string().min(1).max(64) })],
  { error: 'tool_choice must be "auto", "none", "required" or {"type": "function", "name": ...}.' },
);

/** Every field of a session (`realtime` or `transcription`) that LocalChat understands. */
export const sessionConfigSchema = z.object({
  type: z.enum(['realtime', 'transcription']).optional(),
  instructions: z.string().max(20_000).optional(),
  output_modalities: z.array(z.enum(['text', 'audio'])).min(1).max(2).optional(),
  max_output_tokens: z.union([z.number().int().min(1).max(4096), z.literal('inf')]).optional(),
  tools: z.array(functionTool).max(MAX_TOOLS).optional(),
  tool_choice: toolChoice.optional(),
  parallel_tool_calls: z.boolean().optional(),
  /** Accepted and ignored (LocalChat serves one model; see docs/protocol.md). */
  model: z.string().max(200).optional(),
  tracing: z.unknown().optional(),
  include: z.array(z.string()).optional(),
  truncation: z.unknown().optional(),
  reasoning: z.unknown().optional(),
  prompt: z.null({ error: 'Stored prompts are not supported: send "instructions" instead.' }).optional(),
  audio: z
    .object({
      input: z
        .object({
          format: pcmFormat.optional(),
          /** null: the client decides turns (commit); `server_vad`/`semantic_vad`: the server detects speech. */
          turn_detection: turnDetection.nullable().optional(),
          transcription: z
            .object({ model: z.string().max(200).optional(), language: z.string().max(16).optional(), prompt: z.string().max(2000).optional() })
            .nullable()
            .optional(),
          /** Accepted and ignored: the input is used as it comes. */
          noise_reduction: z.object({ type: z.enum(['near_field', 'far_field']) }).nullable().optional(),
        })
        .optional(),
      output: z
        .object({
          /** An engine voice id or an OpenAI voice name (mapped; see voices.ts). */
          voice: z.union([z.string().min(1).max(64), z.object({ id: z.string().min(1).max(64) }).transform((voice) => voice.id)]).optional(),
          speed: z.number().min(MIN_SPEED).max(MAX_SPEED).optional(),
          format: pcmFormat.optional(),
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
      /**
       * Speculative reply: at a short pause ("maybe done", `maybe_done_ms`) the reply is prepared
       * unheard, and plays at once when the turn ends (default true).
       */
      speculative_reply: z.boolean().optional(),
      /** Silence inside a turn that starts a speculative reply, ms (default 250). */
      maybe_done_ms: z.number().int().min(100).max(2000).optional(),
      /**
       * `learned`: the server VAD's turn-end silence follows the learner's own pauses (see
       * `localchat.thinking_time`); `fixed`: `turn_detection.silence_duration_ms`. Default:
       * `fixed` once a `silence_duration_ms` is given, else `learned`.
       */
      thinking_time: z.enum(['learned', 'fixed']).optional(),
    })
    .optional(),
});
export type SessionConfigUpdate = z.infer<typeof sessionConfigSchema>;

/** A field of a `session.update` that was not applied, for an `error` event. */
export interface SessionConfigProblem {
  /** Where, e.g. `session.audio.input.turn_detection`. */
  param: string;
  /** `unknown_parameter` or `invalid_value`. */
  code: string;
  message: string;
}

/**
 * Validates a `session.update`'s `session` field by field: each field that is unknown or cannot be
 * honoured is left out and reported; everything else is returned to be applied. A field is a
 * top-level key, one entry of `tools`, or one key of `audio.input` / `audio.output`.
 */
export function parseSessionConfig(raw: Record<string, unknown>): { update: SessionConfigUpdate; problems: SessionConfigProblem[] } {
  const problems: SessionConfigProblem[] = [];
  const data = structuredClone(raw) as Record<string, unknown>;
  const known = new Set(Object.keys(sessionConfigSchema.shape));
  for (const key of Object.keys(data)) {
    if (known.has(key)) continue;
    problems.push({ param: `session.${key}`, code: 'unknown_parameter', message: `Unknown parameter "session.${key}"; it was ignored.` });
    delete data[key];
  }
  // Each round removes one offending field; a session has far fewer fields than this.
  for (let round = 0; round < 200; round++) {
    const parsed = sessionConfigSchema.safeParse(data);
    if (parsed.success) return { update: parsed.data, problems };
    const issue = parsed.error.issues[0]!;
    const path = fieldOf(issue.path.map(String));
    problems.push({ param: `session.${path.join('.')}`, code: 'invalid_value', message: `Invalid "session.${path.join('.')}": ${issue.message}` });
    removeAt(data, path);
  }
  return { update: {}, problems };
}

/** The field an issue belongs to (see {@link parseSessionConfig}). */
function fieldOf(path: string[]): string[] {
  if (path[0] === 'audio' && path.length >= 3) return path.slice(0, 3);
  if (path[0] === 'tools' && path.length >= 2) return path.slice(0, 2);
  if (path[0] === 'localchat' && path.length >= 2) return path.slice(0, 2);
  return path.slice(0, 1);
}

function removeAt(data: Record<string, unknown>, path: string[]): void {
  let node: unknown = data;
  for (const key of path.slice(0, -1)) {
    if (typeof node !== 'object' || node === null) return;
    node = (node as Record<string, unknown>)[key];
  }
  if (typeof node !== 'object' || node === null) return;
  const last = path.at(-1)!;
  if (Array.isArray(node)) {
    node.splice(Number(last), 1);
    return;
  }
  delete (node as Record<string, unknown>)[last];
}

const inputText = z.object({
  type: z.literal('input_text'),
  text: z
    .string()
    .refine((text) => text.trim().length > 0, 'The message is empty.')
    .refine((text) => text.length <= MAX_MESSAGE_CHARS, `The message is longer than ${MAX_MESSAGE_CHARS} characters.`),
});

const itemId = z.string().min(1).max(64);

/** Items a client may add: a user message, or the result of a function call. */
const clientItem = z.discriminatedUnion(
  'type',
  [
    z.object({
      id: itemId.optional(),
      type: z.literal('message'),
      role: z.literal('user', { error: 'Only user messages can be added (role "user").' }),
      status: z.string().optional(),
      content: z.array(inputText).min(1).max(8),
    }),
    z.object({
      id: itemId.optional(),
      type: z.literal('function_call_output'),
      status: z.string().optional(),
      call_id: z.string().min(1).max(128),
      output: z.string().max(MAX_TOOL_OUTPUT_CHARS),
    }),
  ],
  { error: 'item.type must be "message" (role "user") or "function_call_output".' },
);
export type ClientItem = z.infer<typeof clientItem>;

export const clientEventSchema = z.discriminatedUnion('type', [
  /** `session` is validated field by field with {@link parseSessionConfig}. */
  z.object({ type: z.literal('session.update'), event_id: eventId, session: z.record(z.string(), z.unknown()) }),
  z.object({
    type: z.literal('conversation.item.create'),
    event_id: eventId,
    previous_item_id: z.string().nullable().optional(),
    item: clientItem,
  }),
  z.object({ type: z.literal('conversation.item.retrieve'), event_id: eventId, item_id: z.string().min(1).max(128) }),
  z.object({
    type: z.literal('response.create'),
    event_id: eventId,
    response: z
      .object({
        instructions: z.string().max(20_000).optional(),
        output_modalities: z.array(z.enum(['text', 'audio'])).min(1).max(2).optional(),
        audio: sessionConfigSchema.shape.audio,
        tools: sessionConfigSchema.shape.tools,
        tool_choice: sessionConfigSchema.shape.tool_choice,
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
  /**
   * LocalChat extension, for client-side turn detection: the learner went quiet inside a turn; the
   * audio appended so far may be the whole turn (the server prepares a reply unheard).
   */
  z.object({ type: z.literal('localchat.input_audio_buffer.maybe_done'), event_id: eventId }),
  /**
   * LocalChat extension, for client-side turn detection: speech came back after `maybe_done`;
   * `pause_ms` is how long the learner paused (it teaches the learner's thinking time).
   */
  z.object({ type: z.literal('localchat.input_audio_buffer.resumed'), event_id: eventId, pause_ms: z.number().min(0).max(60_000).optional() }),
]);
export type ClientEvent = z.infer<typeof clientEventSchema>;

/** Client event types of the OpenAI Realtime API that this server does not implement (yet). */
export const UNSUPPORTED_EVENT_TYPES = new Set(['output_audio_buffer.clear', 'conversation.item.delete']);

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
