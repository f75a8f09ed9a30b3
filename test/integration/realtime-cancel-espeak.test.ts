/**
 * `response.cancel` while eSpeak NG is synthesizing a long reply, over the realtime WebSocket:
 * synthesis runs in the worker pool, so the event loop is free to take the cancel; the reply ends
 * with `response.done` (cancelled) within 100 ms and no audio or text of it follows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AudioChunk } from '../../src/core/audio.js';
import type { SynthesizeOptions, TTS } from '../../src/core/tts.js';
import { StaticEngineSet } from '../../src/engines/engine-set.js';
import { EspeakTTSEngine } from '../../src/engines/tts/espeak.js';
import { ScriptedLLM, sleep } from '../../src/testing/scripted-llm.js';
import { closeWorkers } from '../../src/workers/pool.js';
import { TestRealtimeClient } from '../helpers/realtime-client.js';
import { type TestServer, startTestServer } from '../helpers/test-server.js';

/** `length` characters of English with no sentence end: the chunker cuts it at its length limit. */
function longText(length: number): string {
  const words = 'so we walked along the river and talked about the weather and the people we met and the food we had';
  let text = '';
  while (text.length < length) text += `${words} `;
  return text.slice(0, length).trim();
}

/** eSpeak NG, but every chunk it is given is spoken as a 2,000-character text (one long synthesis). */
class LongChunkEspeak implements TTS {
  readonly inner = new EspeakTTSEngine();
  readonly provider = this.inner.provider;
  readonly modelId = this.inner.modelId;
  readonly sampleRate = this.inner.sampleRate;
  readonly defaultVoice = this.inner.defaultVoice;
  readonly texts: string[] = [];
  voices() {
    return this.inner.voices();
  }
  prepare() {
    return this.inner.prepare();
  }
  synthesize(text: string, options: SynthesizeOptions): AsyncIterable<AudioChunk> {
    const long = `${text} ${longText(2000)}`.slice(0, 2000);
    this.texts.push(long);
    return this.inner.synthesize(long, options);
  }
}

let server: TestServer;
let tts: LongChunkEspeak;

beforeAll(async () => {
  tts = new LongChunkEspeak();
  await tts.prepare();
  const llm = new ScriptedLLM({ reply: longText(2000), tokensPerSecond: 2000 });
  server = await startTestServer(new StaticEngineSet({ llm, tts }));
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await closeWorkers();
});

async function cancelOnce(trigger: 'response.output_audio.delta' | 'response.output_audio_transcript.delta'): Promise<{ latencyMs: number; after: string[]; status: string }> {
  const client = await TestRealtimeClient.connect(server.wsUrl, { origin: server.url });
  try {
    await client.waitFor('session.created');
    const start = client.events.length;
    client.sendText('Tell me about your weekend.');
    await client.waitFor(trigger, () => true, start);
    const cancelAt = performance.now();
    client.send({ type: 'response.cancel' });
    const done = await client.waitFor('response.done', () => true, start);
    const latencyMs = performance.now() - cancelAt;
    await sleep(400);
    const types = client.events.slice(start).map((event) => event.type);
    const after = types.slice(types.indexOf('response.done') + 1).filter((type) => type.startsWith('response.output') || type.endsWith('.delta'));
    return { latencyMs, after, status: String(done.response.status) };
  } finally {
    await client.close();
  }
}

describe('response.cancel during a long eSpeak NG synthesis', () => {
  it('answers response.done within 100 ms, with no delta after it, at the first audio', async () => {
    const latencies: number[] = [];
    for (let run = 0; run < 3; run++) {
      const result = await cancelOnce('response.output_audio.delta');
      expect(result.status).toBe('cancelled');
      expect(result.after).toEqual([]);
      latencies.push(result.latencyMs);
    }
    console.info(`cancel -> response.done during synthesis of 2,000-character chunks: ${latencies.map((ms) => ms.toFixed(1)).join(', ')} ms`);
    expect(tts.texts.every((text) => text.length === 2000)).toBe(true);
    expect(Math.max(...latencies)).toBeLessThan(100);
  });

  it('answers response.done within 100 ms while the first chunk is still being synthesized', async () => {
    const result = await cancelOnce('response.output_audio_transcript.delta');
    console.info(`cancel -> response.done before the first audio: ${result.latencyMs.toFixed(1)} ms`);
    expect(result.status).toBe('cancelled');
    expect(result.after).toEqual([]);
    expect(result.latencyMs).toBeLessThan(100);
  });
});
