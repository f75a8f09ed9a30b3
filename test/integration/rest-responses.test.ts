/**
 * The Responses API subset (`/v1/responses`) and the AI SDK over both OpenAI endpoints, driven by
 * the real client packages: the `openai` package's `responses.create` (streamed and not,
 * `instructions`, `previous_response_id`, `store`, GET / DELETE), the Vercel AI SDK's default
 * provider `openai('model')` (Responses), `openai.chat()` and `createOpenAICompatible`
 * (chat completions) with generateText / streamText / structured output, and a tool loop
 * (generateText with an executed tool) through a scripted OpenAI-compatible upstream.
 * Also: every `/v1` error is OpenAI-shaped (405 for a wrong method, 426 for /v1/realtime without
 * an upgrade).
 */
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { Output, generateText, jsonSchema, stepCountIs, streamText, tool } from 'ai';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { StaticEngineSet } from '../../src/engines/engine-set.js';
import { OpenAICompatibleLLM } from '../../src/engines/llm/openai-compatible.js';
import { ScriptedLLM } from '../../src/testing/scripted-llm.js';
import { ToneTTS } from '../../src/testing/tone-tts.js';
import { startSseServer } from '../helpers/openai-sse-server.js';
import { startRestServer, stopRestServers } from '../helpers/rest-server.js';
import { startTestServer } from '../helpers/test-server.js';

afterEach(stopRestServers);

const REPLY = 'Good morning! Shall we practise the past tense?';

function engines(llm: ScriptedLLM | OpenAICompatibleLLM): StaticEngineSet {
  return new StaticEngineSet({ llm, tts: new ToneTTS() });
}

describe('POST /v1/responses with the openai package', () => {
  it('answers a string input, puts instructions first, and continues from previous_response_id without them', async () => {
    const llm = new ScriptedLLM({ reply: REPLY });
    const { client } = await startRestServer(engines(llm));
    const first = await client.responses.create({ model: 'gpt-4.1-mini', instructions: 'Be brief.', input: 'Hello!' });
    expect(first.id).toMatch(/^resp_/);
    expect(first.object).toBe('response');
    expect(first.status).toBe('completed');
    expect(first.model).toBe('scripted-llm');
    expect(first.output_text).toBe(REPLY);
    expect(first.output).toMatchObject([{ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: REPLY }] }]);
    expect(llm.calls[0]!.request.messages).toEqual([{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello!' }]);

    const second = await client.responses.create({
      model: 'gpt-4.1-mini', previous_response_id: first.id,
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'Yes, please.' }] }],
    });
    expect(second.previous_response_id).toBe(first.id);
    expect(llm.calls[1]!.request.messages).toEqual([
      { role: 'user', content: 'Hello!' },
      { role: 'assistant', content: REPLY },
      { role: 'user', content: 'Yes, please.' },
    ]);

    const fetched = await client.responses.retrieve(first.id);
    expect(fetched.output_text).toBe(REPLY);
    const deleted: unknown = await client.responses.delete(first.id);
    expect(deleted).toMatchObject({ id: first.id, deleted: true });
    await expect(client.responses.retrieve(first.id)).rejects.toMatchObject({ status: 404, code: 'response_not_found' });
    await expect(client.responses.create({ model: 'x', input: 'Hi', previous_response_id: first.id })).rejects.toMatchObject({ status: 404, param: 'previous_response_id' });

    const unstored = await client.responses.create({ model: 'x', input: 'Hi', store: false });
    await expect(client.responses.create({ model: 'x', input: 'Hi', previous_response_id: unstored.id })).rejects.toMatchObject({ status: 404 });
  });

  it('streams OpenAI events in order with sequence numbers, ending with response.completed', async () => {
    const llm = new ScriptedLLM({ reply: REPLY });
    const { client } = await startRestServer(engines(llm));
    const stream = await client.responses.create({ model: 'x', input: 'Hello!', stream: true, max_output_tokens: 100 });
    const events: { type: string; sequence_number: number }[] = [];
    for await (const event of stream) events.push(event);
    const types = [...new Set(events.map((event) => event.type))];
    expect(types).toEqual([
      'response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added',
      'response.output_text.delta', 'response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed',
    ]);
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, index) => index));
    const text = events.filter((event) => event.type === 'response.output_text.delta').map((event) => (event as unknown as { delta: string }).delta).join('');
    expect(text).toBe(REPLY);
    const completed = events.at(-1) as unknown as { response: { status: string; output: unknown[]; max_output_tokens: number } };
    expect(completed.response.status).toBe('completed');
    expect(completed.response.max_output_tokens).toBe(100);
    expect(llm.calls[0]!.request.maxTokens).toBe(100);
  });

  it('refuses non-function tools and non-text input with 400', async () => {
    const { client } = await startRestServer(engines(new ScriptedLLM({ reply: REPLY })));
    await expect(client.responses.create({ model: 'x', input: 'Hi', tools: [{ type: 'web_search_preview' }] })).rejects.toMatchObject({ status: 400, param: 'tools[0].type' });
    await expect(client.responses.create({ model: 'x', input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'data:,', detail: 'auto' }] }] })).rejects.toMatchObject({ status: 400, param: 'input[0].content[0]' });
  });
});

describe('the Vercel AI SDK', () => {
  it("generateText and streamText with the default provider openai('model') (Responses API)", async () => {
    const llm = new ScriptedLLM({ reply: REPLY });
    const { url } = await startRestServer(engines(llm));
    const openai = createOpenAI({ baseURL: `${url}/v1`, apiKey: 'local' });
    const generated = await generateText({ model: openai('localchat'), system: 'Be kind.', prompt: 'Hi!' });
    expect(generated.text).toBe(REPLY);
    expect(generated.finishReason).toBe('stop');
    expect(llm.calls[0]!.request.messages).toEqual([{ role: 'system', content: 'Be kind.' }, { role: 'user', content: 'Hi!' }]);

    const streamed = streamText({ model: openai('localchat'), prompt: 'Hi again!' });
    let text = '';
    for await (const delta of streamed.textStream) text += delta;
    expect(text).toBe(REPLY);
    expect(await streamed.finishReason).toBe('stop');
  });

  it('generateText and streamText with openai.chat() and createOpenAICompatible (chat completions), structured output', async () => {
    const llm = new ScriptedLLM({ reply: (request) => (request.jsonSchema ? '{"word":"apple","level":"A1"}' : REPLY) });
    const { url } = await startRestServer(engines(llm));
    const openai = createOpenAI({ baseURL: `${url}/v1`, apiKey: 'local' });
    expect((await generateText({ model: openai.chat('localchat'), prompt: 'Hi!' })).text).toBe(REPLY);

    const compatible = createOpenAICompatible({ name: 'localchat', baseURL: `${url}/v1`, supportsStructuredOutputs: true, includeUsage: true });
    const streamed = streamText({ model: compatible('localchat'), prompt: 'Hi!' });
    let text = '';
    for await (const delta of streamed.textStream) text += delta;
    expect(text).toBe(REPLY);

    const schema = jsonSchema<{ word: string; level: string }>({
      type: 'object', properties: { word: { type: 'string' }, level: { type: 'string' } }, required: ['word', 'level'], additionalProperties: false,
    });
    const structured = await generateText({ model: compatible('localchat'), prompt: 'A word?', output: Output.object({ schema }) });
    expect(structured.output).toEqual({ word: 'apple', level: 'A1' });
    expect(llm.calls.at(-1)!.request.jsonSchema?.schema).toMatchObject({ required: ['word', 'level'] });
  });

  it('runs a tool loop (call, execute, answer) through both endpoints to an OpenAI-compatible upstream', async () => {
    const upstream = await startSseServer({ reply: 'It is four degrees in Oslo.', toolCalls: [{ id: 'call_w1', name: 'weather', arguments: '{"city":"Oslo"}' }] });
    try {
      const { url } = await startRestServer(engines(new OpenAICompatibleLLM({ baseURL: upstream.baseURL, model: 'upstream' })));
      const openai = createOpenAI({ baseURL: `${url}/v1`, apiKey: 'local' });
      const executed: unknown[] = [];
      const tools = {
        weather: tool({
          description: 'The weather in a city',
          inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false }),
          execute: async (input) => {
            executed.push(input);
            return { celsius: 4 };
          },
        }),
      };
      for (const model of [openai('upstream'), openai.chat('upstream')]) {
        executed.length = 0;
        const result = await generateText({ model, prompt: 'Weather in Oslo?', tools, stopWhen: stepCountIs(3) });
        expect(executed).toEqual([{ city: 'Oslo' }]);
        expect(result.steps[0]!.finishReason).toBe('tool-calls');
        expect(result.steps[0]!.toolCalls).toMatchObject([{ toolCallId: 'call_w1', toolName: 'weather', input: { city: 'Oslo' } }]);
        expect(result.text).toBe('It is four degrees in Oslo.');
        const messages = (upstream.requests.at(-1)!.body as { messages: { role: string; content: unknown; tool_call_id?: string }[] }).messages;
        expect(messages.at(-1)).toMatchObject({ role: 'tool', tool_call_id: 'call_w1' });
        expect(JSON.parse(messages.at(-1)!.content as string)).toEqual({ celsius: 4 });
      }

      const streamed = streamText({ model: openai('upstream'), prompt: 'Weather in Oslo?', tools, stopWhen: stepCountIs(3) });
      let text = '';
      for await (const delta of streamed.textStream) text += delta;
      expect(text).toBe('It is four degrees in Oslo.');
      expect((await streamed.steps)[0]!.toolCalls).toMatchObject([{ toolName: 'weather', input: { city: 'Oslo' } }]);
    } finally {
      await upstream.close();
    }
  });
});

describe('every /v1 error is OpenAI-shaped', () => {
  let server: Awaited<ReturnType<typeof startTestServer>> | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  it('answers a wrong method with 405 and Allow, an unknown path with 404, /v1/realtime without an upgrade with 426', async () => {
    server = await startTestServer(engines(new ScriptedLLM({ reply: REPLY })));
    for (const [method, path, allow] of [['GET', '/v1/chat/completions', 'POST'], ['GET', '/v1/audio/speech', 'POST'], ['GET', '/v1/audio/transcriptions', 'POST'], ['GET', '/v1/responses', 'POST'], ['POST', '/v1/models', 'GET'], ['PUT', '/v1/responses/resp_1', 'GET, DELETE']] as const) {
      const response = await fetch(`${server.url}${path}`, { method });
      expect(response.status, `${method} ${path}`).toBe(405);
      expect(response.headers.get('allow')).toBe(allow);
      expect(await response.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'method_not_allowed', param: null } });
    }
    const unknown = await fetch(`${server.url}/v1/embeddings`, { method: 'POST' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'unknown_url' } });

    const realtime = await fetch(`${server.url}/v1/realtime`);
    expect(realtime.status).toBe(426);
    expect(realtime.headers.get('upgrade')).toBe('websocket');
    expect(realtime.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await realtime.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'websocket_upgrade_required' } });
  });
});
