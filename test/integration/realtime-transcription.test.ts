/**
 * Transcription sessions (`session.type: "transcription"`): speech in, transcripts out — live
 * `conversation.item.input_audio_transcription.delta` events while the learner speaks (the growing
 * utterance decoded again every second), then `.completed`; never a response. And bulk audio: a
 * recording sent as 1,065 appends at once passes the limits whole (appends are limited by audio
 * duration, not count), a commit is never refused, and a refused append gets an error naming it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AudioChunk } from '../../src/core/audio.js';
import { StaticEngineSet } from '../../src/engines/engine-set.js';
import { createSileroVad } from '../../src/engines/vad/silero-vad.js';
import { AUDIO_BURST_MS } from '../../src/server/realtime/rate-limit.js';
import { ScriptedLLM, sleep } from '../../src/testing/scripted-llm.js';
import { ScriptedSTT } from '../../src/testing/scripted-stt.js';
import { ToneTTS } from '../../src/testing/tone-tts.js';
import { LIBRIVOX_CLIPS, concatAudio, librivoxAvailable, loadClip, silence, toAppendFrames } from '../fixtures/librivox.js';
import { TestRealtimeClient } from '../helpers/realtime-client.js';
import { type TestServer, startTestServer } from '../helpers/test-server.js';

const available = librivoxAvailable();
const WORDS = LIBRIVOX_CLIPS['0880'].split(' ');

describe.runIf(available)('transcription sessions and bulk audio', () => {
  let server: TestServer;
  let llm: ScriptedLLM;
  let clipMs: number;

  beforeAll(async () => {
    clipMs = (loadClip('0880').length / 24_000) * 1000;
    llm = new ScriptedLLM({ reply: 'This must not be said.' });
    // A stand-in for Whisper that "hears" more words the longer the audio is: the whole sentence
    // from the clip's length on, as re-decoding a growing utterance does.
    const stt = new ScriptedSTT({
      transcripts: (_call: number, audio: AudioChunk) => {
        const ms = (audio.samples.length / audio.sampleRate) * 1000;
        return WORDS.slice(0, Math.min(WORDS.length, Math.ceil((ms / clipMs) * WORDS.length))).join(' ');
      },
      delayMs: 30,
    });
    server = await startTestServer(new StaticEngineSet({ llm, tts: new ToneTTS(), stt, vad: (settings) => createSileroVad(settings) }));
  });
  afterAll(async () => {
    await server.stop();
  });

  async function connect(): Promise<TestRealtimeClient> {
    const client = await TestRealtimeClient.connect(server.wsUrl);
    await client.waitFor('session.created');
    return client;
  }

  it('sends live deltas while the learner speaks (server VAD, real time), then the transcript, and no response', async () => {
    const client = await connect();
    try {
      client.send({
        type: 'session.update',
        session: { type: 'transcription', audio: { input: { transcription: { model: 'gpt-4o-transcribe', language: 'en' }, turn_detection: { type: 'server_vad', silence_duration_ms: 500 } } } },
      });
      const updated = await client.waitFor('session.updated');
      expect(updated.session).toMatchObject({ type: 'transcription', audio: { input: { turn_detection: { type: 'server_vad' } } } });
      const llmCalls = llm.calls.length;
      const frames = toAppendFrames(concatAudio(silence(300), loadClip('0880'), silence(1200)), 40);
      const start = performance.now();
      for (const [index, frame] of frames.entries()) {
        client.send({ type: 'input_audio_buffer.append', audio: frame });
        const wait = start + (index + 1) * 40 - performance.now();
        if (wait > 0) await sleep(wait);
      }
      const completed = await client.waitFor('conversation.item.input_audio_transcription.completed');
      expect(completed.transcript).toBe(LIBRIVOX_CLIPS['0880']);
      const deltas = client.ofType('conversation.item.input_audio_transcription.delta').filter((event) => event.item_id === completed.item_id);
      expect(deltas.map((event) => event.delta).join('')).toBe(completed.transcript);
      // Live: words arrived before the learner stopped speaking.
      const types = client.events.map((event) => event.type);
      const stopped = types.indexOf('input_audio_buffer.speech_stopped');
      expect(stopped).toBeGreaterThan(0);
      expect(types.indexOf('conversation.item.input_audio_transcription.delta')).toBeLessThan(stopped);
      expect(deltas.length).toBeGreaterThan(1);
      const added = await client.waitFor('conversation.item.added');
      expect(added.item).toMatchObject({ id: completed.item_id, content: [{ type: 'input_audio', transcript: null }] });
      await client.waitFor('conversation.item.done', (event) => event.item.id === completed.item_id);
      // A transcription session makes no responses.
      client.send({ type: 'response.create', event_id: 'evt_nope' });
      const refused = await client.waitFor('error', (event) => event.error.event_id === 'evt_nope');
      expect(refused.error.code).toBe('not_supported_in_transcription_session');
      await sleep(200);
      expect(client.ofType('response.created')).toEqual([]);
      expect(llm.calls.length).toBe(llmCalls);
    } finally {
      await client.close();
    }
  }, 20_000);

  it('passes a recording sent as 1,065 appends at once, commit included (transcription, no VAD)', async () => {
    const client = await connect();
    try {
      client.send({ type: 'session.update', session: { type: 'transcription', audio: { input: { turn_detection: null } } } });
      await client.waitFor('session.updated');
      // 1,065 frames of 20 ms: 21.3 s, the clip at its end.
      const clip = loadClip('0880');
      const audio = concatAudio(silence(21_300 - Math.round(clipMs)), clip);
      const frames = toAppendFrames(audio.subarray(0, 1065 * 480), 20);
      expect(frames.length).toBe(1065);
      for (const frame of frames) client.send({ type: 'input_audio_buffer.append', audio: frame });
      client.send({ type: 'input_audio_buffer.commit', event_id: 'evt_commit' });
      const committed = await client.waitFor('input_audio_buffer.committed');
      const completed = await client.waitFor('conversation.item.input_audio_transcription.completed');
      expect(completed.item_id).toBe(committed.item_id);
      expect(completed.usage).toEqual({ type: 'duration', seconds: expect.closeTo(21.3, 1) });
      expect(client.ofType('error')).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it('refuses appends past the audio bound with an error naming each, and still takes the commit', async () => {
    const client = await connect();
    try {
      // More audio at once than the bound allows, in 1 s appends.
      const seconds = AUDIO_BURST_MS / 1000 + 10;
      const frame = toAppendFrames(silence(1000), 1000)[0]!;
      for (let i = 0; i < seconds; i++) client.send({ type: 'input_audio_buffer.append', event_id: `evt_append_${i}`, audio: frame });
      client.send({ type: 'input_audio_buffer.commit', event_id: 'evt_commit' });
      const limited = await client.waitFor('error', (event) => event.error.code === 'rate_limit_exceeded');
      expect(limited.error.message).toContain('"input_audio_buffer.append"');
      expect(limited.error.event_id).toMatch(/^evt_append_/);
      expect(Number(limited.error.event_id!.slice('evt_append_'.length))).toBeGreaterThanOrEqual(AUDIO_BURST_MS / 1000 - 1);
      // The commit was not refused: the buffered audio (capped at 30 s) became a turn.
      const committed = await client.waitFor('input_audio_buffer.committed');
      expect(committed.item_id).toMatch(/^item_/);
      expect(client.ofType('error').filter((event) => event.error.event_id === 'evt_commit')).toEqual([]);
    } finally {
      await client.close();
    }
  });
});
