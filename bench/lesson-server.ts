/**
 * The real server for the lesson benchmark, in its own process (its RSS, CPU and event loop are
 * its own): the app with the tutor (TutorService over a SafeStore in a temporary data directory:
 * turns saved, correction cards) and either
 *   - the embedded engine: node-llama-cpp on the Qwen2.5-1.5B-shaped Q4_K_M GGUF whose replies
 *     re-tokenize to themselves (test/fixtures/gguf-builder.ts, `generate: 'words'`), or
 *   - `--llm-base-url URL`: an OpenAI-compatible server (llama.cpp's `llama-server`),
 * and eSpeak NG as the voice. Prints `{"ready":true,"port":…,"pid":…}` when listening.
 *
 * Commands on stdin, one a line: `calls` prints `{"calls":[…]}`, every LLM call finished since the
 * last `calls` (task, start on the epoch clock, the engine's token counts and times); `verdicts` prints
 * `{"verdicts":[…]}`, every finished correction (learner text, epoch time, whether it was a card);
 * `rss` prints `{"rssMb":…}`, `memory` the V8 heap and external memory. Exits when stdin ends or on SIGTERM.
 *
 * Options: --threads N (default: physical cores), --context N, --llm-base-url URL, --llm-model NAME,
 *   --no-heap-upkeep (leave glibc's heap as it is: to measure what the upkeep saves),
 *   --tiny (the tiny `generate: 'words'` GGUF instead of the 1.5B shape: a quick smoke test of the
 *   benchmark itself, not a measurement)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pino from 'pino';
import type { CallOptions } from '../src/core/call-options.js';
import type { ChatMessage, ChatRequest, LLM, LLMStreamPart } from '../src/core/llm.js';
import { StaticEngineSet } from '../src/engines/engine-set.js';
import { LlamaCppLLM } from '../src/engines/llm/llama-cpp.js';
import { OpenAICompatibleLLM } from '../src/engines/llm/openai-compatible.js';
import { EspeakTTSEngine } from '../src/engines/tts/espeak.js';
import { startNativeHeapUpkeep } from '../src/server/native-heap.js';
import { TutorService } from '../src/server/tutor-service.js';
import { SafeStore } from '../src/store/safe-store.js';
import { buildShapeRealisticGguf, buildTinyGguf } from '../test/fixtures/gguf-builder.js';
import { startTestServer } from '../test/helpers/test-server.js';
import { epochNow } from './timed-engines.js';

const argv = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const index = argv.indexOf(name);
  return index >= 0 ? argv[index + 1] : undefined;
};

/** One LLM call as the benchmark reads it. */
export interface LessonLlmCall {
  /** `reply`, or the JSON schema's name (`correction`, ...). */
  task: string;
  /** Epoch ms when the call was made. */
  startedAt: number;
  endedAt?: number;
  /** Epoch ms of the first and the tenth generated token. */
  firstTokenAt?: number;
  tenthTokenAt?: number;
  promptTokens?: number;
  /** Prompt tokens evaluated: measured (node-llama-cpp token meter, or the server's cache report). */
  evaluatedPromptTokens?: number;
  /** Prompt tokens new since the conversation's previous call (embedded engine only). */
  newPromptTokens?: number;
  /** Prompt tokens the engine evaluated between turns, ahead of this call (embedded engine only). */
  aheadTokens?: number;
  completionTokens?: number;
  finishReason?: string;
}

/** Records every call and what it cost. */
class RecordingLLM implements LLM {
  readonly calls: LessonLlmCall[] = [];
  private aheadCounted = 0;
  constructor(private readonly inner: LLM) {}
  get provider() {
    return this.inner.provider;
  }
  get modelId() {
    return this.inner.modelId;
  }
  get contextSize() {
    return this.inner.contextSize;
  }
  countTokens = (text: string): number => this.inner.countTokens?.(text) ?? Math.ceil(text.length / 4);
  prepare = (conversationId: string, context: string | readonly ChatMessage[], options: CallOptions) => this.inner.prepare?.(conversationId, context, options) ?? Promise.resolve();
  release = (conversationId: string) => this.inner.release?.(conversationId);

  async *stream(request: ChatRequest, options: CallOptions): AsyncIterable<LLMStreamPart> {
    const call: LessonLlmCall = { task: request.jsonSchema?.name ?? 'reply', startedAt: epochNow() };
    if (this.inner instanceof LlamaCppLLM && !request.background) {
      // Evaluated between turns (the conversation's prefix, ahead of this call) since the last reply call.
      call.aheadTokens = this.inner.evaluatedAheadTokens - this.aheadCounted;
      this.aheadCounted = this.inner.evaluatedAheadTokens;
    }
    this.calls.push(call);
    let deltas = 0;
    try {
      for await (const part of this.inner.stream(request, options)) {
        if (part.type === 'text-delta') {
          deltas++;
          call.firstTokenAt ??= epochNow();
          if (deltas === 10) call.tenthTokenAt = epochNow();
        } else {
          call.finishReason = part.reason;
          call.promptTokens = part.usage?.promptTokens;
          call.completionTokens = part.usage?.completionTokens;
          if (part.usage?.cachedPromptTokens !== undefined && part.usage.promptTokens !== undefined) {
            call.evaluatedPromptTokens = part.usage.promptTokens - part.usage.cachedPromptTokens;
          }
        }
        yield part;
      }
    } finally {
      call.endedAt = epochNow();
      const stats = this.inner instanceof LlamaCppLLM ? this.inner.lastTurnStats : undefined;
      if (stats) {
        call.evaluatedPromptTokens = stats.evaluatedPromptTokens;
        call.newPromptTokens = stats.newPromptTokens;
        call.promptTokens = stats.promptTokens;
        call.completionTokens = stats.completionTokens;
        const tenth = stats.tokenTimesMs[9];
        if (tenth !== undefined) call.tenthTokenAt = call.startedAt + tenth;
      }
    }
  }
}

// As `localchat serve` does, before any engine loads (src/server/native-heap.ts).
const heap = argv.includes('--no-heap-upkeep') ? null : startNativeHeapUpkeep();
const baseUrl = option('--llm-base-url');
let inner: LLM;
if (baseUrl) {
  inner = new OpenAICompatibleLLM({ baseURL: baseUrl, model: option('--llm-model') ?? 'default', contextSize: Number(option('--context') ?? 8192) });
} else {
  const modelPath = argv.includes('--tiny')
    ? await buildTinyGguf(undefined, { generate: 'words', name: 'localchat-tiny-words' })
    : await buildShapeRealisticGguf(undefined, 'qwen2.5-1.5b', { generate: 'words', name: 'random-qwen2.5-1.5b-shape-words' });
  inner = await LlamaCppLLM.create({
    modelPath,
    gpu: false,
    logLevel: 'error',
    ...(option('--threads') ? { threads: Number(option('--threads')) } : {}),
    ...(option('--context') ? { contextSize: Number(option('--context')) } : {}),
  });
}
const llm = new RecordingLLM(inner);
const tts = new EspeakTTSEngine();
const dataDir = mkdtempSync(join(tmpdir(), 'localchat-bench-lesson-'));
const store = SafeStore.open({ dataDir });
const engines = new StaticEngineSet({ llm, tts });
const tutor = new TutorService({ store, engines, logger: pino({ level: 'silent' }) });
// Every correction verdict (a card, or "no mistakes"), by the learner's text: the benchmark
// counts the turns whose correction finished before the lesson ended.
const verdicts: { text: string; at: number; card: boolean }[] = [];
const correct = tutor.correct.bind(tutor);
tutor.correct = async (text, context, signal) => {
  const result = await correct(text, context, signal);
  if (!signal.aborted) verdicts.push({ text, at: epochNow(), card: result !== null });
  return result;
};
const server = await startTestServer(engines, { tutor });

const reported = new Set<LessonLlmCall>();
const stop = async () => {
  await server.stop();
  heap?.stop();
  store.close();
  await inner.dispose?.();
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
createInterface({ input: process.stdin })
  .on('line', (line) => {
    if (line === 'calls') {
      // Finished calls not reported yet (a call still running is reported once it ends).
      const finished = llm.calls.filter((call) => call.endedAt !== undefined && !reported.has(call));
      for (const call of finished) reported.add(call);
      console.log(JSON.stringify({ calls: finished }));
    } else if (line === 'verdicts') {
      console.log(JSON.stringify({ verdicts }));
    } else if (line === 'rss') {
      console.log(JSON.stringify({ rssMb: process.memoryUsage().rss / 1024 / 1024 }));
    } else if (line === 'memory') {
      // The JavaScript side of the RSS (V8 heap, Buffers); the rest is native (llama.cpp, ONNX, eSpeak).
      const usage = process.memoryUsage();
      console.log(JSON.stringify({ memory: { heapUsedMb: usage.heapUsed / 2 ** 20, externalMb: usage.external / 2 ** 20 } }));
    }
  })
  .on('close', () => void stop());
console.log(JSON.stringify({ ready: true, port: server.port, pid: process.pid, provider: inner.provider, contextSize: inner.contextSize, heapUpkeep: heap !== null }));
