/**
 * A third-party client that streams raw microphone audio with `turn_detection: server_vad`: the
 * real Silero VAD on the server finds the learner's utterances in real LibriVox speech, commits
 * them, and a full turn comes back; speech during a reply interrupts it (barge-in).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticEngineSet } from '../../src/engines/engine-set.js';
import { createSileroVad } from '../../src/engines/vad/silero-vad.js';
import { ScriptedLLM } from '../../src/testing/scripted-llm.js';
import { ScriptedSTT } from '../../src/testing/scripted-stt.js';
import { ToneTTS } from '../../src/testing/tone-tts.js';
import { LIBRIVOX_CLIPS, concatAudio, librivoxAvailable, loadClip, silence, toAppendFrames } from '../fixtures/librivox.js';
import { TestRealtimeClient } from '../helpers/realtime-client.js';
import { type TestServer, startTestServer } from '../helpers/test-server.js';

const available = librivoxAvailable();

describe.runIf(available)('server_vad', () => {
  let server: TestServer;
  let llm: ScriptedLLM;
  let stt: ScriptedSTT;

  beforeAll(async () => {
    llm = new ScriptedLLM({ reply: 'I see. Please tell me more about that young man and his family.', tokensPerSecond: 50 });
    stt = new ScriptedSTT({ transcripts: [LIBRIVOX_CLIPS['0880'], LIBRIVOX_CLIPS['0930'], 'again'] });
    server = await startTestServer(new StaticEngineSet({ llm, tts: new ToneTTS(), stt, vad: (settings) => createSileroVad(settings) }));
  });
  afterAll(async () => {
    await server.stop();
  });

  it('detects an utterance in streamed audio, commits it and answers it', async () => {
    const client = await TestRealtimeClient.connect(server.wsUrl);
    try {
      await client.waitFor('session.created');
      client.send({ type: 'session.update', session: { audio: { input: { turn_detection: { type: 'server_vad', silence_duration_ms: 500 } } } } });
      const updated = await client.waitFor('session.updated');
      expect(updated.session).toMatchObject({ audio: { input: { turn_detection: { type: 'server_vad', silence_duration_ms: 500 } } } });
      const clip = loadClip('0880');
      for (const frame of toAppendFrames(concatAudio(silence(500), clip, silence(1500)), 40)) client.send({ type: 'input_audio_buffer.append', audio: frame });

      const started = await client.waitFor('input_audio_buffer.speech_started');
      const stopped = await client.waitFor('input_audio_buffer.speech_stopped');
      expect(started.audio_start_ms).toBeGreaterThan(300);
      expect(started.audio_start_ms).toBeLessThan(1000);
      const clipEndMs = 500 + (clip.length / 24_000) * 1000;
      expect(stopped.audio_end_ms).toBeGreaterThan(clipEndMs - 600);
      expect(stopped.audio_end_ms).toBeLessThan(clipEndMs + 800);
      const committed = await client.waitFor('input_audio_buffer.committed');
      expect(committed.item_id).toBe(started.item_id);
      const heard = await client.waitFor('conversation.item.input_audio_transcription.completed');
      expect(heard.transcript).toBe(LIBRIVOX_CLIPS['0880']);
      const done = await client.waitFor('response.done');
      expect(done.response.status).toBe('completed');
      expect(client.ofType('response.output_audio.delta').length).toBeGreaterThan(0);
      // The utterance sent to STT is the clip with a little padding, not the whole stream.
      expect(stt.calls[0]!.durationMs).toBeGreaterThan((clip.length / 24_000) * 1000 - 300);
      expect(stt.calls[0]!.durationMs).toBeLessThan((clip.length / 24_000) * 1000 + 1500);
    } finally {
      await client.close();
    }
  });

  it('interrupts the reply when the learner speaks again (barge-in), then answers the new utterance', async () => {
    const slow = new ScriptedLLM({ reply: 'That is interesting. '.repeat(20), tokensPerSecond: 20 });
    const bargeServer = await startTestServer(new StaticEngineSet({ llm: slow, tts: new ToneTTS(), stt: new ScriptedSTT({ transcripts: ['first', 'second'] }), vad: (settings) => createSileroVad(settings) }));
    const client = await TestRealtimeClient.connect(bargeServer.wsUrl);
    try {
      await client.waitFor('session.created');
      client.send({ type: 'session.update', session: { audio: { input: { turn_detection: { type: 'server_vad', silence_duration_ms: 500 } } } } });
      await client.waitFor('session.updated');
      for (const frame of toAppendFrames(concatAudio(loadClip('0880'), silence(1000)), 40)) client.send({ type: 'input_audio_buffer.append', audio: frame });
      await client.waitFor('response.output_audio.delta');
      const from = client.events.length;
      for (const frame of toAppendFrames(concatAudio(loadClip('0930'), silence(1000)), 40)) client.send({ type: 'input_audio_buffer.append', audio: frame });
      await client.waitFor('input_audio_buffer.speech_started', () => true, from);
      const first = await client.waitFor('response.done');
      expect(first.response.status).toBe('cancelled');
      expect(first.response.status_details).toMatchObject({ reason: 'turn_detected' });
      const second = await client.waitFor('response.done', (event) => event.response.id !== first.response.id);
      expect(second.response.status).toBe('completed');
      expect(slow.calls[0]!.aborted).toBe(true);
      expect(slow.calls.at(-1)!.request.messages.at(-1)).toEqual({ role: 'user', content: 'second' });
    } finally {
      await client.close();
      await bargeServer.stop();
    }
  });
});
