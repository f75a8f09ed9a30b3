/**
 * `POST /v1/chat/completions` with the official `openai` client as the caller: non-streaming and
 * streaming replies from a ScriptedLLM, parameters and `response_format` reaching the engine, the
 * tutor persona only for `localchat-tutor`, errors in OpenAI's shape (400 / 404 / 502 / 503 and an
 * SSE error event mid-stream), and a client that disconnects mid-stream stopping the LLM.
 */
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineStatus } from '../../src/core/engine-status.js';
import { StaticEngineSet } from '../../src/engines/engine-set.js';
import type { EngineSet } from '../../src/engines/engine-set.js';
import { ScriptedLLM, tokenize } from '../../src/testing/scripted-llm.js';
import { ToneTTS } from '../../src/testing/tone-tts.js';
import { DEFAULT_TUTOR_PROMPT } from '../../src/tutor/persona.js';
import { startRestServer, stopRestServers } from '../helpers/rest-server.js';


afterEach(stopRestServers);


function engineSet(llm: ScriptedLLM): StaticEngineSet {
  return new StaticEngineSet({ llm, tts: new ToneTTS() });
}

async function postJson(url: string, body: unknown): Promise<{ status: number; json: unknown; headers: Headers }> {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, json: await response.json(), headers: response.headers };
}

const REPLY = 'Hello there! How was your day today?';

describe('POST /v1/chat/completions, non-streaming', () => {
  it('returns a chat.completion with the messages passed as given', async () => {
    const llm = new ScriptedLLM({ reply: REPLY });
    const { client } = await startRestServer(engineSet(llm));
    const completion = await client.chat.completions.create({ model: 'scripted-llm', messages: [{ role: 'user', content: 'Hi!' }] });
    expect(completion.object).toBe('chat.completion');
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.model).toBe('scripted-llm');
    expect(completion.choices).toHaveLength(1);
    expect(completion.choices[0]!.message).toMatchObject({ role: 'assistant', content: REPLY });
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(llm.calls).toHaveLength(1);
    expect(llm.calls[0]!.request.messages).toEqual([{ role: 'user', content: 'Hi!' }]);
  });

  it('takes any other model name as an alias of the engine and reports the engine model', async () => {
    const llm = new ScriptedLLM({ reply: REPLY });
    const { client } = await startRestServer(engineSet(llm));
    const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi!' }] });
    expect(completion.model).toBe('scripted-llm');
    expect(completion.choices[0]!.message.content).toBe(REPLY);
  });

  it('passes temperature, max tokens, stop and text parts to the engine', async () => {
    const llm = new ScriptedLLM({ reply: REPLY });
    const { client } = await startRestServer(engineSet(llm));
    await client.chat.completions.create({
      model: 'scripted-llm',
      messages: [
        { role: 'developer', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'Part one.' }, { type: 'text', text: 'Part two.' }] },
        { role: 'assistant', content: 'Sure.' },
        { role: 'user', content: 'Go on.' },
      ],
      temperature: 0.3,
      max_tokens: 50,
      stop: 'END',
    });
    await client.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 50, max_completion_tokens: 20, stop: ['A', 'B'] });
    expect(llm.calls[0]!.request).toEqual({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Part one.\nPart two.' },
        { role: 'assistant', content: 'Sure.' },
        { role: 'user', content: 'Go on.' },
      ],
      temperature: 0.3,
      maxTokens: 50,
      stop: ['END'],
    });
    expect(llm.calls[1]!.request).toMatchObject({ maxTokens: 20, stop: ['A', 'B'] });
    expect(llm.calls[1]!.request.temperature).toBeUndefined();
  });

  it('passes a json_schema response_format to the engine as jsonSchema, json_object as a generic object schema', async () => {
    const llm = new ScriptedLLM({ reply: '{"answer": "yes"}' });
    const { client } = await startRestServer(engineSet(llm));
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false };
    const completion = await client.chat.completions.create({
      model: 'scripted-llm',
      messages: [{ role: 'user', content: 'Yes or no?' }],
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema, strict: true } },
    });
    expect(JSON.parse(completion.choices[0]!.message.content!)).toEqual({ answer: 'yes' });
    expect(llm.calls[0]!.request.jsonSchema).toEqual({ name: 'answer', schema });

    await client.chat.completions.create({ model: 'scripted-llm', messages: [{ role: 'user', content: 'JSON please' }], response_format: { type: 'json_object' } });
    expect(llm.calls[1]!.request.jsonSchema).toEqual({ name: 'json_object', schema: { type: 'object' } });
    await client.chat.completions.create({ model: 'scripted-llm', messages: [{ role: 'user', content: 'Text' }], response_format: { type: 'text' } });
    expect(llm.calls[2]!.request.jsonSchema).toBeUndefined();
  });

  it('adds the tutor persona and filters the reply only for localchat-tutor', async () => {
    const llm = new ScriptedLLM({ reply: '<think>plan</think>**Great** job! Tell me *more*.' });
    const { client } = await startRestServer(engineSet(llm));
    const tutor = await client.chat.completions.create({ model: 'localchat-tutor', messages: [{ role: 'user', content: 'I goed home.' }] });
    expect(tutor.model).toBe('localchat-tutor');
    expect(tutor.choices[0]!.message.content).toBe('Great job! Tell me more.');
    expect(llm.calls[0]!.request.messages).toEqual([
      { role: 'system', content: DEFAULT_TUTOR_PROMPT },
      { role: 'user', content: 'I goed home.' },
    ]);

    // A system message of the caller's own replaces the persona.
    await client.chat.completions.create({ model: 'localchat-tutor', messages: [{ role: 'system', content: 'Speak like a pirate.' }, { role: 'user', content: 'Hi' }] });
    expect(llm.calls[1]!.request.messages[0]).toEqual({ role: 'system', content: 'Speak like a pirate.' });
    expect(llm.calls[1]!.request.messages).toHaveLength(2);

    // Any other model: the messages and the reply as they are.
    const plain = await client.chat.completions.create({ model: 'scripted-llm', messages: [{ role: 'user', content: 'Hi' }] });
    expect(plain.choices[0]!.message.content).toBe('<think>plan</think>**Great** job! Tell me *more*.');
    expect(llm.calls[2]!.request.messages).toEqual([{ role: 'user', content: 'Hi' }]);
  });

  it('reports usage when the engine knows the token counts', async () => {
    const llm = new ScriptedLLM({ reply: REPLY });
    const original = llm.stream.bind(llm);
    llm.stream = async function* (request, options) {
      for await (const part of original(request, options)) {
        yield part.type === 'finish' ? { ...part, usage: { promptTokens: 12, completionTokens: 8 } } : part;
      }
    };
    const { client } = await startRestServer(engineSet(llm));
    const completion = await client.chat.completions.create({ model: 'scripted-llm', messages: [{ role: 'user', content: 'Hi' }] });
    expect(completion.usage).toEqual({ prompt_tokens: 12, completion_tokens: 8, total_tokens: 20 });
    const stream = await client.chat.completions.create({ model: 'scripted-llm', messages: [{ role: 'user', content: 'Hi' }], stream: true, stream_options: { include_usage: true } });
    let usage: unknown;
    for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
    expect(usage).toEqual({ prompt_tokens: 12, completion_tokens: 8, total_tokens: 20 });
  });
});

describe('POST /v1/chat/completions, streaming', () => {
  it('streams chat.completion.chunk events ending with finish_reason and [DONE]', async () => {
    const llm = new ScriptedLLM({ reply: REPLY });
    const { client, url } = await startRestServer(engineSet(llm));
    const stream = await client.chat.completions.create({ model: 'scripted-llm', messages: [{ role: 'user', content: 'Hi!' }], stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(3);
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
    expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk' && chunk.model === 'scripted-llm')).toBe(true);
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(REPLY);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('stop');
    expect(chunks.slice(0, -1).every((chunk) => chunk.choices[0]!.finish_reason === null)).toBe(true);

    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'scripted-llm', messages: [{ role: 'user', content: 'Hi!' }], stream: true }),
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await response.text();
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(text.split('\n\n').filter(Boolean).every((event) => event.startsWith('data: '))).toBe(true);
  });

  it('filters the tutor reply as it streams', async () => {
    const llm = new ScriptedLLM({ reply: '<think>hmm</think>## Tip\n- Say **"I went"**, not "I goed".' });
    const { client } = await startRestServer(engineSet(llm));
    const stream = await client.chat.completions.create({ model: 'localchat-tutor', messages: [{ role: 'user', content: 'I goed.' }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Tip\nSay "I went", not "I goed".');
    expect(llm.calls[0]!.request.messages[0]).toEqual({ role: 'system', content: DEFAULT_TUTOR_PROMPT });
  });

  it('stops the LLM when the client disconnects mid-stream', async () => {
    const reply = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty';
    const llm = new ScriptedLLM({ reply, tokensPerSecond: 25 });
    const { client } = await startRestServer(engineSet(llm));
    const stream = await client.chat.completions.create({ model: 'scripted-llm', messages: [{ role: 'user', content: 'Count.' }], stream: true });
    let received = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) received++;
      if (received === 3) break; // leaves the loop: the client aborts the request
    }
    await expect.poll(() => llm.calls[0]?.endedAt, { timeout: 2000 }).toBeDefined();
    expect(llm.calls[0]!.aborted).toBe(true);
    expect(llm.calls[0]!.tokensSent).toBeLessThan(tokenize(reply).length);
  });

  it('stops the LLM when the client disconnects before a non-streaming reply is done', async () => {
    const llm = new ScriptedLLM({ reply: 'a b c d e f g h i j k l m n o p q r s t u v w x y z', tokensPerSecond: 20 });
    const { client } = await startRestServer(engineSet(llm));
    const controller = new AbortController();
    const request = client.chat.completions.create({ model: 'scripted-llm', messages: [{ role: 'user', content: 'Spell.' }] }, { signal: controller.signal });
    await expect.poll(() => llm.calls[0]?.tokensSent ?? 0, { timeout: 2000 }).toBeGreaterThan(2);
    controller.abort();
    await expect(request).rejects.toThrow();
    await expect.poll(() => llm.calls[0]?.endedAt, { timeout: 2000 }).toBeDefined();
    expect(llm.calls[0]!.aborted).toBe(true);
  });
});

describe('POST /v1/chat/completions, errors', () => {
  it('answers an invalid body with 400 in OpenAI\'s error shape', async () => {
    const { client, url } = await startRestServer(engineSet(new ScriptedLLM({ reply: REPLY })));
    const missing = await postJson(url, { model: 'scripted-llm' });
    expect(missing.status).toBe(400);
    expect(missing.json).toEqual({ error: { message: expect.stringContaining('messages'), type: 'invalid_request_error', param: 'messages', code: 'missing_required_parameter' } });

    const badJson = await postJson(url, '{"model": "x", "messages": [');
    expect(badJson.status).toBe(400);
    expect(badJson.json).toMatchObject({ error: { type: 'invalid_request_error', code: 'invalid_json', param: null } });

    const badRole = await postJson(url, { model: 'x', messages: [{ role: 'robot', content: 'Hi' }] });
    expect(badRole.status).toBe(400);
    expect(badRole.json).toMatchObject({ error: { type: 'invalid_request_error', param: 'messages[0].role' } });

    const image = await postJson(url, { model: 'x', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:,' } }] }] });
    expect(image.status).toBe(400);
    expect(image.json).toMatchObject({ error: { param: 'messages[0].content[0]', code: 'unsupported_value' } });

    const unknownTool = await postJson(url, { model: 'x', messages: [{ role: 'user', content: 'Hi' }], tools: [{ type: 'function', function: { name: 'f' } }], tool_choice: { type: 'function', function: { name: 'g' } } });
    expect(unknownTool.status).toBe(400);
    expect(unknownTool.json).toMatchObject({ error: { param: 'tool_choice.function.name', code: 'invalid_value' } });

    const orphan = await postJson(url, { model: 'x', messages: [{ role: 'user', content: 'Hi' }, { role: 'tool', tool_call_id: 'call_x', content: '1' }] });
    expect(orphan.status).toBe(400);
    expect(orphan.json).toMatchObject({ error: { param: 'messages[1].tool_call_id' } });

    const legacy = await postJson(url, { model: 'x', messages: [{ role: 'user', content: 'Hi' }], functions: [{ name: 'f' }] });
    expect(legacy.status).toBe(400);
    expect(legacy.json).toMatchObject({ error: { param: 'functions', code: 'unsupported_parameter' } });

    const error = await client.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'Hi' }], temperature: 5 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).status).toBe(400);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('temperature');
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).type).toBe('invalid_request_error');
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('invalid_value');

    const wrongType = await postJson(url, { model: 'x', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 'ten' });
    expect(wrongType.json).toMatchObject({ error: { param: 'max_tokens', code: 'invalid_value' } });

    const media = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    expect(media.status).toBe(415);
    expect(await media.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'unsupported_media_type' } });
  });

  it('answers a speech model name with 404 model_not_found', async () => {
    const { client } = await startRestServer(engineSet(new ScriptedLLM({ reply: REPLY })));
    const error = await client.chat.completions.create({ model: 'tone', messages: [{ role: 'user', content: 'Hi' }] }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
  });

  it('answers an engine failure before any output with 502, in both modes', async () => {
    const llm = new ScriptedLLM({ reply: REPLY, failAfterTokens: 0 });
    const engines = engineSet(llm);
    const { client, url } = await startRestServer(engines);
    const error = await client.chat.completions.create({ model: 'scripted-llm', messages: [{ role: 'user', content: 'Hi' }] }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect((error as InstanceType<typeof OpenAI.APIError>).message).toContain('the test LLM failed');

    const streamed = await postJson(url, { model: 'scripted-llm', messages: [{ role: 'user', content: 'Hi' }], stream: true });
    expect(streamed.status).toBe(502);
    expect(streamed.json).toEqual({ error: { message: expect.stringContaining('the test LLM failed'), type: 'server_error', param: null, code: 'engine_error' } });
    expect(engines.failures.map((failure) => failure.kind)).toEqual(['llm', 'llm']);
  });

  it('answers 503 with Retry-After while the LLM is not ready', async () => {
    class LoadingEngines extends StaticEngineSet {
      override status(): EngineStatus[] {
        return [{ kind: 'llm', provider: 'scripted', modelId: 'scripted-llm', state: 'downloading', progress: 0.4, message: 'Downloading the model (40%).' }];
      }
    }
    const { url } = await startRestServer(new LoadingEngines({ llm: new ScriptedLLM({ reply: REPLY, failAfterTokens: 0 }), tts: new ToneTTS() }));
    const response = await postJson(url, { model: 'scripted-llm', messages: [{ role: 'user', content: 'Hi' }] });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('10');
    expect(response.json).toMatchObject({ error: { type: 'server_error', code: 'engine_unavailable', message: expect.stringContaining('Downloading the model') } });
  });

  it('sends an SSE error event and ends the stream when the LLM fails mid-stream', async () => {
    const llm = new ScriptedLLM({ reply: REPLY, failAfterTokens: 3 });
    const { client, url } = await startRestServer(engineSet(llm));
    const stream = await client.chat.completions.create({ model: 'scripted-llm', messages: [{ role: 'user', content: 'Hi' }], stream: true });
    let text = '';
    const error = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as Error).message).toContain('the test LLM failed mid-reply');
    expect(text).toBe(tokenize(REPLY).slice(0, 3).join(''));

    const raw = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'scripted-llm', messages: [{ role: 'user', content: 'Hi' }], stream: true }),
    });
    expect(raw.status).toBe(200);
    const events = (await raw.text()).split('\n\n').filter(Boolean);
    expect(events.at(-1)).toMatch(/^data: \{"error":\{"message":"The language model failed: the test LLM failed mid-reply","type":"server_error","param":null,"code":"engine_error"\}\}$/);
    expect(events).not.toContain('data: [DONE]');
  });
});
