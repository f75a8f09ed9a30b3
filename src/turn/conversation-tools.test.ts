import { describe, expect, it } from 'vitest';
import { Conversation } from './conversation.js';

const call = { id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' };

describe('Conversation with function calls', () => {
  it('sends a reply text and its function calls as one assistant message, then the result', () => {
    const conversation = new Conversation('system');
    conversation.add({ role: 'user', text: 'Weather in Paris?' });
    conversation.add({ id: 'item_call', role: 'assistant', text: '', toolCalls: [call] });
    // The reply's text settles later but goes before its calls.
    conversation.add({ id: 'item_text', role: 'assistant', text: 'Let me check.' }, 'item_call');
    conversation.add({ role: 'tool', text: '{"forecast":"sunny"}', toolCallId: 'call_1', name: 'get_weather' });
    expect(conversation.turns.map((turn) => turn.id).slice(1, 3)).toEqual(['item_text', 'item_call']);
    expect(conversation.messages(4096).slice(1)).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: 'Let me check.', toolCalls: [call] },
      { role: 'tool', content: '{"forecast":"sunny"}', toolCallId: 'call_1', name: 'get_weather' },
    ]);
  });

  it('leaves out a function call whose result never came', () => {
    const conversation = new Conversation('system');
    conversation.add({ role: 'user', text: 'Weather?' });
    conversation.add({ role: 'assistant', text: '', toolCalls: [call] });
    conversation.add({ role: 'user', text: 'Never mind. Hello!' });
    expect(conversation.messages(4096).slice(1)).toEqual([
      { role: 'user', content: 'Weather?' },
      { role: 'user', content: 'Never mind. Hello!' },
    ]);
  });

  it('starts a trimmed window at a learner turn, never at a function result', () => {
    const conversation = new Conversation('system');
    for (let i = 0; i < 30; i++) {
      conversation.add({ role: 'user', text: `question ${i} ${'word '.repeat(30)}` });
      conversation.add({ role: 'assistant', text: '', toolCalls: [{ ...call, id: `call_${i}` }] });
      conversation.add({ role: 'tool', text: `result ${i} ${'data '.repeat(30)}`, toolCallId: `call_${i}` });
      conversation.add({ role: 'assistant', text: `answer ${i}` });
    }
    const messages = conversation.messages(1200, 200);
    expect(messages.length).toBeLessThan(120);
    expect(messages[1]!.role).toBe('user');
    const results = messages.filter((message) => message.role === 'tool').map((message) => message.toolCallId);
    const calls = messages.flatMap((message) => message.toolCalls ?? []).map((c) => c.id);
    expect(results).toEqual(calls);
  });
});
