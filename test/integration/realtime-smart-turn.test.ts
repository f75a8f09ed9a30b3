/**
 * Semantic end of turn on the server VAD path: at a "maybe done" pause the session's InputAudio
 * asks Smart Turn (a stand-in ONNX with the real model's input and output, on onnxruntime-node)
 * about the utterance so far. "Done" ends the turn at once, long before the thinking time;
 * "not done" waits past it, up to the settings' maximum.
 */
import { describe, expect, it } from 'vitest';
import { StaticEngineSet } from '../../src/engines/engine-set.js';
import { SmartTurn } from '../../src/engines/end-of-turn/smart-turn.js';
import { createSileroVad } from '../../src/engines/vad/silero-vad.js';
import { ScriptedLLM, sleep } from '../../src/testing/scripted-llm.js';
import { ScriptedSTT } from '../../src/testing/scripted-stt.js';
import { ToneTTS } from '../../src/testing/tone-tts.js';
import { concatAudio, librivoxAvailable, loadClip, silence, toAppendFrames } from '../fixtures/librivox.js';
import { writeSmartTurnStandIn } from '../fixtures/smart-turn-fixture.js';
import { TestRealtimeClient } from '../helpers/realtime-client.js';
import { startTestServer } from '../helpers/test-server.js';

const available = librivoxAvailable();

async function session(bias: number | null, silenceMs: number) {
  const endOfTurn = bias === null ? null : await SmartTurn.load(writeSmartTurnStandIn({ weight: 0, bias }));
  const server = await startTestServer(
    new StaticEngineSet({ llm: new ScriptedLLM({ reply: 'Good.', tokensPerSecond: 0 }), tts: new ToneTTS(), stt: new ScriptedSTT({ transcripts: ['heard'] }), vad: (settings) => createSileroVad(settings), endOfTurn }),
  );
  const client = await TestRealtimeClient.connect(server.wsUrl);
  await client.waitFor('session.created');
  client.send({ type: 'session.update', session: { audio: { input: { turn_detection: { type: 'server_vad', silence_duration_ms: silenceMs } } } } });
  await client.waitFor('session.updated');
  return {
    client,
    send: (samples: Int16Array) => {
      for (const frame of toAppendFrames(samples, 40)) client.send({ type: 'input_audio_buffer.append', audio: frame });
    },
    close: async () => {
      await client.close();
      await server.stop();
    },
  };
}

describe.runIf(available)('Smart Turn on the server VAD path', () => {
  it('"done" ends the turn at the short pause, where silence alone would still wait', async () => {
    const audio = concatAudio(silence(200), loadClip('0880'), silence(700));
    const withModel = await session(4, 2000);
    const without = await session(null, 2000);
    try {
      withModel.send(audio);
      without.send(audio);
      const stopped = await withModel.client.waitFor('input_audio_buffer.speech_stopped');
      expect(stopped.audio_end_ms).toBeGreaterThan(1500);
      expect((await withModel.client.waitFor('response.done')).response.status).toBe('completed');
      await sleep(1500);
      expect(without.client.ofType('input_audio_buffer.speech_stopped')).toEqual([]);
    } finally {
      await withModel.close();
      await without.close();
    }
  });

  it('"not done" waits past the thinking time, up to the maximum', async () => {
    const withModel = await session(-4, 400);
    const without = await session(null, 400);
    try {
      const audio = concatAudio(silence(200), loadClip('0880'), silence(1500));
      withModel.send(audio);
      without.send(audio);
      await without.client.waitFor('input_audio_buffer.speech_stopped');
      await sleep(1500);
      // 1.5 s of silence: past 400 ms, short of the 2.5 s maximum.
      expect(withModel.client.ofType('input_audio_buffer.speech_stopped')).toEqual([]);
      withModel.send(silence(1500));
      const stopped = await withModel.client.waitFor('input_audio_buffer.speech_stopped');
      expect(stopped.audio_end_ms).toBeGreaterThan(1500);
    } finally {
      await withModel.close();
      await without.close();
    }
  });
});
