/**
 * A real third-party client: the official `openai` package's Node realtime client
 * (`openai/realtime/ws`, which only speaks `wss:`) completes a text turn over TLS, with the
 * server's self-signed certificate trusted as a CA.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticEngineSet } from '../../src/engines/engine-set.js';
import { selfSignedTls } from '../../src/server/tls.js';
import { ScriptedLLM } from '../../src/testing/scripted-llm.js';
import { ToneTTS } from '../../src/testing/tone-tts.js';
import { decodePcm16 } from '../helpers/realtime-client.js';
import { type TestServer, startTestServer } from '../helpers/test-server.js';

let server: TestServer;
let ca: string;

beforeAll(async () => {
  const tls = await selfSignedTls(mkdtempSync(join(tmpdir(), 'localchat-tls-')));
  ca = tls.cert;
  const engines = new StaticEngineSet({ llm: new ScriptedLLM({ reply: 'Nice to meet you! Where are you from?' }), tts: new ToneTTS() });
  server = await startTestServer(engines, { tls });
});
afterAll(async () => {
  await server?.stop();
});

describe('official openai realtime client over wss', () => {
  it('completes a text turn with audio', async () => {
    const client = new OpenAI({ apiKey: 'local', baseURL: `https://localhost:${server.port}/v1` });
    const rt = new OpenAIRealtimeWS({ model: 'localchat', options: { ca } }, client);
    const deltas: string[] = [];
    let audioSamples = 0;
    const errors: unknown[] = [];
    rt.on('error', (error) => errors.push(error));
    rt.on('response.output_audio_transcript.delta', (event) => deltas.push(event.delta));
    rt.on('response.output_audio.delta', (event) => (audioSamples += decodePcm16(event.delta).length));
    const done = new Promise<string | undefined>((resolve) => rt.on('response.done', (event) => resolve(event.response.status)));
    await new Promise<void>((resolve, reject) => {
      rt.socket.once('open', () => resolve());
      rt.socket.once('error', reject);
    });
    rt.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['audio'], audio: { output: { voice: 'tone_b' } } } });
    rt.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hi, I am Ana.' }] } });
    rt.send({ type: 'response.create' });
    expect(await done).toBe('completed');
    expect(deltas.join('')).toBe('Nice to meet you! Where are you from?');
    expect(audioSamples).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    rt.close();
  });

  it('is refused without trusting the certificate (it is really TLS)', async () => {
    const client = new OpenAI({ apiKey: 'local', baseURL: `https://localhost:${server.port}/v1` });
    const rt = new OpenAIRealtimeWS({ model: 'localchat' }, client);
    rt.on('error', () => undefined);
    const error = await new Promise<Error>((resolve) => rt.socket.once('error', resolve));
    expect(error.message).toMatch(/self.signed|certificate/i);
  });
});
