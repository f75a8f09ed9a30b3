/**
 * Fuzzing with fast-check: 10,000 random and mutated realtime events through a session's frame
 * handler, a few hundred through a real WebSocket, and 10,000 random REST bodies through the
 * routes: no crash, every bad input answered, the server still holds a normal turn afterwards,
 * and memory stays flat.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticEngineSet } from '../../src/engines/engine-set.js';
import { RealtimeSession } from '../../src/server/realtime/session.js';
import type { ServerEvent } from '../../src/server/realtime/server-events.js';
import { TutorService } from '../../src/server/tutor-service.js';
import { SafeStore } from '../../src/store/safe-store.js';
import { ToneTTS } from '../../src/testing/tone-tts.js';
import { TestRealtimeClient } from '../helpers/realtime-client.js';
import { type TestServer, startTestServer } from '../helpers/test-server.js';
import { tutorLlm } from '../helpers/tutor-llm.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const VALID_EVENTS: Record<string, unknown>[] = [
  { type: 'session.update', session: { audio: { output: { voice: 'tone_b', speed: 1.2 } } } },
  { type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hello there' }] } },
  { type: 'response.create' },
  { type: 'response.cancel' },
  { type: 'input_audio_buffer.append', audio: Buffer.alloc(4800).toString('base64') },
  { type: 'input_audio_buffer.commit' },
  { type: 'input_audio_buffer.clear' },
  { type: 'conversation.item.truncate', item_id: 'item_x', content_index: 0, audio_end_ms: 500 },
  { type: 'localchat.conversation.reset' },
  { type: 'localchat.conversation.reset', scenario_id: 'ordering-food' },
  { type: 'localchat.conversation.resume', conversation_id: 'abc' },
  { type: 'localchat.session.end' },
];

/** A valid event with one field (at any depth) replaced by an arbitrary value, or removed. */
const mutated = fc
  .tuple(fc.constantFrom(...VALID_EVENTS), fc.anything({ maxDepth: 2 }), fc.nat(), fc.boolean())
  .map(([event, value, pick, remove]) => {
    const copy = structuredClone(event) as Record<string, unknown>;
    const paths: { parent: Record<string, unknown>; key: string }[] = [];
    const walk = (node: Record<string, unknown>) => {
      for (const [key, child] of Object.entries(node)) {
        paths.push({ parent: node, key });
        if (child && typeof child === 'object' && !Array.isArray(child)) walk(child as Record<string, unknown>);
      }
    };
    walk(copy);
    const target = paths[pick % paths.length]!;
    if (remove) delete target.parent[target.key];
    else target.parent[target.key] = value;
    return JSON.stringify(copy);
  });

const frames = fc.oneof(
  { weight: 4, arbitrary: mutated },
  { weight: 2, arbitrary: fc.json({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constantFrom(...VALID_EVENTS.map((event) => String(event.type)), 'x', ''), event_id: fc.option(fc.string()) }).map((event) => JSON.stringify(event)) },
);

const KNOWN_TYPES = new Set(VALID_EVENTS.map((event) => String(event.type)));

/** True for a JSON object whose `type` names a client event (it may still be invalid). */
function isKnownEvent(frame: string): boolean {
  try {
    const parsed = JSON.parse(frame) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && KNOWN_TYPES.has((parsed as { type?: unknown }).type as string);
  } catch {
    return false;
  }
}

describe('fuzzing', () => {
  let server: TestServer;
  let store: SafeStore;
  let tutor: TutorService;
  const engines = new StaticEngineSet({ llm: tutorLlm('Nice! Tell me more.'), tts: new ToneTTS() });

  beforeAll(async () => {
    store = SafeStore.open({ dataDir: mkdtempSync(join(tmpdir(), 'localchat-fuzz-')) });
    tutor = new TutorService({ store, engines, logger: pino({ level: 'silent' }) });
    server = await startTestServer(engines, { tutor });
  });
  afterAll(async () => {
    await server.stop();
    store.close();
  });

  it('survives 10,000 random and mutated realtime events, answering each bad one, with flat memory', async () => {
    const events: ServerEvent[] = [];
    const session = new RealtimeSession({ engines, logger: pino({ level: 'silent' }), tutor, send: (event) => events.push(event) });
    session.start();
    const samples = fc.sample(frames, { numRuns: 10_000, seed: 42 });
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    let certainlyBad = 0;
    let answered = 0;
    /** Every frame that is no event at all (not JSON, no object, unknown type) got an `error` event, well formed. */
    const checkAnswered = () => {
      const errors = events.filter((event) => event.type === 'error');
      for (const event of errors) expect(event).toMatchObject({ type: 'error', error: { type: expect.any(String), code: expect.any(String), message: expect.stringMatching(/\S/) } });
      expect(errors.length).toBeGreaterThanOrEqual(certainlyBad);
      answered += errors.length;
      certainlyBad = 0;
      events.length = 0;
    };
    for (const [index, frame] of samples.entries()) {
      if (!isKnownEvent(frame)) certainlyBad++;
      session.handleFrame(frame);
      if (index % 200 === 199) {
        await session.idle();
        checkAnswered();
      }
    }
    await session.idle();
    checkAnswered();
    expect(answered).toBeGreaterThan(1000);
    // Still a working session: a normal turn completes (once the event rate limit, which the flood
    // emptied, has room for three events again: 100 events a second).
    await new Promise((resolve) => setTimeout(resolve, 1000));
    events.length = 0;
    session.handleFrame(JSON.stringify({ type: 'localchat.conversation.reset' }));
    session.handleFrame(JSON.stringify(VALID_EVENTS[1]));
    session.handleFrame(JSON.stringify({ type: 'response.create' }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await session.idle();
    const done = events.filter((event) => event.type === 'response.done');
    expect(done.at(-1)).toMatchObject({ response: { status: 'completed' } });
    session.close();
    gc();
    const growthMb = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;
    expect(growthMb).toBeLessThan(40);
  });

  it('keeps a real WebSocket session usable through random frames', async () => {
    const client = await TestRealtimeClient.connect(server.wsUrl);
    await client.waitFor('session.created');
    for (const frame of fc.sample(frames, { numRuns: 150, seed: 7 })) client.socket.send(frame);
    client.socket.send(Buffer.from([0, 1, 2, 3]), { binary: true });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const from = client.events.length;
    client.send({ type: 'localchat.conversation.reset' });
    await client.waitFor('localchat.conversation.reset', () => true, from);
    client.sendText('Are you still working?');
    const done = await client.waitFor('response.done', (event) => event.response.status === 'completed', from);
    expect(done.response.status).toBe('completed');
    await client.close();
  });

  it('answers 10,000 random REST bodies with 2xx or 4xx JSON, never 500, and stays up', async () => {
    const routes: [string, string][] = [
      ['POST', '/api/vocabulary'],
      ['PUT', '/api/profile'],
      ['PATCH', '/api/conversations/x'],
      ['POST', '/api/vocabulary/1/review'],
      ['GET', '/api/conversations?limit=abc'],
      ['POST', '/v1/chat/completions'],
      ['POST', '/v1/audio/speech'],
    ];
    const bodies = fc.sample(
      fc.tuple(
        fc.constantFrom(...routes),
        fc.oneof(fc.json({ maxDepth: 3 }), fc.string({ maxLength: 100 }), fc.record({ word: fc.anything(), messages: fc.anything(), input: fc.anything(), model: fc.anything(), level: fc.anything(), grade: fc.anything() }).map((value) => JSON.stringify(value))),
      ),
      { numRuns: 10_000, seed: 3 },
    );
    const statuses = new Map<number, number>();
    for (const [[method, url], body] of bodies) {
      const response = await server.app.inject({ method: method as 'POST', url, headers: { host: '127.0.0.1', 'content-type': 'application/json' }, payload: body });
      statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
      if (response.statusCode >= 500) throw new Error(`${method} ${url} ${body.slice(0, 80)} -> ${response.statusCode} ${response.body.slice(0, 200)}`);
    }
    expect([...statuses.keys()].every((status) => status < 500)).toBe(true);
    expect((await server.app.inject({ method: 'GET', url: '/health', headers: { host: '127.0.0.1' } })).statusCode).toBe(200);
  });
});
