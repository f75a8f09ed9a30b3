import { describe, expect, it } from 'vitest';
import { Conversation } from './conversation.js';
import { Dialogue, DuplicateItemError, type DialogueHooks } from './dialogue.js';
import type { ResponseHandle } from './response-handle.js';
import type { VoiceTurnResult } from './voice-turn.js';

/** Hooks that log, in order, what the dialogue reports. */
function recorder() {
  const log: string[] = [];
  const hooks: DialogueHooks = {
    userTurn: (turn) => log.push(`user ${turn.text}`),
    assistantTurn: (turn) => log.push(`assistant ${turn.text}${turn.interrupted ? ' (cut)' : ''}`),
    truncated: (turn) => log.push(`truncated ${turn.text}`),
    responseDone: (_handle, outcome) => log.push(`done ${outcome.status}`),
    answered: (turn) => log.push(`answered ${turn.text}`),
  };
  return { log, hooks };
}

/** A reply that streams `words` one per 10 ms (text and 100 ms of audio each) until aborted. */
function streamingReply(words: string[]) {
  return async (handle: ResponseHandle): Promise<VoiceTurnResult> => {
    let text = '';
    for (const [index, word] of words.entries()) {
      if (handle.signal.aborted) break;
      const piece = `${index ? ' ' : ''}${word}`;
      text += piece;
      handle.observe({ type: 'text', text: piece });
      handle.observe({ type: 'llm-text', text: piece });
      handle.observe({ type: 'chunk', index, text: piece });
      handle.observe({ type: 'audio', chunkIndex: index, samples: new Int16Array(2400) });
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return { status: handle.signal.aborted ? 'cancelled' : 'completed', text, replyText: text, llmText: text, ttftMs: 1, ttfaMs: 2, totalMs: 3, audioSamples: 0 } as VoiceTurnResult;
  };
}

describe('Dialogue', () => {
  it('a learner turn during a reply: the cut reply settles (saved, response.done) before the turn is appended', async () => {
    const { log, hooks } = recorder();
    const conversation = new Conversation('sys');
    const dialogue = new Dialogue(conversation, hooks, 24_000);
    dialogue.addTypedTurn('hello');
    const handle = dialogue.respond({ id: 'r1', itemId: 'a1', run: streamingReply(['one', 'two', 'three', 'four', 'five', 'six']) });
    await new Promise((resolve) => setTimeout(resolve, 25));
    dialogue.addTypedTurn('stop');
    expect(conversation.turns.map((turn) => turn.role)).toEqual(['user', 'assistant', 'user']);
    expect(log.slice(0, 5)).toEqual(['user hello', expect.stringMatching(/^assistant one two.* \(cut\)$/), 'done cancelled', 'answered hello', 'user stop']);
    await handle.finished;
    // Nothing more of the cut reply reaches the history.
    expect(conversation.turns).toHaveLength(3);
    expect(conversation.messages(4096).map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'user']);
  });

  it('a truncation narrows the settled reply to the words heard, even when it comes after the cut', async () => {
    const { log, hooks } = recorder();
    const conversation = new Conversation('sys');
    const dialogue = new Dialogue(conversation, hooks, 24_000);
    dialogue.addTypedTurn('hi');
    dialogue.respond({ id: 'r1', itemId: 'a1', run: streamingReply(['alpha', 'beta', 'gamma', 'delta']) });
    await new Promise((resolve) => setTimeout(resolve, 60));
    dialogue.cancel('client_cancelled');
    expect(dialogue.truncate('a1', 150)).toBe(true);
    const reply = conversation.turns.find((turn) => turn.id === 'a1')!;
    expect(reply.text).toBe('alpha');
    expect(reply.llmText).toBeUndefined();
    expect(log).toContain('truncated alpha');
    expect(dialogue.truncate('nope', 10)).toBe(false);
  });

  it('a completed reply settles once with the model output kept for the history; duplicate item ids are refused', async () => {
    const { log, hooks } = recorder();
    const conversation = new Conversation('sys');
    const dialogue = new Dialogue(conversation, hooks, 24_000);
    dialogue.addTypedTurn('hi', 'u1');
    expect(() => dialogue.addTypedTurn('again', 'u1')).toThrow(DuplicateItemError);
    const handle = dialogue.respond({ id: 'r1', itemId: 'a1', run: streamingReply(['fine', 'thanks']) });
    await handle.finished;
    expect(log).toEqual(['user hi', 'assistant fine thanks', 'done completed', 'answered hi']);
    expect(dialogue.cancel('client_cancelled')).toBeNull();
  });

  it('a spoken turn waits for its transcript; a response waits for it and answers it', async () => {
    const { log, hooks } = recorder();
    const conversation = new Conversation('sys');
    const dialogue = new Dialogue(conversation, hooks, 24_000);
    let finish!: (text: string) => void;
    const transcribed: string[] = [];
    dialogue.addSpokenTurn(() => new Promise<string>((resolve) => (finish = resolve)), 1200, { transcribed: (turn) => transcribed.push(turn.text), failed: () => undefined });
    const seen: string[] = [];
    const handle = dialogue.respond({
      id: 'r1',
      itemId: 'a1',
      run: async (started) => {
        seen.push(conversation.turns.map((turn) => turn.text).join('|'));
        return streamingReply(['ok'])(started);
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen).toEqual([]);
    finish('I goed home');
    await handle.finished;
    expect(seen).toEqual(['I goed home']);
    expect(transcribed).toEqual(['I goed home']);
    expect(log).toEqual(['user I goed home', 'assistant ok', 'done completed', 'answered I goed home']);
  });
});
