/**
 * A long lesson over `/v1/realtime` with the tutor on a small context: before the history window
 * is trimmed, the turns the trim will drop are summarized as side work, and at the trim the
 * summary joins the next requests as a system message after the kept turns (the learner's first facts survive).
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticEngineSet } from '../../src/engines/engine-set.js';
import { TutorService } from '../../src/server/tutor-service.js';
import { ScriptedLLM } from '../../src/testing/scripted-llm.js';
import { ToneTTS } from '../../src/testing/tone-tts.js';
import { TestRealtimeClient } from '../helpers/realtime-client.js';
import { type TestServer, startTestServer } from '../helpers/test-server.js';

const NOTES = 'Ana works in a bank and says goed for went.';
const llm = new ScriptedLLM({
  contextSize: 1800,
  tokensPerSecond: 4000,
  reply: (request) => {
    if (request.jsonSchema) return JSON.stringify({ corrected: request.messages.at(-1)?.content ?? '', errors: [] });
    if (request.messages[0]?.content.startsWith('You keep notes for an English tutor')) return NOTES;
    return 'That is really interesting, thank you for telling me about it. What happened after that, and how did you feel?';
  },
});
let server: TestServer;

beforeAll(async () => {
  const engines = new StaticEngineSet({ llm, tts: new ToneTTS({ delayMs: 1 }) });
  server = await startTestServer(engines, { tutor: new TutorService({ store: null, engines, logger: pino({ level: 'silent' }) }) });
});
afterAll(async () => {
  await server.stop();
});

describe('a lesson longer than the context window', () => {
  it('summarizes the oldest turns before the trim and keeps the summary in the window after it', async () => {
    const client = await TestRealtimeClient.connect(server.wsUrl, { origin: server.url });
    try {
      await client.waitFor('session.created');
      const replies = () => llm.calls.filter((call) => !call.request.background);
      for (let turn = 0; turn < 30; turn++) {
        const start = client.events.length;
        client.sendText(turn === 0 ? 'My name is Ana and I work in a bank.' : `Sentence ${turn}: yesterday I goed to the office and I talked with my colleagues about the weekend.`);
        await client.waitFor('response.done', () => true, start);
        // The learner takes a moment to answer: side work runs between replies.
        await new Promise((resolve) => setTimeout(resolve, 300));
        if (replies().at(-1)!.request.messages.some((message) => message.content.includes(NOTES))) break;
      }
      const summaries = llm.calls.filter((call) => call.request.messages[0]?.content.startsWith('You keep notes'));
      expect(summaries.length).toBeGreaterThanOrEqual(1);
      // The summary was asked for the oldest turns (the learner's introduction), as background work.
      expect(summaries[0]!.request.background).toBe(true);
      expect(summaries[0]!.request.messages[1]!.content).toContain('Learner: My name is Ana and I work in a bank.');
      const last = replies().at(-1)!.request.messages;
      // As a system message after the kept turns (the system prompt itself stays as it was).
      const summary = last.findIndex((message) => message.content === `Earlier in this conversation (a summary of turns no longer shown): ${NOTES}`);
      expect(summary).toBeGreaterThan(1);
      expect(last[summary]!.role).toBe('system');
      expect(last[0]!.content).toBe(replies()[0]!.request.messages[0]!.content);
      // ...and the introduction itself left the window.
      expect(last.some((message) => message.content.includes('My name is Ana'))).toBe(false);
    } finally {
      await client.close();
    }
  });
});
