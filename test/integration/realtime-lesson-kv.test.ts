/**
 * A lesson over `/v1/realtime` on the real node-llama-cpp engine with the tutor (correction cards
 * and running summaries as side work), on a small context so the history window is trimmed and
 * summarized many times: every reply evaluates only what is new (the learner's message, and after
 * a trim the summary), and what is evaluated between turns is never the kept history again (its
 * KV cache is shifted). Counts come from node-llama-cpp's token meter.
 */
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../src/core/llm.js';
import { StaticEngineSet } from '../../src/engines/engine-set.js';
import { LlamaCppLLM, type LlamaCppTurnStats } from '../../src/engines/llm/llama-cpp.js';
import { TutorService } from '../../src/server/tutor-service.js';
import { ToneTTS } from '../../src/testing/tone-tts.js';
import { buildTinyGguf } from '../fixtures/gguf-builder.js';
import { TestRealtimeClient } from '../helpers/realtime-client.js';
import { type TestServer, startTestServer } from '../helpers/test-server.js';

const TURNS = (JSON.parse(readFileSync(new URL('../../bench/data/lesson-turns.json', import.meta.url), 'utf8')) as { turns: string[] }).turns;
const SUMMARY_PREFIX = 'Earlier in this conversation (a summary of turns no longer shown): ';

interface ReplyRecord {
  stats: LlamaCppTurnStats;
  request: ChatRequest;
  /** Tokens evaluated ahead (between turns) since the previous reply. */
  ahead: number;
}

describe('a lesson on the embedded engine, trimmed and summarized many times', () => {
  let llm: LlamaCppLLM;
  let server: TestServer;
  const replies: ReplyRecord[] = [];

  beforeAll(async () => {
    // Heads of 64 as in real models, so the CPU's default Q8_0 keys are shifted at each trim.
    const modelPath = await buildTinyGguf(undefined, { generate: 'words', name: 'localchat-tiny-words-head64', nEmbd: 128, nHead: 2, nHeadKv: 1 });
    llm = await LlamaCppLLM.create({ modelPath, gpu: false, threads: 1, contextSize: 2560, sampling: { seed: 3 } });
    let aheadCounted = 0;
    const stream = llm.stream.bind(llm);
    llm.stream = async function* (request, options) {
      const ahead = llm.evaluatedAheadTokens - aheadCounted;
      aheadCounted = llm.evaluatedAheadTokens;
      for await (const part of stream(request, options)) yield part;
      if (!request.background) replies.push({ stats: llm.lastTurnStats!, request, ahead });
    };
    const engines = new StaticEngineSet({ llm, tts: new ToneTTS({ delayMs: 1 }) });
    server = await startTestServer(engines, { tutor: new TutorService({ store: null, engines, logger: pino({ level: 'silent' }) }) });
    const client = await TestRealtimeClient.connect(server.wsUrl, { origin: server.url });
    try {
      await client.waitFor('session.created');
      for (const text of TURNS) {
        const start = client.events.length;
        client.sendText(text);
        await client.waitFor('response.done', () => true, start);
        // The learner takes a moment to answer: side work (cards, summaries) runs between replies.
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    } finally {
      await client.close();
    }
  }, 300_000);

  afterAll(async () => {
    await server?.stop();
    await llm?.dispose();
  });

  it('trims the window several times, with a summary of what was dropped after the kept turns', () => {
    expect(replies).toHaveLength(TURNS.length);
    const withSummary = replies.filter((reply) => reply.request.messages.some((message) => message.content.startsWith(SUMMARY_PREFIX)));
    expect(withSummary.length).toBeGreaterThan(10);
    // Never right after the system prompt (a chat template would merge the two).
    for (const reply of withSummary) expect(reply.request.messages[1]!.content.startsWith(SUMMARY_PREFIX)).toBe(false);
    const shrunk = replies.filter((reply, index) => index > 0 && reply.stats.promptTokens < replies[index - 1]!.stats.promptTokens);
    expect(shrunk.length).toBeGreaterThanOrEqual(5);
  });

  it('evaluates only the new message during each reply, trims included (token meter)', () => {
    for (const reply of replies.slice(1)) {
      expect(reply.stats.evaluatedPromptTokens).toBeLessThanOrEqual(reply.stats.newPromptTokens + 2);
      expect(reply.stats.evaluatedPromptTokens).toBeLessThan(96);
    }
  });

  it('evaluates ahead of a turn at most the summary and a few template tokens, never the kept history', () => {
    // The first reply's share is the system prompt (~300 tokens); a summary is < 200 tokens; the
    // kept history after a trim is ~1,000 tokens and must not be evaluated again.
    for (const reply of replies.slice(1)) expect(reply.ahead).toBeLessThan(300);
    for (const reply of replies.slice(1)) expect(reply.stats.newPromptTokens).toBeLessThan(300);
  });
});
