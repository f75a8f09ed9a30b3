/**
 * Speculative replies on both turn-detection paths. At a short pause ("maybe done") the server
 * transcribes the utterance so far and prepares the reply unheard; a confirmed turn plays it at
 * once, and speech that comes back drops it silently: no event, no audio, nothing in the history or
 * the database, and the resumed utterance is transcribed whole.
 *
 * Server VAD: real LibriVox speech through the real Silero VAD. Client VAD: the page's
 * `localchat.input_audio_buffer.maybe_done` / `resumed` events around `append` and `commit`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AudioChunk } from '../../src/core/audio.js';
import { StaticEngineSet } from '../../src/engines/engine-set.js';
import { createSileroVad } from '../../src/engines/vad/silero-vad.js';
import type { ServerEvent } from '../../src/server/realtime/server-events.js';
import { TutorService } from '../../src/server/tutor-service.js';
import { SafeStore } from '../../src/store/safe-store.js';
import { ScriptedLLM, sleep } from '../../src/testing/scripted-llm.js';
import { ScriptedSTT } from '../../src/testing/scripted-stt.js';
import { ToneTTS } from '../../src/testing/tone-tts.js';
import { type ClipId, concatAudio, librivoxAvailable, loadClip, silence, toAppendFrames } from '../fixtures/librivox.js';
import { TestRealtimeClient } from '../helpers/realtime-client.js';
import { startTestServer } from '../helpers/test-server.js';

const available = librivoxAvailable();
const REPLY = 'I see. Please tell me more about that young man and his family.';
const FRAME_MS = 40;

/** Sends audio as a microphone would: `paced` in real time (40 ms frames), else all at once. */
async function stream(client: TestRealtimeClient, samples: Int16Array, paced: boolean): Promise<void> {
  for (const frame of toAppendFrames(samples, FRAME_MS)) {
    client.send({ type: 'input_audio_buffer.append', audio: frame });
    if (paced) await sleep(FRAME_MS);
  }
}

/** An STT that names what it heard: `first`, `second`, or `whole` (both clips), from the audio's length. */
function clipSTT(first: ClipId, second: ClipId): ScriptedSTT {
  const firstMs = (loadClip(first).length / 24_000) * 1000;
  const secondMs = (loadClip(second).length / 24_000) * 1000;
  return new ScriptedSTT({
    delayMs: 60,
    transcripts: (_call: number, audio: AudioChunk) => {
      const ms = (audio.samples.length / audio.sampleRate) * 1000;
      if (ms > firstMs + secondMs - 500) return 'whole';
      return Math.abs(ms - firstMs) <= Math.abs(ms - secondMs) ? 'first' : 'second';
    },
  });
}

/** Every response event belongs to a response created after `fromIndex`, and every audio delta to one that went on to be heard. */
function responseIds(events: ServerEvent[]): string[] {
  return events.filter((event) => event.type === 'response.created').map((event) => (event as Extract<ServerEvent, { type: 'response.created' }>).response.id!);
}

function chatCalls(llm: ScriptedLLM) {
  return llm.calls.filter((call) => !call.request.jsonSchema);
}

describe.runIf(available)('speculative reply, server VAD', () => {
  it('prepares the reply at the pause and plays it when the turn is confirmed; the utterance is transcribed once', async () => {
    const llm = new ScriptedLLM({ reply: REPLY, tokensPerSecond: 40 });
    const stt = clipSTT('0880', '0930');
    const server = await startTestServer(new StaticEngineSet({ llm, tts: new ToneTTS(), stt, vad: (settings) => createSileroVad(settings) }));
    const client = await TestRealtimeClient.connect(server.wsUrl);
    try {
      await client.waitFor('session.created');
      client.send({ type: 'session.update', session: { audio: { input: { turn_detection: { type: 'server_vad', silence_duration_ms: 900 } } } } });
      await client.waitFor('session.updated');
      await stream(client, concatAudio(silence(300), loadClip('0880')), false);
      const streaming = stream(client, silence(2000), true);
      const stopped = await client.waitFor('input_audio_buffer.speech_stopped');
      // The reply was being prepared before the turn ended, and nothing of it was sent.
      expect(chatCalls(llm).length).toBeGreaterThanOrEqual(1);
      expect(chatCalls(llm).at(-1)!.aborted).toBe(false);
      expect(chatCalls(llm).at(-1)!.request.messages.at(-1)).toEqual({ role: 'user', content: 'first' });
      const stoppedAt = client.events.indexOf(stopped);
      expect(client.events.slice(0, stoppedAt).filter((event) => event.type.startsWith('response.'))).toEqual([]);
      const sttCallsAtStop = stt.calls.length;

      const done = await client.waitFor('response.done');
      await streaming;
      expect(done.response.status).toBe('completed');
      expect(client.events.findIndex((event) => event.type === 'response.created')).toBeGreaterThan(stoppedAt);
      const heard = await client.waitFor('conversation.item.input_audio_transcription.completed');
      expect(heard.transcript).toBe('first');
      // Transcribed once (by the speculation), answered once (by the adopted speculation).
      expect(stt.calls.length).toBe(sttCallsAtStop);
      expect(chatCalls(llm).filter((call) => !call.aborted)).toHaveLength(1);
      const deltas = client.ofType('response.output_audio.delta');
      expect(deltas.length).toBeGreaterThan(0);
      expect(new Set(deltas.map((delta) => delta.response_id))).toEqual(new Set([done.response.id]));
      expect(done.response.output?.[0]).toMatchObject({ content: [{ transcript: REPLY }] });
    } finally {
      await client.close();
      await server.stop();
    }
  });

  it('drops the speculation silently when the learner speaks again and transcribes the resumed utterance whole; nothing of it is stored', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'localchat-speculation-'));
    const store = SafeStore.open({ dataDir });
    const llm = new ScriptedLLM({
      reply: (request) =>
        request.jsonSchema
          ? JSON.stringify({ corrected: String(request.messages.at(-1)?.content ?? ''), errors: [] })
          : request.messages.at(-1)?.content === 'first'
            ? 'Speculative words nobody may hear.'
            : REPLY,
      tokensPerSecond: 40,
    });
    const stt = clipSTT('0880', '0930');
    const engines = new StaticEngineSet({ llm, tts: new ToneTTS(), stt, vad: (settings) => createSileroVad(settings) });
    const server = await startTestServer(engines, { tutor: new TutorService({ store, engines, logger: pino({ level: 'silent' }) }) });
    const client = await TestRealtimeClient.connect(server.wsUrl);
    try {
      await client.waitFor('session.created');
      client.send({ type: 'session.update', session: { audio: { input: { turn_detection: { type: 'server_vad', silence_duration_ms: 900 } } } } });
      await client.waitFor('session.updated');
      await stream(client, loadClip('0880'), false);
      // A 600 ms thinking pause: longer than "maybe done", shorter than the thinking time.
      await stream(client, silence(600), true);
      await stream(client, loadClip('0930'), false);
      await stream(client, silence(2000), true);
      const done = await client.waitFor('response.done');
      expect(done.response.status).toBe('completed');

      // The speculation on the first part was started, then dropped, and never reached the client.
      const speculative = chatCalls(llm).filter((call) => call.request.messages.at(-1)?.content === 'first');
      expect(speculative.length).toBeGreaterThanOrEqual(1);
      expect(JSON.stringify(client.events)).not.toContain('Speculative');
      // One learner turn, transcribed whole, answered once.
      expect(client.ofType('input_audio_buffer.committed')).toHaveLength(1);
      const heard = await client.waitFor('conversation.item.input_audio_transcription.completed');
      expect(heard.transcript).toBe('whole');
      expect(stt.calls.at(-1)!.durationMs).toBeGreaterThan(((loadClip('0880').length + loadClip('0930').length) / 24_000) * 1000);
      expect(responseIds(client.events)).toEqual([done.response.id]);
      expect(new Set(client.ofType('response.output_audio.delta').map((delta) => delta.response_id))).toEqual(new Set([done.response.id]));
      const answer = chatCalls(llm).find((call) => call.request.messages.at(-1)?.content === 'whole')!;
      expect(answer.aborted).toBe(false);
      expect(answer.request.messages.slice(1)).toEqual([{ role: 'user', content: 'whole' }]);
      // The pause was learned from.
      const thinking = client.ofType('localchat.thinking_time').at(-1)!;
      expect(thinking.pauses).toBeGreaterThanOrEqual(1);
      expect(thinking.mode).toBe('fixed');
      expect(thinking.silence_duration_ms).toBe(900);

      // The database holds the learner's whole turn and the reply, nothing of the speculation.
      await sleep(200);
      store.flush();
      const info = client.ofType('localchat.session.info')[0]!;
      const detail = store.store!.getConversation(info.conversation_id)!;
      expect(detail.turns.map((turn) => [turn.role, turn.text])).toEqual([
        ['user', 'whole'],
        ['assistant', REPLY],
      ]);
      expect(store.store!.getSettings()['profile.turnPauses']).toEqual([expect.any(Number)]);
    } finally {
      await client.close();
      await server.stop();
      store.close();
    }
  });

  it('a barge-in during an adopted speculative reply cuts it; the next utterance is answered', async () => {
    const llm = new ScriptedLLM({ reply: 'That is interesting. '.repeat(20), tokensPerSecond: 20 });
    const stt = clipSTT('0880', '0930');
    const server = await startTestServer(new StaticEngineSet({ llm, tts: new ToneTTS(), stt, vad: (settings) => createSileroVad(settings) }));
    const client = await TestRealtimeClient.connect(server.wsUrl);
    try {
      await client.waitFor('session.created');
      client.send({ type: 'session.update', session: { audio: { input: { turn_detection: { type: 'server_vad', silence_duration_ms: 700 } } } } });
      await client.waitFor('session.updated');
      await stream(client, loadClip('0880'), false);
      await stream(client, silence(1200), true);
      await client.waitFor('response.output_audio.delta');
      const from = client.events.length;
      await stream(client, concatAudio(loadClip('0930'), silence(300)), false);
      await client.waitFor('input_audio_buffer.speech_started', () => true, from);
      const first = await client.waitFor('response.done');
      expect(first.response.status).toBe('cancelled');
      expect(first.response.status_details).toMatchObject({ reason: 'turn_detected' });
      await stream(client, silence(1500), true);
      const second = await client.waitFor('response.done', (event) => event.response.id !== first.response.id);
      expect(second.response.status).toBe('completed');
      const answers = chatCalls(llm).filter((call) => !call.aborted);
      expect(answers.at(-1)!.request.messages.at(-1)).toEqual({ role: 'user', content: 'second' });
      // The cut reply settled in the history before the second learner turn.
      expect(answers.at(-1)!.request.messages.slice(1).map((message) => message.role)).toEqual(['user', 'assistant', 'user']);
    } finally {
      await client.close();
      await server.stop();
    }
  });
});

describe.runIf(available)('speculative reply, client VAD (maybe_done / resumed)', () => {
  let llm: ScriptedLLM;
  let stt: ScriptedSTT;
  let server: Awaited<ReturnType<typeof startTestServer>>;

  beforeAll(async () => {
    llm = new ScriptedLLM({ reply: REPLY, tokensPerSecond: 40 });
    stt = clipSTT('0880', '0930');
    server = await startTestServer(new StaticEngineSet({ llm, tts: new ToneTTS(), stt }));
  });
  afterAll(async () => {
    await server.stop();
  });

  async function waitUntil(condition: () => boolean, timeoutMs = 5000): Promise<void> {
    const end = performance.now() + timeoutMs;
    while (!condition()) {
      if (performance.now() > end) throw new Error('timed out');
      await sleep(10);
    }
  }

  it('"maybe done" prepares the reply; commit + response.create plays it without transcribing or generating again', async () => {
    const client = await TestRealtimeClient.connect(server.wsUrl);
    const calls = llm.calls.length;
    const sttCalls = stt.calls.length;
    try {
      await client.waitFor('session.created');
      await stream(client, loadClip('0880'), false);
      client.send({ type: 'localchat.input_audio_buffer.maybe_done' });
      await waitUntil(() => llm.calls.length > calls);
      await sleep(100);
      expect(client.events.filter((event) => event.type.startsWith('response.') || event.type.startsWith('conversation.item'))).toEqual([]);
      const from = client.events.length;
      client.send({ type: 'input_audio_buffer.commit' });
      client.send({ type: 'response.create' });
      const done = await client.waitFor('response.done', () => true, from);
      expect(done.response.status).toBe('completed');
      expect(llm.calls.length - calls).toBe(1);
      expect(stt.calls.length - sttCalls).toBe(1);
      expect((await client.waitFor('conversation.item.input_audio_transcription.completed')).transcript).toBe('first');
      expect(client.ofType('response.output_audio.delta').length).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  });

  it('"resumed" drops it unheard; the whole utterance is transcribed at commit and the pause is reported', async () => {
    const client = await TestRealtimeClient.connect(server.wsUrl);
    const calls = llm.calls.length;
    try {
      await client.waitFor('session.created');
      await stream(client, loadClip('0880'), false);
      client.send({ type: 'localchat.input_audio_buffer.maybe_done' });
      await waitUntil(() => llm.calls.length > calls);
      client.send({ type: 'localchat.input_audio_buffer.resumed', pause_ms: 700 });
      await stream(client, loadClip('0930'), false);
      client.send({ type: 'input_audio_buffer.commit' });
      client.send({ type: 'response.create' });
      const done = await client.waitFor('response.done');
      expect(done.response.status).toBe('completed');
      const mine = llm.calls.slice(calls);
      expect(mine).toHaveLength(2);
      expect(mine[0]!.aborted).toBe(true);
      expect(mine[0]!.request.messages.at(-1)).toEqual({ role: 'user', content: 'first' });
      expect(mine[1]!.request.messages.at(-1)).toEqual({ role: 'user', content: 'whole' });
      expect((await client.waitFor('conversation.item.input_audio_transcription.completed')).transcript).toBe('whole');
      expect(responseIds(client.events)).toEqual([done.response.id]);
      expect(new Set(client.ofType('response.output_audio.delta').map((delta) => delta.response_id))).toEqual(new Set([done.response.id]));
      const thinking = await client.waitFor('localchat.thinking_time', (event) => event.pauses === 1);
      expect(thinking.mode).toBe('learned');
    } finally {
      await client.close();
    }
  });

  it('a typed message drops the speculation before its own reply starts (never two LLM calls at once)', async () => {
    const client = await TestRealtimeClient.connect(server.wsUrl);
    const calls = llm.calls.length;
    try {
      await client.waitFor('session.created');
      await stream(client, loadClip('0880'), false);
      client.send({ type: 'localchat.input_audio_buffer.maybe_done' });
      await waitUntil(() => llm.calls.length > calls);
      client.sendText('Actually, let me type it.');
      const done = await client.waitFor('response.done');
      expect(done.response.status).toBe('completed');
      const mine = llm.calls.slice(calls);
      expect(mine).toHaveLength(2);
      expect(mine[0]!.aborted).toBe(true);
      expect(mine[0]!.endedAt!).toBeLessThanOrEqual(mine[1]!.startedAt);
      expect(mine[1]!.request.messages.slice(1)).toEqual([{ role: 'user', content: 'Actually, let me type it.' }]);
      expect(responseIds(client.events)).toEqual([done.response.id]);
    } finally {
      await client.close();
    }
  });
});

describe.runIf(available)('learned thinking time', () => {
  it('follows the learner\'s pauses once five are known, within the settings\' range; a fixed value stays fixed', async () => {
    const server = await startTestServer(new StaticEngineSet({ llm: new ScriptedLLM({ reply: REPLY }), tts: new ToneTTS(), stt: new ScriptedSTT({ transcripts: ['x'] }), vad: (settings) => createSileroVad(settings) }));
    const learned = await TestRealtimeClient.connect(server.wsUrl);
    const fixed = await TestRealtimeClient.connect(server.wsUrl);
    try {
      await learned.waitFor('session.created');
      const first = await learned.waitFor('localchat.thinking_time');
      expect(first).toMatchObject({ mode: 'learned', silence_duration_ms: 900, learned_ms: 900, pauses: 0, range: { min: 300, max: 2500 } });
      learned.send({ type: 'session.update', session: { audio: { input: { turn_detection: { type: 'server_vad' } } } } });
      await learned.waitFor('session.updated');
      for (const pause of [1000, 1100, 1200, 1300]) learned.send({ type: 'localchat.input_audio_buffer.resumed', pause_ms: pause });
      const four = await learned.waitFor('localchat.thinking_time', (event) => event.pauses === 4);
      expect(four.silence_duration_ms).toBe(900);
      learned.send({ type: 'localchat.input_audio_buffer.resumed', pause_ms: 1400 });
      const five = await learned.waitFor('localchat.thinking_time', (event) => event.pauses === 5);
      // 95th percentile of 1000..1400 (1380) + 200 ms.
      expect(five).toMatchObject({ mode: 'learned', learned_ms: 1580, silence_duration_ms: 1580 });
      learned.send({ type: 'session.update', session: {} });
      const updated = await learned.waitFor('session.updated', (event) => (event.session.audio?.input?.turn_detection as { silence_duration_ms?: number } | null)?.silence_duration_ms === 1580);
      expect(updated).toBeTruthy();
      // Very long pauses: the range's maximum.
      for (let i = 0; i < 5; i++) learned.send({ type: 'localchat.input_audio_buffer.resumed', pause_ms: 9000 });
      await learned.waitFor('localchat.thinking_time', (event) => event.pauses === 10 && event.silence_duration_ms === 2500);

      await fixed.waitFor('session.created');
      fixed.send({ type: 'session.update', session: { audio: { input: { turn_detection: { type: 'server_vad', silence_duration_ms: 700 } } } } });
      await fixed.waitFor('localchat.thinking_time', (event) => event.mode === 'fixed' && event.silence_duration_ms === 700);
      for (let i = 0; i < 5; i++) fixed.send({ type: 'localchat.input_audio_buffer.resumed', pause_ms: 2000 });
      const after = await fixed.waitFor('localchat.thinking_time', (event) => event.pauses === 5);
      expect(after).toMatchObject({ mode: 'fixed', silence_duration_ms: 700, learned_ms: 2200 });
    } finally {
      await learned.close();
      await fixed.close();
      await server.stop();
    }
  });
});
