/**
 * The whole app with the real engine registry pointed at an OpenAI-compatible LLM server (a local
 * test server) and eSpeak NG: a normal turn; a server that cuts its SSE stream mid-reply (partial
 * kept, fallback spoken, `failed`, `/health` shows the cause, next turn works); an unreachable
 * server.
 */
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { EngineRegistry } from '../../src/engines/registry.js';
import { TestRealtimeClient } from '../helpers/realtime-client.js';
import { type SseServer, startSseServer } from '../helpers/openai-sse-server.js';
import { type TestServer, startTestServer } from '../helpers/test-server.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startApp(baseURL: string): Promise<{ server: TestServer; engines: EngineRegistry; client: TestRealtimeClient }> {
  const config = loadConfig({ env: {}, flags: { llmBaseUrl: baseURL, tts: 'espeak', download: false }, configFile: join(process.cwd(), 'no-such-config.json') });
  const engines = new EngineRegistry({ config, logger: pino({ level: 'silent' }) });
  await engines.start();
  const server = await startTestServer(engines);
  const client = await TestRealtimeClient.connect(server.wsUrl);
  cleanups.push(async () => {
    await client.close();
    await server.stop();
    await engines.dispose();
  });
  await client.waitFor('session.created');
  return { server, engines, client };
}

async function startLlm(options: Parameters<typeof startSseServer>[0]): Promise<SseServer> {
  const llm = await startSseServer(options);
  cleanups.push(() => llm.close());
  return llm;
}

describe('openai-compatible LLM in a realtime turn', () => {
  it('streams a reply from the server, spoken by eSpeak NG', async () => {
    const llm = await startLlm({ reply: 'Hello there! How was your day?', model: 'qwen-test' });
    const { client, engines } = await startApp(llm.baseURL);
    expect(engines.status()[0]).toMatchObject({ provider: 'openai-compatible', modelId: 'qwen-test', state: 'ready' });
    client.sendText('Hi!');
    const done = await client.waitFor('response.done');
    expect(done.response.status).toBe('completed');
    expect(client.ofType('response.output_audio_transcript.done')[0]?.transcript).toBe('Hello there! How was your day?');
    expect(client.ofType('response.output_audio.delta').length).toBeGreaterThan(0);
    const body = llm.requests.find((request) => request.path.endsWith('/chat/completions'))?.body as { model: string; stream: boolean; messages: { role: string }[] };
    expect(body).toMatchObject({ model: 'qwen-test', stream: true });
    expect(body.messages.map((message) => message.role)).toEqual(['system', 'user']);
  });

  it('warms the server up with the session\'s system prompt when the session opens, before the first turn', async () => {
    const llm = await startLlm({ reply: 'Hello there!', model: 'qwen-test' });
    const { client } = await startApp(llm.baseURL);
    const deadline = Date.now() + 10_000;
    while (llm.warmups.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    // Nothing was said yet: the warm-up is the only chat request.
    expect(llm.requests.filter((request) => request.path.endsWith('/chat/completions'))).toHaveLength(0);
    expect(llm.warmups).toHaveLength(1);
    expect(llm.warmups[0]!.path).toMatch(/\/chat\/completions$/);
    const warmup = llm.warmups[0]!.body as { stream: boolean; max_tokens: number; messages: { role: string; content: string }[] };
    expect(warmup).toMatchObject({ model: 'qwen-test', stream: false, max_tokens: 1 });
    expect(warmup.messages).toHaveLength(1);
    expect(warmup.messages[0]!.role).toBe('system');
    expect(warmup.messages[0]!.content.length).toBeGreaterThan(50);

    client.sendText('Hi!');
    await client.waitFor('response.done');
    const turn = llm.requests.filter((request) => request.path.endsWith('/chat/completions')).at(-1)!.body as { stream: boolean; messages: { role: string; content: string }[] };
    expect(turn.stream).toBe(true);
    // The turn's prompt starts with the very system prompt the server evaluated: its cache holds it.
    expect(turn.messages[0]).toEqual(warmup.messages[0]);
  });

  it('keeps the partial reply and speaks what to check when the server cuts the stream', async () => {
    const llm = await startLlm({ reply: 'That is a great question. Let me think about it for a moment.', cutAfterWords: 5, cutOnce: true, wordDelayMs: 20 });
    const { client, server, engines } = await startApp(llm.baseURL);
    client.sendText('Why is the sky blue?');
    const done = await client.waitFor('response.done');
    expect(done.response.status).toBe('failed');
    const transcript = client.ofType('response.output_audio_transcript.done')[0]!.transcript;
    expect(transcript).toMatch(/^That is a great question./);
    expect(transcript).toContain(llm.baseURL);
    expect(client.ofType('response.output_audio.delta').length).toBeGreaterThan(0);

    const health = (await server.app.inject({ method: 'GET', url: '/health', headers: { host: 'localhost' } })).json();
    expect(health.status).toBe('degraded');
    expect(health.engines[0]).toMatchObject({ kind: 'llm', state: 'error' });
    expect(health.engines[0].message.length).toBeGreaterThan(10);

    const next = client.events.length;
    client.sendText('Are you back?');
    const again = await client.waitFor('response.done', () => true, next);
    expect(again.response.status).toBe('completed');
    const history = (llm.requests.at(-1)!.body as { messages: { role: string; content: string }[] }).messages;
    expect(history.map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'user']);
    // The partial reply goes back exactly as the server produced it (its prompt cache holds those tokens).
    expect(history[2]!.content).toBe('That is a great question. ');
    expect(engines.status()[0]?.state).toBe('ready');
  });

  it('tells the learner to start the server when it is unreachable', async () => {
    const { client, engines } = await startApp('http://127.0.0.1:9/v1');
    expect(engines.status()[0]?.state).toBe('error');
    client.sendText('Hello?');
    const done = await client.waitFor('response.done');
    expect(done.response.status).toBe('failed');
    const transcript = client.ofType('response.output_audio_transcript.done')[0]!.transcript;
    expect(transcript).toMatch(/LM Studio|Ollama/);
    expect(client.ofType('response.output_audio.delta').length).toBeGreaterThan(0);
  });
});
