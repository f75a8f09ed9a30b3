/**
 * Fault tolerance: an LLM server that stalls or answers 500 (retried once before any output), a
 * TTS that throws on one chunk (the fallback voice speaks it), and SIGTERM during a turn (the
 * server cancels the turn, closes its sockets and exits).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { StaticEngineSet } from '../../src/engines/engine-set.js';
import { EngineRegistry } from '../../src/engines/registry.js';
import { ScriptedLLM } from '../../src/testing/scripted-llm.js';
import { ToneTTS } from '../../src/testing/tone-tts.js';
import { type SseServer, startSseServer } from '../helpers/openai-sse-server.js';
import { TestRealtimeClient } from '../helpers/realtime-client.js';
import { startTestServer } from '../helpers/test-server.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function remoteLlmApp(llm: SseServer, turnTimeouts = { llmFirstTokenMs: 300, llmIdleMs: 300 }) {
  const config = loadConfig({ env: {}, flags: { llmBaseUrl: llm.baseURL, llmModel: 'test-model', tts: 'espeak', stt: 'none', download: false }, configFile: join(process.cwd(), 'no-such-config.json') });
  const engines = new EngineRegistry({ config, logger: pino({ level: 'silent' }) });
  await engines.start();
  const server = await startTestServer(engines, { turnTimeouts });
  const client = await TestRealtimeClient.connect(server.wsUrl);
  cleanups.push(async () => {
    await client.close();
    await server.stop();
    await engines.dispose();
    await llm.close();
  });
  await client.waitFor('session.created');
  return { client, engines, server };
}

describe('faults', () => {
  it('times out an LLM server that stalls (after one retry), says so, and the next turn works', async () => {
    const llm = await startSseServer({ reply: 'Back again! How are you?', stallRequests: 2 });
    const { client } = await remoteLlmApp(llm);
    const started = performance.now();
    client.sendText('Hello?');
    const done = await client.waitFor('response.done');
    expect(done.response.status).toBe('failed');
    expect(performance.now() - started).toBeLessThan(5000);
    expect(client.ofType('response.output_audio_transcript.done')[0]?.transcript).toMatch(/did not answer within/);
    expect(llm.requests.filter((request) => request.path.endsWith('/chat/completions'))).toHaveLength(2);
    const next = client.events.length;
    client.sendText('And now?');
    const again = await client.waitFor('response.done', () => true, next);
    expect(again.response.status).toBe('completed');
  });

  it('retries a 500 once before any output and then answers normally', async () => {
    const llm = await startSseServer({ reply: 'Fine, thank you!', failRequests: 1 });
    const { client } = await remoteLlmApp(llm);
    client.sendText('How are you?');
    const done = await client.waitFor('response.done');
    expect(done.response.status).toBe('completed');
    expect(client.ofType('response.output_audio_transcript.done')[0]?.transcript).toBe('Fine, thank you!');
  });

  it('speaks a chunk the TTS failed on with the fallback voice; without one, reports it and goes on', async () => {
    const reply = 'This is the first sentence of the reply. And this is the second sentence of it. Here comes the third one now.';
    const llm = new ScriptedLLM({ reply });
    const failing = new ToneTTS({ failOnCall: 1 });
    const fallback = new ToneTTS();
    const server = await startTestServer(new StaticEngineSet({ llm, tts: failing, fallbackTts: fallback }));
    const client = await TestRealtimeClient.connect(server.wsUrl);
    cleanups.push(async () => {
      await client.close();
      await server.stop();
    });
    client.sendText('hi');
    const done = await client.waitFor('response.done');
    expect(done.response.status).toBe('completed');
    expect(fallback.calls.map((call) => call.text)).toEqual([failing.calls[1]!.text]);
    expect(client.ofType('error')).toEqual([]);

    const alone = await startTestServer(new StaticEngineSet({ llm, tts: new ToneTTS({ failOnCall: 1 }) }));
    const lonely = await TestRealtimeClient.connect(alone.wsUrl);
    cleanups.push(async () => {
      await lonely.close();
      await alone.stop();
    });
    lonely.sendText('hi');
    const second = await lonely.waitFor('response.done');
    expect(second.response.status).toBe('completed');
    expect(lonely.ofType('error').map((event) => event.error.code)).toEqual(['tts_error']);
    expect(lonely.ofType('response.output_audio.delta').length).toBeGreaterThan(0);
  });

  it('shuts down gracefully on SIGTERM during a turn: the turn ends cancelled with response.done, sockets close with 1001, exit 0', async () => {
    const llm = await startSseServer({ reply: 'This is a long and slow reply. '.repeat(30), wordDelayMs: 100 });
    cleanups.push(() => llm.close());
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0', '--llm-base-url', llm.baseURL, '--llm-model', 'test-model', '--tts', 'espeak', '--stt', 'none', '--no-download', '--log-level', 'info'], {
      env: { ...process.env, LOCALCHAT_DATA_DIR: join(process.cwd(), '.cache', 'sigterm-data') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanups.push(async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start: ${output}`)), 90_000);
      child.stdout.on('data', (data: Buffer) => {
        output += data.toString();
        const match = /open (http:\/\/[^\s"]+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      child.stderr.on('data', (data: Buffer) => (output += data.toString()));
    });
    const port = new URL(url).port;
    const client = await TestRealtimeClient.connect(`ws://127.0.0.1:${port}/v1/realtime`);
    await client.waitFor('session.created');
    client.sendText('Tell me a long story.');
    await client.waitFor('response.output_audio_transcript.delta');
    const closed = new Promise<number>((resolve) => client.socket.once('close', (code) => resolve(code)));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const sentAt = performance.now();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // The turn ends as cancelled with its response.done, then the socket closes as "going away".
    expect(await closed).toBe(1001);
    expect(client.ofType('response.done').at(-1)?.response.status).toBe('cancelled');
    expect(performance.now() - sentAt).toBeLessThan(5000);
    expect(output).toMatch(/shutting down \(1 open session\)/);
  }, 120_000);
});
