import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../core/llm.js';
import { Conversation } from './conversation.js';

describe('Conversation', () => {
  it('starts with the system prompt and keeps turns in order', () => {
    const conversation = new Conversation('be kind');
    conversation.add({ role: 'user', text: 'hello' });
    conversation.add({ role: 'assistant', text: 'hi there' });
    expect(conversation.messages(4096)).toEqual([
      { role: 'system', content: 'be kind' },
      { role: 'user', content: 'hello' },
      { role: 'assistant', content: 'hi there' },
    ]);
  });

  it('drops the oldest turns when the context is full, never the newest user turn', () => {
    const conversation = new Conversation('sys');
    for (let i = 0; i < 50; i++) {
      conversation.add({ role: 'user', text: `question ${i} `.repeat(20) });
      conversation.add({ role: 'assistant', text: `answer ${i} `.repeat(20) });
    }
    conversation.add({ role: 'user', text: 'the newest question' });
    const messages = conversation.messages(1024, 256);
    expect(messages[0]).toEqual({ role: 'system', content: 'sys' });
    expect(messages.at(-1)).toEqual({ role: 'user', content: 'the newest question' });
    expect(messages.length).toBeLessThan(40);
    expect(messages[1]?.role).toBe('user');
    const chars = messages.reduce((sum, message) => sum + message.content.length, 0);
    expect(chars / 4).toBeLessThanOrEqual(1024);
  });

  it('skips empty turns and forgets everything on reset with a new id', () => {
    const conversation = new Conversation('sys');
    conversation.add({ role: 'user', text: 'hi' });
    conversation.add({ role: 'assistant', text: '', interrupted: true });
    expect(conversation.messages(4096)).toHaveLength(2);
    const before = conversation.id;
    conversation.reset();
    expect(conversation.id).not.toBe(before);
    expect(conversation.messages(4096)).toEqual([{ role: 'system', content: 'sys' }]);
  });
});

describe('Conversation.messagesAhead (the next turn prefix, evaluated between turns)', () => {
  it('trims between turns so the next request starts with exactly the prepared prefix', () => {
    const conversation = new Conversation('System.');
    for (let index = 0; index < 30; index++) {
      conversation.add({ role: 'user', text: `Question number ${index} about my weekend and my family.` });
      conversation.add({ role: 'assistant', text: `Answer number ${index}: that sounds lovely, tell me more about it please.` });
      const ahead = conversation.messagesAhead(1000);
      conversation.add({ role: 'user', text: 'Next.' });
      const request = conversation.messages(1000);
      expect(request.slice(0, ahead.length)).toEqual(ahead);
      expect(request.at(-1)).toEqual({ role: 'user', content: 'Next.' });
      conversation.remove(conversation.lastTurn!);
    }
    expect(conversation.droppedTurns).toBeGreaterThan(0);
  });

  it('keeps only the system prompt when a trim leaves no learner turn; the next learner turn starts the window', () => {
    const conversation = new Conversation('System.');
    conversation.add({ role: 'user', text: 'Tell me a long story.' });
    conversation.add({ role: 'assistant', text: 'word '.repeat(1500) });
    expect(conversation.messagesAhead(1000)).toEqual([{ role: 'system', content: 'System.' }]);
    conversation.add({ role: 'user', text: 'Thanks!' });
    expect(conversation.messages(1000)).toEqual([
      { role: 'system', content: 'System.' },
      { role: 'user', content: 'Thanks!' },
    ]);
  });
});

describe('Conversation running summary (what a trim drops)', () => {
  const fill = (conversation: Conversation, from: number, count: number) => {
    for (let index = from; index < from + count; index++) {
      conversation.add({ role: 'user', text: `Learner sentence number ${index} about my job and my family.` });
      conversation.add({ role: 'assistant', text: `Tutor answer number ${index}: how interesting, tell me more about that.` });
    }
  };

  it('offers the turns the next trim will drop once the history fills 80% of the budget, one summary at a time', () => {
    const conversation = new Conversation('System.');
    fill(conversation, 0, 2);
    expect(conversation.turnsToSummarize(1000)).toEqual([]);
    let offered = conversation.turnsToSummarize(1000);
    let turnsAdded = 2;
    while (offered.length === 0 && turnsAdded < 40) {
      fill(conversation, turnsAdded++, 1);
      offered = conversation.turnsToSummarize(1000);
    }
    expect(offered.length).toBeGreaterThan(0);
    // Not yet trimmed: the window still holds everything, and no summary is in it.
    expect(conversation.droppedTurns).toBe(0);
    expect(offered[0]).toBe(conversation.turns[0]);
    expect(offered.length).toBeLessThan(conversation.turns.length);
    conversation.setSummary({ text: 'The learner works in a bank.', throughId: offered.at(-1)!.id });
    // One waits for the trim: nothing more is offered.
    fill(conversation, turnsAdded++, 1);
    expect(conversation.turnsToSummarize(1000)).toEqual([]);
  });

  /** Talks from turn `from` until a summary is offered, then records `text` as it; returns the next turn number. */
  const summarizeWhenDue = (conversation: Conversation, from: number, text: string): number => {
    let index = from;
    let offered = conversation.turnsToSummarize(1000);
    while (offered.length === 0) {
      fill(conversation, index++, 1);
      offered = conversation.turnsToSummarize(1000);
    }
    conversation.setSummary({ text, throughId: offered.at(-1)!.id });
    return index;
  };

  it('puts the summary after the kept turns at a trim: the window is the old one less a block at its start', () => {
    const conversation = new Conversation('System.');
    const SUMMARY = 'Earlier in this conversation (a summary of turns no longer shown): ';
    const isSummary = (message: ChatMessage) => message.role === 'system' && message.content.startsWith(SUMMARY);
    let index = summarizeWhenDue(conversation, 0, 'The learner works in a bank.');
    expect(conversation.messages(1000).some(isSummary)).toBe(false); // not before the trim
    /** Talks until the window is trimmed; returns the window before the last two turns and after the trim. */
    const talkUntilTrim = (): { before: ChatMessage[]; after: ChatMessage[] } => {
      const dropped = conversation.droppedTurns;
      let before = conversation.messages(1000);
      for (;;) {
        fill(conversation, index++, 1);
        const after = conversation.messages(1000);
        if (conversation.droppedTurns > dropped) return { before, after };
        before = after;
      }
    };
    const first = talkUntilTrim();
    const at = first.after.findIndex(isSummary);
    expect(first.after[0]).toEqual({ role: 'system', content: 'System.' });
    expect(first.after[at]!.content).toBe(`${SUMMARY}The learner works in a bank.`);
    expect(conversation.summary?.text).toBe('The learner works in a bank.');
    // The kept turns are the newest ones, in order, with nothing between them: the engine can keep
    // their KV cache, shifted back, and evaluate only the summary and what follows.
    const all = [...first.before.slice(1), ...conversation.turns.slice(-2).map((turn) => ({ role: turn.role, content: turn.text }))];
    const kept = first.after.slice(1, at);
    expect(kept.length).toBeGreaterThan(2);
    expect(all.slice(all.length - kept.length)).toEqual(kept);
    expect(first.after.filter(isSummary)).toHaveLength(1);
    // Between trims the summary stays where it is and the window grows at its end.
    fill(conversation, index++, 1);
    const next = conversation.messages(1000);
    expect(next.slice(0, at + 1)).toEqual(first.after.slice(0, at + 1));

    // The next trim drops the old summary with the turns before it; the new one follows the kept turns.
    index = summarizeWhenDue(conversation, index, 'The learner works in a bank and has two sisters.');
    const second = talkUntilTrim();
    const summaries = second.after.filter(isSummary);
    expect(summaries.map((message) => message.content)).toEqual([`${SUMMARY}The learner works in a bank and has two sisters.`]);
    const secondAt = second.after.indexOf(summaries[0]!);
    const keptAgain = second.after.slice(1, secondAt);
    const allAgain = [...second.before.slice(1), ...conversation.turns.slice(-2).map((turn) => ({ role: turn.role, content: turn.text }))];
    expect(keptAgain.some(isSummary)).toBe(false);
    expect(allAgain.slice(allAgain.length - keptAgain.length)).toEqual(keptAgain);
  });

  it('keeps the last summary where it is, after the learner turn before it, when a trim comes before a newer one', () => {
    const conversation = new Conversation('System.');
    const SUMMARY = 'Earlier in this conversation (a summary of turns no longer shown): The learner works in a bank.';
    let index = summarizeWhenDue(conversation, 0, 'The learner works in a bank.');
    while (conversation.droppedTurns === 0) {
      fill(conversation, index++, 1);
      conversation.messages(1000);
    }
    const dropped = conversation.droppedTurns;
    let before = conversation.messages(1000);
    let window = before;
    while (conversation.droppedTurns === dropped) {
      before = window;
      fill(conversation, index++, 1);
      window = conversation.messages(1000);
    }
    // Not right after the system prompt (a chat template would merge the two): after a kept exchange.
    const at = window.findIndex((message) => message.content === SUMMARY);
    expect(at).toBeGreaterThanOrEqual(3);
    expect(window[1]!.role).toBe('user');
    expect(window[at - 1]!.role).toBe('assistant');
    // The window is still the old one less a block at its start.
    const all = [...before.slice(1), ...conversation.turns.slice(-2).map((turn) => ({ role: turn.role, content: turn.text }))];
    expect(all.slice(all.length - (window.length - 1))).toEqual(window.slice(1));
  });
});
