/**
 * Calling the LLM for an OpenAI-compatible REST route: start its stream (so an engine failure
 * before the first part becomes an OpenAI-shaped error, not a broken stream), or collect a whole
 * reply for a non-streaming request. A client that went away is reported as `null`, quietly.
 */
import { isAbortError } from '../../core/errors.js';
import type { ChatRequest, LLM, LLMStreamPart, ToolCall } from '../../core/llm.js';
import type { EngineSet } from '../../engines/engine-set.js';
import type { ReplyFilter } from '../../text/reply-filter.js';
import { engineFailure } from './openai-errors.js';

/** A started LLM stream: its first part, and the rest. */
export interface StartedReply {
  first: IteratorResult<LLMStreamPart>;
  iterator: AsyncIterator<LLMStreamPart>;
}

/**
 * Starts `request` on `llm` and waits for its first part.
 * @returns null when `signal` aborted (the client went away)
 * @throws OpenAIApiError (from engineFailure) when the engine fails first; the failure is reported
 */
export async function startReply(llm: LLM, request: ChatRequest, signal: AbortSignal, engines: EngineSet): Promise<StartedReply | null> {
  try {
    const iterator = llm.stream(request, { signal })[Symbol.asyncIterator]();
    const first = await iterator.next();
    return signal.aborted ? null : { first, iterator };
  } catch (error) {
    if (signal.aborted || isAbortError(error)) return null;
    engines.reportFailure('llm', error);
    throw engineFailure(error, engines, 'llm');
  }
}

/**
 * Reads a started reply to its end: its text (through `filter` when given), its function calls and
 * its last part (the finish, with usage). Reports success to the engine status.
 * @returns null when `signal` aborted (the client went away)
 * @throws OpenAIApiError when the engine fails mid-reply; the failure is reported
 */
export async function collectReply(
  started: StartedReply,
  filter: ReplyFilter | null | undefined,
  signal: AbortSignal,
  engines: EngineSet,
): Promise<{ text: string; toolCalls: ToolCall[]; last: LLMStreamPart | undefined } | null> {
  let text = '';
  let last: LLMStreamPart | undefined;
  const toolCalls: ToolCall[] = [];
  try {
    for (let step = started.first; !step.done; step = await started.iterator.next()) {
      last = step.value;
      if (step.value.type === 'text-delta') text += filter ? filter.push(step.value.text) : step.value.text;
      else if (step.value.type === 'tool-call') toolCalls.push(step.value);
    }
  } catch (error) {
    if (signal.aborted || isAbortError(error)) return null;
    engines.reportFailure('llm', error);
    throw engineFailure(error, engines, 'llm');
  }
  if (signal.aborted) return null;
  if (filter) text += filter.flush();
  engines.reportSuccess('llm');
  return { text, toolCalls, last };
}
