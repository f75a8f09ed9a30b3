/**
 * A scripted LLM for tests and benchmarks: streams a fixed reply as token-sized pieces at a set
 * pace (e.g. 15 tokens/s), honours the AbortSignal, and logs every call — the "fake LLM with a
 * set time to first token" of livekit/agents-js. It can also fail after N tokens.
 */
import { EngineError } from '../core/errors.js';
import type { ChatRequest, LLM, LLMStreamPart } from '../core/llm.js';
import type { CallOptions } from '../core/call-options.js';

export interface ScriptedLLMOptions {
  /** The reply, or a function of the request giving it. */
  reply: string | ((request: ChatRequest) => string);
  /** Tokens per second; 0 = as fast as possible. */
  tokensPerSecond?: number;
  /** Delay before the first token, ms. */
  firstTokenDelayMs?: number;
  /** Throw an EngineError after this many tokens. */
  failAfterTokens?: number;
  contextSize?: number;
}

export interface ScriptedLLMCall {
  request: ChatRequest;
  tokensSent: number;
  aborted: boolean;
  /** performance.now() when the call was made. */
  startedAt: number;
  /** performance.now() when the stream ended (for "stops within 100 ms" checks). */
  endedAt?: number;
}

/** Splits text into word-piece "tokens" (~1 token per short word, like a BPE on English). */
export function tokenize(text: string): string[] {
  return text.match(/\s*[^\s]{1,6}/g) ?? [];
}

export class ScriptedLLM implements LLM {
  readonly provider = 'scripted';
  readonly modelId = 'scripted-llm';
  readonly contextSize: number;
  readonly calls: ScriptedLLMCall[] = [];

  constructor(private readonly options: ScriptedLLMOptions) {
    this.contextSize = options.contextSize ?? 4096;
  }

  async *stream(request: ChatRequest, { signal }: CallOptions): AsyncIterable<LLMStreamPart> {
    const call: ScriptedLLMCall = { request, tokensSent: 0, aborted: false, startedAt: performance.now() };
    this.calls.push(call);
    const reply = typeof this.options.reply === 'function' ? this.options.reply(request) : this.options.reply;
    const interval = this.options.tokensPerSecond ? 1000 / this.options.tokensPerSecond : 0;
    try {
      if (this.options.firstTokenDelayMs) await sleep(this.options.firstTokenDelayMs, signal);
      for (const [index, token] of tokenize(reply).entries()) {
        if (index > 0 && interval > 0) await sleep(interval, signal);
        if (signal.aborted) break;
        if (this.options.failAfterTokens !== undefined && index >= this.options.failAfterTokens) {
          throw new EngineError('scripted', 'the test LLM failed mid-reply', { retryable: true });
        }
        call.tokensSent++;
        yield { type: 'text-delta', text: token };
      }
      call.aborted = signal.aborted;
      yield { type: 'finish', reason: signal.aborted ? 'abort' : 'stop' };
    } finally {
      call.aborted = signal.aborted;
      call.endedAt = performance.now();
    }
  }
}

/** Resolves after `ms`, or early (without throwing) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
