/**
 * Load: 20 concurrent realtime sessions, each taking turns back to back with a paced test LLM
 * (15 tokens/s) and eSpeak NG, for a few seconds: every turn completes. (`npm run bench` runs
 * the same for 60 s and reports TTFA p50/p95 against a single session.)
 */
import { describe, expect, it } from 'vitest';
import { StaticEngineSet } from '../../src/engines/engine-set.js';
import { EspeakTTSEngine } from '../../src/engines/tts/espeak.js';
import { ScriptedLLM } from '../../src/testing/scripted-llm.js';
import { TestRealtimeClient } from '../helpers/realtime-client.js';
import { startTestServer } from '../helpers/test-server.js';

const SESSIONS = 20;
const SECONDS = 8;

describe('load', () => {
  it(`completes every turn of ${SESSIONS} concurrent sessions for ${SECONDS} s`, async () => {
    const llm = new ScriptedLLM({ reply: 'That sounds great. What did you do next?', tokensPerSecond: 15 });
    const server = await startTestServer(new StaticEngineSet({ llm, tts: new EspeakTTSEngine() }));
    const deadline = performance.now() + SECONDS * 1000;
    const results: string[] = [];
    const turnsPerSession = new Array<number>(SESSIONS).fill(0);
    try {
      await Promise.all(
        Array.from({ length: SESSIONS }, async (_, index) => {
          // Stay under the per-client session limit by connecting from several loopback addresses.
          const client = await TestRealtimeClient.connect(server.wsUrl, { localAddress: `127.0.0.${2 + Math.floor(index / 4)}` });
          try {
            await client.waitFor('session.created');
            while (performance.now() < deadline) {
              const from = client.events.length;
              client.sendText(`Turn from session ${index}.`);
              const done = await client.waitFor('response.done', () => true, from, 30_000);
              results.push(done.response.status ?? 'unknown');
              turnsPerSession[index]!++;
            }
          } finally {
            await client.close();
          }
        }),
      );
    } finally {
      await server.stop();
    }
    // Every session got at least one turn done (none starved), and every turn completed.
    expect(turnsPerSession.filter((turns) => turns === 0)).toEqual([]);
    expect(results).toHaveLength(turnsPerSession.reduce((sum, turns) => sum + turns, 0));
    expect(results.filter((status) => status !== 'completed')).toEqual([]);
  }, 120_000);
});
