/**
 * The embedded LLM engine: a local GGUF model run by llama.cpp through node-llama-cpp.
 *
 * Time to first token is dominated by prompt processing (README, "Performance"), so
 * the engine keeps each conversation's KV cache between turns: one persistent context sequence
 * per `conversationId`, and every turn evaluates only the tokens after the longest prefix the
 * sequence already holds (node-llama-cpp's `LlamaChat` compares the new prompt's tokens with the
 * sequence's and erases only the diverging tail, so a reset or a history truncated after
 * barge-in is handled by re-evaluating from the first difference).
 *
 * @example
 * const llm = await LlamaCppLLM.create({ modelPath: '/models/qwen2.5-1.5b-instruct-q4_k_m.gguf' });
 * await llm.prepare('c1', systemPrompt, { signal });
 * for await (const part of llm.stream({ messages, conversationId: 'c1' }, { signal })) { ... }
 */
import { randomUUID } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import {
  getLlama,
  InsufficientMemoryError,
  LlamaChat,
  LlamaLogLevel,
  resolveChatWrapper,
  type ChatHistoryItem,
  type ChatModelFunctionCall,
  type ChatModelFunctions,
  type GbnfJsonSchema,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaGrammar,
  type LlamaModel,
  type Token,
} from 'node-llama-cpp';
import type { CallOptions } from '../../core/call-options.js';
import { EngineError, ModelLoadError, errorMessage } from '../../core/errors.js';
import type { ChatMessage, ChatRequest, LLM, LLMStreamPart, ToolCall, ToolDefinition } from '../../core/llm.js';
import { planKvReuse } from './kv-reuse.js';
import { physicalCoreCount } from './threads.js';

const ENGINE = 'llama-cpp';

/**
 * Batch size on the CPU, in tokens. A batch cannot be interrupted, so it bounds how long an
 * abort during prompt processing keeps the conversation busy (~0.5 s for a 0.5B model, ~1 s for
 * 1.5B on 2 cores); prompt throughput on the CPU was the same at 128 as at 512 (~120 tokens/s,
 * Qwen2.5-1.5B-shaped Q4_K_M weights, 2 threads, 2-core machine).
 */
export const CPU_BATCH_SIZE = 128;

/**
 * Tokens per piece of a side task's prompt: a reply waits at most one piece when it starts while a
 * side prompt is evaluated. Measured (Qwen2.5-1.5B-shaped Q4_K_M weights, 2 threads, 2-core VM,
 * 1,000 tokens cached): 128-token pieces take ~1.7 s each, 32-token pieces ~0.42 s, at the same
 * throughput (~75 tokens/s); 16-token pieces ~0.2 s.
 */
const SIDE_PIECE_TOKENS = 16;

/**
 * How attention runs on the CPU: llama.cpp's standard attention (flash attention off) with the
 * cached keys quantized to Q8_0 (values stay f16: llama.cpp quantizes values only with flash
 * attention). The cost of a turn's new tokens grows with the cached history because every new
 * token attends to all of it; on the CPU the Q8_0 key dot products are the cheapest way to do that.
 * Measured (Qwen2.5-1.5B-shaped Q4_K_M weights, 2 threads, 2-core AMD EPYC VM): 50 new tokens after
 * 500 / 3,000 / 6,000 cached tokens took 0.61 / 0.83 / 1.16 s with these settings, against
 * 0.66 / 1.34 / 2.34 s with node-llama-cpp's defaults (flash attention "auto", f16 cache), and
 * the key cache takes half the memory. llama.cpp's `--cache-type-k q8_0` is the same setting
 * (https://github.com/ggml-org/llama.cpp/tree/master/tools/server#usage).
 */
export const CPU_ATTENTION = { flashAttention: false, kvCacheKeyType: 'Q8_0' } as const;

/**
 * Q8_0 keys need an attention head size that is a multiple of this. When a trim shifts the cache,
 * llama.cpp dequantizes each head's keys, re-applies RoPE and quantizes them back; with the
 * llama.cpp in node-llama-cpp 3.22 that crashes the process for other head sizes (measured on
 * test models: 64 and 128 work, 16, 32, 80 and 96 crash). Qwen2.5, Llama 3.x and SmolLM2 use 64
 * or 128; other models get f16 keys.
 */
const Q8_0_HEAD_MULTIPLE = 64;

/** Size of one attention head's key, from the GGUF metadata; undefined when it cannot be read. */
function keyHeadSize(model: LlamaModel): number | undefined {
  const { attention, embedding_length: width } = model.fileInfo.architectureMetadata as {
    attention?: { key_length?: number; head_count?: number | number[] };
    embedding_length?: number;
  };
  if (attention?.key_length) return attention.key_length;
  const heads = Array.isArray(attention?.head_count) ? attention.head_count[0] : attention?.head_count;
  return heads && width ? width / heads : undefined;
}

/** Options of {@link LlamaCppLLM.create}. */
export interface LlamaCppLLMOptions {
  /** Path of a local GGUF model file. */
  modelPath: string;
  /** Reported `modelId`. Default: the file name without `.gguf`. */
  modelId?: string;
  /**
   * Context size of each sequence, in tokens. Default {@link DEFAULT_CONTEXT_SIZE}, capped at the
   * model's training context. KV memory is allocated up front for `contextSize x sequences`
   * tokens (Qwen2.5-1.5B: ~28 KB a token with an f16 cache, ~21 KB with the CPU's Q8_0 keys:
   * 4096 x 4 ~ 350 MB, 8192 x 3 ~ 570 MB, measured).
   */
  contextSize?: number;
  /**
   * Conversations whose KV cache is kept at once (one context sequence each). Default 2. When one
   * more conversation arrives, the least recently used one's sequence is taken over; that
   * conversation's next turn evaluates its whole prompt again. Side work never takes one.
   */
  maxConversations?: number;
  /**
   * Sequences for side work ({@link ChatRequest.background} requests: correction cards, word
   * meanings, reports, API calls without a conversation), in addition to `maxConversations`.
   * Default 2: correction cards and the lesson summaries keep their prompts cached apart. With 0,
   * side work shares the conversations' sequences (and may evict them).
   */
  sideSequences?: number;
  /** CPU threads for evaluation. Default: physical core count ({@link physicalCoreCount}). */
  threads?: number;
  /** GPU backend. `'auto'` (default) uses CUDA, Vulkan or Metal when available; `false` forces the CPU. */
  gpu?: 'auto' | false | 'cuda' | 'vulkan' | 'metal';
  /** Layers to offload to the GPU. Default `'auto'` (as many as fit). */
  gpuLayers?: 'auto' | 'max' | number;
  /**
   * Tokens evaluated per batch. Default on the CPU: {@link CPU_BATCH_SIZE}; on a GPU,
   * node-llama-cpp's default (512).
   */
  batchSize?: number;
  /**
   * Type of the cached keys: `'Q8_0'` (half the memory, faster attention on the CPU) or `'F16'`.
   * Default on the CPU: {@link CPU_ATTENTION} (Q8_0, flash attention off) when the model's head
   * size is a multiple of 64, else f16; on a GPU, node-llama-cpp's defaults (f16, flash attention
   * "auto"). Q8_0 with another head size is refused ({@link ModelLoadError}).
   */
  kvCacheKeyType?: 'Q8_0' | 'F16';
  /** Upper bound on generated tokens when a request sets no `maxTokens`. Default 1024. */
  defaultMaxTokens?: number;
  /**
   * Sampling when a request does not set it. Defaults are llama.cpp's
   * (`common_params_sampling`): temperature 0.8, top-k 40, top-p 0.95, min-p 0.05.
   */
  sampling?: { temperature?: number; topK?: number; topP?: number; minP?: number; seed?: number };
  /** llama.cpp log level. Default `'warn'`. */
  logLevel?: 'disabled' | 'fatal' | 'error' | 'warn' | 'info' | 'debug';
}

/**
 * Default context size of a sequence, in tokens: ~25 turns of a lesson (~110 tokens each, plus a
 * ~400-token system prompt) in the window; older turns are trimmed in blocks, their KV cache
 * shifted rather than evaluated again, and kept as a running summary. Every new token attends to
 * all cached ones, so a window that stays this size keeps a turn's time to first token flat over a
 * lesson where 8,192 tokens let it grow by 1.6x (docs/decisions/002-long-lessons.md).
 */
export const DEFAULT_CONTEXT_SIZE = 4096;

/** Default side-work sequences ({@link LlamaCppLLMOptions.sideSequences}). */
export const DEFAULT_SIDE_SEQUENCES = 2;

/**
 * Smallest training context accepted, in tokens: the tutor's system prompt (~400), a few turns
 * and a reply (up to 512) must fit. Models trained for less fail every reply.
 */
export const MIN_TRAIN_CONTEXT = 2048;

/** What one `stream` call cost; read it from {@link LlamaCppLLM.lastTurnStats}. */
export interface LlamaCppTurnStats {
  conversationId: string | undefined;
  /** Tokens of the whole prompt (system prompt, history, new message, reply header). */
  promptTokens: number;
  /**
   * Of those, the prefix already in the sequence's KV cache and not evaluated again: the
   * engine's estimate before evaluation (token comparison).
   */
  cachedPromptTokens: number;
  /**
   * Prompt tokens actually evaluated, measured by the sequence's token meter (node-llama-cpp
   * `TokenMeter`: tokens decoded without logits, plus the last prompt token).
   */
  evaluatedPromptTokens: number;
  /**
   * Prompt tokens that are new since this conversation's previous call: the prompt minus what it
   * shares with the previous call's prompt and generated tokens (the common prefix, and after a
   * trimmed history the kept turns; see {@link planKvReuse}). What an ideal cache would evaluate;
   * compare with `evaluatedPromptTokens`.
   */
  newPromptTokens: number;
  /**
   * Cached tokens moved back to new positions instead of being evaluated again (the turns kept
   * after a trim; llama.cpp re-applies RoPE to their keys). Not counted in `evaluatedPromptTokens`.
   */
  shiftedPromptTokens: number;
  /** Tokens generated. */
  completionTokens: number;
  /** From the call to the first text delta, in ms; undefined when none came. */
  timeToFirstTokenMs: number | undefined;
  /** From the call to each of the first 16 generated tokens, in ms (index 9: the tenth token). */
  tokenTimesMs: number[];
  /** From the call to the finish part, in ms. */
  durationMs: number;
  finishReason: 'stop' | 'length' | 'abort' | 'tool-calls';
}

/** One context sequence and the chat that drives it. */
interface Slot {
  readonly sequence: LlamaContextSequence;
  readonly chat: LlamaChat;
  conversationId: string | undefined;
  /** Logical clock of the last use, for LRU eviction. */
  lastUsed: number;
  /** Callers holding or waiting for this slot. */
  users: number;
  /** Serves side work ({@link ChatRequest.background}) rather than conversations. */
  readonly side: boolean;
  /** Resolves when the previous holder is done. */
  tail: Promise<void>;
}

const sharedLlamas = new Map<string, Promise<Llama>>();

/** The last llama.cpp error lines, to explain a failed load (its exception only says "Failed to load model"). */
const nativeErrors: { index: number; line: string }[] = [];
let nativeErrorCount = 0;

/** Prints llama.cpp's log lines as node-llama-cpp's default logger does, and remembers errors. */
function logNative(level: LlamaLogLevel, message: string): void {
  const line = message.trim();
  if (line.length === 0) return;
  if (level === LlamaLogLevel.error || level === LlamaLogLevel.fatal) {
    nativeErrors.push({ index: nativeErrorCount++, line });
    if (nativeErrors.length > 20) nativeErrors.shift();
    console.error(`[node-llama-cpp] ${line}`);
  } else if (level === LlamaLogLevel.warn) {
    console.warn(`[node-llama-cpp] ${line}`);
  } else {
    console.info(`[node-llama-cpp] ${line}`);
  }
}

/**
 * One node-llama-cpp `Llama` (the loaded native backend) per GPU choice and log level, shared by
 * every engine in the process: loading the backend takes ~0.3-0.6 s and it is meant to be a
 * singleton. `build: 'never'` uses the prebuilt binaries or a local build and never compiles at
 * run time (no network or toolchain is assumed).
 */
function sharedLlama(gpu: LlamaCppLLMOptions['gpu'], logLevel: LlamaLogLevel): Promise<Llama> {
  const key = JSON.stringify({ gpu, logLevel });
  let llama = sharedLlamas.get(key);
  if (!llama) {
    llama = getLlama({ gpu: gpu ?? 'auto', build: 'never', logLevel, logger: logNative });
    llama.catch(() => sharedLlamas.delete(key));
    sharedLlamas.set(key, llama);
  }
  return llama;
}

/** The most telling llama.cpp error logged since error number `since`, else the exception's message. */
function loadFailureDetail(error: unknown, since: number): string {
  const detail = nativeErrors
    .filter((entry) => entry.index >= since)
    .map((entry) => /error loading model: (.*)$/.exec(entry.line)?.[1])
    .findLast((match) => match !== undefined);
  return detail ?? errorMessage(error);
}

/**
 * {@link LLM} over a local GGUF model with node-llama-cpp. Create it with
 * {@link LlamaCppLLM.create}.
 *
 * Concurrency: calls on one conversation run one after another; different conversations use
 * different sequences of one context (batched together by node-llama-cpp).
 */
export class LlamaCppLLM implements LLM {
  readonly provider = ENGINE;
  readonly modelId: string;
  /** Context size of each conversation, in tokens. */
  readonly contextSize: number;
  /** CPU threads used for evaluation. */
  readonly threads: number;
  /** Conversations whose KV cache is kept at once. */
  readonly maxConversations: number;
  /** Sequences kept for side work, besides the conversations'. */
  readonly sideSequences: number;
  /** Type of the cached keys (see {@link LlamaCppLLMOptions.kvCacheKeyType}). */
  readonly kvCacheKeyType: 'Q8_0' | 'F16';
  /** Path of the loaded GGUF file. */
  readonly modelPath: string;
  /** Statistics of the last finished `stream` call (any conversation). */
  lastTurnStats: LlamaCppTurnStats | undefined;
  /** Prompt tokens evaluated by {@link prepare} so far, all conversations (node-llama-cpp's token meter). */
  evaluatedAheadTokens = 0;

  private readonly llama: Llama;
  private readonly model: LlamaModel;
  private readonly context: LlamaContext;
  private readonly slots: Slot[];
  private readonly defaultMaxTokens: number;
  private readonly sampling: NonNullable<LlamaCppLLMOptions['sampling']>;
  private readonly grammars = new Map<string, Promise<LlamaGrammar>>();
  private readonly activeGenerations = new Set<AbortController>();
  /** Each conversation's last prompt + generated tokens, to count what is new in its next call. */
  private readonly lastTokens = new Map<string, Token[]>();
  private clock = 0;
  private disposed = false;

  private constructor(init: {
    llama: Llama; model: LlamaModel; context: LlamaContext; options: LlamaCppLLMOptions; threads: number; sideSequences: number;
    kvCacheKeyType: 'Q8_0' | 'F16';
  }) {
    const { llama, model, context, options, threads } = init;
    this.llama = llama;
    this.model = model;
    this.context = context;
    this.modelPath = options.modelPath;
    this.modelId = options.modelId ?? basename(options.modelPath).replace(/\.gguf$/i, '');
    this.contextSize = context.contextSize;
    this.threads = threads;
    this.sideSequences = Math.min(init.sideSequences, context.totalSequences - 1);
    this.kvCacheKeyType = init.kvCacheKeyType;
    this.maxConversations = context.totalSequences - this.sideSequences;
    this.defaultMaxTokens = options.defaultMaxTokens ?? 1024;
    this.sampling = { temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05, ...options.sampling };
    this.slots = [];
    // Resolved once: matching the model's Jinja template against the known formats takes ~0.3 s.
    const chatWrapper = resolveChatWrapper(model);
    for (let index = 0; index < context.totalSequences; index++) {
      const sequence = context.getSequence();
      this.slots.push({
        sequence, chat: new LlamaChat({ contextSequence: sequence, chatWrapper }), conversationId: undefined,
        lastUsed: 0, users: 0, tail: Promise.resolve(), side: index >= context.totalSequences - this.sideSequences,
      });
    }
  }

  /**
   * Loads the backend, the model and a context with `maxConversations` sequences.
   * @throws ModelLoadError when the file is missing, not a GGUF, corrupt, or too big for memory
   * @throws EngineError (code `llama_cpp_unavailable`) when no llama.cpp binary works here
   */
  static async create(options: LlamaCppLLMOptions): Promise<LlamaCppLLM> {
    const { modelPath } = options;
    const threads = Math.max(1, Math.floor(options.threads ?? physicalCoreCount()));
    const maxConversations = Math.max(1, Math.floor(options.maxConversations ?? 2));
    const sideSequences = Math.max(0, Math.floor(options.sideSequences ?? DEFAULT_SIDE_SEQUENCES));
    await checkModelFile(modelPath);

    let llama: Llama;
    try {
      llama = await sharedLlama(options.gpu, (options.logLevel ?? 'warn') as LlamaLogLevel);
      // node-llama-cpp's pool caps every context's threads (CPU default: max(cores, 4)).
      if (llama.gpu === false && llama.maxThreads !== 0 && llama.maxThreads < threads) llama.maxThreads = threads;
    } catch (error) {
      throw new EngineError(ENGINE, `llama.cpp could not start: ${errorMessage(error)}`, {
        cause: error, code: 'llama_cpp_unavailable',
      });
    }

    let model: LlamaModel;
    const errorsBefore = nativeErrorCount;
    try {
      model = await llama.loadModel({ modelPath, gpuLayers: options.gpuLayers ?? 'auto' });
    } catch (error) {
      // llama.cpp's log lines reach JavaScript a moment after the exception.
      await new Promise((resolve) => setTimeout(resolve, 50));
      throw new ModelLoadError(
        modelPath,
        `Could not load the model ${modelPath}: ${loadFailureDetail(error, errorsBefore)}`,
        error instanceof InsufficientMemoryError
          ? 'Not enough memory for this model: close other programs or choose a smaller model.'
          : 'The file may be incomplete or corrupt: delete it and download it again. A model made for a newer llama.cpp needs a newer node-llama-cpp.',
        { cause: error },
      );
    }

    if (model.trainContextSize < MIN_TRAIN_CONTEXT) {
      const trained = model.trainContextSize;
      await model.dispose().catch(() => undefined);
      throw new ModelLoadError(
        modelPath,
        `The model ${basename(modelPath)} was trained for a context of only ${trained} tokens; a conversation needs at least ${MIN_TRAIN_CONTEXT} (the tutor's instructions, the recent turns and the reply).`,
        'Choose an instruct model made for chat with a longer context, e.g. `--model qwen2.5-1.5b-instruct`.',
      );
    }

    try {
      const contextSize = Math.min(options.contextSize ?? DEFAULT_CONTEXT_SIZE, model.trainContextSize);
      const batchSize = options.batchSize ?? (llama.gpu === false ? CPU_BATCH_SIZE : undefined);
      const headSize = keyHeadSize(model);
      const quantizableKeys = headSize !== undefined && headSize % Q8_0_HEAD_MULTIPLE === 0;
      const keyType = options.kvCacheKeyType ?? (llama.gpu === false && quantizableKeys ? CPU_ATTENTION.kvCacheKeyType : undefined);
      if (keyType === 'Q8_0' && !quantizableKeys) {
        throw new ModelLoadError(modelPath, `Q8_0 keys need an attention head size that is a multiple of ${Q8_0_HEAD_MULTIPLE}; this model's is ${headSize ?? 'unknown'}.`, 'Use kvCacheKeyType F16 for this model.');
      }
      const context = await model.createContext({
        contextSize,
        sequences: maxConversations + sideSequences,
        threads,
        ...(batchSize !== undefined ? { batchSize } : {}),
        ...(llama.gpu === false ? { flashAttention: CPU_ATTENTION.flashAttention } : {}),
        ...(keyType !== undefined ? { experimentalKvCacheKeyType: keyType } : {}),
      });
      return new LlamaCppLLM({ llama, model, context, options, threads, sideSequences, kvCacheKeyType: keyType ?? 'F16' });
    } catch (error) {
      await model.dispose().catch(() => undefined);
      if (ModelLoadError.isInstance(error)) throw error;
      throw new ModelLoadError(
        modelPath,
        `Could not create a context for ${modelPath}: ${errorMessage(error)}`,
        'Lower llm.contextSize or llm.maxConversations, or use a smaller model.',
        { cause: error },
      );
    }
  }

  /**
   * Streams a reply: `text-delta` parts as tokens are generated, then one `finish`.
   * Honours `maxTokens`, `temperature`, `stop` and `jsonSchema` (as a llama.cpp grammar).
   *
   * Function calling ({@link ChatRequest.tools}): with `toolChoice` `auto` (default) the tools go
   * to node-llama-cpp's function calling (`functions` of `LlamaChat.generateResponse`: the chat
   * template documents them and the model's own call syntax is parsed, the parameters constrained
   * by their schema; https://node-llama-cpp.withcat.ai/guide/function-calling), streamed as
   * `tool-call-start` / `tool-call-delta` parts, then one `tool-call` per call and a `finish`
   * with reason `tool-calls`; `jsonSchema` is then not applied. With `required` or a named
   * function, one call is forced: the model writes `{"name", "arguments"}` under a grammar made
   * from the tools' schemas (as llama.cpp's server does for forced tool choice). `none` generates
   * text. Assistant `toolCalls` and the `tool` messages answering them become the model turn's
   * function calls with their results, so the model continues after the results.
   * On abort it finishes with reason `abort` at once; the native generation stops at its next
   * token (or batch, during prompt processing) and the conversation's next call waits for that.
   * @throws EngineError when generation fails, or the JSON schema cannot become a grammar
   */
  async *stream(request: ChatRequest, options: CallOptions): AsyncGenerator<LLMStreamPart> {
    const { signal } = options;
    const startedAt = performance.now();
    const stats: LlamaCppTurnStats = {
      conversationId: request.conversationId, promptTokens: 0, cachedPromptTokens: 0, evaluatedPromptTokens: 0,
      newPromptTokens: 0, shiftedPromptTokens: 0, completionTokens: 0, timeToFirstTokenMs: undefined, tokenTimesMs: [], durationMs: 0, finishReason: 'abort',
    };
    let meterBefore: { usedInputTokens: number; usedOutputTokens: number } | undefined;
    let meterSequence: LlamaContextSequence | undefined;
    const measureEvaluated = (): void => {
      if (!meterBefore || !meterSequence) return;
      const used = meterSequence.tokenMeter.diff(meterBefore);
      // Prompt tokens are decoded without logits but the last one; each generated token is then
      // decoded with logits (an "output" token in the meter). node-llama-cpp meters shifted
      // tokens as input too: they are counted apart.
      const input = used.usedInputTokens - stats.shiftedPromptTokens;
      stats.evaluatedPromptTokens = input + (used.usedOutputTokens > 0 || input > 0 ? 1 : 0);
    };
    const finish = (reason: LlamaCppTurnStats['finishReason']): LLMStreamPart => {
      stats.finishReason = reason;
      stats.durationMs = performance.now() - startedAt;
      measureEvaluated();
      this.lastTurnStats = stats;
      return {
        type: 'finish', reason,
        usage: {
          promptTokens: stats.promptTokens,
          completionTokens: stats.completionTokens,
          cachedPromptTokens: Math.max(0, stats.promptTokens - stats.evaluatedPromptTokens),
        },
      };
    };
    this.assertNotDisposed();
    if (signal.aborted) {
      yield finish('abort');
      return;
    }

    const slot = this.claimSlot(request.conversationId, request.background === true);
    const release = await this.acquire(slot, signal);
    if (!release) {
      yield finish('abort');
      return;
    }
    meterSequence = slot.sequence;
    meterBefore = slot.sequence.tokenMeter.getState();

    const controller = new AbortController();
    const stopGeneration = (): void => controller.abort(signal.reason);
    signal.addEventListener('abort', stopGeneration, { once: true });
    this.activeGenerations.add(controller);
    let generation: Promise<unknown> = Promise.resolve();
    try {
      const tools = request.tools?.length && request.toolChoice !== 'none' ? request.tools : undefined;
      const forcedTool = tools && request.toolChoice !== undefined && request.toolChoice !== 'auto';
      const functions = tools && !forcedTool ? toChatModelFunctions(tools) : undefined;
      const history = toChatHistory(forcedTool ? withForcedToolInstructions(request.messages, tools, request.toolChoice) : request.messages);
      const grammarSchema = forcedTool ? forcedToolSchema(tools, request.toolChoice) : functions ? undefined : request.jsonSchema?.schema;
      const grammar = grammarSchema ? await this.grammarFor(grammarSchema) : undefined;
      const promptTokens = this.promptTokens(slot.chat, history, functions);
      stats.promptTokens = promptTokens.length;
      stats.shiftedPromptTokens = await this.reuseShifted(slot.sequence, promptTokens);
      stats.cachedPromptTokens = Math.min(
        slot.sequence.compareContextTokens(promptTokens).firstDifferentIndex,
        promptTokens.length - 1, // LlamaChat always evaluates the last prompt token again
      );
      const historyKey = request.conversationId;
      const previous = historyKey === undefined ? undefined : this.lastTokens.get(historyKey);
      stats.newPromptTokens = promptTokens.length - (previous ? planKvReuse(previous, promptTokens).reused : 0);
      if (historyKey !== undefined && !request.background) {
        this.lastTokens.delete(historyKey); // re-inserted last: the map stays in recency order
        this.lastTokens.set(historyKey, [...promptTokens]);
        while (this.lastTokens.size > 64) this.lastTokens.delete(this.lastTokens.keys().next().value!);
      }
      const remembered = historyKey === undefined ? undefined : this.lastTokens.get(historyKey);

      const queue = new DeltaQueue();
      let forcedText = '';
      /** Streamed calls by node-llama-cpp's `callIndex`. */
      const streamedCalls = new Map<number, ToolCall>();
      if (request.background) {
        // Side work yields to a reply within one piece: node-llama-cpp keeps evaluating a prompt
        // after its generation was aborted (measured: a reply waited ~60 s behind an aborted
        // 2,500-token side prompt), so the prompt goes in SIDE_PIECE_TOKENS pieces with an abort
        // check between them; LlamaChat then finds it cached and evaluates only its last token.
        // (Its shifted blocks were moved into place above.)
        await this.evaluateInPieces(slot.sequence, promptTokens.slice(0, -1), signal, SIDE_PIECE_TOKENS);
        if (signal.aborted) {
          yield finish('abort');
          return;
        }
      }
      const temperature = request.temperature ?? this.sampling.temperature;
      generation = slot.chat.generateResponse(history, {
        signal: controller.signal,
        stopOnAbortSignal: true,
        maxTokens: request.maxTokens ?? this.defaultMaxTokens,
        ...(temperature !== undefined ? { temperature } : {}),
        ...(this.sampling.topK !== undefined ? { topK: this.sampling.topK } : {}),
        ...(this.sampling.topP !== undefined ? { topP: this.sampling.topP } : {}),
        ...(this.sampling.minP !== undefined ? { minP: this.sampling.minP } : {}),
        ...(this.sampling.seed !== undefined ? { seed: this.sampling.seed } : {}),
        ...(request.stop?.length ? { customStopTriggers: request.stop } : {}),
        ...(functions
          ? {
              functions,
              ...(request.parallelToolCalls === false ? { maxParallelFunctionCalls: 1 } : {}),
              onFunctionCallParamsChunk: (chunk: { callIndex: number; functionName: string; paramsChunk: string }) => {
                let call = streamedCalls.get(chunk.callIndex);
                if (!call) {
                  call = { id: newToolCallId(), name: chunk.functionName, arguments: '' };
                  streamedCalls.set(chunk.callIndex, call);
                  queue.pushPart({ type: 'tool-call-start', id: call.id, name: call.name });
                }
                if (chunk.paramsChunk) {
                  call.arguments += chunk.paramsChunk;
                  queue.pushPart({ type: 'tool-call-delta', id: call.id, argumentsDelta: chunk.paramsChunk });
                }
              },
            }
          : { grammar }),
        onToken: (tokens) => {
          stats.completionTokens += tokens.length;
          for (let index = 0; index < tokens.length && stats.tokenTimesMs.length < 16; index++) stats.tokenTimesMs.push(performance.now() - startedAt);
          if (remembered && !request.background) remembered.push(...tokens);
        },
        onTextChunk: (text) => {
          if (forcedTool) forcedText += text;
          else queue.push(text);
        },
      });
      generation.then(
        (result) => queue.settle({ result: result as Awaited<ReturnType<LlamaChat['generateResponse']>> }),
        (error: unknown) => queue.settle({ error }),
      );

      for (;;) {
        await queue.wait(signal);
        if (signal.aborted) {
          yield finish('abort');
          return;
        }
        const part = queue.takePart();
        if (part) {
          stats.timeToFirstTokenMs ??= performance.now() - startedAt;
          yield part;
          continue;
        }
        const text = queue.take();
        if (text !== undefined) {
          stats.timeToFirstTokenMs ??= performance.now() - startedAt;
          yield { type: 'text-delta', text };
          continue;
        }
        const outcome = queue.outcome;
        if (!outcome) continue;
        if ('error' in outcome) {
          if (signal.aborted) {
            yield finish('abort');
            return;
          }
          throw new EngineError(ENGINE, `Generation failed: ${errorMessage(outcome.error)}`, { cause: outcome.error });
        }
        const stopReason = outcome.result.metadata.stopReason;
        if (stopReason === 'abort') {
          yield finish('abort');
          return;
        }
        const calls = forcedTool
          ? forcedToolCall(forcedText, stopReason === 'maxTokens')
          : completedToolCalls(outcome.result.functionCalls ?? [], streamedCalls);
        for (const call of calls) {
          if (forcedTool) {
            yield { type: 'tool-call-start', id: call.id, name: call.name };
            yield { type: 'tool-call-delta', id: call.id, argumentsDelta: call.arguments };
          }
          yield { type: 'tool-call', ...call };
        }
        yield finish(stopReason === 'maxTokens' ? 'length' : calls.length > 0 ? 'tool-calls' : 'stop');
        return;
      }
    } catch (error) {
      if (signal.aborted) {
        yield finish('abort');
        return;
      }
      if (EngineError.isInstance(error)) throw error;
      throw new EngineError(ENGINE, `Generation failed: ${errorMessage(error)}`, { cause: error });
    } finally {
      signal.removeEventListener('abort', stopGeneration);
      // Stops the native loop when the consumer left early or aborted; a no-op once it ended.
      controller.abort(signal.reason);
      void generation.then(
        () => undefined,
        () => undefined,
      ).finally(() => {
        this.activeGenerations.delete(controller);
        release();
      });
    }
  }

  /**
   * Evaluates a conversation's prompt ahead of its next turn, so that turn evaluates only the
   * learner's new message: before the first turn `context` is the system prompt; between turns it
   * is the messages the next request will start with (system prompt and history, ending with the
   * tutor's reply). After the history window was trimmed this moves the re-evaluation of the
   * window off the learner's wait. The next request must start with exactly these messages.
   * Resolves quietly on abort (what was evaluated stays cached).
   * @param context the system prompt, or the messages (system prompt first)
   * @throws EngineError when evaluation fails
   */
  async prepare(conversationId: string, context: string | readonly ChatMessage[], options: CallOptions): Promise<void> {
    this.assertNotDisposed();
    if (options.signal.aborted) return;
    const slot = this.claimSlot(conversationId, false);
    const release = await this.acquire(slot, options.signal);
    if (!release) return;
    try {
      // The prompt up to where the next user message's text starts: the common prefix of two
      // prompts that differ only in that text (works with any chat template).
      const messages: ChatMessage[] = typeof context === 'string' ? [{ role: 'system', content: context }] : [...context];
      const first = this.promptTokens(slot.chat, toChatHistory([...messages, { role: 'user', content: 'A' }]));
      const second = this.promptTokens(slot.chat, toChatHistory([...messages, { role: 'user', content: 'B' }]));
      let prefixLength = 0;
      while (prefixLength < first.length && first[prefixLength] === second[prefixLength]) prefixLength++;
      const prefix = first.slice(0, prefixLength);

      const { sequence } = slot;
      if (!this.lastTokens.has(conversationId)) this.lastTokens.set(conversationId, [...prefix]);
      const meterBefore = sequence.tokenMeter.getState();
      let shifted = 0;
      try {
        shifted = await this.reuseShifted(sequence, prefix);
        await this.evaluateInPieces(sequence, prefix, options.signal);
      } finally {
        this.evaluatedAheadTokens += sequence.tokenMeter.diff(meterBefore).usedInputTokens - shifted;
      }
    } catch (error) {
      if (options.signal.aborted) return;
      throw new EngineError(ENGINE, `Could not evaluate the conversation ahead of its turn: ${errorMessage(error)}`, { cause: error });
    } finally {
      release();
    }
  }

  /**
   * Makes `sequence` start with `tokens`: keeps the longest cached prefix (all of the sequence when
   * it already starts with them; call {@link reuseShifted} first to move kept blocks into place),
   * erases what differs after it and evaluates the rest in pieces of `pieceSize` tokens (default:
   * the batch size), checking `signal` between them (a batch itself cannot be interrupted).
   * Returns early on abort; what was evaluated stays cached.
   */
  private async evaluateInPieces(sequence: LlamaContextSequence, tokens: Token[], signal: AbortSignal, pieceSize = this.context.batchSize): Promise<void> {
    const cached = sequence.compareContextTokens(tokens).firstDifferentIndex;
    if (cached >= tokens.length) return; // all cached (what follows stays for the request to compare)
    if (cached < sequence.nextTokenIndex) await sequence.eraseContextTokenRanges([{ start: cached, end: sequence.nextTokenIndex }]);
    for (let start = cached; start < tokens.length; start += pieceSize) {
      if (signal.aborted) return;
      await sequence.evaluateWithoutGeneratingNewTokens(tokens.slice(start, start + pieceSize));
    }
  }

  /**
   * When `tokens` leave out blocks of what `sequence` holds (turns trimmed from the start of the
   * history window, a replaced summary), erases those blocks so that the cached tokens behind them
   * shift back into place instead of being evaluated again (see {@link planKvReuse}); llama.cpp
   * re-applies RoPE to the shifted keys at the next evaluation (~1 s extra for the next 50 tokens
   * of an 8,192 x 3 cache on two cores, measured). A sequence whose cache cannot shift re-evaluates them instead.
   * @returns how many cached tokens were shifted (node-llama-cpp's token meter counts them as input)
   */
  private async reuseShifted(sequence: LlamaContextSequence, tokens: Token[]): Promise<number> {
    const plan = planKvReuse(sequence.contextTokens, tokens);
    if (plan.erase.length === 0) return 0;
    const before = sequence.tokenMeter.getState();
    await sequence.eraseContextTokenRanges(plan.erase);
    return sequence.tokenMeter.diff(before).usedInputTokens;
  }

  /** Forgets `conversationId`'s cached context; its sequence becomes free for another conversation. */
  release(conversationId: string): void {
    this.lastTokens.delete(conversationId);
    const slot = this.slots.find((candidate) => candidate.conversationId === conversationId);
    if (!slot) return;
    slot.conversationId = undefined;
    slot.lastUsed = 0;
    const noSignal = new AbortController().signal;
    void this.acquire(slot, noSignal).then(async (releaseSlot) => {
      try {
        if (slot.conversationId === undefined && !this.disposed) await slot.sequence.clearHistory();
      } catch {
        // A failed clear only costs memory already allocated; the next use adapts the state anyway.
      } finally {
        releaseSlot?.();
      }
    });
  }

  /** Exact token count of `text` with the model's tokenizer. */
  countTokens(text: string): number {
    return this.model.tokenize(text).length;
  }

  /** Conversation ids whose KV cache is currently kept (side work not included), most recently used first. */
  cachedConversations(): string[] {
    return this.slots
      .filter((slot) => slot.conversationId !== undefined && !(slot.side && this.sideSequences > 0))
      .sort((a, b) => b.lastUsed - a.lastUsed)
      .map((slot) => slot.conversationId as string);
  }

  /** Stops running generations and frees the context and the model (the shared backend stays). */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const controller of this.activeGenerations) controller.abort();
    await Promise.allSettled(this.slots.map((slot) => slot.tail));
    for (const slot of this.slots) slot.chat.dispose();
    await this.context.dispose();
    await this.model.dispose();
  }

  /** The llama.cpp backend in use: `false` for CPU, else the GPU API. */
  get gpu(): Llama['gpu'] {
    return this.llama.gpu;
  }

  private assertNotDisposed(): void {
    if (this.disposed) throw new EngineError(ENGINE, 'The llama-cpp engine was disposed', { code: 'engine_disposed' });
  }

  /**
   * The slot for `conversationId`: its own, else a free one, else the least recently used
   * (preferring slots no one is using). Side work (`background`, or no conversation id) uses the
   * side slots and conversations the others, so side work never evicts a learner's cached
   * conversation (with no side slots, all slots are shared). Synchronous, so two calls never
   * claim the same free slot.
   */
  private claimSlot(conversationId: string | undefined, background: boolean): Slot {
    const byRecency = (a: Slot, b: Slot): number => a.lastUsed - b.lastUsed;
    const side = background || conversationId === undefined;
    const pool = this.sideSequences === 0 ? this.slots : this.slots.filter((candidate) => candidate.side === side);
    const owned = conversationId === undefined ? undefined : pool.find((slot) => slot.conversationId === conversationId);
    const slot =
      owned ??
      pool.filter((candidate) => candidate.conversationId === undefined && candidate.users === 0).sort(byRecency)[0] ??
      pool.filter((candidate) => candidate.users === 0).sort(byRecency)[0] ??
      [...pool].sort(byRecency)[0];
    if (!slot) throw new EngineError(ENGINE, 'No context sequence available');
    slot.conversationId = conversationId;
    slot.lastUsed = ++this.clock;
    return slot;
  }

  /** Waits for the slot; returns its release function, or undefined when `signal` aborted first. */
  private async acquire(slot: Slot, signal: AbortSignal): Promise<(() => void) | undefined> {
    slot.users++;
    let releaseTail!: () => void;
    const previous = slot.tail;
    slot.tail = new Promise<void>((resolve) => {
      releaseTail = resolve;
    });
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      slot.users--;
      releaseTail();
    };
    const aborted = await new Promise<boolean>((resolve) => {
      const onAbort = (): void => resolve(true);
      if (signal.aborted) return resolve(true);
      signal.addEventListener('abort', onAbort, { once: true });
      void previous.then(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(false);
      });
    });
    if (aborted) {
      // Keep the queue order: release our turn only once the previous holder is done.
      void previous.then(release);
      return undefined;
    }
    return release;
  }

  /** Tokens LlamaChat will put in the context for `history` (ending with an open model turn). */
  private promptTokens(chat: LlamaChat, history: ChatHistoryItem[], functions?: ChatModelFunctions): Token[] {
    const { contextText } = chat.chatWrapper.generateContextState({
      chatHistory: history, ...(functions ? { availableFunctions: functions } : {}),
    });
    return contextText.tokenize(this.model.tokenizer);
  }

  private grammarFor(schema: Record<string, unknown>): Promise<LlamaGrammar> {
    const key = JSON.stringify(schema);
    let grammar = this.grammars.get(key);
    if (!grammar) {
      // The schema is checked at run time; its static type cannot be known here.
      const createGrammar = this.llama.createGrammarForJsonSchema.bind(this.llama) as (
        schema: GbnfJsonSchema,
      ) => Promise<LlamaGrammar>;
      grammar = createGrammar(schema as GbnfJsonSchema).catch((error: unknown) => {
        this.grammars.delete(key);
        throw new EngineError(ENGINE, `The JSON schema cannot be turned into a grammar: ${errorMessage(error)}`, {
          cause: error, code: 'invalid_json_schema',
        });
      });
      this.grammars.set(key, grammar);
    }
    return grammar;
  }
}

/**
 * Our messages as node-llama-cpp chat history, ending with an open model response to generate.
 * An assistant message's `toolCalls` become function calls of its model turn; the `tool`
 * messages after it fill in their results (node-llama-cpp keeps a call and its result together).
 * A tool message that answers no known call becomes a user message naming the call.
 */
function toChatHistory(messages: ChatMessage[]): ChatHistoryItem[] {
  const pendingCalls = new Map<string, ChatModelFunctionCall>();
  const history: ChatHistoryItem[] = [];
  for (const message of messages) {
    switch (message.role) {
      case 'system':
        history.push({ type: 'system', text: message.content });
        break;
      case 'user':
        history.push({ type: 'user', text: message.content });
        break;
      case 'assistant': {
        const response: Extract<ChatHistoryItem, { type: 'model' }>['response'] = message.content ? [message.content] : [];
        for (const call of message.toolCalls ?? []) {
          const item: ChatModelFunctionCall = { type: 'functionCall', name: call.name, params: parseJsonOr(call.arguments), result: null };
          pendingCalls.set(call.id, item);
          response.push(item);
        }
        if (response.length === 0) response.push('');
        history.push({ type: 'model', response });
        break;
      }
      case 'tool': {
        const call = message.toolCallId === undefined ? undefined : pendingCalls.get(message.toolCallId);
        if (call) {
          call.result = parseJsonOr(message.content);
          pendingCalls.delete(message.toolCallId!);
        } else {
          history.push({ type: 'user', text: `Result of ${message.name ?? 'a function call'}${message.toolCallId ? ` (${message.toolCallId})` : ''}: ${message.content}` });
        }
        break;
      }
    }
  }
  // A last assistant message is continued (prefill); otherwise a new response is opened.
  if (history.at(-1)?.type !== 'model') history.push({ type: 'model', response: [] });
  return history;
}

/** `text` parsed as JSON, or `text` itself when it is not JSON. */
function parseJsonOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A new call id in OpenAI's style (`call_` and 24 letters or digits). */
function newToolCallId(): string {
  return `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`;
}

/** The parameters schema as node-llama-cpp takes it: `$schema` and similar annotations dropped. */
function functionParams(tool: ToolDefinition): Record<string, unknown> {
  const { $schema: _schema, $id: _id, title: _title, ...params } = tool.parameters ?? { type: 'object', properties: {} };
  return params;
}

/** Our tools as node-llama-cpp's function definitions (documented by the chat template, parameters grammar-constrained). */
function toChatModelFunctions(tools: ToolDefinition[]): ChatModelFunctions {
  const functions: Record<string, { description?: string; params?: GbnfJsonSchema }> = {};
  for (const tool of tools) {
    functions[tool.name] = {
      ...(tool.description !== undefined ? { description: tool.description } : {}),
      params: functionParams(tool) as GbnfJsonSchema,
    };
  }
  return functions;
}

/** The tools a forced choice allows: the named one, or all for `required`. */
function forcedTools(tools: ToolDefinition[], choice: ChatRequest['toolChoice']): ToolDefinition[] {
  if (typeof choice !== 'object') return tools;
  const named = tools.filter((tool) => tool.name === choice.name);
  if (named.length === 0) {
    throw new EngineError(ENGINE, `tool_choice names the function "${choice.name}", which is not among the tools`, { code: 'invalid_tool_choice' });
  }
  return named;
}

/** JSON schema of a forced call: `{"name": <one of the tools>, "arguments": <its parameters>}`. */
function forcedToolSchema(tools: ToolDefinition[], choice: ChatRequest['toolChoice']): Record<string, unknown> {
  const variants = forcedTools(tools, choice).map((tool) => ({
    type: 'object',
    properties: { name: { const: tool.name }, arguments: functionParams(tool) },
    required: ['name', 'arguments'],
    additionalProperties: false,
  }));
  return variants.length === 1 ? variants[0]! : { oneOf: variants };
}

/** The messages plus a system instruction to answer with one call of the allowed tools, as JSON. */
function withForcedToolInstructions(messages: ChatMessage[], tools: ToolDefinition[], choice: ChatRequest['toolChoice']): ChatMessage[] {
  const allowed = forcedTools(tools, choice).map((tool) => ({
    name: tool.name, ...(tool.description !== undefined ? { description: tool.description } : {}), parameters: functionParams(tool),
  }));
  const instruction = `Call ${allowed.length === 1 ? `the function ${allowed[0]!.name}` : 'one of these functions'} now. ` +
    `Answer with only a JSON object {"name": <function name>, "arguments": <object of its parameters>}.\n` +
    `Functions: ${JSON.stringify(allowed)}`;
  const firstOther = messages.findIndex((message) => message.role !== 'system');
  const at = firstOther === -1 ? messages.length : firstOther;
  return [...messages.slice(0, at), { role: 'system', content: instruction }, ...messages.slice(at)];
}

/** The call a forced choice produced, or none when the output was cut short (not valid JSON). */
function forcedToolCall(text: string, truncated: boolean): ToolCall[] {
  if (truncated) return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new EngineError(ENGINE, `The forced function call is not valid JSON: ${errorMessage(error)}`, { cause: error });
  }
  const { name, arguments: args } = value as { name: string; arguments: unknown };
  return [{ id: newToolCallId(), name, arguments: JSON.stringify(args ?? {}) }];
}

/**
 * node-llama-cpp's parsed calls as ours, with the ids and argument text already streamed for them
 * (the streamed text when it is valid JSON, else the parsed parameters serialized).
 */
function completedToolCalls(
  calls: readonly { functionName: string; params: unknown }[],
  streamed: Map<number, ToolCall>,
): ToolCall[] {
  return calls.map((call, index) => {
    const seen = streamed.get(index);
    const text = seen?.arguments.trim() ? seen.arguments : undefined;
    const parsedText = text !== undefined && parseJsonOr(text) !== text;
    return {
      id: seen?.id ?? newToolCallId(),
      name: call.functionName,
      arguments: parsedText ? text! : JSON.stringify(call.params ?? {}),
    };
  });
}

/**
 * @throws ModelLoadError when `path` is missing, not a file, or does not start with the GGUF magic
 */
async function checkModelFile(path: string): Promise<void> {
  const fix = 'Check the model path (llm.modelPath), or download the model again into the models directory (~/.cache/localchat/models or $LOCALCHAT_MODELS_DIR).';
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new ModelLoadError(path, `Not a model file: ${path}`, fix);
    size = info.size;
  } catch (error) {
    if (ModelLoadError.isInstance(error)) throw error;
    throw new ModelLoadError(path, `Model file not found: ${path}`, fix, { cause: error });
  }
  const file = await open(path, 'r');
  try {
    const magic = new Uint8Array(4);
    await file.read(magic, 0, 4, 0);
    if (size < 4 || new TextDecoder().decode(magic) !== 'GGUF') {
      throw new ModelLoadError(
        path,
        `Not a GGUF model file: ${path}`,
        'The file is corrupt or of another format: delete it and download the GGUF again.',
      );
    }
  } finally {
    await file.close();
  }
}

type GenerationOutcome = { result: Awaited<ReturnType<LlamaChat['generateResponse']>> } | { error: unknown };

/** Text chunks from node-llama-cpp's callbacks, pulled by the stream's loop. */
class DeltaQueue {
  /** Text chunks and tool-call parts, in the order node-llama-cpp produced them. */
  private readonly items: (string | LLMStreamPart)[] = [];
  private wake: (() => void) | undefined;
  outcome: GenerationOutcome | undefined;

  push(text: string): void {
    if (text.length === 0) return;
    this.items.push(text);
    this.notify();
  }
  pushPart(part: LLMStreamPart): void {
    this.items.push(part);
    this.notify();
  }
  settle(outcome: GenerationOutcome): void {
    this.outcome = outcome;
    this.notify();
  }
  /** The next tool-call part, when it comes before any queued text. */
  takePart(): LLMStreamPart | undefined {
    return typeof this.items[0] === 'object' ? (this.items.shift() as LLMStreamPart) : undefined;
  }
  /** The text queued before the next part as one string, or undefined when none. */
  take(): string | undefined {
    let end = 0;
    while (end < this.items.length && typeof this.items[end] === 'string') end++;
    if (end === 0) return undefined;
    return this.items.splice(0, end).join('');
  }
  /** Resolves when there is text or a part, an outcome, or `signal` aborted. */
  wait(signal: AbortSignal): Promise<void> {
    if (this.items.length > 0 || this.outcome || signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        signal.removeEventListener('abort', done);
        this.wake = undefined;
        resolve();
      };
      this.wake = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }
  private notify(): void {
    this.wake?.();
  }
}
