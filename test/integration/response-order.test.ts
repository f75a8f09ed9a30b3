/**
 * The order of the conversation when the learner cuts a reply: a typed message while a TTS chunk
 * is still being synthesized (a chunk in flight that cannot be interrupted, like eSpeak NG's WASM),
 * and a barge-in as the web UI sends it (`response.cancel` + `conversation.item.truncate`). Each
 * time the next LLM request must alternate and end with the new learner message, the cut reply must
 * be settled (and `response.done` sent) before the new learner item, and the saved conversation
 * must be in the same order. Also: a correction card never runs while a reply is being produced.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AudioChunk } from '../../src/core/audio.js';
import type { SynthesizeOptions } from '../../src/core/tts.js';
import { StaticEngineSet } from '../../src/engines/engine-set.js';
import { TutorService } from '../../src/server/tutor-service.js';
import { SafeStore } from '../../src/store/safe-store.js';
import type { ScriptedLLM } from '../../src/testing/scripted-llm.js';
import { ToneTTS } from '../../src/testing/tone-tts.js';
import { TestRealtimeClient } from '../helpers/realtime-client.js';
import { type TestServer, startTestServer } from '../helpers/test-server.js';
import { tutorLlm } from '../helpers/tutor-llm.js';

const REPLY = 'That sounds lovely, really lovely! I went to the park too, last week. What did you eat there?';

/** A voice whose chunk, once started, cannot be interrupted (as a synchronous engine on the event loop). */
class StubbornTTS extends ToneTTS {
  inFlight = 0;
  override async *synthesize(text: string, options: SynthesizeOptions): AsyncIterable<AudioChunk> {
    this.inFlight++;
    try {
      await new Promise((resolve) => setTimeout(resolve, 400));
      yield* super.synthesize(text, { ...options, signal: new AbortController().signal });
    } finally {
      this.inFlight--;
    }
  }
}

interface SavedTurn {
  id: string;
  role: string;
  text: string;
  interrupted: boolean;
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('conversation order when the learner cuts a reply', () => {
  let server: TestServer;
  let store: SafeStore;
  let llm: ScriptedLLM;
  let tts: StubbornTTS;
  const chatCalls = () => llm.calls.filter((call) => !call.request.jsonSchema);

  beforeAll(async () => {
    store = SafeStore.open({ dataDir: mkdtempSync(join(tmpdir(), 'localchat-order-')) });
    llm = tutorLlm(REPLY, 100);
    tts = new StubbornTTS();
    const engines = new StaticEngineSet({ llm, tts });
    server = await startTestServer(engines, { tutor: new TutorService({ store, engines, logger: pino({ level: 'silent' }) }) });
  });
  afterAll(async () => {
    await server.stop();
    store.close();
  });

  async function savedTurns(conversationId: string): Promise<SavedTurn[]> {
    store.flush();
    const response = await fetch(`${server.url}/api/conversations/${conversationId}`);
    return ((await response.json()) as { turns: SavedTurn[] }).turns;
  }

  it('a typed message while a TTS chunk is in flight: the cut reply settles first, the next request ends with the new message', async () => {
    const client = await TestRealtimeClient.connect(server.wsUrl);
    try {
      const info = await client.waitFor('localchat.session.info');
      client.sendText('Yesterday I goed to the park with my sister.');
      await client.waitFor('response.output_audio_transcript.delta');
      await until(() => tts.inFlight > 0);
      const callsBefore = chatCalls().length;
      const from = client.events.length;
      client.sendText('And then we goed home by bus.');
      const cut = await client.waitFor('response.done', () => true, from);
      expect(cut.response.status).toBe('cancelled');
      const second = await client.waitFor('response.done', (event) => event.response.id !== cut.response.id, from);
      expect(second.response.status).toBe('completed');

      // The cut reply's response.done comes before the new learner item.
      const types = client.events.slice(from).map((event) => event.type);
      expect(types.indexOf('response.done')).toBeLessThan(types.indexOf('conversation.item.added'));

      const request = chatCalls()[callsBefore]!.request.messages;
      expect(request.map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'user']);
      expect(request.at(-1)?.content).toBe('And then we goed home by bus.');
      expect(request[2]?.content.length).toBeGreaterThan(0);
      expect(REPLY.startsWith(request[2]!.content.trim())).toBe(true);

      const saved = await savedTurns(info.conversation_id);
      expect(saved.map((turn) => turn.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
      expect(saved[1]).toMatchObject({ interrupted: true, text: request[2]!.content.trim() });
      expect(saved[2]?.text).toBe('And then we goed home by bus.');
    } finally {
      await client.close();
    }
  });

  it('a barge-in (cancel + truncate, as the UI sends them): the history keeps the words heard, in order', async () => {
    const client = await TestRealtimeClient.connect(server.wsUrl);
    try {
      const info = await client.waitFor('localchat.session.info');
      client.sendText('I have went to London last year.');
      const audio = await client.waitFor('response.output_audio.delta');
      await until(() => tts.inFlight > 0);
      const callsBefore = chatCalls().length;
      const from = client.events.length;
      // The learner starts speaking: the page stops playback after 700 ms and says so.
      client.send({ type: 'response.cancel' });
      client.send({ type: 'conversation.item.truncate', item_id: audio.item_id, content_index: 0, audio_end_ms: 700 });
      client.sendText('It was very rainy.');
      const cut = await client.waitFor('response.done', () => true, from);
      expect(cut.response.status).toBe('cancelled');
      await client.waitFor('response.done', (event) => event.response.id !== cut.response.id, from);

      const request = chatCalls()[callsBefore]!.request.messages;
      expect(request.map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'user']);
      expect(request.at(-1)?.content).toBe('It was very rainy.');
      // 700 ms of a tone at ~60 ms a character: the first words of the first chunk, not the whole reply.
      const heard = request[2]!.content;
      expect(heard.length).toBeGreaterThan(0);
      expect(heard.length).toBeLessThan(REPLY.length / 2);
      expect(REPLY.startsWith(heard)).toBe(true);

      const saved = await savedTurns(info.conversation_id);
      expect(saved.map((turn) => turn.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
      expect(saved[1]).toMatchObject({ text: heard, interrupted: true });
    } finally {
      await client.close();
    }
  });
});

describe('correction cards and replies', () => {
  let server: TestServer;
  let store: SafeStore;
  let llm: ScriptedLLM;

  beforeAll(async () => {
    store = SafeStore.open({ dataDir: mkdtempSync(join(tmpdir(), 'localchat-side-')) });
    // 40 tokens a second: a correction (~50 tokens of JSON) takes over a second, a reply ~0.5 s.
    llm = tutorLlm('Oh nice! What did you do there?', 40);
    const engines = new StaticEngineSet({ llm, tts: new ToneTTS() });
    server = await startTestServer(engines, { tutor: new TutorService({ store, engines, logger: pino({ level: 'silent' }) }) });
  });
  afterAll(async () => {
    await server.stop();
    store.close();
  });

  it('a correction started before a new response does not run while that response produces its first clause, and still arrives', async () => {
    const client = await TestRealtimeClient.connect(server.wsUrl);
    try {
      client.sendText('Yesterday I goed to the park.');
      const first = await client.waitFor('conversation.item.done');
      await client.waitFor('response.done');
      const corrections = () => llm.calls.filter((call) => call.request.jsonSchema?.name === 'correction');
      await until(() => corrections().length > 0);
      const running = corrections()[0]!;
      expect(running.endedAt).toBeUndefined();

      const from = client.events.length;
      const replyCallsBefore = llm.calls.filter((call) => !call.request.jsonSchema).length;
      client.sendText('Then I goed home.');
      const firstAudio = await client.waitFor('response.output_audio.delta', () => true, from);
      const firstAudioAt = performance.now();
      void firstAudio;
      const reply = llm.calls.filter((call) => !call.request.jsonSchema)[replyCallsBefore]!;

      // The running correction was paused (aborted) as the reply started...
      expect(running.aborted).toBe(true);
      expect(running.endedAt!).toBeLessThanOrEqual(reply.startedAt + 50);
      // ...and no correction ran while the reply produced its first clause.
      for (const call of corrections()) {
        const end = call.endedAt ?? Infinity;
        const overlaps = call.startedAt < firstAudioAt && end > reply.startedAt + 50;
        expect(overlaps, 'a correction ran during the reply').toBe(false);
      }

      // The card for the first sentence still comes, after the reply.
      const card = await client.waitFor('localchat.correction', (event) => event.item_id === first.item.id, from, 10_000);
      expect(card.correction.corrected).toBe('Yesterday I went to the park.');
    } finally {
      await client.close();
    }
  });
});
