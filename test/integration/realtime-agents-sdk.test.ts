/**
 * The real `@openai/agents` package (pinned devDependency: 0.14.3, the newest whose `openai`
 * dependency runs on Node 20; 0.15+ need `openai` 7, Node >= 22) drives LocalChat over WebSocket:
 * a `RealtimeAgent` in a `RealtimeSession` with the SDK's own `OpenAIRealtimeWebSocket` transport
 * pointed at `/v1/realtime`. A text turn, spoken turns (real LibriVox speech appended in real time,
 * with `server_vad` and the SDK's default `semantic_vad`), an interrupt, and a function tool whose
 * result is spoken — each with the agent's own instructions reaching the LLM and no `error` event.
 */
import { OpenAIRealtimeWebSocket, RealtimeAgent, RealtimeSession, type RealtimeSessionOptions, tool } from '@openai/agents/realtime';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { CallOptions } from '../../src/core/call-options.js';
import type { ChatRequest, LLM, LLMStreamPart } from '../../src/core/llm.js';
import { StaticEngineSet } from '../../src/engines/engine-set.js';
import { createSileroVad } from '../../src/engines/vad/silero-vad.js';
import { ScriptedLLM, sleep } from '../../src/testing/scripted-llm.js';
import { ScriptedSTT } from '../../src/testing/scripted-stt.js';
import { ToneTTS } from '../../src/testing/tone-tts.js';
import { LIBRIVOX_CLIPS, concatAudio, librivoxAvailable, loadClip, silence } from '../fixtures/librivox.js';
import { type TestServer, startTestServer } from '../helpers/test-server.js';

const INSTRUCTIONS = 'You are Captain Weather, a cheerful assistant who answers in one sentence.';
const FORECAST = { city: 'Paris', forecast: 'sunny', celsius: 21 };
const available = librivoxAvailable();

/**
 * The LLM behind the agent: a ScriptedLLM for text; when the agent's tool is offered and the
 * learner asks about the weather, a function call (streamed arguments, as llama.cpp or an
 * OpenAI-compatible server give them). Every finish reports usage.
 */
class AgentLLM implements LLM {
  readonly provider = 'scripted';
  readonly modelId = 'scripted-agent-llm';
  readonly contextSize = 4096;
  readonly requests: ChatRequest[] = [];
  constructor(readonly text: ScriptedLLM) {}

  async *stream(request: ChatRequest, options: CallOptions): AsyncIterable<LLMStreamPart> {
    this.requests.push(request);
    const last = request.messages.at(-1);
    if (request.tools?.some((t) => t.name === 'get_weather') && last?.role === 'user' && /weather/i.test(last.content)) {
      yield { type: 'tool-call-start', id: 'call_weather_1', name: 'get_weather' };
      for (const piece of ['{"city":', ' "Paris"}']) yield { type: 'tool-call-delta', id: 'call_weather_1', argumentsDelta: piece };
      yield { type: 'tool-call', id: 'call_weather_1', name: 'get_weather', arguments: '{"city": "Paris"}' };
      yield { type: 'finish', reason: 'tool-calls', usage: { promptTokens: 30, completionTokens: 9 } };
      return;
    }
    for await (const part of this.text.stream(request, options)) {
      yield part.type === 'finish' ? { ...part, usage: { promptTokens: 25, completionTokens: 12 } } : part;
    }
  }
}

describe.runIf(available)('@openai/agents RealtimeSession against LocalChat', () => {
  let server: TestServer;
  let llm: AgentLLM;
  let stt: ScriptedSTT;
  /** What the stand-in for Whisper hears next. */
  let heard: string = LIBRIVOX_CLIPS['0880'];
  const sessions: RealtimeSession[] = [];

  beforeAll(async () => {
    llm = new AgentLLM(
      new ScriptedLLM({
        reply: (request) => {
          const last = request.messages.at(-1);
          if (last?.role === 'tool') {
            const result = JSON.parse(last.content) as typeof FORECAST;
            return `It is ${result.forecast} in ${result.city} today, ${result.celsius} degrees.`;
          }
          return 'Ahoy! That is a fine thing to say. What else would you like to know today, my friend?';
        },
        tokensPerSecond: 80,
      }),
    );
    stt = new ScriptedSTT({ transcripts: () => heard });
    server = await startTestServer(new StaticEngineSet({ llm, tts: new ToneTTS(), stt, vad: (settings) => createSileroVad(settings) }));
  });
  afterEach(() => {
    for (const session of sessions.splice(0)) session.close();
  });
  afterAll(async () => {
    await server.stop();
  });

  /** A connected session with its agent; records the SDK's errors and raw server events. */
  async function connect(agentTools: RealtimeAgent['tools'] = [], config: RealtimeSessionOptions['config'] = {}) {
    const agent = new RealtimeAgent({ name: 'Captain Weather', instructions: INSTRUCTIONS, tools: agentTools });
    const session = new RealtimeSession(agent, { transport: new OpenAIRealtimeWebSocket({ url: server.wsUrl }), model: 'localchat', config });
    sessions.push(session);
    const errors: unknown[] = [];
    const events: { type: string; [key: string]: unknown }[] = [];
    session.on('error', (error) => errors.push(error));
    session.on('transport_event', (event) => events.push(event as { type: string }));
    await session.connect({ apiKey: 'local-key', url: server.wsUrl });
    // The agent's instructions arrive with the SDK's first session.update.
    await waitUntil(() => events.some((event) => event.type === 'session.updated' && (event.session as { instructions?: string }).instructions === INSTRUCTIONS));
    const waitFor = (type: string, predicate: (event: { [key: string]: unknown }) => boolean = () => true, from = 0) =>
      waitUntil(() => events.slice(from).find((event) => event.type === type && predicate(event)));
    return { session, errors, events, waitFor };
  }

  /** Streams audio the way a microphone does: 40 ms frames at real-time pace. */
  async function speakInRealTime(session: RealtimeSession, audio: Int16Array): Promise<void> {
    const frame = 960;
    const start = performance.now();
    for (let offset = 0, index = 0; offset < audio.length; offset += frame, index++) {
      const slice = audio.slice(offset, offset + frame);
      session.sendAudio(slice.buffer);
      const due = start + (index + 1) * 40;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
    }
  }

  const assistantTexts = (session: RealtimeSession) =>
    session.history.flatMap((item) =>
      item.type === 'message' && item.role === 'assistant'
        ? item.content.map((part) => ('transcript' in part ? (part.transcript ?? '') : 'text' in part ? part.text : ''))
        : [],
    );

  it('does a text turn with the agent instructions, and counts the usage of response.done', async () => {
    const { session, errors, waitFor } = await connect();
    const from = llm.requests.length;
    session.sendMessage('Hello there, captain!');
    const done = await waitFor('response.done');
    expect((done.response as { status: string }).status).toBe('completed');
    await waitUntil(() => assistantTexts(session).some((text) => text.startsWith('Ahoy!')));
    const request = llm.requests[from]!;
    expect(request.messages[0]).toEqual({ role: 'system', content: INSTRUCTIONS });
    expect(request.messages.at(-1)).toEqual({ role: 'user', content: 'Hello there, captain!' });
    expect(session.usage.inputTokens).toBe(25);
    expect(session.usage.outputTokens).toBe(12);
    expect(session.usage.totalTokens).toBe(37);
    expect(errors).toEqual([]);
  });

  for (const turnDetection of [{ type: 'server_vad', silenceDurationMs: 600 }, undefined] as const) {
    const name = turnDetection?.type ?? 'semantic_vad (the SDK default)';
    it(`does a spoken turn with ${name}: speech appended in real time, transcribed, answered with the agent instructions`, async () => {
      const config = turnDetection ? { audio: { input: { turnDetection } } } : {};
      const { session, errors, events, waitFor } = await connect([], config);
      const updated = events.findLast((event) => event.type === 'session.updated') as unknown as { session: { audio: { input: { turn_detection: { type: string } } } } };
      expect(updated.session.audio.input.turn_detection.type).toBe(turnDetection?.type ?? 'semantic_vad');
      const from = llm.requests.length;
      await speakInRealTime(session, concatAudio(silence(400), loadClip('0880'), silence(1500)));
      const added = await waitFor('conversation.item.added', (event) => (event.item as { role?: string }).role === 'user');
      // The SDK requires `transcript: string | null` on input_audio content.
      expect((added.item as { content: unknown[] }).content).toEqual([{ type: 'input_audio', transcript: null }]);
      const heard = await waitFor('conversation.item.input_audio_transcription.completed');
      expect(heard.transcript).toBe(LIBRIVOX_CLIPS['0880']);
      const done = await waitFor('response.done');
      expect((done.response as { status: string }).status).toBe('completed');
      const request = llm.requests[from]!;
      expect(request.messages[0]).toEqual({ role: 'system', content: INSTRUCTIONS });
      expect(request.messages.at(-1)).toEqual({ role: 'user', content: LIBRIVOX_CLIPS['0880'] });
      // The SDK's history shows what was heard.
      await waitUntil(() =>
        session.history.some((item) => item.type === 'message' && item.role === 'user' && item.content.some((part) => part.type === 'input_audio' && part.transcript === LIBRIVOX_CLIPS['0880'])),
      );
      expect(errors).toEqual([]);
    }, 30_000);
  }

  it('interrupts a reply with no error event (cancel, truncate, and the SDK retrieving the item)', async () => {
    const { session, errors, events, waitFor } = await connect();
    let audioChunks = 0;
    session.on('audio', () => audioChunks++);
    session.sendMessage('Tell me a long story, please.');
    await waitUntil(() => audioChunks > 0);
    const from = events.length;
    session.interrupt();
    const done = await waitFor('response.done', () => true, from);
    expect((done.response as { status: string }).status).toBe('cancelled');
    const truncated = await waitFor('conversation.item.truncated', () => true, from);
    // The SDK asks for the truncated item: LocalChat answers with it.
    const retrieved = await waitFor('conversation.item.retrieved', () => true, from);
    expect((retrieved.item as { id: string }).id).toBe(truncated.item_id);
    await sleep(200);
    expect(errors).toEqual([]);
    expect(events.filter((event) => event.type === 'error')).toEqual([]);
  });

  const weatherTool = (calls: string[]) =>
    tool({
      name: 'get_weather',
      description: 'The weather forecast for a city.',
      parameters: z.object({ city: z.string() }),
      execute: async ({ city }) => {
        calls.push(city);
        return JSON.stringify({ ...FORECAST, city });
      },
    });

  it('calls a function tool and speaks its result', async () => {
    const calls: string[] = [];
    const { session, errors, events, waitFor } = await connect([weatherTool(calls)]);
    const updated = events.findLast((event) => event.type === 'session.updated') as unknown as { session: { tools: { name: string }[] } };
    expect(updated.session.tools.map((t) => t.name)).toEqual(['get_weather']);
    const from = llm.requests.length;
    session.sendMessage('What is the weather in Paris?');

    const argumentsDone = await waitFor('response.function_call_arguments.done');
    expect(argumentsDone).toMatchObject({ name: 'get_weather', call_id: 'call_weather_1', arguments: '{"city": "Paris"}' });
    expect(events.filter((event) => event.type === 'response.function_call_arguments.delta').map((event) => event.delta).join('')).toBe('{"city": "Paris"}');
    await waitUntil(() => calls.length === 1);
    expect(calls).toEqual(['Paris']);

    // The SDK answers with a function_call_output and a response.create: the result is spoken.
    const spoken = await waitFor('response.done', (event) => JSON.stringify(event.response).includes('sunny'));
    expect((spoken.response as { status: string }).status).toBe('completed');
    const responseId = (spoken.response as { id: string }).id;
    expect(events.filter((event) => event.type === 'response.output_audio.delta' && event.response_id === responseId).length).toBeGreaterThan(0);
    // The tool call itself was never spoken.
    const callResponse = events.find((event) => event.type === 'response.done' && JSON.stringify(event.response).includes('function_call')) as unknown as { response: { id: string } };
    expect(events.filter((event) => event.type === 'response.output_audio.delta' && event.response_id === callResponse.response.id)).toEqual([]);

    const second = llm.requests[from + 1]!;
    expect(second.messages[0]).toEqual({ role: 'system', content: INSTRUCTIONS });
    expect(second.messages.slice(-3)).toEqual([
      { role: 'user', content: 'What is the weather in Paris?' },
      { role: 'assistant', content: '', toolCalls: [{ id: 'call_weather_1', name: 'get_weather', arguments: '{"city": "Paris"}' }] },
      { role: 'tool', content: JSON.stringify(FORECAST), toolCallId: 'call_weather_1', name: 'get_weather' },
    ]);
    await waitUntil(() => assistantTexts(session).some((text) => text.includes('sunny in Paris')));
    expect(errors).toEqual([]);
  });

  it('calls a function tool from a spoken question and speaks its result, end to end by voice', async () => {
    const calls: string[] = [];
    const { session, errors, waitFor } = await connect([weatherTool(calls)]);
    heard = 'What is the weather in Paris?';
    try {
      let audioChunks = 0;
      session.on('audio', () => audioChunks++);
      await speakInRealTime(session, concatAudio(silence(400), loadClip('0930'), silence(1500)));
      await waitFor('response.function_call_arguments.done');
      const spoken = await waitFor('response.done', (event) => JSON.stringify(event.response).includes('sunny'));
      expect((spoken.response as { status: string }).status).toBe('completed');
      expect(calls).toEqual(['Paris']);
      expect(audioChunks).toBeGreaterThan(0);
      expect(errors).toEqual([]);
    } finally {
      heard = LIBRIVOX_CLIPS['0880'];
    }
  }, 30_000);
});

/** Polls `probe` until it returns a truthy value (or throws after `timeoutMs`). */
async function waitUntil<T>(probe: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const value = probe();
    if (value) return value;
    await sleep(10);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${probe.toString().slice(0, 160)}`);
}
