/**
 * TTFA of `runVoiceTurn`, streaming vs whole-reply delivery, and the pipeline overhead.
 *
 * Every run does, in this order, with one TTS engine:
 *   1. a streaming turn: TTFA = turn start -> first `audio` event; the first chunk's text and the
 *      time of its `chunk` event are recorded;
 *   2. a whole-reply turn (same ScriptedLLM pace): TTFA the same way;
 *   3. the LLM token source alone (a fresh ScriptedLLM, same options): time until the tokens it
 *      yielded cover the first chunk's text, and until the token after it (the chunker needs
 *      one token of lookahead to decide a chunk ends);
 *   4. the TTS alone: time to synthesize the first chunk's text (to its first audio).
 * Pipeline overhead of the run = streaming TTFA - (3 + 4).
 * Runs are interleaved so slow drift from other load hits both deliveries alike.
 */
import type { TTS } from '../src/core/tts.js';
import { resample } from '../src/audio/resample.js';
import { REALTIME_SAMPLE_RATE } from '../src/core/audio.js';
import { type Delivery, runVoiceTurn } from '../src/turn/voice-turn.js';
import { scriptedLlm, tutorRequest } from './scenario.js';
import { median, round, summarize, type Summary } from './stats.js';

export interface TurnSample {
  delivery: Delivery;
  /** Turn start -> first `audio` event (as runVoiceTurn emits it), ms. */
  ttfaMs: number;
  /** runVoiceTurn's own `ttfaMs` (taken just before it emits). */
  reportedTtfaMs: number | null;
  ttftMs: number | null;
  /** Turn start -> first `chunk` event, ms. */
  firstChunkAtMs: number;
  firstChunkText: string;
  chunks: number;
  totalMs: number;
  audioMs: number;
  status: string;
}

export interface TtfaRun {
  streaming: TurnSample;
  wholeReply: TurnSample;
  /** LLM alone: start -> the token completing the first chunk's text, ms. */
  llmFirstChunkTokensMs: number;
  /** LLM alone: start -> the next token (the chunker's lookahead), ms. */
  llmLookaheadTokenMs: number | null;
  llmFirstChunkTokens: number;
  /** TTS alone: first chunk's text -> its first audio, ms. */
  ttsFirstChunkMs: number;
  /** Resampling the first chunk's audio to 24 kHz (part of the pipeline's own work), ms. */
  resampleFirstChunkMs: number;
  /** streaming TTFA - (llmFirstChunkTokensMs + ttsFirstChunkMs). */
  overheadMs: number;
}

export interface TtfaResult {
  engine: string;
  modelId: string;
  runs: TtfaRun[];
  ttfa_streaming_ms: Summary;
  ttfa_whole_reply_ms: Summary;
  /** median streaming TTFA / median whole-reply TTFA (target <= 1/3). */
  streaming_to_whole_ratio: number;
  pipeline_overhead_ms: Summary;
  /** median streaming TTFA - (median LLM-alone + median TTS-alone): a cross-check of the per-run median. */
  pipeline_overhead_of_medians_ms: number;
  overhead_breakdown_p50_ms: {
    /** `chunk` event in the pipeline - LLM alone covering the chunk: lookahead token + filter/chunker. */
    chunk_decision_ms: number;
    /** first audio - `chunk` event - TTS alone: queueing, resampling, event delivery. */
    synthesis_stage_ms: number;
  };
  llm_first_chunk_tokens_ms: Summary;
  llm_lookahead_token_ms: Summary;
  tts_first_chunk_ms: Summary;
  resample_first_chunk_ms: Summary;
  ttft_streaming_ms: Summary;
  total_streaming_ms: Summary;
  total_whole_reply_ms: Summary;
  first_chunk_text: string;
  first_chunk_tokens: number;
  chunks_per_reply: number;
  reply_audio_ms: number;
}

export interface TtfaOptions {
  runs: number;
  /** Called after each run (progress). */
  onRun?: (index: number, run: TtfaRun) => void;
}

export async function benchTtfa(tts: TTS, options: TtfaOptions): Promise<TtfaResult> {
  // Warm-up, not measured: engine load and first (unoptimised) runs of every code path.
  await tts.prepare?.();
  await timeTurn(tts, 'streaming');
  await timeTurn(tts, 'whole_reply');

  const runs: TtfaRun[] = [];
  for (let index = 0; index < options.runs; index++) {
    const streaming = await timeTurn(tts, 'streaming');
    const wholeReply = await timeTurn(tts, 'whole_reply');
    const llmAlone = await timeLlmAlone(streaming.firstChunkText);
    const ttsAlone = await timeTtsAlone(tts, streaming.firstChunkText);
    const run: TtfaRun = {
      streaming,
      wholeReply,
      llmFirstChunkTokensMs: round(llmAlone.coveredMs, 2),
      llmLookaheadTokenMs: llmAlone.lookaheadMs === null ? null : round(llmAlone.lookaheadMs, 2),
      llmFirstChunkTokens: llmAlone.tokens,
      ttsFirstChunkMs: round(ttsAlone.firstAudioMs, 2),
      resampleFirstChunkMs: round(ttsAlone.resampleMs, 2),
      overheadMs: round(streaming.ttfaMs - (llmAlone.coveredMs + ttsAlone.firstAudioMs), 2),
    };
    runs.push(run);
    options.onRun?.(index, run);
  }

  const col = (pick: (run: TtfaRun) => number | null) => runs.map(pick).filter((value): value is number => value !== null);
  const streamingTtfa = col((run) => run.streaming.ttfaMs);
  const wholeTtfa = col((run) => run.wholeReply.ttfaMs);
  const llmCovered = col((run) => run.llmFirstChunkTokensMs);
  const ttsAlone = col((run) => run.ttsFirstChunkMs);
  const first = runs[0]!;
  return {
    engine: tts.provider,
    modelId: tts.modelId,
    runs,
    ttfa_streaming_ms: summarize(streamingTtfa),
    ttfa_whole_reply_ms: summarize(wholeTtfa),
    streaming_to_whole_ratio: round(median(streamingTtfa) / median(wholeTtfa), 3),
    pipeline_overhead_ms: summarize(col((run) => run.overheadMs)),
    pipeline_overhead_of_medians_ms: round(median(streamingTtfa) - (median(llmCovered) + median(ttsAlone))),
    overhead_breakdown_p50_ms: {
      chunk_decision_ms: round(median(col((run) => run.streaming.firstChunkAtMs - run.llmFirstChunkTokensMs))),
      synthesis_stage_ms: round(median(col((run) => run.streaming.ttfaMs - run.streaming.firstChunkAtMs - run.ttsFirstChunkMs))),
    },
    llm_first_chunk_tokens_ms: summarize(llmCovered),
    llm_lookahead_token_ms: summarize(col((run) => run.llmLookaheadTokenMs)),
    tts_first_chunk_ms: summarize(ttsAlone),
    resample_first_chunk_ms: summarize(col((run) => run.resampleFirstChunkMs)),
    ttft_streaming_ms: summarize(col((run) => run.streaming.ttftMs)),
    total_streaming_ms: summarize(col((run) => run.streaming.totalMs)),
    total_whole_reply_ms: summarize(col((run) => run.wholeReply.totalMs)),
    first_chunk_text: first.streaming.firstChunkText,
    first_chunk_tokens: first.llmFirstChunkTokens,
    chunks_per_reply: first.streaming.chunks,
    reply_audio_ms: round(first.streaming.audioMs),
  };
}

/** One runVoiceTurn with a fresh ScriptedLLM at the benchmark pace. */
async function timeTurn(tts: TTS, delivery: Delivery): Promise<TurnSample> {
  const llm = scriptedLlm();
  const controller = new AbortController();
  let ttfaMs: number | undefined;
  let firstChunk: { text: string; atMs: number } | undefined;
  let chunks = 0;
  let samples = 0;
  let ttsError: Error | undefined;
  const startedAt = performance.now();
  const result = await runVoiceTurn(
    {
      llm,
      tts,
      request: tutorRequest(),
      delivery,
      signal: controller.signal,
      startedAt,
      failureReply: () => 'Sorry, something went wrong.',
    },
    (event) => {
      const at = performance.now() - startedAt;
      if (event.type === 'audio') {
        ttfaMs ??= at;
        samples += event.samples.length;
      } else if (event.type === 'chunk') {
        chunks++;
        firstChunk ??= { text: event.text, atMs: at };
      } else if (event.type === 'tts-error') {
        ttsError ??= new Error(`TTS failed on chunk ${event.chunkIndex}: ${String(event.error)}`);
      }
    },
  );
  if (ttsError) throw ttsError;
  if (ttfaMs === undefined || !firstChunk) throw new Error(`The ${delivery} turn produced no audio (status ${result.status})`);
  return {
    delivery,
    ttfaMs: round(ttfaMs, 2),
    reportedTtfaMs: result.ttfaMs === null ? null : round(result.ttfaMs, 2),
    ttftMs: result.ttftMs === null ? null : round(result.ttftMs, 2),
    firstChunkAtMs: round(firstChunk.atMs, 2),
    firstChunkText: firstChunk.text,
    chunks,
    totalMs: round(result.totalMs, 2),
    audioMs: round((samples / REALTIME_SAMPLE_RATE) * 1000),
    status: result.status,
  };
}

/**
 * The token source alone: when do its tokens cover `chunkText` (whitespace collapsed, as the
 * chunker writes chunks), and when does the next token come?
 */
async function timeLlmAlone(chunkText: string): Promise<{ coveredMs: number; lookaheadMs: number | null; tokens: number }> {
  const llm = scriptedLlm();
  const controller = new AbortController();
  const target = normalize(chunkText);
  let raw = '';
  let tokens = 0;
  let coveredMs: number | undefined;
  let lookaheadMs: number | null = null;
  const startedAt = performance.now();
  for await (const part of llm.stream(tutorRequest(), { signal: controller.signal })) {
    if (part.type !== 'text-delta') continue;
    const at = performance.now() - startedAt;
    if (coveredMs !== undefined) {
      lookaheadMs = at;
      break;
    }
    raw += part.text;
    tokens++;
    const text = normalize(raw);
    if (text.length >= target.length) {
      if (!text.startsWith(target)) throw new Error(`The first chunk "${chunkText}" is not a prefix of the reply: cannot time it alone`);
      coveredMs = at;
    }
  }
  controller.abort();
  if (coveredMs === undefined) throw new Error(`The LLM alone never produced the first chunk "${chunkText}"`);
  return { coveredMs, lookaheadMs, tokens };
}

/** The TTS alone on `text`: ms to its first audio, and the cost of resampling that audio to 24 kHz. */
async function timeTtsAlone(tts: TTS, text: string): Promise<{ firstAudioMs: number; resampleMs: number }> {
  const controller = new AbortController();
  let firstAudioMs: number | undefined;
  let resampleMs = 0;
  const startedAt = performance.now();
  for await (const audio of tts.synthesize(text, { signal: controller.signal })) {
    if (firstAudioMs === undefined) {
      firstAudioMs = performance.now() - startedAt;
      if (audio.sampleRate !== REALTIME_SAMPLE_RATE) {
        const before = performance.now();
        resample(audio.samples, audio.sampleRate, REALTIME_SAMPLE_RATE);
        resampleMs = performance.now() - before;
      }
    }
  }
  if (firstAudioMs === undefined) throw new Error(`${tts.provider} produced no audio for "${text}"`);
  return { firstAudioMs, resampleMs };
}

function normalize(text: string): string {
  return text.replace(/\s+/g, ' ').trimStart();
}
