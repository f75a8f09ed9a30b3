/**
 * The tutor in a realtime session with the real SQLite store: every turn saved as it happens,
 * correction cards after replies, resuming a conversation, scenarios opened by the tutor, the
 * session report, the /api routes, and a database that cannot be opened (the talk goes on).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticEngineSet } from '../../src/engines/engine-set.js';
import { TutorService } from '../../src/server/tutor-service.js';
import { SafeStore } from '../../src/store/safe-store.js';
import type { ScriptedLLM } from '../../src/testing/scripted-llm.js';
import { ToneTTS } from '../../src/testing/tone-tts.js';
import { parseCsv } from '../store/helpers.js';
import { TestRealtimeClient } from '../helpers/realtime-client.js';
import { type TestServer, startTestServer } from '../helpers/test-server.js';
import { CORRECTION, REPORT, WORD, tutorLlm } from '../helpers/tutor-llm.js';

const REPLY = 'Oh, you went to the park yesterday! What did you do there?';

describe('tutor session with the store', () => {
  let server: TestServer;
  let store: SafeStore;
  let llm: ScriptedLLM;
  const api = (path: string, init?: RequestInit) => fetch(`${server.url}${path}`, init);

  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'localchat-tutor-'));
    store = SafeStore.open({ dataDir });
    llm = tutorLlm(REPLY);
    const engines = new StaticEngineSet({ llm, tts: new ToneTTS() });
    server = await startTestServer(engines, { tutor: new TutorService({ store, engines, logger: pino({ level: 'silent' }) }) });
  });
  afterAll(async () => {
    await server.stop();
    store.close();
  });

  it('saves the learner message on receipt and the reply when done, then sends a correction card', async () => {
    const client = await TestRealtimeClient.connect(server.wsUrl);
    try {
      const created = await client.waitFor('session.created');
      expect(created.session).toMatchObject({ instructions: expect.stringContaining('English') });
      client.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Yesterday I goed to the park.' }] } });
      const added = await client.waitFor('conversation.item.done');
      const conversationId = llm.calls.length === 0 ? undefined : undefined;
      void conversationId;
      const list = (await (await api('/api/conversations')).json()) as { data: { id: string; title: string; turnCount: number }[] };
      expect(list.data[0]).toMatchObject({ title: 'Yesterday I goed to the park.', turnCount: 1 });
      const id = list.data[0]!.id;

      client.send({ type: 'response.create' });
      const done = await client.waitFor('response.done');
      expect(done.response.status).toBe('completed');
      const correction = await client.waitFor('localchat.correction');
      expect(correction.item_id).toBe(added.item.id);
      expect(correction.correction).toMatchObject({ original: 'Yesterday I goed to the park.', corrected: CORRECTION.corrected, errors: [{ category: 'tense', original: 'goed', correction: 'went', start: 12, end: 16 }] });
      expect(correction.correction.diff).toContainEqual({ type: 'removed', text: 'goed' });
      expect(correction.correction.diff).toContainEqual({ type: 'added', text: 'went' });

      await new Promise((resolve) => setTimeout(resolve, 50));
      const detail = (await (await api(`/api/conversations/${id}`)).json()) as { turns: { role: string; text: string; ttfaMs: number | null; correction: unknown }[] };
      expect(detail.turns.map((turn) => turn.role)).toEqual(['user', 'assistant']);
      expect(detail.turns[1]).toMatchObject({ text: REPLY });
      expect(detail.turns[1]!.ttfaMs).not.toBeNull();
      expect(detail.turns[0]!.correction).toMatchObject({ corrected: CORRECTION.corrected });

      // A correct sentence gets no card.
      const before = client.events.length;
      client.sendText('I like parks.');
      await client.waitFor('response.done', () => true, before);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(client.ofType('localchat.correction', before)).toEqual([]);

      // The report: stats from the saved turns, the LLM's estimate, saved for later.
      const reportFrom = client.events.length;
      client.send({ type: 'localchat.session.end' });
      const report = await client.waitFor('localchat.session.report', () => true, reportFrom);
      expect(report.conversation_id).toBe(id);
      expect(report.report).toMatchObject({ levelEstimate: REPORT.levelEstimate, practiseNext: REPORT.practiseNext, stats: { turns: 2, words: 9, errors: 1 } });
      expect((await api(`/api/conversations/${id}/report`)).status).toBe(200);
      const markdown = await (await api(`/api/conversations/${id}/export?format=md`)).text();
      expect(markdown).toContain('Yesterday I goed to the park.');
      expect(markdown).toContain('went');
    } finally {
      await client.close();
    }
  });

  it('resumes a saved conversation in a new connection, with its history', async () => {
    const list = (await (await api('/api/conversations')).json()) as { data: { id: string }[] };
    const id = list.data[0]!.id;
    const client = await TestRealtimeClient.connect(server.wsUrl);
    try {
      await client.waitFor('session.created');
      client.send({ type: 'localchat.conversation.resume', conversation_id: id });
      const loaded = await client.waitFor('localchat.conversation.loaded');
      expect(loaded.turns.map((turn) => turn.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
      expect(loaded.turns[0]!.correction).toMatchObject({ corrected: CORRECTION.corrected });
      client.sendText('And today I stay home.');
      await client.waitFor('response.done');
      const request = llm.calls.filter((call) => !call.request.jsonSchema).at(-1)!.request;
      expect(request.messages.map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'user', 'assistant', 'user']);
      expect(request.messages[1]!.content).toBe('Yesterday I goed to the park.');
      client.send({ type: 'localchat.conversation.resume', conversation_id: 'nope' });
      const error = await client.waitFor('error', (event) => event.error.code === 'conversation_not_found');
      expect(error.error.message).toMatch(/nope/);
    } finally {
      await client.close();
    }
  });

  it('opens a scenario with its opening line and plays the role', async () => {
    const scenarios = (await (await api('/api/scenarios')).json()) as { data: { id: string; title: string; openingLine: string; tutorRole: string }[] };
    expect(scenarios.data.length).toBeGreaterThanOrEqual(12);
    const scenario = scenarios.data.find((candidate) => candidate.id === 'ordering-food')!;
    const client = await TestRealtimeClient.connect(server.wsUrl);
    try {
      await client.waitFor('session.created');
      const calls = llm.calls.length;
      client.send({ type: 'localchat.conversation.reset', scenario_id: scenario.id });
      const reset = await client.waitFor('localchat.conversation.reset');
      expect(reset.scenario).toMatchObject({ id: scenario.id, title: scenario.title });
      const opening = await client.waitFor('response.done');
      expect(opening.response.status).toBe('completed');
      expect(client.ofType('response.output_audio_transcript.done')[0]?.transcript).toBe(scenario.openingLine);
      expect(client.ofType('response.output_audio.delta').length).toBeGreaterThan(0);
      expect(llm.calls.length).toBe(calls);
      client.sendText('A coffee, please.');
      await client.waitFor('response.done', (event) => event.response.id !== opening.response.id);
      const system = llm.calls.filter((call) => !call.request.jsonSchema).at(-1)!.request.messages[0]!.content;
      expect(system).toContain(scenario.tutorRole.slice(0, 20));
      client.send({ type: 'localchat.conversation.reset', scenario_id: 'no-such-scene' });
      await client.waitFor('error', (event) => event.error.code === 'invalid_theme');
    } finally {
      await client.close();
    }
  });

  it('explains, saves and exports words; keeps the profile; shows progress', async () => {
    const explained = await api('/api/vocabulary/explain', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ word: 'park', sentence: 'I went to the park.' }) });
    expect(await explained.json()).toMatchObject({ word: 'park', meaning: WORD.meaning });
    const saved = await api('/api/vocabulary', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ word: 'park', meaning: WORD.meaning, example: 'We met, "by chance", in the park.' }) });
    expect(saved.status).toBe(201);
    const csv = await (await api('/api/vocabulary/export.csv')).text();
    // One note per saved word (no header: Anki would import it as a note), fields word, meaning,
    // example, native meaning; quotes doubled inside a quoted field (RFC 4180).
    const rows = parseCsv(csv);
    const words = (await (await api('/api/vocabulary')).json()) as { data: { word: string }[] };
    expect(rows).toHaveLength(words.data.length);
    expect(rows).toContainEqual(['park', WORD.meaning, 'We met, "by chance", in the park.', '']);
    expect(csv).toContain('""by chance""');

    const put = await api('/api/profile', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Ana', level: 'B1', correctionStyle: 'explicit', nativeLanguage: 'es' }) });
    expect(await put.json()).toMatchObject({ name: 'Ana', level: 'B1', correctionStyle: 'explicit', nativeLanguage: 'Spanish', speakingSpeed: 'auto' });
    expect((await api('/api/profile', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ level: 'Z9' }) })).status).toBe(400);

    const progress = (await (await api('/api/progress')).json()) as { sessions: { words: number }[] };
    expect(progress.sessions.length).toBeGreaterThanOrEqual(1);
  });
});

describe('a database that cannot be opened', () => {
  it('keeps the conversation going and says the database is unavailable', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'localchat-badstore-')), 'not-a-dir');
    writeFileSync(dataDir, 'this is a file, not a directory');
    const store = SafeStore.open({ dataDir });
    expect(store.status().ok).toBe(false);
    const engines = new StaticEngineSet({ llm: tutorLlm(REPLY), tts: new ToneTTS() });
    const server = await startTestServer(engines, { tutor: new TutorService({ store, engines, logger: pino({ level: 'silent' }) }) });
    const client = await TestRealtimeClient.connect(server.wsUrl);
    try {
      await client.waitFor('session.created');
      client.sendText('Hello, does this still work?');
      const done = await client.waitFor('response.done');
      expect(done.response.status).toBe('completed');
      const response = await fetch(`${server.url}/api/conversations`);
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ error: { code: 'store_unavailable' } });
    } finally {
      await client.close();
      await server.stop();
      store.close();
    }
  });
});
