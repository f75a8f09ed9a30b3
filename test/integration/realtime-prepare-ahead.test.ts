/**
 * Between turns the realtime session has the LLM evaluate the conversation ahead of the learner's
 * next message (`LLM.prepare` with the system prompt and history): after a reply is done, the
 * engine is asked for exactly the prefix the next turn's request starts with, with the history
 * window trimmed then rather than during the learner's wait.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CallOptions } from '../../src/core/call-options.js';
import type { ChatMessage } from '../../src/core/llm.js';
import { StaticEngineSet } from '../../src/engines/engine-set.js';
import { ScriptedLLM } from '../../src/testing/scripted-llm.js';
import { ToneTTS } from '../../src/testing/tone-tts.js';
import { TestRealtimeClient } from '../helpers/realtime-client.js';
import { type TestServer, startTestServer } from '../helpers/test-server.js';

/** A scripted LLM that records what it is asked to evaluate ahead. */
class PreparingLLM extends ScriptedLLM {
  readonly prepared: (string | ChatMessage[])[] = [];
  async prepare(_conversationId: string, context: string | readonly ChatMessage[], _options: CallOptions): Promise<void> {
    this.prepared.push(typeof context === 'string' ? context : [...context]);
  }
}

const REPLY = 'Nice! What did you eat there?';
// A small context so that a few long turns fill the history window.
const llm = new PreparingLLM({ reply: (request) => (request.messages.at(-1)?.content.startsWith('long') ? `${'word '.repeat(300)}.` : REPLY), tokensPerSecond: 2000, contextSize: 1400 });
let server: TestServer;
const clients: TestRealtimeClient[] = [];

beforeAll(async () => {
  server = await startTestServer(new StaticEngineSet({ llm, tts: new ToneTTS({ delayMs: 1 }) }));
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});
afterAll(async () => {
  await server.stop();
});

async function turn(client: TestRealtimeClient, text: string): Promise<void> {
  const start = client.events.length;
  client.sendText(text);
  const done = await client.waitFor('response.done', () => true, start);
  expect(done.response.status).toBe('completed');
  await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('evaluating the conversation ahead of the next turn', () => {
  it('asks for the system prompt first, then after each reply for the prefix the next request starts with', async () => {
    const client = await TestRealtimeClient.connect(server.wsUrl, { origin: server.url });
    clients.push(client);
    await client.waitFor('session.created');
    await client.waitFor('localchat.engine.status');
    expect(typeof llm.prepared[0]).toBe('string');

    const turns = ['I goed to the park.', 'long story: I went with my brother and we walked for hours.', 'long again, and then we ate ice cream.', 'It was fun.', 'long: we came home late.', 'Then I slept.'];
    for (const [index, text] of turns.entries()) {
      await turn(client, text);
      const ahead = llm.prepared.at(-1);
      expect(Array.isArray(ahead), `turn ${index + 1}`).toBe(true);
      const messages = ahead as ChatMessage[];
      expect(messages[0]!.role).toBe('system');
      // It ends with the reply, or holds only the system prompt when a trim left no learner turn.
      if (messages.length > 1) expect(messages.at(-1)).toMatchObject({ role: 'assistant' });
      if (index > 0) {
        // The request of this turn started with what was prepared after the previous reply.
        const request = llm.calls.at(-1)!.request.messages;
        const before = llm.prepared.at(-2) as ChatMessage[];
        expect(request.slice(0, before.length)).toEqual(before);
      }
    }
    // The window was trimmed on the way (the long replies do not fit 1,400 tokens together)...
    const first = (llm.prepared.at(-1) as ChatMessage[]).find((message) => message.role === 'user');
    expect(first?.content).not.toBe(turns[0]);
  });
});
