/**
 * A whole turn over `/v1/realtime` with a scripted LLM and a tone TTS: event order, audio,
 * cancel, bad frames, LLM failure mid-reply, disconnect, Host and Origin checks.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StaticEngineSet } from '../../src/engines/engine-set.js';
import { ScriptedLLM, sleep } from '../../src/testing/scripted-llm.js';
import { ToneTTS } from '../../src/testing/tone-tts.js';
import { TestRealtimeClient, decodePcm16 } from '../helpers/realtime-client.js';
import { type TestServer, startTestServer } from '../helpers/test-server.js';

const REPLY = 'That sounds **lovely**! I went to the park, too. What did you eat there?';
const SHOWN = 'That sounds lovely! I went to the park, too. What did you eat there?';

let server: TestServer;
let llm: ScriptedLLM;
let tts: ToneTTS;
let engines: StaticEngineSet;
const clients: TestRealtimeClient[] = [];

async function connect(): Promise<TestRealtimeClient> {
  const client = await TestRealtimeClient.connect(server.wsUrl, { origin: server.url });
  clients.push(client);
  await client.waitFor('session.created');
  return client;
}

beforeAll(async () => {
  llm = new ScriptedLLM({ reply: (request) => (request.messages.at(-1)?.content.startsWith('slow') ? REPLY.repeat(6) : REPLY), tokensPerSecond: 200 });
  tts = new ToneTTS({ delayMs: 5 });
  engines = new StaticEngineSet({ llm, tts, llmHint: 'Check that the test LLM runs.' });
  server = await startTestServer(engines);
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});
afterAll(async () => {
  await server.stop();
});

describe('realtime text turn', () => {
  it('greets with the session, voices and engine status', async () => {
    const client = await connect();
    const created = await client.waitFor('session.created');
    expect(created.session).toMatchObject({ type: 'realtime', audio: { output: { voice: 'tone_a', speed: 1 } } });
    const voices = await client.waitFor('localchat.voices');
    expect(voices.voices.map((voice) => voice.id)).toEqual(['tone_a', 'tone_b']);
    const status = await client.waitFor('localchat.engine.status');
    expect(status.engines.map((engine) => engine.state)).toEqual(['ready', 'ready']);
  });

  it('streams a reply: ordered events, filtered transcript, decodable 24 kHz audio, completed', async () => {
    const client = await connect();
    const start = client.events.length;
    client.sendText('I goed to the park yesterday.');
    const done = await client.waitFor('response.done', () => true, start);
    expect(done.response.status).toBe('completed');

    const types = client.events.slice(start).map((event) => event.type);
    const order = ['conversation.item.added', 'conversation.item.done', 'response.created', 'response.output_item.added', 'response.output_audio_transcript.delta', 'response.output_audio.delta', 'response.output_audio_transcript.done', 'response.output_audio.done', 'response.output_item.done', 'response.done'];
    const positions = order.map((type) => types.indexOf(type as (typeof types)[number]));
    expect(positions.every((position) => position >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(types.lastIndexOf('response.output_audio.delta')).toBeLessThan(types.indexOf('response.done'));

    const transcript = client.ofType('response.output_audio_transcript.delta', start).map((event) => event.delta).join('');
    expect(transcript).toBe(SHOWN);
    expect(client.ofType('response.output_audio_transcript.done', start)[0]?.transcript).toBe(SHOWN);

    const samples = client.ofType('response.output_audio.delta', start).reduce((sum, event) => sum + decodePcm16(event.delta).length, 0);
    const spokenChars = tts.calls.slice(-3).reduce((sum, call) => sum + call.text.length, 0);
    expect(samples).toBeGreaterThan(0);
    expect(samples).toBeLessThanOrEqual(Math.round(spokenChars * 0.06 * 24_000) + 10);
    // Pipelined: more than one TTS chunk for a 3-sentence reply, all spoken text = shown text.
    const calls = tts.calls.filter((call) => SHOWN.includes(call.text));
    expect(calls.length).toBeGreaterThan(1);

    const metrics = await client.waitFor('localchat.response.metrics', () => true, start);
    expect(metrics.ttfa_ms).not.toBeNull();
    expect(metrics.ttft_ms!).toBeLessThanOrEqual(metrics.ttfa_ms!);
  });

  it('keeps the conversation: the second turn sends the first one as history', async () => {
    const client = await connect();
    let start = client.events.length;
    client.sendText('first message');
    await client.waitFor('response.done', () => true, start);
    start = client.events.length;
    client.sendText('second message');
    await client.waitFor('response.done', () => true, start);
    const messages = llm.calls.at(-1)!.request.messages;
    expect(messages[0]?.role).toBe('system');
    expect(messages.slice(1).map((message) => message.role)).toEqual(['user', 'assistant', 'user']);
    // The model's exact output goes back (markdown included), so its KV cache is reused; the
    // learner saw and heard the filtered text.
    expect(messages[2]?.content).toBe(REPLY);
  });

  it('cancels mid-reply: response.done cancelled, no audio after it, LLM stopped within 100 ms', async () => {
    const client = await connect();
    const start = client.events.length;
    client.sendText('slow please');
    await client.waitFor('response.output_audio.delta', () => true, start);
    const cancelAt = performance.now();
    client.send({ type: 'response.cancel' });
    const done = await client.waitFor('response.done', () => true, start);
    expect(done.response.status).toBe('cancelled');
    await sleep(300);
    const types = client.events.slice(start).map((event) => event.type);
    expect(types.slice(types.indexOf('response.done') + 1).filter((type) => type.startsWith('response.output'))).toEqual([]);
    const call = llm.calls.at(-1)!;
    expect(call.aborted).toBe(true);
    expect(call.endedAt! - cancelAt).toBeLessThan(100);
  });

  it('a new user message cancels the reply in progress and gets its own answer', async () => {
    const client = await connect();
    const start = client.events.length;
    client.sendText('slow please');
    await client.waitFor('response.output_audio_transcript.delta', () => true, start);
    client.sendText('never mind');
    const first = await client.waitFor('response.done', () => true, start);
    expect(first.response.status).toBe('cancelled');
    const second = await client.waitFor('response.done', (event) => event.response.id !== first.response.id, start);
    expect(second.response.status).toBe('completed');
  });

  it('stops all work when the client disconnects mid-reply', async () => {
    const client = await connect();
    const start = client.events.length;
    client.sendText('slow please');
    await client.waitFor('response.output_audio.delta', () => true, start);
    const closedAt = performance.now();
    await client.close();
    await sleep(200);
    const call = llm.calls.at(-1)!;
    expect(call.aborted).toBe(true);
    expect(call.endedAt! - closedAt).toBeLessThan(150);
    const ttsCallsAfter = tts.calls.length;
    await sleep(200);
    expect(tts.calls.length).toBe(ttsCallsAfter);
  });

  it('changes voice and speed with session.update and refuses an unknown voice', async () => {
    const client = await connect();
    client.send({ type: 'session.update', session: { audio: { output: { voice: 'tone_b', speed: 1.5 } } } });
    const updated = await client.waitFor('session.updated');
    expect(updated.session).toMatchObject({ audio: { output: { voice: 'tone_b', speed: 1.5 } } });
    const start = client.events.length;
    client.sendText('hello');
    await client.waitFor('response.done', () => true, start);
    expect(tts.calls.at(-1)).toMatchObject({ voice: 'tone_b', speed: 1.5 });
    client.send({ type: 'session.update', event_id: 'ev1', session: { audio: { output: { voice: 'nobody' } } } });
    const error = await client.waitFor('error', (event) => event.error.code === 'invalid_voice');
    expect(error.error.event_id).toBe('ev1');
  });
});

describe('bad input keeps the session', () => {
  it('answers malformed, unknown, invalid, empty, over-long and oversize frames with errors, then still works', async () => {
    const client = await connect();
    const start = client.events.length;
    client.sendText('remember me');
    await client.waitFor('response.done', () => true, start);

    const frames: [string, string][] = [
      ['{ not json', 'invalid_json'],
      ['[1,2]', 'invalid_event'],
      [JSON.stringify({ type: 'bogus.event' }), 'unknown_event'],
      [JSON.stringify({ type: 'output_audio_buffer.clear' }), 'unsupported_event'],
      [JSON.stringify({ type: 'input_audio_buffer.append', audio: 'AA==' }), 'invalid_audio'],
      [JSON.stringify({ type: 'input_audio_buffer.commit' }), 'input_audio_buffer_commit_empty'],
      [JSON.stringify({ type: 'conversation.item.truncate', item_id: 'item_nope', content_index: 0, audio_end_ms: 10 }), 'item_truncate_invalid_item_id'],
      // A session.update applies its valid fields and reports each invalid one (invalid_value).
      [JSON.stringify({ type: 'session.update', session: { audio: { input: { format: { type: 'audio/pcm', rate: 16000 } } } } }), 'invalid_value'],
      [JSON.stringify({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: '   ' }] } }), 'invalid_event'],
      [JSON.stringify({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'x'.repeat(4001) }] } }), 'invalid_event'],
      [JSON.stringify({ type: 'session.update', session: { audio: { output: { speed: 9 } } } }), 'invalid_value'],
      [JSON.stringify({ type: 'response.cancel' }), 'response_cancel_not_active'],
      [JSON.stringify({ type: 'conversation.item.create', padding: 'x'.repeat(300_000) }), 'frame_too_large'],
    ];
    for (const [frame, code] of frames) {
      const before = client.events.length;
      client.socket.send(frame);
      const error = await client.waitFor('error', () => true, before);
      expect(error.error.code, frame.slice(0, 40)).toBe(code);
    }
    client.socket.send(Buffer.from([1, 2, 3]), { binary: true });
    await client.waitFor('error', (event) => /Binary/.test(event.error.message));

    const again = client.events.length;
    client.sendText('are you still there?');
    const done = await client.waitFor('response.done', () => true, again);
    expect(done.response.status).toBe('completed');
    const history = llm.calls.at(-1)!.request.messages.map((message) => message.content);
    expect(history).toContain('remember me');
    expect(history.some((content) => content.includes('x'.repeat(100)))).toBe(false);
  });
});

describe('LLM failure mid-reply', () => {
  it('keeps the partial reply, speaks a fallback saying what to check, fails the response, then works again', async () => {
    const failing = new ScriptedLLM({ reply: REPLY, failAfterTokens: 4 });
    const failingEngines = new StaticEngineSet({ llm: failing, tts: new ToneTTS(), llmHint: 'Check that the test LLM runs.' });
    const failingServer = await startTestServer(failingEngines);
    try {
      const client = await TestRealtimeClient.connect(failingServer.wsUrl);
      clients.push(client);
      const start = client.events.length;
      client.sendText('hello');
      const done = await client.waitFor('response.done', () => true, start);
      expect(done.response.status).toBe('failed');
      const transcript = client.ofType('response.output_audio_transcript.done', start)[0]!.transcript;
      expect(transcript.startsWith('That sounds')).toBe(true);
      expect(transcript).toContain('Check that the test LLM runs.');
      expect(client.ofType('response.output_audio.delta', start).length).toBeGreaterThan(0);
      expect(failingEngines.failures.map((failure) => failure.kind)).toEqual(['llm']);

      const next = client.events.length;
      client.sendText('again');
      await client.waitFor('response.done', () => true, next);
      const history = failing.calls.at(-1)!.request.messages;
      expect(history.map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'user']);
      expect(history[2]!.content).not.toContain('Check that');
    } finally {
      await failingServer.stop();
    }
  });
});

describe('Host and Origin checks', () => {
  it('answers a forged Host with 403 and loopback hosts normally', async () => {
    const forged = await server.app.inject({ method: 'GET', url: '/health', headers: { host: 'evil.example:8000' } });
    expect(forged.statusCode).toBe(403);
    const ok = await server.app.inject({ method: 'GET', url: '/health', headers: { host: `localhost:${server.port}` } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ status: 'ok', engines: [{ kind: 'llm', state: 'ready' }, { kind: 'tts', state: 'ready' }] });
  });

  it('refuses a WebSocket from a foreign Origin or with a forged Host', async () => {
    await expect(TestRealtimeClient.connect(server.wsUrl, { origin: 'http://evil.example' })).rejects.toThrow(/403/);
    await expect(TestRealtimeClient.connect(server.wsUrl, { origin: `http://localhost:${server.port + 1}` })).rejects.toThrow(/403/);
    await expect(TestRealtimeClient.connect(server.wsUrl, { headers: { host: 'evil.example' } })).rejects.toThrow(/403/);
  });

  it('lists models', async () => {
    const response = await server.app.inject({ method: 'GET', url: '/v1/models', headers: { host: '127.0.0.1' } });
    const ids = response.json().data.map((model: { id: string }) => model.id);
    expect(ids).toEqual(expect.arrayContaining(['scripted-llm', 'localchat-tutor']));
    expect(ids.some((id: string) => id.includes('tone'))).toBe(true);
  });
});

describe('voice engine picker', () => {
  it('lists the usable voice engines and switches a session to another one', async () => {
    const { EspeakTTSEngine } = await import('../../src/engines/tts/espeak.js');
    const tone = new ToneTTS();
    const picker = await startTestServer(new StaticEngineSet({ llm: new ScriptedLLM({ reply: 'Hello there, how are you?' }), tts: tone, fallbackTts: new EspeakTTSEngine() }));
    const client = await TestRealtimeClient.connect(picker.wsUrl);
    try {
      const voices = await client.waitFor('localchat.voices');
      expect(voices.engines.map((engine) => engine.provider)).toEqual(['tone', 'espeak']);
      client.send({ type: 'session.update', session: { localchat: { tts: 'espeak' } } });
      const switched = await client.waitFor('localchat.voices', (event) => event.provider === 'espeak');
      expect(switched.voices.some((voice) => voice.id === switched.default_voice)).toBe(true);
      const updated = await client.waitFor('session.updated');
      expect(updated.session).toMatchObject({ audio: { output: { voice: switched.default_voice } } });
      client.sendText('hi');
      await client.waitFor('response.done');
      expect(tone.calls).toHaveLength(0);
      expect(client.ofType('response.output_audio.delta').length).toBeGreaterThan(0);
      client.send({ type: 'session.update', event_id: 'bad', session: { localchat: { tts: 'nope' } } });
      const error = await client.waitFor('error', (event) => event.error.code === 'invalid_tts');
      expect(error.error.message).toMatch(/tone, espeak/);
    } finally {
      await client.close();
      await picker.stop();
    }
  });
});
