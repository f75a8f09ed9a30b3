/**
 * An LLM stand-in that "generates" a known text: lets the voice pipeline speak lines that need no
 * model, such as a scenario's opening line, exactly like a reply (chunked, streamed, cancellable).
 */
import type { CallOptions } from '../core/call-options.js';
import type { ChatRequest, LLM, LLMStreamPart } from '../core/llm.js';

export class FixedReply implements LLM {
  readonly provider = 'localchat';
  readonly modelId = 'fixed-reply';
  readonly contextSize = 4096;

  constructor(private readonly text: string) {}

  async *stream(_request: ChatRequest, { signal }: CallOptions): AsyncIterable<LLMStreamPart> {
    for (const piece of this.text.match(/\S+\s*/g) ?? []) {
      if (signal.aborted) break;
      yield { type: 'text-delta', text: piece };
    }
    yield { type: 'finish', reason: signal.aborted ? 'abort' : 'stop' };
  }
}
