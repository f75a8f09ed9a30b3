/**
 * One realtime session (one WebSocket): the protocol adapter over a {@link Dialogue} (which decides
 * the order of the conversation and owns each response's lifecycle). Turns client events into
 * dialogue calls and voice-turn events into OpenAI Realtime API server events. Control events
 * (cancel, a new user message) act at once: the response's history entry settles, then its
 * `response.done` goes out, and nothing more of that response follows.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { RealtimeResponseStatus, RealtimeResponseUsage } from 'openai/resources/realtime/realtime';
import { REALTIME_SAMPLE_RATE } from '../../core/audio.js';
import { errorMessage } from '../../core/errors.js';
import type { EngineSet } from '../../engines/engine-set.js';
import { DEFAULT_TUTOR_PROMPT, fallbackReply } from '../../tutor/persona.js';
import type { ChatMessage, ChatRequest, LLM, ToolChoice, ToolDefinition, Usage } from '../../core/llm.js';
import { Conversation, type ConversationTurn, type WindowOptions } from '../../turn/conversation.js';
import { Dialogue, DuplicateItemError, UnknownToolCallError } from '../../turn/dialogue.js';
import { FixedReply } from '../../turn/fixed-reply.js';
import type { ResponseHandle, ResponseOutcome } from '../../turn/response-handle.js';
import { type Delivery, type TurnTimeouts, type VoiceTurnEvent, type VoiceTurnOptions, runVoiceTurn } from '../../turn/voice-turn.js';
import type { TutorService } from '../tutor-service.js';
import { SessionTutor } from './session-tutor.js';
import { type Speculation, SpeculativeTurns } from '../../turn/speculation.js';
import { THINKING_TIME_RANGE } from '../../tutor/thinking-time.js';
import { DEFAULT_VAD_SETTINGS } from '../../core/vad.js';
import { type ClientEvent, type ClientItem, type FunctionTool, SEMANTIC_VAD_SILENCE_MS, type SessionConfigUpdate, parseClientEvent, parseSessionConfig } from './client-events.js';
import { InputAudio, type InputAudioEvent, InputAudioError, type TurnDetection } from './input-audio.js';
import { LiveTranscript } from './live-transcript.js';
import { ABUSE_LIMIT, FRAMES_PER_SECOND, RealtimeRateLimiter } from './rate-limit.js';
import type { OutgoingEvent, ServerEvent, WireItem } from './server-events.js';
import { resolveRealtimeVoice } from './voices.js';
import { ResponseEvents, newId, round } from './response-events.js';

/**
 * Default cap on a reply's tokens: a spoken tutor reply is 1-3 sentences (~20-80 tokens); the cap
 * only stops a model that rambles. A client may raise it with `session.max_output_tokens`.
 */
const DEFAULT_MAX_OUTPUT_TOKENS = 400;

/**
 * While the learner speaks, correction cards (side work) pause for this long after each sign of
 * speech, ms: their turn, and the reply to it, are coming, and a side task in the middle of a
 * prompt batch would delay that reply's first token.
 */
const LEARNER_SPEAKING_HOLD_MS = 3000;

export interface SessionSettings {
  instructions: string;
  voice: string;
  speed: number;
  modalities: ('text' | 'audio')[];
  maxOutputTokens: number | 'inf';
  delivery: Delivery;
  /** The voice engine chosen by the client (`auto`: the registry's best). */
  ttsChoice: string;
  /** Language hint for STT (ISO 639-1), or undefined for the model's default. */
  transcriptionLanguage?: string;
  /**
   * `realtime`: a conversation (responses); `transcription`: speech in, transcripts out (live
   * `...transcription.delta` events while the learner speaks), no responses.
   */
  type: 'realtime' | 'transcription';
  /** The turn detection the client asked for (`semantic_vad` runs on the server VAD). */
  turnDetectionType: 'server_vad' | 'semantic_vad';
  eagerness?: 'low' | 'medium' | 'high' | 'auto';
  /** Function tools the model may call, and how. */
  tools: ToolDefinition[];
  toolChoice: ToolChoice;
  parallelToolCalls?: boolean;
}

export interface SessionOptions {
  engines: EngineSet;
  logger: Logger;
  /** Initial voice and speed (from config). */
  voice?: string;
  speed?: number;
  /** Hang guards for engine calls (defaults in voice-turn.ts). */
  turnTimeouts?: Partial<TurnTimeouts>;
  /** The tutor (profile, scenarios, persistence, corrections); the plain persona without it. */
  tutor?: TutorService;
  /** Sends one event to the client (already stamped with an event_id). */
  send: (event: ServerEvent) => void;
}


/** What one `response.create` may change for its response. */
interface ReplyOverrides {
  instructions?: string;
  modalities?: ('text' | 'audio')[];
  voice?: string;
  speed?: number;
  /** A fixed line (a scenario's opening) instead of the LLM. */
  fixedText?: string;
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  /** A speculative reply to adopt (prepared at the learner's "maybe done" pause). */
  speculation?: Speculation;
}

/** Silence inside a turn that starts a speculative reply by default, ms ("maybe done"). */
export const DEFAULT_MAYBE_DONE_MS = 250;

export class RealtimeSession {
  readonly id = newId('sess');
  readonly conversation = new Conversation(DEFAULT_TUTOR_PROMPT);
  settings: SessionSettings;
  private readonly dialogue: Dialogue;
  private readonly lifetime = new AbortController();
  private readonly inputAudio: InputAudio;
  /** Speech recognition was asked to load for this session. */
  private sttRequested = false;
  /** Item id announced at `speech_started`, used again at commit. */
  private speechItemId: string | null = null;
  private eventCounter = 0;
  /** Speech recognition time of recent spoken learner turns, by item id (for the reply's metrics). */
  private readonly transcribeMs = new Map<string, number>();
  private closed = false;
  /** Speculative replies prepared at "maybe done" pauses (src/turn/speculation.ts). */
  readonly speculative = new SpeculativeTurns(() => this.options.tutor?.sideWork.foreground() ?? (() => undefined));
  /** The LLM's evaluation of the conversation ahead of the next turn, while it runs. */
  private preparing: AbortController | undefined;
  /** A speculation whose turn a client-side VAD committed, for its `response.create` to adopt. */
  private confirmedSpeculation: Speculation | null = null;
  /** Turn-taking settings (`session.localchat`): speculation and the thinking time's source. */
  private readonly turnTaking = {
    speculativeReply: true,
    maybeDoneMs: DEFAULT_MAYBE_DONE_MS,
    thinkingTime: 'learned' as 'learned' | 'fixed',
    fixedSilenceMs: DEFAULT_VAD_SETTINGS.silenceDurationMs,
  };
  private lastThinkingTime = '';
  /** Stream time where the last server-VAD utterance ended, ms (for pauses cut off as turn ends). */
  private lastSpeechEndMs: number | null = null;
  private readonly limiter = new RealtimeRateLimiter();
  private refusedEvents = 0;
  private lastFrameWarning = -Infinity;
  /** User items that came as audio (`input_audio` content), for `conversation.item.retrieve`. */
  private readonly spokenItems = new Set<string>();
  /** Transcription sessions keep no conversation: their items (id -> transcript, null until known). */
  private readonly transcriptionItems = new Map<string, string | null>();
  private transcriptionQueue: Promise<void> = Promise.resolve();
  private readonly live: LiveTranscript;
  /** The item id of the audio buffer being filled in a transcription session without VAD. */
  private bufferItemId: string | null = null;
  /** The protocol events of each response. */
  private readonly responses: ResponseEvents;
  private readonly tutor: SessionTutor;
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
    this.inputAudio = new InputAudio(
      (settings) => options.engines.createVad(settings),
      (event) => this.onInputAudioEvent(event),
      (error) => {
        this.options.logger.warn({ session: this.id, err: error }, 'VAD failed');
        this.sendError('vad_error', `Speech detection failed: ${errorMessage(error)}`);
      },
      () => this.options.engines.endOfTurn?.() ?? null,
    );
    this.live = new LiveTranscript(
      (audio) => this.transcribe(audio),
      (itemId, delta) => this.emit({ type: 'conversation.item.input_audio_transcription.delta', item_id: itemId, content_index: 0, delta }),
    );
    this.tutor = new SessionTutor(options.tutor, this.conversation, (event) => this.emit(event), options.logger, this.lifetime.signal);
    this.conversation.systemPrompt = this.tutor.systemPrompt();
    this.dialogue = new Dialogue(
      this.conversation,
      {
        userTurn: (turn, source, speechMs) => this.tutor.userTurn(turn, source, speechMs),
        assistantTurn: (turn, result) =>
          this.tutor.assistantTurn(turn, { ttftMs: round(result?.ttftMs ?? null), ttfaMs: round(result?.ttfaMs ?? null), totalMs: round(result?.totalMs ?? null) }),
        truncated: (turn) => this.tutor.truncated(turn),
        responseDone: (handle, outcome) => {
          this.responses.done(handle, outcome, handle.answers ? this.transcribeMs.get(handle.answers.id) : undefined);
          this.summarizeAhead();
          this.prepareLlm('history');
        },
        answered: (userTurn) => void this.tutor.correctAfterReply(userTurn),
      },
      REALTIME_SAMPLE_RATE,
      options.tutor?.sideWork,
    );
    this.responses = new ResponseEvents({
      conversation: this.conversation,
      emit: (event) => this.emit(event),
      sendError: (code, message) => this.sendError(code, message),
      previousOf: (itemId) => this.previousOf(itemId),
      addToolCall: (handle, call, itemId) => void this.dialogue.addToolCall(handle, call, itemId),
    });
    this.settings = {
      instructions: this.conversation.systemPrompt,
      voice,
      speed: options.speed ?? this.tutor.voiceSpeed() ?? 1,
      modalities: ['audio'],
      maxOutputTokens: DEFAULT_MAX_OUTPUT_TOKENS,
      delivery: 'streaming',
      ttsChoice: 'auto',
      type: 'realtime',
      turnDetectionType: 'server_vad',
      tools: [],
      toolChoice: 'auto',
    };
  }

  /** Greets the client: session, voices, engine status; warms the LLM's context. */
  start(): void {
    this.emit({ type: 'session.created', session: this.describeSession() });
    this.emit({ type: 'localchat.session.info', conversation_id: this.conversation.id, tutor: this.options.tutor !== undefined });
    this.sendThinkingTime();
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
    const event = parsed.event;
    const refusal = this.limiter.admitEvent(event.type, event.type === 'input_audio_buffer.append' ? event.audio : undefined);
    if (refusal) {
      this.refusedEvents++;
      this.sendError('rate_limit_exceeded', `"${event.type}"${event.event_id ? ` (${event.event_id})` : ''} was dropped. ${refusal}`, event.event_id);
      return;
    }
    try {
      this.handleEvent(event);
    } catch (error) {
      this.options.logger.error({ session: this.id, err: error }, 'client event handler failed');
      this.sendError('server_error', `The server could not handle "${parsed.event.type}": ${errorMessage(error)}`, parsed.event.event_id);
    }
  }

  /**
   * A frame arrived: false when it must be dropped unread (too many frames; answered by one
   * `error` a second). See rate-limit.ts for the limits.
   */
  admitFrame(): boolean {
    if (this.limiter.admitFrame()) return true;
    this.refusedEvents++;
    if (performance.now() - this.lastFrameWarning > 1000) {
      this.lastFrameWarning = performance.now();
      this.sendError('rate_limit_exceeded', `Too many frames: at most ${FRAMES_PER_SECOND} a second. Frames were dropped unread.`);
    }
    return false;
  }

  /** The client keeps sending past the limits: the connection should be closed. */
  get flooding(): boolean {
    return this.refusedEvents >= ABUSE_LIMIT;
  }

  /** Answers a frame that cannot be parsed at all (e.g. binary) with an `error` event. */
  rejectFrame(code: string, message: string): void {
    this.sendError(code, message);
  }

  /** The client went away: stop all work of the current response. */
  close(): void {
    this.dropSpeculation();
    this.closed = true;
    this.lifetime.abort();
    this.options.engines.off('status', this.onStatus);
    this.options.engines.off('download', this.onDownload);
    this.dialogue.close();
    this.options.engines.llm().release?.(this.conversation.id);
  }

  /**
   * The server is shutting down: a response in progress ends as `cancelled` (its history entry
   * settled and saved) with its `response.done`, before the socket is closed.
   */
  shutdown(): void {
    if (this.closed) return;
    this.dialogue.cancel('shutdown');
  }

  /** Resolves when the current response (if any) has stopped all work. For tests and shutdown. */
  async idle(): Promise<void> {
    await this.inputAudio.drained();
    await this.transcriptionQueue;
    await this.dialogue.idle();
  }

  private handleEvent(event: ClientEvent): void {
    switch (event.type) {
      case 'session.update':
        return this.updateSession(event.session, event.event_id);
      case 'conversation.item.create':
        if (this.settings.type === 'transcription') {
          this.sendError('not_supported_in_transcription_session', 'A transcription session has no conversation: send audio with input_audio_buffer.append.', event.event_id);
          return;
        }
        this.dropSpeculation();
        if (event.item.type === 'function_call_output') return this.addToolOutput(event.item, event.event_id);
        return this.addTypedMessage(event.item, event.event_id);
      case 'conversation.item.retrieve': {
        const item = this.describeItem(event.item_id);
        if (!item) {
          this.sendError('item_not_found', `No item "${event.item_id}" in the conversation.`, event.event_id, 'item_id');
          return;
        }
        this.emit({ type: 'conversation.item.retrieved', item });
        return;
      }
      case 'response.create': {
        if (this.settings.type === 'transcription') {
          this.sendError('not_supported_in_transcription_session', 'A transcription session makes no responses.', event.event_id);
          return;
        }
        const overrides = event.response ?? {};
        this.dialogue.cancel('turn_detected');
        // A turn the client committed after a "maybe done": its reply is ready unless this response asks for another kind.
        const speculation = this.confirmedSpeculation;
        this.confirmedSpeculation = null;
        const plain = Object.keys(overrides).every((key) => key === 'conversation' || key === 'metadata');
        if (speculation && plain) {
          this.respond({ speculation });
          return;
        }
        speculation?.drop();
        this.respond({
          instructions: overrides.instructions,
          modalities: overrides.output_modalities,
          voice: overrides.audio?.output?.voice,
          speed: overrides.audio?.output?.speed,
          ...(overrides.tools ? { tools: overrides.tools.map(toolDefinition) } : {}),
          ...(overrides.tool_choice ? { toolChoice: toolChoiceOf(overrides.tool_choice) } : {}),
        });
        return;
      }
      case 'response.cancel': {
        const active = this.dialogue.active;
        if (!active || (event.response_id && event.response_id !== active.id)) {
          this.sendError('response_cancel_not_active', 'There is no response in progress to cancel.', event.event_id);
          return;
        }
        this.dialogue.cancel('client_cancelled');
        return;
      }
      case 'input_audio_buffer.append': {
        // The learner is speaking: speech recognition loads now if it has not yet, and side work
        // (correction cards) steps aside for their turn (with server VAD: at speech start).
        this.prepareStt();
        if (!this.inputAudio.turnDetection) this.options.tutor?.sideWork.hold(LEARNER_SPEAKING_HOLD_MS);
        try {
          this.inputAudio.append(event.audio);
        } catch (error) {
          if (!(error instanceof InputAudioError)) throw error;
          this.sendError(error.code, error.message, event.event_id);
          return;
        }
        if (this.settings.type === 'transcription') {
          if (!this.inputAudio.turnDetection && !this.live.current) this.live.begin((this.bufferItemId ??= newId('item')), false);
          const bytes = Buffer.from(event.audio, 'base64');
          this.live.push(new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
        }
        return;
      }
      case 'input_audio_buffer.commit': {
        if (this.inputAudio.turnDetection) {
          this.sendError('input_audio_buffer_commit_not_allowed', 'With server_vad the server commits the audio itself.', event.event_id);
          return;
        }
        const audio = this.inputAudio.take();
        const itemId = this.bufferItemId ?? undefined;
        this.bufferItemId = null;
        if (audio.length < REALTIME_SAMPLE_RATE / 10) {
          this.live.stop();
          this.sendError('input_audio_buffer_commit_empty', 'There is less than 100 ms of audio to commit.', event.event_id);
          return;
        }
        if (this.settings.type === 'transcription') {
          this.live.stop();
          this.transcribeOnly(audio, itemId ?? newId('item'));
          return;
        }
        this.confirmedSpeculation?.drop();
        this.confirmedSpeculation = null;
        const speculation = this.speculative.take();
        if (this.commitUtterance(audio, undefined, speculation)) this.confirmedSpeculation = speculation;
        else speculation?.drop();
        return;
      }
      case 'input_audio_buffer.clear':
        this.dropSpeculation();
        this.inputAudio.clear();
        this.live.stop();
        this.bufferItemId = null;
        this.emit({ type: 'input_audio_buffer.cleared' });
        return;
      case 'conversation.item.truncate':
        return this.truncate(event.item_id, event.audio_end_ms, event.event_id);
      case 'localchat.input_audio_buffer.maybe_done':
        if (!this.inputAudio.turnDetection && this.settings.type !== 'transcription') this.speculate(this.inputAudio.peek());
        return;
      case 'localchat.input_audio_buffer.resumed':
        this.speculative.drop();
        if (event.pause_ms !== undefined) this.recordPause(event.pause_ms);
        return;
      case 'localchat.conversation.reset': {
        this.dropSpeculation();
        this.dialogue.cancel('client_cancelled');
        this.options.engines.llm().release?.(this.conversation.id);
        this.inputAudio.clear();
        this.dialogue.forgetRecent();
        const eventId = event.event_id;
        void this.tutor.newConversation(event.scenario_id, event.topic_id).then(
          (opening) => {
            this.settings.instructions = this.conversation.systemPrompt;
            // The profile may have changed since the session opened: its voice speed applies now.
            const speed = this.tutor.voiceSpeed();
            if (speed !== undefined && speed !== this.settings.speed) {
              this.settings.speed = speed;
              this.emit({ type: 'session.updated', session: this.describeSession() });
            }
            this.prepareLlm();
            // A scenario or topic: the tutor opens the scene, spoken like any reply.
            if (opening) this.respond({ fixedText: opening });
          },
          (error: unknown) => this.sendError('invalid_theme', errorMessage(error), eventId, 'scenario_id'),
        );
        return;
      }
      case 'localchat.conversation.resume': {
        this.dropSpeculation();
        this.dialogue.cancel('client_cancelled');
        this.options.engines.llm().release?.(this.conversation.id);
        this.inputAudio.clear();
        this.dialogue.forgetRecent();
        const eventId = event.event_id;
        void this.tutor.resume(event.conversation_id).then(
          () => {
            this.settings.instructions = this.conversation.systemPrompt;
            this.prepareLlm();
          },
          (error: unknown) => this.sendError('conversation_not_found', errorMessage(error), eventId, 'conversation_id'),
        );
        return;
      }
      case 'localchat.session.end':
        this.dropSpeculation();
        this.dialogue.cancel('client_cancelled');
        void this.tutor.endSession();
        return;
    }
  }

  /** `conversation.item.create` of a user message: a typed learner turn. */
  private addTypedMessage(item: Extract<ClientItem, { type: 'message' }>, eventId?: string): void {
    const text = item.content.map((part) => part.text).join('\n').trim();
    let turn;
    try {
      turn = this.dialogue.addTypedTurn(text, item.id);
    } catch (error) {
      if (!(error instanceof DuplicateItemError)) throw error;
      this.sendError('item_id_duplicate', error.message, eventId, 'item.id');
      return;
    }
    const wire = this.describeTurn(turn);
    const previous = this.previousOf(turn.id);
    this.emit({ type: 'conversation.item.added', previous_item_id: previous, item: wire });
    this.emit({ type: 'conversation.item.done', previous_item_id: previous, item: wire });
  }

  /** `conversation.item.create` of a `function_call_output`: the function's result joins the history (a `response.create` speaks it). */
  private addToolOutput(item: Extract<ClientItem, { type: 'function_call_output' }>, eventId?: string): void {
    let turn;
    try {
      turn = this.dialogue.addToolOutput(item.call_id, item.output, item.id);
    } catch (error) {
      if (error instanceof DuplicateItemError) return this.sendError('item_id_duplicate', error.message, eventId, 'item.id');
      if (error instanceof UnknownToolCallError) return this.sendError('invalid_call_id', error.message, eventId, 'item.call_id');
      throw error;
    }
    const wire = this.describeTurn(turn);
    const previous = this.previousOf(turn.id);
    this.emit({ type: 'conversation.item.added', previous_item_id: previous, item: wire });
    this.emit({ type: 'conversation.item.done', previous_item_id: previous, item: wire });
  }

  /** The id of the item before `id` in the conversation, or null. */
  private previousOf(id: string): string | null {
    const index = this.conversation.turns.findIndex((turn) => turn.id === id);
    return index > 0 ? this.conversation.turns[index - 1]!.id : null;
  }

  /** An item as `conversation.item.retrieve` returns it (also a reply still being produced), or null. */
  private describeItem(id: string): WireItem | null {
    const turn = this.conversation.get(id);
    if (turn) return this.describeTurn(turn);
    const active = this.dialogue.active;
    if (active?.started && active.itemId === id) {
      const audio = !this.responses.textItems.has(id);
      return {
        id,
        type: 'message',
        role: 'assistant',
        object: 'realtime.item',
        status: 'in_progress',
        content: [audio ? { type: 'output_audio', transcript: active.shownText } : { type: 'output_text', text: active.shownText }],
      };
    }
    if (this.transcriptionItems.has(id)) return userAudioItem(id, this.transcriptionItems.get(id) ?? null);
    if (this.responses.emptyReplies.has(id)) {
      const audio = !this.responses.textItems.has(id);
      return { id, type: 'message', role: 'assistant', object: 'realtime.item', status: 'incomplete', content: [audio ? { type: 'output_audio', transcript: '' } : { type: 'output_text', text: '' }] };
    }
    return null;
  }

  /** A conversation turn as a wire item. */
  private describeTurn(turn: ConversationTurn): WireItem {
    const base = { id: turn.id, object: 'realtime.item' as const };
    if (turn.role === 'tool') {
      return { ...base, type: 'function_call_output', status: 'completed', call_id: turn.toolCallId ?? '', output: turn.text };
    }
    if (turn.role === 'assistant' && turn.toolCalls?.length) {
      const call = turn.toolCalls[0]!;
      return { ...base, type: 'function_call', status: 'completed', call_id: call.id, name: call.name, arguments: call.arguments };
    }
    if (turn.role === 'user') {
      // A spoken turn has no text until it is transcribed.
      if (this.spokenItems.has(turn.id)) return userAudioItem(turn.id, turn.text || null);
      return { ...base, type: 'message', role: 'user', status: 'completed', content: [{ type: 'input_text', text: turn.text }] };
    }
    return {
      ...base,
      type: 'message',
      role: 'assistant',
      status: turn.interrupted ? 'incomplete' : 'completed',
      content: [this.responses.textItems.has(turn.id) ? { type: 'output_text', text: turn.text } : { type: 'output_audio', transcript: turn.text }],
    };
  }

  /**
   * A transcription session's utterance: transcribed in order with the others, no conversation and
   * no response. Its live deltas (if any) are completed by the final transcript.
   */
  private transcribeOnly(audio: Int16Array, itemId: string): void {
    const seconds = audio.length / REALTIME_SAMPLE_RATE;
    const previous = [...this.transcriptionItems.keys()].at(-1) ?? null;
    this.transcriptionItems.set(itemId, null);
    while (this.transcriptionItems.size > 64) this.transcriptionItems.delete(this.transcriptionItems.keys().next().value!);
    this.emit({ type: 'input_audio_buffer.committed', item_id: itemId, previous_item_id: previous });
    this.emit({ type: 'conversation.item.added', previous_item_id: previous, item: userAudioItem(itemId, null) });
    this.transcriptionQueue = this.transcriptionQueue.then(async () => {
      try {
        const text = await this.transcribe(audio);
        if (this.closed) return;
        this.live.finish(itemId, text);
        if (this.transcriptionItems.has(itemId)) this.transcriptionItems.set(itemId, text);
        this.emit({ type: 'conversation.item.input_audio_transcription.completed', item_id: itemId, content_index: 0, transcript: text, usage: { type: 'duration', seconds } });
        this.emit({ type: 'conversation.item.done', previous_item_id: previous, item: userAudioItem(itemId, text) });
      } catch (error) {
        this.live.finish(itemId, '');
        this.options.logger.info({ session: this.id, err: error }, 'transcription failed');
        this.emit({
          type: 'conversation.item.input_audio_transcription.failed',
          item_id: itemId,
          content_index: 0,
          error: { type: 'transcription_error', code: 'transcription_failed', message: errorMessage(error) },
        });
      }
    });
  }

  /**
   * `session.update`: every valid field applies, each field that cannot is reported with an
   * `error` naming it (the rest still applies), then one `session.updated` describes the result.
   */
  private updateSession(raw: Record<string, unknown>, eventId?: string): void {
    const { update, problems } = parseSessionConfig(raw);
    for (const problem of problems) this.sendError(problem.code, `${problem.message} The rest of the session.update was applied.`, eventId, problem.param);
    const engineChoice = update.localchat?.tts;
    if (engineChoice !== undefined && engineChoice !== 'auto' && !this.options.engines.ttsEngines().some((engine) => engine.provider === engineChoice)) {
      this.sendError('invalid_tts', `The voice engine "${engineChoice}" is not available. Available: ${this.options.engines.ttsEngines().map((engine) => engine.provider).join(', ')}.`, eventId, 'session.localchat.tts');
    } else if (engineChoice !== undefined && engineChoice !== this.settings.ttsChoice) {
      this.settings.ttsChoice = engineChoice;
      const tts = this.tts();
      if (!tts.voices().some((v) => v.id === this.settings.voice)) this.settings.voice = tts.defaultVoice;
      this.lastTtsProvider = tts.provider;
      this.sendVoices();
    }
    const voice = update.audio?.output?.voice;
    if (voice !== undefined) {
      const resolved = resolveRealtimeVoice(this.tts(), voice);
      if (resolved) this.settings.voice = resolved;
      else this.sendError('invalid_voice', `Unknown voice "${voice}". Pick one of the voices in localchat.voices or an OpenAI voice name (alloy, ash, ballad, cedar, coral, echo, marin, sage, shimmer, verse). The rest of the session.update was applied.`, eventId, 'session.audio.output.voice');
    }
    if (update.type !== undefined) this.settings.type = update.type;
    if (update.audio?.output?.speed !== undefined) this.settings.speed = update.audio.output.speed;
    if (update.output_modalities) this.settings.modalities = update.output_modalities;
    if (update.max_output_tokens !== undefined) this.settings.maxOutputTokens = update.max_output_tokens;
    if (update.tools !== undefined) this.settings.tools = update.tools.map(toolDefinition);
    if (update.tool_choice !== undefined) this.settings.toolChoice = toolChoiceOf(update.tool_choice);
    if (update.parallel_tool_calls !== undefined) this.settings.parallelToolCalls = update.parallel_tool_calls;
    if (update.localchat?.delivery) this.settings.delivery = update.localchat.delivery;
    // Instructions apply at once: a response requested right after this update answers with them.
    if (update.instructions !== undefined && update.instructions !== this.settings.instructions) {
      this.settings.instructions = update.instructions || this.tutor.systemPrompt();
      this.conversation.systemPrompt = this.settings.instructions;
      this.prepareLlm();
    }
    this.applyTurnTaking(update);
    const input = update.audio?.input;
    // A client that sets up server-side turn detection or transcription will speak soon: load
    // speech recognition now. (`turn_detection: null` is also what a typing client sends.)
    if (input?.transcription || input?.turn_detection) this.prepareStt();
    if (input?.transcription !== undefined) this.settings.transcriptionLanguage = input.transcription?.language;
    if (input?.turn_detection !== undefined) {
      const detection = input.turn_detection;
      if (detection) {
        this.settings.turnDetectionType = detection.type;
        this.settings.eagerness = detection.type === 'semantic_vad' ? (detection.eagerness ?? 'auto') : undefined;
      }
      void this.inputAudio
        .configure(
          detection === null
            ? null
            : detection.type === 'semantic_vad'
              ? {
                  // OpenAI's semantic turn model is approximated by the server VAD: eagerness sets the thinking time.
                  silenceDurationMs: SEMANTIC_VAD_SILENCE_MS[detection.eagerness ?? 'auto'],
                  pauseMs: this.turnTaking.maybeDoneMs,
                  maxSilenceMs: THINKING_TIME_RANGE.max,
                  createResponse: detection.create_response,
                  interruptResponse: detection.interrupt_response,
                }
              : {
                  threshold: detection.threshold,
                  silenceDurationMs: this.turnTaking.thinkingTime === 'learned' ? this.tutor.learnedThinkingTimeMs() : this.turnTaking.fixedSilenceMs,
                  pauseMs: this.turnTaking.maybeDoneMs,
                  maxSilenceMs: THINKING_TIME_RANGE.max,
                  prefixPaddingMs: detection.prefix_padding_ms,
                  createResponse: detection.create_response,
                  interruptResponse: detection.interrupt_response,
                },
        )
        .then(
          () => {
            this.emit({ type: 'session.updated', session: this.describeSession() });
            this.sendThinkingTime();
          },
          (error: unknown) => {
            this.options.logger.warn({ session: this.id, err: error }, 'server VAD unavailable');
            // The message is shown to the learner as is (the UI offers browser-side detection).
            this.sendError('vad_unavailable', `Server-side speech detection is unavailable: ${errorMessage(error)}`, eventId, 'session.audio.input.turn_detection');
            this.emit({ type: 'session.updated', session: this.describeSession() });
          },
        );
      return;
    }
    this.emit({ type: 'session.updated', session: this.describeSession() });
  }

  private describeSession() {
    const input = {
      format: { type: 'audio/pcm' as const, rate: 24000 as const },
      turn_detection: describeTurnDetection(this.inputAudio.turnDetection, this.settings),
      transcription: {
        model: this.options.engines.status().find((engine) => engine.kind === 'stt')?.modelId,
        ...(this.settings.transcriptionLanguage ? { language: this.settings.transcriptionLanguage } : {}),
      },
    };
    if (this.settings.type === 'transcription') {
      return { type: 'transcription' as const, id: this.id, object: 'realtime.transcription_session', audio: { input } };
    }
    return {
      type: 'realtime' as const,
      id: this.id,
      object: 'realtime.session',
      model: this.options.engines.llm().modelId,
      instructions: this.settings.instructions,
      output_modalities: this.settings.modalities,
      max_output_tokens: this.settings.maxOutputTokens,
      tools: this.settings.tools.map((tool) => ({ type: 'function' as const, name: tool.name, ...(tool.description !== undefined ? { description: tool.description } : {}), ...(tool.parameters ? { parameters: tool.parameters } : {}) })),
      tool_choice: typeof this.settings.toolChoice === 'string' ? this.settings.toolChoice : { type: 'function' as const, name: this.settings.toolChoice.name },
      audio: {
        input,
        output: {
          voice: this.settings.voice,
          speed: this.settings.speed,
          format: { type: 'audio/pcm' as const, rate: 24000 as const },
        },
      },
    };
  }

  /** Starts a response; the dialogue runs it when the previous one stopped and transcripts are in. */
  private respond(overrides: ReplyOverrides): void {
    // A speculation must never run next to a real response for another text.
    if (!overrides.speculation) this.dropSpeculation();
    const modalities = overrides.modalities ?? this.settings.modalities;
    const withAudio = modalities.includes('audio');
    const tools = overrides.fixedText ? [] : (overrides.tools ?? this.settings.tools);
    const toolChoice = overrides.toolChoice ?? this.settings.toolChoice;
    const withTools = tools.length > 0 && toolChoice !== 'none';
    const startedAt = performance.now();
    const handle = this.dialogue.respond({
      id: newId('resp'),
      itemId: newId('item'),
      scripted: overrides.fixedText !== undefined,
      onStart: (started) => this.responses.created(started, modalities, withTools),
      run: (started) => this.runReply(started, { ...overrides, ...(withTools ? { tools, toolChoice } : { tools: [] }) }, withAudio, startedAt),
    });
    handle.withAudio = withAudio;
    // A response cut before it adopted its speculation (a barge-in while it waited) drops it.
    const { speculation } = overrides;
    if (speculation) handle.signal.addEventListener('abort', () => speculation.drop(), { once: true });
  }

  /** Runs the voice turn of a started response, sending its deltas. */
  private async runReply(
    handle: ResponseHandle,
    overrides: ReplyOverrides,
    withAudio: boolean,
    startedAt: number,
  ) {
    const { engines } = this.options;
    const { signal } = handle;
    const llm: LLM = overrides.fixedText ? new FixedReply(overrides.fixedText) : engines.llm();
    this.inputAudio.setPlayback(withAudio);
    try {
      const onEvent = (event: VoiceTurnEvent) => {
        handle.observe(event);
        if (signal.aborted) return; // nothing of a cut response follows its response.done
        if (event.type === 'tts-error') {
          this.options.logger.warn({ session: this.id, err: event.error }, 'TTS failed on a chunk');
          engines.reportFailure('tts', event.error);
          this.emit({ type: 'error', error: { type: 'server_error', code: 'tts_error', message: `The voice could not speak part of the reply: ${errorMessage(event.error)}` } });
          return;
        }
        this.responses.delta(handle, event);
      };
      // A dropped speculation stops its engine calls before this reply's start (never two at once).
      if (!overrides.speculation) await this.speculative.stopped;
      // A speculative reply was prepared unheard: its events so far go out now, the rest as they come.
      const result = overrides.speculation
        ? await overrides.speculation.adopt(signal, onEvent)
        : await runVoiceTurn(this.voiceTurnOptions(llm, overrides, withAudio, signal, startedAt), onEvent);
      if (result.status === 'failed') {
        this.options.logger.warn({ session: this.id, err: result.error }, 'LLM failed during a response');
        engines.reportFailure('llm', result.error);
      } else if (result.status === 'completed' && !overrides.fixedText) {
        engines.reportSuccess('llm');
      }
      return result;
    } finally {
      this.inputAudio.setPlayback(false);
    }
  }

  /** The options of one voice turn: the history (plus `pendingUserText`, a turn not yet in it) and the voice. */
  private voiceTurnOptions(llm: LLM, overrides: ReplyOverrides, withAudio: boolean, signal: AbortSignal, startedAt: number, pendingUserText?: string): VoiceTurnOptions {
    const { engines } = this.options;
    const messages: ChatMessage[] = this.conversation.messages(llm.contextSize, windowOptions(llm));
    if (pendingUserText !== undefined) messages.push({ role: 'user', content: pendingUserText });
    // Per-response instructions go after the history, so the cached prefix (system prompt and
    // history) stays valid: replacing the system prompt would re-evaluate the whole conversation.
    if (overrides.instructions) messages.push({ role: 'system', content: overrides.instructions });
    const tools = overrides.tools ?? [];
    const request: ChatRequest = {
      messages,
      conversationId: this.conversation.id,
      ...(this.settings.maxOutputTokens !== 'inf' ? { maxTokens: this.settings.maxOutputTokens } : {}),
      ...(tools.length
        ? { tools, toolChoice: overrides.toolChoice ?? 'auto', ...(this.settings.parallelToolCalls !== undefined ? { parallelToolCalls: this.settings.parallelToolCalls } : {}) }
        : {}),
    };
    return {
      llm,
      tts: withAudio ? this.tts() : null,
      fallbackTts: engines.fallbackTts(),
      request,
      voice: overrides.voice ?? this.settings.voice,
      speed: overrides.speed ?? this.settings.speed,
      delivery: this.settings.delivery,
      signal,
      startedAt,
      timeouts: this.options.turnTimeouts,
      failureReply: (error) => fallbackReply(errorMessage(error), engines.llmHint()),
    };
  }

  /**
   * The learner may be done ("maybe done" pause): transcribe `audio` and prepare the reply unheard
   * (src/turn/speculation.ts). Only when nothing else is producing, so a speculation never runs
   * next to a real response; replies with tools are not prepared.
   */
  private speculate(audio: Int16Array): void {
    if (!this.turnTaking.speculativeReply || this.closed || this.dialogue.active || this.confirmedSpeculation) return;
    if (this.settings.tools.length > 0 && this.settings.toolChoice !== 'none') return;
    if (audio.length < REALTIME_SAMPLE_RATE / 10) return;
    const withAudio = this.settings.modalities.includes('audio');
    const llm = this.options.engines.llm();
    this.speculative.begin({
      transcribe: (signal) => this.transcribe(audio, signal),
      reply: (text, signal, emit) => runVoiceTurn(this.voiceTurnOptions(llm, { tools: [] }, withAudio, signal, performance.now(), text), emit),
    });
  }

  /** Drops the running speculation and one waiting for its `response.create`: nothing of them is ever sent. */
  private dropSpeculation(): void {
    this.speculative.drop();
    this.confirmedSpeculation?.drop();
    this.confirmedSpeculation = null;
  }

  /** A pause inside the learner's turn (ms): recorded with the profile; the learned thinking time follows. */
  private recordPause(pauseMs: number): void {
    this.tutor.recordPause(pauseMs);
    const detection = this.inputAudio.turnDetection;
    if (this.turnTaking.thinkingTime === 'learned' && detection && this.settings.turnDetectionType === 'server_vad') {
      const learned = this.tutor.learnedThinkingTimeMs();
      if (learned !== detection.silenceDurationMs) void this.inputAudio.configure({ silenceDurationMs: learned }).catch(() => undefined);
    }
    this.sendThinkingTime();
  }

  /** `session.localchat` turn-taking fields, and whether the thinking time is fixed or learned. */
  private applyTurnTaking(update: SessionConfigUpdate): void {
    const local = update.localchat;
    if (local?.speculative_reply !== undefined) {
      this.turnTaking.speculativeReply = local.speculative_reply;
      if (!local.speculative_reply) this.dropSpeculation();
    }
    if (local?.maybe_done_ms !== undefined) this.turnTaking.maybeDoneMs = local.maybe_done_ms;
    const detection = update.audio?.input?.turn_detection;
    const explicit = detection && detection.type === 'server_vad' ? detection.silence_duration_ms : undefined;
    if (explicit !== undefined) {
      this.turnTaking.fixedSilenceMs = explicit;
      this.turnTaking.thinkingTime = 'fixed';
    }
    if (local?.thinking_time !== undefined) this.turnTaking.thinkingTime = local.thinking_time;
    // Settings that change the running detector without a new turn_detection apply at once.
    const running = this.inputAudio.turnDetection;
    if (running && detection === undefined && this.settings.turnDetectionType === 'server_vad' && (local?.thinking_time !== undefined || local?.maybe_done_ms !== undefined)) {
      const silenceDurationMs = this.turnTaking.thinkingTime === 'learned' ? this.tutor.learnedThinkingTimeMs() : this.turnTaking.fixedSilenceMs;
      void this.inputAudio.configure({ silenceDurationMs, pauseMs: this.turnTaking.maybeDoneMs }).then(() => this.sendThinkingTime(), () => undefined);
    }
  }

  /** Sends `localchat.thinking_time` when the value in use or its source changed. */
  private sendThinkingTime(): void {
    const learned = this.tutor.learnedThinkingTimeMs();
    const detection = this.inputAudio.turnDetection;
    const mode = this.turnTaking.thinkingTime;
    const inUse = detection?.silenceDurationMs ?? (mode === 'learned' ? learned : this.turnTaking.fixedSilenceMs);
    const key = `${mode}:${inUse}:${learned}:${this.tutor.pauseCount()}`;
    if (key === this.lastThinkingTime) return;
    this.lastThinkingTime = key;
    this.emit({
      type: 'localchat.thinking_time',
      mode,
      silence_duration_ms: inUse,
      learned_ms: learned,
      pauses: this.tutor.pauseCount(),
      range: { min: THINKING_TIME_RANGE.min, max: THINKING_TIME_RANGE.max },
    });
  }

  /** A committed utterance: a user item now, its transcript when STT is done (from `speculation` when one heard it already). */
  private commitUtterance(audio: Int16Array, itemId?: string, speculation?: Speculation | null): boolean {
    const previous = this.conversation.lastTurn?.id ?? null;
    const seconds = audio.length / REALTIME_SAMPLE_RATE;
    const item = (id: string, transcript?: string) => userAudioItem(id, transcript ?? null);
    let turn;
    const transcribeStart = performance.now();
    try {
      turn = this.dialogue.addSpokenTurn(
        // A speculation heard the same utterance (nothing but silence came after its pause).
        speculation ? () => speculation.transcript.catch(() => this.transcribe(audio)) : () => this.transcribe(audio),
        Math.round(seconds * 1000),
        {
          transcribed: (done) => {
            this.transcribeMs.set(done.id, performance.now() - transcribeStart);
            while (this.transcribeMs.size > 16) this.transcribeMs.delete(this.transcribeMs.keys().next().value!);
            this.emit({ type: 'conversation.item.input_audio_transcription.completed', item_id: done.id, content_index: 0, transcript: done.text, usage: { type: 'duration', seconds } });
            this.emit({ type: 'conversation.item.done', previous_item_id: previous, item: item(done.id, done.text) });
          },
          failed: (failed, error) => {
            this.options.logger.info({ session: this.id, err: error }, 'transcription failed');
            this.emit({
              type: 'conversation.item.input_audio_transcription.failed',
              item_id: failed.id,
              content_index: 0,
              error: { type: 'transcription_error', code: 'transcription_failed', message: errorMessage(error) },
            });
          },
        },
        itemId,
      );
    } catch (error) {
      if (!(error instanceof DuplicateItemError)) throw error;
      this.sendError('item_id_duplicate', error.message, undefined, 'item_id');
      return false;
    }
    this.spokenItems.add(turn.id);
    // The previous item is the one before this turn (a cut reply settles before it).
    const before = this.conversation.turns.at(-2)?.id ?? previous;
    this.emit({ type: 'input_audio_buffer.committed', item_id: turn.id, previous_item_id: before });
    this.emit({ type: 'conversation.item.added', previous_item_id: before, item: item(turn.id) });
    return true;
  }

  private async transcribe(audio: Int16Array, signal: AbortSignal = this.lifetime.signal): Promise<string> {
    const { engines } = this.options;
    const sttStatus = () => engines.status().find((engine) => engine.kind === 'stt');
    const downloading = sttStatus()?.state === 'downloading';
    const stt = engines.stt() ?? (downloading ? null : await engines.prepareStt());
    if (!stt) {
      const status = sttStatus();
      if (status?.state === 'downloading') {
        const percent = status.progress === undefined ? '' : ` (${Math.round(status.progress * 100)}%)`;
        throw new Error(`Speech recognition is still downloading${percent}. You can type your message meanwhile.`);
      }
      throw new Error(`Speech recognition is not available${status?.message ? `: ${status.message}` : '.'} You can type your message instead.`);
    }
    const transcript = await stt.transcribe(
      { samples: audio, sampleRate: REALTIME_SAMPLE_RATE },
      { signal: signal === this.lifetime.signal ? signal : AbortSignal.any([signal, this.lifetime.signal]), ...(this.settings.transcriptionLanguage ? { language: this.settings.transcriptionLanguage } : {}) },
    );
    return transcript.text.trim();
  }

  /** Server VAD events: speech start may interrupt the reply (barge-in); speech stop commits. */
  private onInputAudioEvent(event: InputAudioEvent): void {
    if (this.closed) return;
    const detection = this.inputAudio.turnDetection;
    const transcribing = this.settings.type === 'transcription';
    if (event.type === 'speech-paused') {
      if (!transcribing && detection?.createResponse !== false) this.speculate(event.audio);
      return;
    }
    if (event.type === 'speech-resumed') {
      // The learner goes on: the prepared reply is dropped unheard; the utterance is later transcribed whole.
      this.speculative.drop();
      if (!transcribing) this.recordPause(event.pauseMs);
      return;
    }
    if (event.type === 'speech-started') {
      this.speculative.drop();
      this.options.tutor?.sideWork.hold(LEARNER_SPEAKING_HOLD_MS);
      // Speech again soon after a turn ended, while its reply is still coming: the learner was cut
      // off at a thinking pause. That pause is one of theirs (else only pauses shorter than the
      // thinking time would ever be learned).
      const gap = this.lastSpeechEndMs === null ? null : event.audioStartMs - this.lastSpeechEndMs;
      if (!transcribing && gap !== null && gap > 0 && gap <= THINKING_TIME_RANGE.max && this.dialogue.active) this.recordPause(gap);
      this.lastSpeechEndMs = null;
      this.speechItemId = newId('item');
      this.emit({ type: 'input_audio_buffer.speech_started', audio_start_ms: Math.round(event.audioStartMs), item_id: this.speechItemId });
      if (transcribing) this.live.begin(this.speechItemId, true);
      else if (detection?.interruptResponse) this.dialogue.cancel('turn_detected');
      return;
    }
    if (event.type !== 'speech-stopped') return;
    const itemId = this.speechItemId ?? newId('item');
    this.speechItemId = null;
    this.lastSpeechEndMs = event.audioEndMs;
    this.emit({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: Math.round(event.audioEndMs), item_id: itemId });
    if (transcribing) {
      this.live.stop();
      this.transcribeOnly(event.audio, itemId);
      return;
    }
    const speculation = detection?.createResponse !== false ? this.speculative.take() : null;
    if (this.commitUtterance(event.audio, itemId, speculation) && detection?.createResponse !== false) this.respond(speculation ? { speculation } : {});
    else speculation?.drop();
  }

  /** `conversation.item.truncate`: the client played only `audioEndMs` of this reply. */
  private truncate(itemId: string, audioEndMs: number, eventId?: string): void {
    if (!this.dialogue.truncate(itemId, audioEndMs)) {
      this.sendError('item_truncate_invalid_item_id', `No assistant audio item "${itemId}" to truncate.`, eventId, 'item_id');
      return;
    }
    this.emit({ type: 'conversation.item.truncated', item_id: itemId, content_index: 0, audio_end_ms: audioEndMs });
  }

  /** Starts loading speech recognition once per session (STT loads on first use). */
  private prepareStt(): void {
    if (this.sttRequested) return;
    this.sttRequested = true;
    void this.options.engines.prepareStt().catch(() => undefined);
  }

  /**
   * Evaluates the conversation ahead of the learner's next turn (on a CPU, prompt processing
   * dominates TTFT: docs/decisions/002-long-lessons.md): the system prompt before the first turn;
   * after each reply, the system prompt and history, so that when the history window had to be
   * trimmed, the window is evaluated again while the learner listens and speaks, not while they
   * wait. Not with function tools (the engine's prompt then carries the tools as well).
   */
  private prepareLlm(what: 'system' | 'history' = 'system'): void {
    const llm = this.options.engines.llm();
    if (!llm.prepare || this.closed) return;
    if (what === 'history' && this.settings.tools.length > 0 && this.settings.toolChoice !== 'none') return;
    this.preparing?.abort();
    const controller = new AbortController();
    this.preparing = controller;
    const context =
      what === 'system'
        ? this.conversation.systemPrompt
        : this.conversation.messagesAhead(llm.contextSize, windowOptions(llm));
    // The next reply needs this prefix: side work (correction cards, summaries) waits for it, so
    // after a trim the summary (the kept turns are shifted, not evaluated) is ready while the
    // learner listens.
    const endForeground = what === 'history' ? this.options.tutor?.sideWork.foreground() : undefined;
    llm
      .prepare(this.conversation.id, context, { signal: AbortSignal.any([controller.signal, this.lifetime.signal]) })
      .catch((error: unknown) => {
        this.options.logger.debug({ session: this.id, err: error }, 'LLM warm-up failed');
      })
      .finally(() => endForeground?.());
  }

  /** Has the tutor summarize the turns the next trim of the history window will drop (side work). */
  private summarizeAhead(): void {
    const llm = this.options.engines.llm();
    this.tutor.summarizeAhead(llm.contextSize, windowOptions(llm));
  }

  /** The TTS this session speaks with: the client's choice when it is usable, else the best one. */
  private tts() {
    const choice = this.settings.ttsChoice;
    return (choice !== 'auto' && this.options.engines.ttsEngines().find((engine) => engine.provider === choice)) || this.options.engines.tts();
  }

  private sendVoices(): void {
    const tts = this.tts();
    this.emit({
      type: 'localchat.voices',
      provider: tts.provider,
      default_voice: tts.defaultVoice,
      voices: tts.voices(),
      engines: this.options.engines.ttsEngines().map((engine) => ({ provider: engine.provider, model_id: engine.modelId })),
    });
  }

  private lastTtsProvider = '';
  private sendEngineStatus(): void {
    this.emit({ type: 'localchat.engine.status', engines: this.options.engines.status() });
    const tts = this.tts();
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

function describeTurnDetection(detection: TurnDetection | null, settings: SessionSettings) {
  if (!detection) return null;
  if (settings.turnDetectionType === 'semantic_vad') {
    return { type: 'semantic_vad' as const, eagerness: settings.eagerness ?? 'auto', create_response: detection.createResponse, interrupt_response: detection.interruptResponse };
  }
  return {
    type: 'server_vad' as const,
    threshold: detection.threshold,
    silence_duration_ms: detection.silenceDurationMs,
    prefix_padding_ms: detection.prefixPaddingMs,
    create_response: detection.createResponse,
    interrupt_response: detection.interruptResponse,
  };
}

function userAudioItem(id: string, transcript: string | null): WireItem {
  return { id, type: 'message', role: 'user', object: 'realtime.item', status: 'completed', content: [{ type: 'input_audio', transcript }] };
}

/** A realtime function tool as the LLM core's tool definition. */
function toolDefinition(tool: FunctionTool): ToolDefinition {
  return { name: tool.name, ...(tool.description !== undefined ? { description: tool.description } : {}), ...(tool.parameters ? { parameters: tool.parameters } : {}) };
}

function toolChoiceOf(choice: NonNullable<SessionConfigUpdate['tool_choice']>): ToolChoice {
  return typeof choice === 'string' ? choice : { name: choice.name };
}

/** How the history window counts tokens for `llm`: its tokenizer when it has one. */
function windowOptions(llm: LLM): WindowOptions {
  return llm.countTokens ? { countTokens: (text: string) => llm.countTokens!(text) } : {};
}
