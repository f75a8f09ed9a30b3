/**
 * One realtime session (one WebSocket): the conversation, its settings, and at most one response
 * in progress. Turns client events into voice turns and voice-turn events into OpenAI Realtime API
 * server events. Control events (cancel, a new user message) act at once; after an abort nothing
 * more of that response is sent but its `response.done`.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { RealtimeResponseStatus } from 'openai/resources/realtime/realtime';
import { errorMessage } from '../../core/errors.js';
import type { EngineSet } from '../../engines/engine-set.js';
import { DEFAULT_TUTOR_PROMPT, fallbackReply } from '../../tutor/persona.js';
import { Conversation } from '../../turn/conversation.js';
import { type Delivery, runVoiceTurn } from '../../turn/voice-turn.js';
import { type ClientEvent, type SessionConfigUpdate, parseClientEvent } from './client-events.js';
import type { OutgoingEvent, ServerEvent } from './server-events.js';

/** Largest audio delta sent, in samples at 24 kHz (200 ms): small enough for the client to start early. */
const MAX_DELTA_SAMPLES = 4800;

/**
 * Default cap on a reply's tokens: a spoken tutor reply is 1-3 sentences (~20-80 tokens); the cap
 * only stops a model that rambles. A client may raise it with `session.max_output_tokens`.
 */
const DEFAULT_MAX_OUTPUT_TOKENS = 400;

export interface SessionSettings {
  instructions: string;
  voice: string;
  speed: number;
  modalities: ('text' | 'audio')[];
  maxOutputTokens: number | 'inf';
  delivery: Delivery;
}

export interface SessionOptions {
  engines: EngineSet;
  logger: Logger;
  /** Initial voice and speed (from config). */
  voice?: string;
  speed?: number;
  /** Sends one event to the client (already stamped with an event_id). */
  send: (event: ServerEvent) => void;
}

interface ActiveResponse {
  id: string;
  itemId: string;
  controller: AbortController;
  /** Settles when the voice turn has stopped all work. */
  finished: Promise<void>;
  /** True once `response.done` went out. */
  done: boolean;
}

const newId = (prefix: string) => `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 20)}`;

export class RealtimeSession {
  readonly id = newId('sess');
  readonly conversation = new Conversation(DEFAULT_TUTOR_PROMPT);
  settings: SessionSettings;
  private active: ActiveResponse | null = null;
  private eventCounter = 0;
  private closed = false;
  private readonly onStatus = () => this.sendEngineStatus();
  private readonly onDownload = (progress: import('../../engines/engine-set.js').DownloadProgress) =>
    this.emit({
      type: 'localchat.download.progress',
      model: progress.model,
      file: progress.file,
      downloaded_bytes: progress.downloadedBytes,
      total_bytes: progress.totalBytes,
      bytes_per_second: progress.bytesPerSecond,
      eta_seconds: progress.etaSeconds,
    });

  constructor(private readonly options: SessionOptions) {
    const tts = options.engines.tts();
    const voice = options.voice && tts.voices().some((v) => v.id === options.voice) ? options.voice : tts.defaultVoice;
    this.settings = {
      instructions: DEFAULT_TUTOR_PROMPT,
      voice,
      speed: options.speed ?? 1,
      modalities: ['audio'],
      maxOutputTokens: DEFAULT_MAX_OUTPUT_TOKENS,
      delivery: 'streaming',
    };
  }

  /** Greets the client: session, voices, engine status; warms the LLM's context. */
  start(): void {
    this.emit({ type: 'session.created', session: this.describeSession() });
    this.sendVoices();
    this.sendEngineStatus();
    this.options.engines.on('status', this.onStatus);
    this.options.engines.on('download', this.onDownload);
    this.prepareLlm();
  }

  /** Handles one text frame from the client. Never throws. */
  handleFrame(frame: string): void {
    const parsed = parseClientEvent(frame);
    if (!parsed.ok) {
      this.options.logger.info({ session: this.id, code: parsed.code }, 'rejected client event');
      this.sendError(parsed.code, parsed.message, parsed.eventId, parsed.param);
      return;
    }
    try {
      this.handleEvent(parsed.event);
    } catch (error) {
      this.options.logger.error({ session: this.id, err: error }, 'client event handler failed');
      this.sendError('server_error', `The server could not handle "${parsed.event.type}": ${errorMessage(error)}`, parsed.event.event_id);
    }
  }

  /** Answers a frame that cannot be parsed at all (e.g. binary) with an `error` event. */
  rejectFrame(code: string, message: string): void {
    this.sendError(code, message);
  }

  /** The client went away: stop all work of the current response. */
  close(): void {
    this.closed = true;
    this.options.engines.off('status', this.onStatus);
    this.options.engines.off('download', this.onDownload);
    this.active?.controller.abort();
    this.options.engines.llm().release?.(this.conversation.id);
  }

  /** Resolves when the current response (if any) has stopped all work. For tests and shutdown. */
  async idle(): Promise<void> {
    await this.active?.finished;
  }

  private handleEvent(event: ClientEvent): void {
    switch (event.type) {
      case 'session.update':
        return this.updateSession(event.session, event.event_id);
      case 'conversation.item.create': {
        this.cancelResponse('turn_detected');
        const text = event.item.content.map((part) => part.text).join('\n').trim();
        const turn = this.conversation.add({ id: event.item.id, role: 'user', text });
        const item = {
          id: turn.id,
          type: 'message' as const,
          role: 'user' as const,
          status: 'completed' as const,
          object: 'realtime.item' as const,
          content: [{ type: 'input_text' as const, text }],
        };
        const previous = this.conversation.turns.at(-2)?.id ?? null;
        this.emit({ type: 'conversation.item.added', previous_item_id: previous, item });
        this.emit({ type: 'conversation.item.done', previous_item_id: previous, item });
        return;
      }
      case 'response.create': {
        const overrides = event.response ?? {};
        this.cancelResponse('turn_detected');
        void this.respond({
          instructions: overrides.instructions,
          modalities: overrides.output_modalities,
          voice: overrides.audio?.output?.voice,
          speed: overrides.audio?.output?.speed,
        });
        return;
      }
      case 'response.cancel':
        if (!this.active || this.active.done || (event.response_id && event.response_id !== this.active.id)) {
          this.sendError('response_cancel_not_active', 'There is no response in progress to cancel.', event.event_id);
          return;
        }
        this.cancelResponse('client_cancelled');
        return;
      case 'localchat.conversation.reset':
        this.cancelResponse('client_cancelled');
        this.options.engines.llm().release?.(this.conversation.id);
        this.conversation.reset();
        this.emit({ type: 'localchat.conversation.reset' });
        this.prepareLlm();
        return;
    }
  }

  private updateSession(update: SessionConfigUpdate, eventId?: string): void {
    const voice = update.audio?.output?.voice;
    if (voice !== undefined && !this.options.engines.tts().voices().some((v) => v.id === voice)) {
      this.sendError('invalid_voice', `Unknown voice "${voice}". Pick one of the voices in localchat.voices.`, eventId, 'session.audio.output.voice');
      return;
    }
    if (voice !== undefined) this.settings.voice = voice;
    if (update.audio?.output?.speed !== undefined) this.settings.speed = update.audio.output.speed;
    if (update.output_modalities) this.settings.modalities = update.output_modalities;
    if (update.max_output_tokens !== undefined) this.settings.maxOutputTokens = update.max_output_tokens;
    if (update.localchat?.delivery) this.settings.delivery = update.localchat.delivery;
    if (update.instructions !== undefined && update.instructions !== this.settings.instructions) {
      this.settings.instructions = update.instructions || DEFAULT_TUTOR_PROMPT;
      this.conversation.systemPrompt = this.settings.instructions;
      this.prepareLlm();
    }
    this.emit({ type: 'session.updated', session: this.describeSession() });
  }

  private describeSession() {
    return {
      type: 'realtime' as const,
      id: this.id,
      object: 'realtime.session',
      model: this.options.engines.llm().modelId,
      instructions: this.settings.instructions,
      output_modalities: this.settings.modalities,
      max_output_tokens: this.settings.maxOutputTokens,
      audio: {
        output: {
          voice: this.settings.voice,
          speed: this.settings.speed,
          format: { type: 'audio/pcm' as const, rate: 24000 as const },
        },
      },
    };
  }

  /** Aborts the response in progress and tells the client at once (control overtakes audio). */
  private cancelResponse(reason: 'turn_detected' | 'client_cancelled'): void {
    const active = this.active;
    if (!active || active.done) return;
    active.controller.abort();
    this.finishResponse(active, 'cancelled', { type: 'cancelled', reason }, '');
  }

  private finishResponse(active: ActiveResponse, status: 'completed' | 'cancelled' | 'failed', details: RealtimeResponseStatus | null, transcript: string): void {
    if (active.done) return;
    active.done = true;
    const item = {
      id: active.itemId,
      type: 'message' as const,
      role: 'assistant' as const,
      object: 'realtime.item' as const,
      status: status === 'completed' ? ('completed' as const) : ('incomplete' as const),
      content: [{ type: 'output_audio' as const, transcript }],
    };
    this.emit({
      type: 'response.done',
      response: {
        id: active.id,
        object: 'realtime.response',
        status,
        status_details: details ?? undefined,
        output: [item],
        conversation_id: this.conversation.id,
        output_modalities: this.settings.modalities,
      },
    });
  }

  private async respond(overrides: { instructions?: string; modalities?: ('text' | 'audio')[]; voice?: string; speed?: number }): Promise<void> {
    const previous = this.active;
    const controller = new AbortController();
    const { signal } = controller;
    let resolveFinished!: () => void;
    const active: ActiveResponse = {
      id: newId('resp'),
      itemId: newId('item'),
      controller,
      finished: new Promise((resolve) => (resolveFinished = resolve)),
      done: false,
    };
    this.active = active;
    const startedAt = performance.now();
    const modalities = overrides.modalities ?? this.settings.modalities;
    const withAudio = modalities.includes('audio');
    const send = (event: OutgoingEvent) => {
      if (!signal.aborted) this.emit(event);
    };
    const ids = { response_id: active.id, item_id: active.itemId, output_index: 0, content_index: 0 };
    try {
      // The previous response must stop using the LLM's context before this one starts.
      await previous?.finished;
      if (signal.aborted) return;
      const engines = this.options.engines;
      const llm = engines.llm();
      send({
        type: 'response.created',
        response: { id: active.id, object: 'realtime.response', status: 'in_progress', output: [], conversation_id: this.conversation.id, output_modalities: modalities },
      });
      const item = { id: active.itemId, type: 'message' as const, role: 'assistant' as const, object: 'realtime.item' as const, status: 'in_progress' as const, content: [] };
      send({ type: 'response.output_item.added', response_id: active.id, output_index: 0, item });
      send({ type: 'conversation.item.added', previous_item_id: this.conversation.lastTurn?.id ?? null, item });
      send({ type: 'response.content_part.added', ...ids, part: withAudio ? { type: 'audio', transcript: '' } : { type: 'text', text: '' } });

      const request = {
        messages: this.conversation.messages(llm.contextSize),
        conversationId: this.conversation.id,
        ...(this.settings.maxOutputTokens !== 'inf' ? { maxTokens: this.settings.maxOutputTokens } : {}),
      };
      if (overrides.instructions) request.messages[0] = { role: 'system', content: overrides.instructions };
      const result = await runVoiceTurn(
        {
          llm,
          tts: withAudio ? engines.tts() : null,
          fallbackTts: engines.fallbackTts(),
          request,
          voice: overrides.voice ?? this.settings.voice,
          speed: overrides.speed ?? this.settings.speed,
          delivery: this.settings.delivery,
          signal,
          startedAt,
          failureReply: (error) => fallbackReply(errorMessage(error), engines.llmHint()),
        },
        (event) => {
          if (event.type === 'text') {
            send(withAudio ? { type: 'response.output_audio_transcript.delta', ...ids, delta: event.text } : { type: 'response.output_text.delta', ...ids, delta: event.text });
          } else if (event.type === 'audio') {
            for (let offset = 0; offset < event.samples.length; offset += MAX_DELTA_SAMPLES) {
              const slice = event.samples.subarray(offset, offset + MAX_DELTA_SAMPLES);
              send({ type: 'response.output_audio.delta', ...ids, delta: Buffer.from(slice.buffer, slice.byteOffset, slice.byteLength).toString('base64') });
            }
          } else if (event.type === 'tts-error') {
            this.options.logger.warn({ session: this.id, err: event.error }, 'TTS failed on a chunk');
            engines.reportFailure('tts', event.error);
            send({ type: 'error', error: { type: 'server_error', code: 'tts_error', message: `The voice could not speak part of the reply: ${errorMessage(event.error)}` } });
          }
        },
      );

      // History keeps what the tutor actually said (the partial reply when cancelled or failed).
      if (result.replyText || result.status === 'completed') {
        this.conversation.add({ id: active.itemId, role: 'assistant', text: result.replyText, interrupted: result.status !== 'completed' });
      }
      if (result.status === 'failed') {
        this.options.logger.warn({ session: this.id, err: result.error }, 'LLM failed during a response');
        engines.reportFailure('llm', result.error);
      } else if (result.status === 'completed') {
        engines.reportSuccess('llm');
      }
      if (signal.aborted || active.done) return;
      if (withAudio) {
        send({ type: 'response.output_audio_transcript.done', ...ids, transcript: result.text });
        send({ type: 'response.output_audio.done', ...ids });
      } else {
        send({ type: 'response.output_text.done', ...ids, text: result.text });
      }
      const doneItem = {
        ...item,
        status: result.status === 'completed' ? ('completed' as const) : ('incomplete' as const),
        content: [withAudio ? { type: 'output_audio' as const, transcript: result.text } : { type: 'output_text' as const, text: result.text }],
      };
      send({ type: 'response.content_part.done', ...ids, part: withAudio ? { type: 'audio', transcript: result.text } : { type: 'text', text: result.text } });
      send({ type: 'response.output_item.done', response_id: active.id, output_index: 0, item: doneItem });
      send({ type: 'conversation.item.done', previous_item_id: null, item: doneItem });
      this.finishResponse(
        active,
        result.status,
        result.status === 'failed' ? { type: 'failed', error: { type: 'server_error', code: 'llm_error' } } : { type: 'completed' },
        result.text,
      );
      this.emit({ type: 'localchat.response.metrics', response_id: active.id, ttft_ms: round(result.ttftMs), ttfa_ms: round(result.ttfaMs), total_ms: round(result.totalMs) ?? 0 });
    } catch (error) {
      this.options.logger.error({ session: this.id, err: error }, 'response failed');
      if (!active.done) {
        this.sendError('server_error', `The reply failed: ${errorMessage(error)}`);
        this.finishResponse(active, 'failed', { type: 'failed', error: { type: 'server_error', code: 'server_error' } }, '');
      }
    } finally {
      resolveFinished();
      if (this.active === active) this.active = null;
    }
  }

  /** Evaluates the system prompt ahead of the first turn (DESIGN.md: prompt processing dominates TTFT). */
  private prepareLlm(): void {
    const llm = this.options.engines.llm();
    if (!llm.prepare) return;
    const controller = new AbortController();
    llm.prepare(this.conversation.id, this.conversation.systemPrompt, { signal: controller.signal }).catch((error: unknown) => {
      this.options.logger.debug({ session: this.id, err: error }, 'LLM warm-up failed');
    });
  }

  private sendVoices(): void {
    const tts = this.options.engines.tts();
    this.emit({ type: 'localchat.voices', provider: tts.provider, default_voice: tts.defaultVoice, voices: tts.voices() });
  }

  private lastTtsProvider = '';
  private sendEngineStatus(): void {
    this.emit({ type: 'localchat.engine.status', engines: this.options.engines.status() });
    const tts = this.options.engines.tts();
    if (tts.provider !== this.lastTtsProvider) {
      // The active voice engine changed (e.g. Kokoro finished downloading): new voices.
      if (this.lastTtsProvider) {
        if (!tts.voices().some((v) => v.id === this.settings.voice)) this.settings.voice = tts.defaultVoice;
        this.sendVoices();
        this.emit({ type: 'session.updated', session: this.describeSession() });
      }
      this.lastTtsProvider = tts.provider;
    }
  }

  private sendError(code: string, message: string, eventId?: string, param?: string): void {
    this.emit({
      type: 'error',
      error: { type: 'invalid_request_error', code, message, ...(eventId ? { event_id: eventId } : {}), ...(param ? { param } : {}) },
    });
  }

  private emit(event: OutgoingEvent): void {
    if (this.closed) return;
    this.options.send({ ...event, event_id: `event_${this.id.slice(5, 13)}_${++this.eventCounter}` } as ServerEvent);
  }
}

function round(value: number | null): number | null {
  return value === null ? null : Math.round(value * 10) / 10;
}
