/**
 * A running summary of a lesson's oldest turns: what the tutor should still know once those turns
 * leave the LLM's context window (the learner's name and what they told about themselves, the
 * topics, the mistakes they keep making). Each summary folds the previous one in, so a long
 * lesson keeps one short paragraph of its past. The same idea as LangChain's
 * ConversationSummaryBufferMemory (recent turns verbatim, older ones as an LLM-written summary:
 * https://python.langchain.com/api_reference/langchain/memory/langchain.memory.summary_buffer.ConversationSummaryBufferMemory.html).
 *
 * It is side work: made before the window is full, off the reply's critical path, on the engine's
 * side sequence (`background`), and it never fails a turn (any failure gives `null`).
 */
import type { ChatMessage, LLM } from '../core/llm.js';
import { errorMessage } from '../core/errors.js';

/** Upper bound of a summary, in tokens (~60-80 words). */
export const SUMMARY_MAX_TOKENS = 120;

export interface SummaryInput {
  /** The summary of the turns before these, if any. */
  previous?: string;
  /** The turns to summarize, oldest first. */
  turns: { role: 'user' | 'assistant' | 'tool'; text: string }[];
}

/** The request's messages: the instruction, then the previous summary and the turns as a transcript. */
export function summaryMessages(input: SummaryInput): ChatMessage[] {
  const transcript = input.turns
    .filter((turn) => turn.text.trim())
    .map((turn) => `${turn.role === 'user' ? 'Learner' : turn.role === 'assistant' ? 'Tutor' : 'Tool'}: ${turn.text.trim()}`)
    .join('\n');
  return [
    {
      role: 'system',
      content:
        'You keep notes for an English tutor. Summarize the part of the lesson below in at most 60 words of plain text: ' +
        'the learner\'s name and facts they shared, the topics talked about, and mistakes they made more than once. ' +
        'Fold in the earlier notes when given. Write only the notes.',
    },
    { role: 'user', content: `${input.previous ? `Earlier notes: ${input.previous}\n\n` : ''}Lesson:\n${transcript}` },
  ];
}

/**
 * Summarizes `input` with `llm`.
 * @returns the summary, or null when aborted, empty or the engine failed (logged at debug level)
 */
export async function summarizeTurns(
  llm: LLM,
  input: SummaryInput,
  options: { signal: AbortSignal; conversationId?: string; logger?: { debug(object: object, message: string): void } },
): Promise<string | null> {
  let text = '';
  try {
    for await (const part of llm.stream(
      {
        messages: summaryMessages(input),
        maxTokens: SUMMARY_MAX_TOKENS,
        temperature: 0.3,
        background: true,
        ...(options.conversationId !== undefined ? { conversationId: options.conversationId } : {}),
      },
      { signal: options.signal },
    )) {
      if (part.type === 'text-delta') text += part.text;
      else if (part.type === 'finish' && part.reason === 'abort') return null;
    }
  } catch (error) {
    options.logger?.debug({ err: errorMessage(error) }, 'lesson summary failed');
    return null;
  }
  if (options.signal.aborted) return null;
  const summary = text.replace(/\s+/g, ' ').trim();
  return summary || null;
}
