/**
 * Spoken turns over `/v1/realtime` with client-side turn detection: real LibriVox speech appended
 * and committed, a scripted STT standing in for Whisper (its weights cannot be downloaded here),
 * transcription failures, the 30 s limit, and barge-in truncation keeping only the spoken words.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StaticEngineSet } from '../../src/engines/engine-set.js';
import { ScriptedLLM, sleep } from '../../src/testing/scripted-llm.js';
import { ScriptedSTT } from '../../src/testing/scripted-stt.js';
import { ToneTTS } from '../../src/testing/tone-tts.js';
import { LIBRIVOX_CLIPS, librivoxAvailable, loadClip, silence, toAppendFrames } from '../fixtures/librivox.js';
import { TestRealtimeClient } from '../helpers/realtime-client.js';
import { type TestServer, startTestServer } from '../helpers/test-server.js';

const REPLY = 'Who was not an ill disposed young man? Tell me more about him. Is he a character in a book you are reading?';
const available = librivoxAvailable();

describe.runIf(available)('spoken turns', () => {
  let server: TestServer;
  let llm: ScriptedLLM;
  let stt: ScriptedSTT;
  let tts: ToneTTS;
  const clients: TestRealtimeClient[] = [];

  async function connect(target = server): Promise<TestRealtimeClient> {
    const client = await TestRealtimeClient.connect(target.wsUrl);
    clients.push(client);
    await client.waitFor('session.created');
    return client;
  }
  function speak(client: TestRealtimeClient, audio: Int16Array): void {
    for (const frame of toAppendFrames(audio)) client.send({ type: 'input_audio_buffer.append', audio: frame });
    client.send({ type: 'input_audio_buffer.commit' });
    client.send({ type: 'response.create' });
  }

  beforeAll(async () => {
    llm = new ScriptedLLM({ reply: REPLY, tokensPerSecond: 100 });
    stt = new ScriptedSTT({ transcripts: (call) => (call === 1 ? '' : LIBRIVOX_CLIPS['0880']), delayMs: 20 });
    tts = new ToneTTS();
    server = await startTestServer(new StaticEngineSet({ llm, tts, stt }));
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });
  afterAll(async () => {
    await server.stop();
  });

  it('transcribes a committed utterance, shows what was heard, and answers it', async () => {
    const client = await connect();
    const clip = loadClip('0880');
    speak(client, clip);
    const committed = await client.waitFor('input_audio_buffer.committed');
    const added = await client.waitFor('conversation.item.added', (event) => event.item.id === committed.item_id);
    expect(added.item).toMatchObject({ role: 'user', content: [{ type: 'input_audio' }] });
    const heard = await client.waitFor('conversation.item.input_audio_transcription.completed');
    expect(heard).toMatchObject({ item_id: committed.item_id, transcript: LIBRIVOX_CLIPS['0880'] });
    const done = await client.waitFor('response.done');
    expect(done.response.status).toBe('completed');
    expect(stt.calls[0]?.durationMs).toBeCloseTo((clip.length / 24_000) * 1000, 0);
    expect(llm.calls.at(-1)?.request.messages.at(-1)).toEqual({ role: 'user', content: LIBRIVOX_CLIPS['0880'] });
    const types = client.events.map((event) => event.type);
    expect(types.indexOf('conversation.item.input_audio_transcription.completed')).toBeLessThan(types.indexOf('response.created'));
  });

  it('reports an empty transcription, answers nothing, and keeps no empty turn', async () => {
    const client = await connect();
    speak(client, loadClip('0930'));
    const failed = await client.waitFor('conversation.item.input_audio_transcription.failed');
    expect(failed.error.message).toMatch(/couldn't hear|type/i);
    const done = await client.waitFor('response.done');
    expect(done.response.status).toBe('failed');
    expect(done.response.status_details?.error?.code).toBe('transcription_failed');
    const llmCalls = llm.calls.length;
    const next = client.events.length;
    client.sendText('Typing works.');
    await client.waitFor('response.done', () => true, next);
    expect(llm.calls.length).toBe(llmCalls + 1);
    expect(llm.calls.at(-1)!.request.messages.map((message) => message.content)).toEqual([expect.any(String), 'Typing works.']);
  });

  it('limits an utterance to 30 s and says so', async () => {
    const client = await connect();
    const long = silence(31_000);
    for (const frame of toAppendFrames(long, 1000)) client.send({ type: 'input_audio_buffer.append', audio: frame });
    const error = await client.waitFor('error', (event) => event.error.code === 'input_audio_too_long');
    expect(error.error.message).toMatch(/30 s/);
    client.send({ type: 'input_audio_buffer.clear' });
    await client.waitFor('input_audio_buffer.cleared');
  });

  it('keeps only the spoken part of a reply after barge-in truncation', async () => {
    const slowLlm = new ScriptedLLM({ reply: REPLY, tokensPerSecond: 200 });
    const slowTts = new ToneTTS({ delayMs: 50 });
    const bargeServer = await startTestServer(new StaticEngineSet({ llm: slowLlm, tts: slowTts, stt: new ScriptedSTT({ transcripts: ['first', 'second'] }) }));
    try {
      const client = await connect(bargeServer);
      speak(client, loadClip('0880'));
      const firstAudio = await client.waitFor('response.output_audio.delta');
      // The learner heard 1.5 s of the reply, then spoke again.
      client.send({ type: 'response.cancel' });
      client.send({ type: 'conversation.item.truncate', item_id: firstAudio.item_id, content_index: 0, audio_end_ms: 1500 });
      const truncated = await client.waitFor('conversation.item.truncated');
      expect(truncated).toMatchObject({ item_id: firstAudio.item_id, audio_end_ms: 1500 });
      const cancelled = await client.waitFor('response.done');
      expect(cancelled.response.status).toBe('cancelled');
      await sleep(100);
      const next = client.events.length;
      speak(client, loadClip('0930'));
      await client.waitFor('response.done', () => true, next);
      const history = slowLlm.calls.at(-1)!.request.messages;
      const assistant = history.find((message) => message.role === 'assistant')!;
      // ToneTTS: 60 ms a character at speed 1, so 1.5 s is ~25 characters of the first chunk.
      expect(REPLY.startsWith(assistant.content)).toBe(true);
      expect(assistant.content.length).toBeGreaterThan(5);
      expect(assistant.content.length).toBeLessThan(35);
      expect(history.map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'user']);
    } finally {
      await bargeServer.stop();
    }
  });

  it('says speech recognition is unavailable when there is no STT', async () => {
    const noStt = await startTestServer(new StaticEngineSet({ llm, tts }));
    try {
      const client = await connect(noStt);
      speak(client, loadClip('0880'));
      const failed = await client.waitFor('conversation.item.input_audio_transcription.failed');
      expect(failed.error.message).toMatch(/not available.*type/i);
    } finally {
      await noStt.stop();
    }
  });
});
