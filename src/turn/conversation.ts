/**
 * A conversation's history and the context window: system prompt + the most recent turns that
 * fit the LLM's context, leaving room for the reply.
 */
import { randomUUID } from 'node:crypto';
import { type ChatMessage, estimateTokens } from '../core/llm.js';

export interface ConversationTurn {
  id: string;
  role: 'user' | 'assistant';
  text: string;
  /** True when the reply was cancelled before it finished: `text` is what was produced by then. */
  interrupted?: boolean;
}

export class Conversation {
  /** Stable id, used as the LLM engine's KV-cache key. Changes on `reset()`. */
  id: string = randomUUID();
  readonly turns: ConversationTurn[] = [];

  constructor(public systemPrompt: string) {}

  add(turn: Omit<ConversationTurn, 'id'> & { id?: string }): ConversationTurn {
    const full = { ...turn, id: turn.id ?? `item_${randomUUID().replaceAll('-', '').slice(0, 20)}` };
    this.turns.push(full);
    return full;
  }

  get lastTurn(): ConversationTurn | undefined {
    return this.turns.at(-1);
  }

  /** Forget everything but the system prompt; a new id drops the engine's cached context. */
  reset(): void {
    this.turns.length = 0;
    this.id = randomUUID();
  }

  /**
   * Messages for the LLM: the system prompt, then the newest turns whose estimated size fits in
   * `contextTokens - reserveTokens`. The oldest turns go first; the newest user turn always stays.
   * Empty turns (e.g. a reply cancelled before any text) are left out.
   * @param contextTokens the model's context size, in tokens
   * @param reserveTokens room kept for the reply, in tokens
   */
  messages(contextTokens: number, reserveTokens = 512): ChatMessage[] {
    let budget = contextTokens - reserveTokens - estimateTokens(this.systemPrompt) - 8;
    const kept: ChatMessage[] = [];
    for (let i = this.turns.length - 1; i >= 0; i--) {
      const turn = this.turns[i]!;
      if (!turn.text.trim()) continue;
      const cost = estimateTokens(turn.text) + 8;
      if (cost > budget && kept.length > 0) break;
      budget -= cost;
      kept.unshift({ role: turn.role, content: turn.text });
    }
    // A reply must not start with an orphan assistant turn right after the system prompt.
    while (kept[0]?.role === 'assistant' && kept.length > 1) kept.shift();
    return [{ role: 'system', content: this.systemPrompt }, ...kept];
  }
}
