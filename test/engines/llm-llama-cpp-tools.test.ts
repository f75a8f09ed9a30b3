/**
 * Function calling on the real node-llama-cpp engine with a tiny random-weight GGUF
 * (test/fixtures/gguf-builder.ts). The model's choices are random, so the tests force calls
 * (`toolChoice` `required` or a named function: grammar-constrained) and assert on structure:
 * parts in order, ids that match, arguments that follow the schema, finish reasons. A history with
 * calls and their results must render and continue.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatRequest, LLMStreamPart, ToolDefinition } from '../../src/core/llm.js';
import { LlamaCppLLM } from '../../src/engines/llm/llama-cpp.js';
import { buildTinyGguf } from '../fixtures/gguf-builder.js';

const WEATHER: ToolDefinition = {
  name: 'get_weather',
  description: 'The weather in a city',
  parameters: {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    properties: { city: { type: 'string', maxLength: 12 }, unit: { enum: ['c', 'f'] } },
    required: ['city', 'unit'],
    additionalProperties: false,
  },
};
const TIME: ToolDefinition = { name: 'get_time', description: 'The time now' };

async function parts(llm: LlamaCppLLM, request: ChatRequest): Promise<LLMStreamPart[]> {
  const all: LLMStreamPart[] = [];
  for await (const part of llm.stream(request, { signal: new AbortController().signal })) all.push(part);
  return all;
}

describe('LlamaCppLLM function calling on a tiny GGUF', () => {
  let llm: LlamaCppLLM;

  beforeAll(async () => {
    llm = await LlamaCppLLM.create({ modelPath: await buildTinyGguf(), gpu: false, threads: 1, contextSize: 2048, sampling: { seed: 3 } });
  });
  afterAll(async () => {
    await llm?.dispose();
  });

  it('forces the named function: start, argument delta, call, finish tool-calls', async () => {
    const all = await parts(llm, {
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [WEATHER, TIME], toolChoice: { name: 'get_weather' }, maxTokens: 200, temperature: 0.5,
    });
    expect(all.map((part) => part.type)).toEqual(['tool-call-start', 'tool-call-delta', 'tool-call', 'finish']);
    const [start, delta, call, finish] = all as [
      Extract<LLMStreamPart, { type: 'tool-call-start' }>, Extract<LLMStreamPart, { type: 'tool-call-delta' }>,
      Extract<LLMStreamPart, { type: 'tool-call' }>, Extract<LLMStreamPart, { type: 'finish' }>,
    ];
    expect(call.id).toMatch(/^call_[0-9a-f]{24}$/);
    expect(start).toEqual({ type: 'tool-call-start', id: call.id, name: 'get_weather' });
    expect(delta.argumentsDelta).toBe(call.arguments);
    const args = JSON.parse(call.arguments) as { city: unknown; unit: unknown };
    expect(Object.keys(args).sort()).toEqual(['city', 'unit']);
    expect(typeof args.city).toBe('string');
    expect(['c', 'f']).toContain(args.unit);
    expect(finish.reason).toBe('tool-calls');
    expect(finish.usage?.completionTokens).toBeGreaterThan(0);
  });

  it('required picks one of the tools; a function without parameters gets {}', async () => {
    const all = await parts(llm, {
      messages: [{ role: 'user', content: 'What time is it?' }], tools: [TIME], toolChoice: 'required', maxTokens: 100,
    });
    const call = all.find((part) => part.type === 'tool-call');
    expect(call).toMatchObject({ name: 'get_time' });
    expect(JSON.parse((call as { arguments: string }).arguments)).toEqual({});
    expect(all.at(-1)).toMatchObject({ type: 'finish', reason: 'tool-calls' });
  });

  it('a named function that is not among the tools is an error', async () => {
    await expect(parts(llm, {
      messages: [{ role: 'user', content: 'Hi' }], tools: [TIME], toolChoice: { name: 'nope' }, maxTokens: 10,
    })).rejects.toThrow(/nope/);
  });

  it('continues after a call and its result (auto), and with none makes text only', async () => {
    const messages: ChatRequest['messages'] = [
      { role: 'system', content: 'You are helpful.' },
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: '', toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris","unit":"c"}' }] },
      { role: 'tool', toolCallId: 'call_1', content: '{"temperature":21}' },
    ];
    const promptTokens: Record<string, number> = {};
    for (const toolChoice of ['auto', 'none'] as const) {
      const all = await parts(llm, { messages, tools: [WEATHER, TIME], toolChoice, maxTokens: 8 });
      promptTokens[toolChoice] = llm.lastTurnStats!.promptTokens;
      const finish = all.at(-1);
      expect(finish?.type).toBe('finish');
      if (toolChoice === 'none') {
        expect(all.every((part) => part.type === 'text-delta' || part.type === 'finish')).toBe(true);
        expect(finish).not.toMatchObject({ reason: 'tool-calls' });
      }
      // Whatever the random model chose, a tool-call part is complete and announced first.
      for (const part of all) {
        if (part.type !== 'tool-call') continue;
        expect(all.some((other) => other.type === 'tool-call-start' && other.id === part.id)).toBe(true);
        expect(finish).toMatchObject({ reason: 'tool-calls' });
      }
    }
    // With `auto` the chat template documents the functions in the prompt; with `none` it does not.
    expect(promptTokens.auto).toBeGreaterThan(promptTokens.none! + 20);
  });
});
