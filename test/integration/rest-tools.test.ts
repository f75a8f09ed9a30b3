/**
 * Function calling through `POST /v1/chat/completions` with the official `openai` client, on the
 * real engines: the embedded node-llama-cpp engine with a tiny random-weight GGUF (the call is
 * forced with `tool_choice`, so the structure is known though the words are random) and the
 * OpenAI-compatible engine against a scripted upstream that streams `tool_calls` deltas.
 * Streamed and not; the SDK's own stream accumulator (`chat.completions.stream`) must rebuild
 * the calls from the deltas, and a second request with the results must reach the engine. The AI
 * SDK forces calls on the embedded engine through `/v1/responses` and `/v1/chat/completions`.
 */
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, jsonSchema, streamText, tool } from 'ai';
import OpenAI from 'openai';
import type { ChatCompletionTool } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticEngineSet } from '../../src/engines/engine-set.js';
import { LlamaCppLLM } from '../../src/engines/llm/llama-cpp.js';
import { OpenAICompatibleLLM } from '../../src/engines/llm/openai-compatible.js';
import { ToneTTS } from '../../src/testing/tone-tts.js';
import { buildTinyGguf } from '../fixtures/gguf-builder.js';
import { type SseServer, startSseServer } from '../helpers/openai-sse-server.js';
import { startRestServer, stopRestServers } from '../helpers/rest-server.js';

const TOOLS: ChatCompletionTool[] = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Current weather in a city',
      parameters: { type: 'object', properties: { city: { type: 'string', maxLength: 10 } }, required: ['city'], additionalProperties: false },
      strict: true,
    },
  },
  { type: 'function', function: { name: 'get_time', description: 'The time now', parameters: { type: 'object', properties: {} } } },
];

afterAll(stopRestServers);

describe('chat completions with tools on the embedded engine (tiny GGUF)', () => {
  let llm: LlamaCppLLM;
  let client: OpenAI;

  beforeAll(async () => {
    llm = await LlamaCppLLM.create({ modelPath: await buildTinyGguf(), gpu: false, threads: 1, contextSize: 2048, sampling: { seed: 11 } });
    ({ client } = await startRestServer(new StaticEngineSet({ llm, tts: new ToneTTS() })));
  });
  afterAll(async () => {
    await llm?.dispose();
  });

  it('non-streamed: a forced call comes back as message.tool_calls with finish_reason tool_calls', async () => {
    const completion = await client.chat.completions.create({
      model: 'any', messages: [{ role: 'user', content: 'Weather in Oslo?' }], tools: TOOLS,
      tool_choice: { type: 'function', function: { name: 'get_weather' } }, max_tokens: 120,
    });
    const choice = completion.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    expect(choice.message.tool_calls).toHaveLength(1);
    const call = choice.message.tool_calls![0]!;
    expect(call.type).toBe('function');
    expect(call.id).toMatch(/^call_/);
    if (call.type !== 'function') throw new Error('not a function call');
    expect(call.function.name).toBe('get_weather');
    expect(Object.keys(JSON.parse(call.function.arguments) as object)).toEqual(['city']);
    expect(completion.usage?.completion_tokens).toBeGreaterThan(0);

    // The result goes back; the model answers (random words) without a forced call.
    const next = await client.chat.completions.create({
      model: 'any', tools: TOOLS, tool_choice: 'none', max_tokens: 6,
      messages: [
        { role: 'user', content: 'Weather in Oslo?' },
        choice.message,
        { role: 'tool', tool_call_id: call.id, content: '{"temperature_c": 4}' },
      ],
    });
    expect(['stop', 'length']).toContain(next.choices[0]!.finish_reason);
    expect(next.choices[0]!.message.tool_calls).toBeUndefined();
  });

  it('streamed: tool_calls deltas the SDK accumulates into the same call', async () => {
    const stream = client.chat.completions.stream({
      model: 'any', messages: [{ role: 'user', content: 'What time is it?' }], tools: TOOLS, tool_choice: 'required', max_tokens: 120,
      stream_options: { include_usage: true },
    });
    const deltas: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) deltas.push(chunk);
    const final = await stream.finalChatCompletion();
    const choice = final.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    const calls = choice.message.tool_calls ?? [];
    expect(calls).toHaveLength(1);
    const call = calls[0]!;
    if (call.type !== 'function') throw new Error('not a function call');
    expect(['get_weather', 'get_time']).toContain(call.function.name);
    expect(typeof JSON.parse(call.function.arguments)).toBe('object');
    const first = deltas.find((chunk) => chunk.choices[0]?.delta.tool_calls)!;
    expect(first.choices[0]!.delta.tool_calls![0]).toMatchObject({ index: 0, id: call.id, type: 'function', function: { name: call.function.name } });
    expect(deltas.at(-1)!.usage?.completion_tokens).toBeGreaterThan(0);
  });
});

describe('the AI SDK with tools on the embedded engine (tiny GGUF)', () => {
  let llm: LlamaCppLLM;
  let url: string;

  beforeAll(async () => {
    llm = await LlamaCppLLM.create({ modelPath: await buildTinyGguf(), gpu: false, threads: 1, contextSize: 2048, sampling: { seed: 5 } });
    ({ url } = await startRestServer(new StaticEngineSet({ llm, tts: new ToneTTS() })));
  });
  afterAll(async () => {
    await llm?.dispose();
  });

  it("forces a tool call through openai('model') (Responses) and openai.chat() (chat completions), streamed and not", async () => {
    const openai = createOpenAI({ baseURL: `${url}/v1`, apiKey: 'local' });
    const tools = {
      lookup: tool({
        description: 'Look a word up',
        inputSchema: jsonSchema<{ word: string }>({ type: 'object', properties: { word: { type: 'string', maxLength: 8 } }, required: ['word'], additionalProperties: false }),
      }),
    };
    for (const model of [openai('tiny'), openai.chat('tiny')]) {
      const result = await generateText({ model, prompt: 'What does "apple" mean?', tools, toolChoice: { type: 'tool', toolName: 'lookup' }, maxOutputTokens: 80 });
      expect(result.finishReason).toBe('tool-calls');
      expect(result.toolCalls).toHaveLength(1);
      expect(result.toolCalls[0]).toMatchObject({ toolName: 'lookup' });
      expect(typeof (result.toolCalls[0]!.input as { word: unknown }).word).toBe('string');

      const streamed = streamText({ model, prompt: 'And "pear"?', tools, toolChoice: 'required', maxOutputTokens: 80 });
      const calls = await streamed.toolCalls;
      expect(calls).toHaveLength(1);
      expect(calls[0]!.toolName).toBe('lookup');
      expect(await streamed.finishReason).toBe('tool-calls');
    }
  });
});

describe('chat completions with tools through an OpenAI-compatible upstream', () => {
  let upstream: SseServer;
  let client: OpenAI;

  beforeAll(async () => {
    upstream = await startSseServer({
      reply: 'It is four degrees in Oslo.',
      toolCalls: [
        { id: 'call_up1', name: 'get_weather', arguments: '{"city":"Oslo"}' },
        { id: 'call_up2', name: 'get_time', arguments: '{}' },
      ],
    });
    const llm = new OpenAICompatibleLLM({ baseURL: upstream.baseURL, model: 'upstream-model' });
    ({ client } = await startRestServer(new StaticEngineSet({ llm, tts: new ToneTTS() })));
  });
  afterAll(async () => {
    await upstream?.close();
  });

  it('passes tools and tool_choice up and the streamed calls down (streamed and not), then the results up', async () => {
    const completion = await client.chat.completions.create({
      model: 'upstream-model', messages: [{ role: 'user', content: 'Weather and time?' }], tools: TOOLS, tool_choice: 'auto', parallel_tool_calls: true,
    });
    const sent = upstream.requests.at(-1)!.body as Record<string, unknown>;
    expect(sent.tools).toEqual(TOOLS);
    expect(sent.tool_choice).toBe('auto');
    expect(sent.parallel_tool_calls).toBe(true);
    expect(completion.choices[0]!.finish_reason).toBe('tool_calls');
    expect(completion.choices[0]!.message.tool_calls).toEqual([
      { id: 'call_up1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
      { id: 'call_up2', type: 'function', function: { name: 'get_time', arguments: '{}' } },
    ]);

    const stream = client.chat.completions.stream({ model: 'upstream-model', messages: [{ role: 'user', content: 'Weather and time?' }], tools: TOOLS });
    const argumentPieces: string[] = [];
    for await (const chunk of stream) {
      for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) if (delta.index === 0 && delta.function?.arguments) argumentPieces.push(delta.function.arguments);
    }
    const final = await stream.finalChatCompletion();
    expect(argumentPieces.length).toBeGreaterThan(1);
    expect(final.choices[0]!.message.tool_calls).toMatchObject(completion.choices[0]!.message.tool_calls!);
    expect(final.choices[0]!.finish_reason).toBe('tool_calls');

    const answer = await client.chat.completions.create({
      model: 'upstream-model', tools: TOOLS,
      messages: [
        { role: 'user', content: 'Weather and time?' },
        completion.choices[0]!.message,
        { role: 'tool', tool_call_id: 'call_up1', content: '4 C' },
        { role: 'tool', tool_call_id: 'call_up2', content: '10:00' },
      ],
    });
    expect(answer.choices[0]!.message.content).toBe('It is four degrees in Oslo.');
    const messages = (upstream.requests.at(-1)!.body as { messages: unknown[] }).messages;
    expect(messages.slice(1)).toEqual([
      { role: 'assistant', content: null, tool_calls: completion.choices[0]!.message.tool_calls },
      { role: 'tool', tool_call_id: 'call_up1', content: '4 C' },
      { role: 'tool', tool_call_id: 'call_up2', content: '10:00' },
    ]);
  });
});
