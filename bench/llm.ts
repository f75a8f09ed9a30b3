/**
 * node-llama-cpp speed on a random-weight GGUF with Qwen2.5-1.5B's dimensions and Q4_K_M-like
 * storage (the default model's shape; compute cost does not depend on the weights' values).
 *
 * One engine per thread count (all loaded, each warmed up with a short generation), runs
 * interleaved across thread counts; every run does:
 *   - a cold turn: the ~100-token prompt with nothing cached (the previous conversation is
 *     released and its sequence cleared first), `maxTokens` tokens generated. From `LlamaCppLLM.lastTurnStats`:
 *     TTFT = call -> first text delta (prompt processing + first token);
 *     decode tokens/s = (completionTokens - 1) / (durationMs - TTFT);
 *     prompt tokens/s (estimate) = evaluated prompt tokens / (TTFT - one decode step);
 *   - a prepared turn, as the app does it: `prepare()` evaluates the system prompt into a fresh
 *     sequence (timed: prompt processing alone, tokens = the next turn's cachedPromptTokens),
 *     then a turn whose TTFT covers only the user message.
 */
import { readdir, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import type { LLMStreamPart } from '../src/core/llm.js';
import { LlamaCppLLM, type LlamaCppTurnStats } from '../src/engines/llm/llama-cpp.js';
import { buildShapeRealisticGguf, REALISTIC_SHAPES } from '../test/fixtures/gguf-builder.js';
import { LLM_SYSTEM_PROMPT, LLM_USER_MESSAGE } from './scenario.js';
import { median, round, summarize, type Summary } from './stats.js';

export const LLM_SHAPE = 'qwen2.5-1.5b' as const;
const FIXTURES_DIR = fileURLToPath(new URL('../.cache/fixtures/', import.meta.url));
/** Size of the built file (for progress), bytes: ~0.98 GB. */
const EXPECTED_GGUF_BYTES = 982_469_760;

export interface LlmRun {
  promptTokens: number;
  evaluatedPromptTokens: number;
  completionTokens: number;
  ttftMs: number;
  durationMs: number;
  decodeTokensPerS: number;
  promptTokensPerSEstimate: number;
  /** `prepare()` of the system prompt alone. */
  prepareMs: number;
  preparedTokens: number;
  preparePromptTokensPerS: number;
  /** TTFT of the turn after `prepare()` (only the user message evaluated). */
  preparedTtftMs: number;
  preparedEvaluatedTokens: number;
  finishReason: string;
  /** Prompt tokens found in the KV cache at the cold turn (0 = a truly cold start). */
  cachedPromptTokens: number;
  /** 1-minute load average when the run started (other work on the machine). */
  loadavg1m: number;
}

export interface LlmThreadResult {
  threads: number;
  backend: string;
  load_ms: number;
  rss_after_load_mb: number;
  runs: LlmRun[];
  decode_tokens_per_s: Summary;
  ttft_ms: Summary;
  prompt_tokens_per_s_estimate: Summary;
  prepare_prompt_tokens_per_s: Summary;
  prepared_ttft_ms: Summary;
  prompt_tokens: number;
  max_tokens: number;
}

export interface LlmResult {
  model: string;
  shape: (typeof REALISTIC_SHAPES)[typeof LLM_SHAPE];
  model_path: string;
  model_bytes: number;
  build_ms: number;
  per_threads: LlmThreadResult[];
  best_threads: number;
  /** Median decode tokens/s of the best thread count. */
  llm_tokens_per_s: number;
  llm_ttft_ms: number;
  llm_prompt_tokens_per_s: number;
}

export interface LlmOptions {
  threads: number[];
  runs: number;
  maxTokens: number;
  log: (line: string) => void;
}

export async function benchLlm(options: LlmOptions): Promise<LlmResult> {
  const { log } = options;
  log(`  GGUF: random weights, ${LLM_SHAPE} shape (built once into .cache/fixtures; ~1 GB, may take minutes the first time)`);
  const buildStarted = performance.now();
  const progress = setInterval(() => void reportBuildProgress(log, buildStarted), 5000);
  let modelPath: string;
  try {
    modelPath = await buildShapeRealisticGguf(undefined, LLM_SHAPE);
  } finally {
    clearInterval(progress);
  }
  const buildMs = performance.now() - buildStarted;
  const modelBytes = (await stat(modelPath)).size;
  log(`  GGUF ready in ${(buildMs / 1000).toFixed(1)} s: ${modelPath} (${(modelBytes / 2 ** 20).toFixed(0)} MiB)`);

  // One engine per thread count, all loaded at once, and the runs interleaved (run 1 at every
  // thread count, then run 2, ...) so that changing load from other work hits them alike.
  const engines: { threads: number; llm: LlamaCppLLM; loadMs: number; rssAfterLoadMb: number; runs: LlmRun[] }[] = [];
  try {
    for (const threads of options.threads) {
      const loadStarted = performance.now();
      const llm = await LlamaCppLLM.create({
        modelPath,
        threads,
        maxConversations: 1,
        contextSize: 1024,
        logLevel: 'error',
        sampling: { seed: 42 },
      });
      const loadMs = performance.now() - loadStarted;
      log(`  threads=${threads}: loaded in ${(loadMs / 1000).toFixed(1)} s (backend ${llm.gpu === false ? 'cpu' : llm.gpu}), warming up`);
      // Warm-up: the first evaluation allocates buffers and faults in the mmapped weights.
      await generate(llm, 'warm-up', 'Warm up.', 'Hello.', 4);
      await forget(llm, 'warm-up');
      engines.push({ threads, llm, loadMs, rssAfterLoadMb: process.memoryUsage.rss() / 2 ** 20, runs: [] });
    }
    for (let index = 0; index < options.runs; index++) {
      for (const engine of engines) {
        const run = await measureRun(engine.llm, `${engine.threads}-${index}`, options.maxTokens);
        engine.runs.push(run);
        log(
          `  threads=${engine.threads} run ${index + 1}/${options.runs}: prompt ${run.evaluatedPromptTokens} tok, TTFT ${run.ttftMs.toFixed(0)} ms, ` +
            `decode ${run.decodeTokensPerS.toFixed(1)} tok/s (${run.completionTokens} tok), prepare ${run.preparedTokens} tok in ${run.prepareMs.toFixed(0)} ms, ` +
            `TTFT after prepare ${run.preparedTtftMs.toFixed(0)} ms (load avg ${run.loadavg1m})`,
        );
      }
    }
  } finally {
    for (const engine of engines) await engine.llm.dispose();
  }

  const perThreads: LlmThreadResult[] = engines.map(({ threads, llm, loadMs, rssAfterLoadMb, runs }) => ({
    threads,
    backend: llm.gpu === false ? 'cpu' : String(llm.gpu),
    load_ms: round(loadMs),
    rss_after_load_mb: round(rssAfterLoadMb),
    runs,
    decode_tokens_per_s: summarize(runs.map((run) => run.decodeTokensPerS)),
    ttft_ms: summarize(runs.map((run) => run.ttftMs)),
    prompt_tokens_per_s_estimate: summarize(runs.map((run) => run.promptTokensPerSEstimate)),
    prepare_prompt_tokens_per_s: summarize(runs.map((run) => run.preparePromptTokensPerS)),
    prepared_ttft_ms: summarize(runs.map((run) => run.preparedTtftMs)),
    prompt_tokens: median(runs.map((run) => run.promptTokens)),
    max_tokens: options.maxTokens,
  }));
  const best = perThreads.reduce((a, b) => (b.decode_tokens_per_s.p50 > a.decode_tokens_per_s.p50 ? b : a));
  return {
    model: `random-weight ${LLM_SHAPE} (Q4_K_M-like)`,
    shape: REALISTIC_SHAPES[LLM_SHAPE],
    model_path: modelPath,
    model_bytes: modelBytes,
    build_ms: round(buildMs),
    per_threads: perThreads,
    best_threads: best.threads,
    llm_tokens_per_s: best.decode_tokens_per_s.p50,
    llm_ttft_ms: best.ttft_ms.p50,
    llm_prompt_tokens_per_s: best.prepare_prompt_tokens_per_s.p50,
  };
}

/** One cold turn and one prepared turn, each on a fresh (cleared) sequence. */
async function measureRun(llm: LlamaCppLLM, label: string, maxTokens: number): Promise<LlmRun> {
  const loadavg1m = round(loadavg()[0] ?? Number.NaN, 2);
  // Cold: nothing cached.
  const coldId = `cold-${label}`;
  const cold = await generate(llm, coldId, LLM_SYSTEM_PROMPT, LLM_USER_MESSAGE, maxTokens);
  await forget(llm, coldId);

  // Prepared, as the app does it: system prompt evaluated ahead, then the turn.
  const preparedId = `prepared-${label}`;
  const prepareStarted = performance.now();
  await llm.prepare(preparedId, LLM_SYSTEM_PROMPT, { signal: new AbortController().signal });
  const prepareMs = performance.now() - prepareStarted;
  const prepared = await generate(llm, preparedId, LLM_SYSTEM_PROMPT, LLM_USER_MESSAGE, 4);
  await forget(llm, preparedId);

  const evaluated = cold.promptTokens - cold.cachedPromptTokens;
  const ttft = cold.timeToFirstTokenMs ?? Number.NaN;
  const decodeTps = ((cold.completionTokens - 1) / (cold.durationMs - ttft)) * 1000;
  return {
    promptTokens: cold.promptTokens,
    cachedPromptTokens: cold.cachedPromptTokens,
    evaluatedPromptTokens: evaluated,
    completionTokens: cold.completionTokens,
    ttftMs: round(ttft),
    durationMs: round(cold.durationMs),
    decodeTokensPerS: round(decodeTps, 2),
    promptTokensPerSEstimate: round((evaluated / (ttft - 1000 / decodeTps)) * 1000, 1),
    prepareMs: round(prepareMs),
    preparedTokens: prepared.cachedPromptTokens,
    preparePromptTokensPerS: round((prepared.cachedPromptTokens / prepareMs) * 1000, 1),
    preparedTtftMs: round(prepared.timeToFirstTokenMs ?? Number.NaN),
    preparedEvaluatedTokens: prepared.promptTokens - prepared.cachedPromptTokens,
    finishReason: cold.finishReason,
    loadavg1m,
  };
}

/**
 * Releases a conversation and gives the engine time to clear its sequence (`release` clears it
 * in the background, and skips that when another conversation claims the slot first), so the
 * next turn starts from an empty KV cache. Also lets llama.cpp's worker threads go idle.
 */
async function forget(llm: LlamaCppLLM, conversationId: string): Promise<void> {
  llm.release(conversationId);
  await new Promise((resolve) => setTimeout(resolve, 300));
}

/** Runs one turn to its end and returns the engine's statistics of it. */
async function generate(llm: LlamaCppLLM, conversationId: string, system: string, user: string, maxTokens: number): Promise<LlamaCppTurnStats> {
  const controller = new AbortController();
  let finish: LLMStreamPart | undefined;
  for await (const part of llm.stream(
    { conversationId, maxTokens, messages: [{ role: 'system', content: system }, { role: 'user', content: user }] },
    { signal: controller.signal },
  )) {
    if (part.type === 'finish') finish = part;
  }
  const stats = llm.lastTurnStats;
  if (!finish || !stats || stats.conversationId !== conversationId) throw new Error(`No statistics for the turn of ${conversationId}`);
  return stats;
}

/** Prints how far a GGUF being built has got (its temporary file in the fixtures cache). */
async function reportBuildProgress(log: (line: string) => void, startedAt: number): Promise<void> {
  try {
    const names = (await readdir(FIXTURES_DIR)).filter((name) => name.startsWith(REALISTIC_SHAPES[LLM_SHAPE].name) && name.endsWith('.tmp'));
    for (const name of names) {
      const { size } = await stat(join(FIXTURES_DIR, name));
      const percent = Math.min(99, (size / EXPECTED_GGUF_BYTES) * 100);
      log(`  building GGUF: ${(size / 2 ** 20).toFixed(0)} MiB written (~${percent.toFixed(0)}%), ${((performance.now() - startedAt) / 1000).toFixed(0)} s`);
    }
  } catch {
    // The directory may not exist yet.
  }
}
