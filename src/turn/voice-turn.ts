/**
 * One spoken response — the heart of LocalChat:
 *
 *   LLM token stream -> ReplyFilter -> SentenceChunker -> TTS per chunk -> PCM16 24 kHz, in order
 *
 * The LLM stage and the TTS stage run concurrently: while chunk n is synthesized and sent, the LLM
 * goes on producing chunk n+1 (pipelining). One AbortSignal reaches every stage; when it fires
 * nothing more is emitted. `whole_reply` delivery (all text first, then all audio) is kept for
 * comparison in the benchmark.
 */
import { REALTIME_SAMPLE_RATE } from '../core/audio.js';
import { EngineError, isAbortError } from '../core/errors.js';
import type { ChatRequest, LLM, ToolCall, Usage } from '../core/llm.js';
import type { TTS } from '../core/tts.js';
import { resample } from '../audio/resample.js';
import { StreamingResampler } from '../audio/streaming-resampler.js';
import { ReplyFilter } from '../text/reply-filter.js';
import { type ChunkerOptions, SentenceChunker } from '../text/sentence-chunker.js';
import { AsyncQueue } from './async-queue.js';
import { withTimeouts } from './timeouts.js';

export type Delivery = 'streaming' | 'whole_reply';

/** TTS audio at another rate than 24 kHz is converted and sent in slices of this length, ms. */
const RESAMPLE_SLICE_MS = 250;

export interface VoiceTurnOptions {
  llm: LLM;
  /** null: text only, no audio. */
  tts: TTS | null;
  /** Used for a chunk the main TTS fails on (e.g. eSpeak NG when Kokoro throws). */
  fallbackTts?: TTS | null;
  request: ChatRequest;
  voice?: string;
  /** Speaking rate, 0.5-2.0. */
  speed?: number;
  delivery?: Delivery;
  signal: AbortSignal;
  chunker?: ChunkerOptions;
  /**
   * The text spoken instead of (or after the partial) reply when the LLM fails: a fallback
   * response, made specific by the caller.
   */
  failureReply: (error: unknown) => string;
  /**
   * Hang guards, ms: until the LLM's first token (prompt processing on a slow CPU can take
   * seconds), between tokens, and per TTS chunk. A timeout fails the engine call like an error.
   */
  timeouts?: Partial<TurnTimeouts>;
  /** Clock in ms; `performance.now` by default. Timings are measured from `startedAt`. */
  now?: () => number;
  startedAt?: number;
}

export interface TurnTimeouts {
  llmFirstTokenMs: number;
  llmIdleMs: number;
  ttsChunkMs: number;
}

export const DEFAULT_TURN_TIMEOUTS: TurnTimeouts = { llmFirstTokenMs: 60_000, llmIdleMs: 30_000, ttsChunkMs: 30_000 };

export type VoiceTurnEvent =
  /** Filtered reply text, as it streams (for the transcript). */
  | { type: 'text'; text: string }
  /** The LLM's exact output, before filtering, as it streams (what the history sends back). */
  | { type: 'llm-text'; text: string }
  /** The next TTS chunk has been decided (its audio, if any, follows under the same index). */
  | { type: 'chunk'; index: number; text: string }
  /** Audio of chunk `chunkIndex`, PCM16 mono 24 kHz. Emitted in chunk order. */
  | { type: 'audio'; chunkIndex: number; samples: Int16Array }
  /** A chunk could not be spoken (its text is still shown). */
  | { type: 'tts-error'; chunkIndex: number; error: unknown }
  /** The model started a function call (engines that stream the arguments). Never spoken. */
  | { type: 'tool-call-start'; id: string; name: string }
  /** More of a function call's arguments (JSON text), after its `tool-call-start`. */
  | { type: 'tool-call-delta'; id: string; argumentsDelta: string }
  /** A complete function call, for the caller to run. Never spoken. */
  | { type: 'tool-call'; call: ToolCall };

export interface VoiceTurnResult {
  status: 'completed' | 'cancelled' | 'failed';
  /** Everything shown to the learner, fallback message included. */
  text: string;
  /** The LLM's part of `text`: what goes into the history. */
  replyText: string;
  /** The LLM's exact output (before the reply filter), for engines that cache the history's tokens. */
  llmText: string;
  /** Token usage the LLM reported with its finish, if any. */
  usage?: Usage;
  /** The function calls the model made, in order (empty without tools). */
  toolCalls: ToolCall[];
  /** Set when status is `failed`. */
  error?: unknown;
  /** ms from `startedAt` to the first LLM token, null if none came. */
  ttftMs: number | null;
  /** ms from `startedAt` to the first audio sample, null if none. */
  ttfaMs: number | null;
  /** ms from `startedAt` to the first chunk (clause or sentence) handed to the TTS, null if none. */
  firstChunkMs?: number | null;
  totalMs: number;
  /** Total audio produced, in samples at 24 kHz. */
  audioSamples: number;
}

/**
 * Runs one response and reports its events to `emit` synchronously, in order.
 * Never throws for engine failures: they end the turn as `failed` after the fallback message.
 */
export async function runVoiceTurn(options: VoiceTurnOptions, emit: (event: VoiceTurnEvent) => void): Promise<VoiceTurnResult> {
  const { signal } = options;
  const now = options.now ?? (() => performance.now());
  const startedAt = options.startedAt ?? now();
  const delivery = options.delivery ?? 'streaming';
  let ttftMs: number | null = null;
  let ttfaMs: number | null = null;
  let firstChunkMs: number | null = null;
  let audioSamples = 0;
  let replyText = '';
  let llmText = '';
  let usage: Usage | undefined;
  const toolCalls: ToolCall[] = [];
  let shownText = '';
  let llmError: unknown;
  const chunks = new AsyncQueue<{ index: number; text: string }>();
  let chunkCount = 0;

  const safeEmit = (event: VoiceTurnEvent) => {
    if (!signal.aborted) emit(event);
  };
  const onAbort = () => chunks.abort();
  signal.addEventListener('abort', onAbort, { once: true });

  // One streaming resampler per TTS sample rate for the whole reply (its chunks are one stream),
  // made while the LLM produces the first chunk.
  const resamplers = new Map<number, Promise<StreamingResampler | null>>();
  const resamplerFor = (rate: number) => {
    let resampler = resamplers.get(rate);
    if (!resampler) resamplers.set(rate, (resampler = StreamingResampler.acquire(rate, REALTIME_SAMPLE_RATE)));
    return resampler;
  };
  if (options.tts && options.tts.sampleRate !== REALTIME_SAMPLE_RATE) void resamplerFor(options.tts.sampleRate).catch(() => undefined);

  const pushChunk = (text: string) => {
    // In whole-reply mode the reply is spoken as one chunk, announced when it is spoken.
    if (delivery !== 'streaming') return;
    const chunk = { index: chunkCount++, text };
    firstChunkMs ??= now() - startedAt;
    safeEmit({ type: 'chunk', ...chunk });
    chunks.push(chunk);
  };
  const showText = (text: string) => {
    if (!text) return;
    shownText += text;
    safeEmit({ type: 'text', text });
  };

  const timeouts = { ...DEFAULT_TURN_TIMEOUTS, ...options.timeouts };
  const llmStream = () =>
    withTimeouts((callSignal) => options.llm.stream(options.request, { signal: callSignal }), {
      signal,
      firstMs: timeouts.llmFirstTokenMs,
      idleMs: timeouts.llmIdleMs,
      engine: `The language model (${options.llm.provider})`,
      what: 'its first word',
    });

  const produceText = async () => {
    const filter = new ReplyFilter();
    const chunker = new SentenceChunker(options.chunker);
    try {
      let stream = llmStream();
      let retried = false;
      while (true) {
        try {
          for await (const part of stream) {
            if (signal.aborted) break;
            // Function calls are passed out as events, never spoken or shown as reply text.
            if (part.type === 'tool-call-start') {
              ttftMs ??= now() - startedAt;
              safeEmit({ type: 'tool-call-start', id: part.id, name: part.name });
              continue;
            }
            if (part.type === 'tool-call-delta') {
              safeEmit({ type: 'tool-call-delta', id: part.id, argumentsDelta: part.argumentsDelta });
              continue;
            }
            if (part.type === 'tool-call') {
              ttftMs ??= now() - startedAt;
              const call = { id: part.id, name: part.name, arguments: part.arguments };
              toolCalls.push(call);
              safeEmit({ type: 'tool-call', call });
              continue;
            }
            if (part.type !== 'text-delta') {
              if (part.usage) usage = part.usage;
              continue;
            }
            ttftMs ??= now() - startedAt;
            llmText += part.text;
            safeEmit({ type: 'llm-text', text: part.text });
            const text = filter.push(part.text);
            if (!text) continue;
            replyText += text;
            showText(text);
            for (const chunk of chunker.push(text)) pushChunk(chunk);
          }
          break;
        } catch (error) {
          // Retry a failed call once, but only before its first output (nothing to take back).
          if (retried || ttftMs !== null || signal.aborted || !EngineError.isInstance(error) || !error.retryable) throw error;
          retried = true;
          stream = llmStream();
        }
      }
    } catch (error) {
      if (!signal.aborted && !isAbortError(error)) llmError = error;
    }
    if (signal.aborted) return;
    const rest = filter.flush();
    replyText += rest;
    showText(rest);
    for (const chunk of chunker.push(rest)) pushChunk(chunk);
    for (const chunk of chunker.flush()) pushChunk(chunk);
    if (llmError !== undefined) {
      const message = options.failureReply(llmError);
      showText((shownText && !/\s$/.test(shownText) ? ' ' : '') + message);
      pushChunk(message);
    }
  };

  const speak = async (chunk: { index: number; text: string }) => {
    if (!options.tts) return;
    const engines = [options.tts, ...(options.fallbackTts && options.fallbackTts !== options.tts ? [options.fallbackTts] : [])];
    for (const [attempt, tts] of engines.entries()) {
      let produced = false;
      try {
        const voice = attempt === 0 ? options.voice : undefined;
        const audioStream = withTimeouts((callSignal) => tts.synthesize(chunk.text, { signal: callSignal, voice, speed: options.speed }), {
          signal,
          firstMs: timeouts.ttsChunkMs,
          idleMs: timeouts.ttsChunkMs,
          engine: `The voice (${tts.provider})`,
        });
        for await (const audio of audioStream) {
          if (signal.aborted) return;
          const needsResampling = audio.sampleRate !== REALTIME_SAMPLE_RATE;
          const resampler = needsResampling ? await resamplerFor(audio.sampleRate) : null;
          // Long audio goes out in slices, each as soon as it is at 24 kHz. (Without a streaming
          // resampler free — many turns at once — the chunk is converted whole.)
          const slice = resampler ? Math.round(audio.sampleRate * (RESAMPLE_SLICE_MS / 1000)) : audio.samples.length;
          for (let offset = 0; offset < audio.samples.length; offset += slice) {
            if (signal.aborted) return;
            const piece = audio.samples.subarray(offset, offset + slice);
            const samples = resampler ? resampler.push(piece) : needsResampling ? resample(piece, audio.sampleRate, REALTIME_SAMPLE_RATE) : piece;
            if (samples.length === 0) continue;
            produced = true;
            ttfaMs ??= now() - startedAt;
            audioSamples += samples.length;
            safeEmit({ type: 'audio', chunkIndex: chunk.index, samples });
          }
        }
        return;
      } catch (error) {
        if (signal.aborted || isAbortError(error)) return;
        // Retry with the fallback only before any audio of this chunk went out.
        if (produced || attempt === engines.length - 1) {
          safeEmit({ type: 'tts-error', chunkIndex: chunk.index, error });
          return;
        }
      }
    }
  };

  const produceAudio = async () => {
    for await (const chunk of chunks) {
      if (signal.aborted) return;
      await speak(chunk);
    }
  };

  try {
    if (delivery === 'streaming') {
      const audio = produceAudio();
      await produceText().finally(() => chunks.close());
      await audio;
    } else {
      await produceText();
      if (!signal.aborted && shownText.trim()) {
        const whole = { index: 0, text: shownText.trim() };
        safeEmit({ type: 'chunk', ...whole });
        await speak(whole);
      }
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    for (const resampler of resamplers.values()) void resampler.then((r) => r && StreamingResampler.release(r), () => undefined);
  }

  const status = signal.aborted ? 'cancelled' : llmError !== undefined ? 'failed' : 'completed';
  return {
    status,
    text: shownText,
    replyText: replyText.trim(),
    llmText,
    ...(usage ? { usage } : {}),
    toolCalls,
    ...(status === 'failed' ? { error: llmError } : {}),
    ttftMs,
    ttfaMs,
    firstChunkMs,
    totalMs: now() - startedAt,
    audioSamples,
  };
}

