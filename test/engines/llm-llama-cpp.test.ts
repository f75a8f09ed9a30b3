/**
 * The real node-llama-cpp engine on a tiny random-weight GGUF (test/fixtures/gguf-builder.ts).
 * Its text is random: these tests assert on structure (parts, finish reasons, token counts),
 * never on words. One thread: on a 2-core machine the tiny model is fastest that way.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatMessage, LLMStreamPart } from '../../src/core/llm.js';
import { ModelLoadError } from '../../src/core/errors.js';
import { LlamaCppLLM } from '../../src/engines/llm/llama-cpp.js';
import { buildTinyGguf } from '../fixtures/gguf-builder.js';

const SYSTEM_PROMPT = 'You are a patient English tutor. Answer in one or two short sentences, and correct mistakes kindly.';

function signal(): AbortSignal {
  return new AbortController().signal;
}

async function collect(parts: AsyncIterable<LLMStreamPart>): Promise<{ deltas: string[]; finish: LLMStreamPart }> {
  const deltas: string[] = [];
  let finish: LLMStreamPart | undefined;
  for await (const part of parts) {
    expect(finish, 'nothing may follow the finish part').toBeUndefined();
    if (part.type === 'text-delta') deltas.push(part.text);
    else finish = part;
  }
  if (!finish) throw new Error('stream ended without a finish part');
  return { deltas, finish };
}

describe('LlamaCppLLM on a tiny GGUF', () => {
  let modelPath: string;
  let llm: LlamaCppLLM;

  beforeAll(async () => {
    modelPath = await buildTinyGguf();
    llm = await LlamaCppLLM.create({
      modelPath, gpu: false, threads: 1, contextSize: 1024, maxConversations: 2, sampling: { seed: 7 },
    });
  });

  afterAll(async () => {
    await llm?.dispose();
  });

  it('reports its model, context size and threads', () => {
    expect(llm.provider).toBe('llama-cpp');
    expect(llm.modelId).toMatch(/^localchat-tiny-random/);
    expect(llm.contextSize).toBeGreaterThanOrEqual(1024);
    expect(llm.threads).toBe(1);
    expect(llm.maxConversations).toBe(2);
  });

  it('streams text deltas, then one finish with usage', async () => {
    const { deltas, finish } = await collect(
      llm.stream({ messages: [{ role: 'user', content: 'Hello! How are you?' }], maxTokens: 12 }, { signal: signal() }),
    );
    expect(deltas.length).toBeGreaterThan(0);
    expect(deltas.every((text) => text.length > 0)).toBe(true);
    expect(finish.type).toBe('finish');
    if (finish.type !== 'finish') return;
    expect(['length', 'stop']).toContain(finish.reason);
    expect(finish.usage?.promptTokens).toBeGreaterThan(0);
    expect(finish.usage?.completionTokens).toBeGreaterThan(0);
    expect(finish.usage?.completionTokens).toBeLessThanOrEqual(12);
    if (finish.reason === 'length') expect(finish.usage?.completionTokens).toBe(12);
  });

  it('stops within ~100 ms of an abort, with reason abort and no more deltas', async () => {
    const controller = new AbortController();
    let deltasAfterAbort = 0;
    let abortedAt = 0;
    let finish: LLMStreamPart | undefined;
    let deltas = 0;
    for await (const part of llm.stream(
      { messages: [{ role: 'user', content: 'Tell me a long story.' }], maxTokens: 800, conversationId: 'abort' },
      { signal: controller.signal },
    )) {
      if (part.type === 'text-delta') {
        deltas++;
        if (abortedAt) deltasAfterAbort++;
        if (deltas === 3) {
          abortedAt = performance.now();
          controller.abort();
        }
      } else {
        finish = part;
      }
    }
    const stopMs = performance.now() - abortedAt;
    expect(deltas).toBe(3);
    expect(deltasAfterAbort).toBe(0);
    expect(finish).toMatchObject({ type: 'finish', reason: 'abort' });
    expect(stopMs).toBeLessThan(100);
    expect(llm.lastTurnStats?.finishReason).toBe('abort');

    // The conversation is usable again once the native loop has stopped.
    const next = await collect(
      llm.stream({ messages: [{ role: 'user', content: 'Again?' }], maxTokens: 4, conversationId: 'abort' }, { signal: signal() }),
    );
    expect(next.finish.type).toBe('finish');
  });

  it('finishes with abort at once when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const { deltas, finish } = await collect(
      llm.stream({ messages: [{ role: 'user', content: 'Hi' }] }, { signal: controller.signal }),
    );
    expect(deltas).toEqual([]);
    expect(finish).toMatchObject({ type: 'finish', reason: 'abort' });
  });

  it('keeps the KV cache between turns of a conversation: a new turn evaluates only new tokens', async () => {
    await llm.prepare('lesson', SYSTEM_PROMPT, { signal: signal() });
    const messages: ChatMessage[] = [
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'user', content: 'Yesterday I go to the park with my friend.' },
    ];
    const first = await collect(llm.stream({ messages, maxTokens: 8, conversationId: 'lesson' }, { signal: signal() }));
    const firstStats = llm.lastTurnStats!;
    // prepare() evaluated the system prompt: only the learner's message was left (measured by the
    // sequence's token meter, not estimated).
    expect(firstStats.evaluatedPromptTokens).toBeGreaterThan(0);
    expect(firstStats.evaluatedPromptTokens).toBeLessThan(firstStats.promptTokens / 2);
    expect(firstStats.cachedPromptTokens).toBeGreaterThan(firstStats.promptTokens / 2);

    messages.push({ role: 'assistant', content: first.deltas.join('') }, { role: 'user', content: 'Is that right?' });
    await collect(llm.stream({ messages, maxTokens: 8, conversationId: 'lesson' }, { signal: signal() }));
    const second = llm.lastTurnStats!;
    expect(second.promptTokens).toBeGreaterThan(firstStats.promptTokens);
    // The whole first prompt is reused; the evaluated part is at most the reply and the new message.
    expect(second.cachedPromptTokens).toBeGreaterThanOrEqual(firstStats.promptTokens - 1);
    expect(second.evaluatedPromptTokens).toBeLessThanOrEqual(second.promptTokens - firstStats.promptTokens + 1);
    expect(second.evaluatedPromptTokens).toBeLessThan(second.promptTokens / 2);
    expect(llm.cachedConversations()[0]).toBe('lesson');

    // Barge-in: the history is cut back to the first user message and goes on differently.
    const truncated: ChatMessage[] = [messages[0]!, messages[1]!, { role: 'assistant', content: 'You went' }, { role: 'user', content: 'Sorry?' }];
    const third = await collect(llm.stream({ messages: truncated, maxTokens: 4, conversationId: 'lesson' }, { signal: signal() }));
    expect(third.finish.type).toBe('finish');
    const thirdStats = llm.lastTurnStats!;
    expect(thirdStats.cachedPromptTokens).toBeGreaterThanOrEqual(firstStats.promptTokens - 1);
    expect(thirdStats.cachedPromptTokens).toBeLessThan(second.promptTokens);
    expect(thirdStats.evaluatedPromptTokens).toBeLessThanOrEqual(thirdStats.promptTokens - firstStats.promptTokens + 1);
  });

  it('keeps at most maxConversations caches, dropping the least recently used', async () => {
    for (const conversationId of ['lru-a', 'lru-b', 'lru-c']) {
      await collect(
        llm.stream({ messages: [{ role: 'user', content: `Hi from ${conversationId}` }], maxTokens: 2, conversationId }, { signal: signal() }),
      );
    }
    expect(llm.cachedConversations()).toEqual(['lru-c', 'lru-b']);
    llm.release('lru-b');
    expect(llm.cachedConversations()).toEqual(['lru-c']);
  });

  it('runs side work on its own sequence: a learner\'s cached conversation survives corrections and API calls', async () => {
    const learner: ChatMessage[] = [{ role: 'system', content: SYSTEM_PROMPT }, { role: 'user', content: 'I has a cat and two dog.' }];
    const reply = await collect(llm.stream({ messages: learner, maxTokens: 6, conversationId: 'learner' }, { signal: signal() }));
    const before = llm.lastTurnStats!;
    // Side tasks (a correction, an anonymous API call, another kind of task) in between.
    for (const request of [
      { messages: [{ role: 'user' as const, content: 'Correct: I has a cat.' }], maxTokens: 4, conversationId: 'localchat-corrections', background: true },
      { messages: [{ role: 'user' as const, content: 'Hello API' }], maxTokens: 4 },
      { messages: [{ role: 'user' as const, content: 'Explain: cat' }], maxTokens: 4, conversationId: 'localchat-words', background: true },
    ]) {
      await collect(llm.stream(request, { signal: signal() }));
    }
    expect(llm.cachedConversations()).toContain('learner');
    learner.push({ role: 'assistant', content: reply.deltas.join('') }, { role: 'user', content: 'Is it right?' });
    await collect(llm.stream({ messages: learner, maxTokens: 4, conversationId: 'learner' }, { signal: signal() }));
    const after = llm.lastTurnStats!;
    expect(after.evaluatedPromptTokens).toBeLessThan(after.promptTokens - before.promptTokens + 2);
  });

  it('follows a JSON schema', async () => {
    const schema = {
      type: 'object',
      properties: {
        mistake: { type: 'boolean' },
        level: { enum: ['A1', 'A2', 'B1', 'B2'] },
      },
      required: ['mistake', 'level'],
      additionalProperties: false,
    };
    const { deltas, finish } = await collect(
      llm.stream(
        {
          messages: [{ role: 'user', content: 'Rate: "I has a cat."' }],
          jsonSchema: { name: 'rating', schema },
          maxTokens: 60,
          conversationId: 'json',
        },
        { signal: signal() },
      ),
    );
    expect(finish).toMatchObject({ type: 'finish', reason: 'stop' });
    const value = JSON.parse(deltas.join('')) as Record<string, unknown>;
    expect(Object.keys(value).sort()).toEqual(['level', 'mistake']);
    expect(typeof value.mistake).toBe('boolean');
    expect(['A1', 'A2', 'B1', 'B2']).toContain(value.level);
  });

  it('stops at a stop string and leaves it out', async () => {
    const stop = [' ', 'e', 'a'];
    const { deltas, finish } = await collect(
      llm.stream({ messages: [{ role: 'user', content: 'Say something.' }], stop, maxTokens: 200 }, { signal: signal() }),
    );
    expect(finish).toMatchObject({ type: 'finish', reason: 'stop' });
    const text = deltas.join('');
    for (const trigger of stop) expect(text).not.toContain(trigger);
  });

  it('serializes concurrent calls on one conversation', async () => {
    const request = { messages: [{ role: 'user' as const, content: 'Hi' }], maxTokens: 3, conversationId: 'busy' };
    const results = await Promise.all([collect(llm.stream(request, { signal: signal() })), collect(llm.stream(request, { signal: signal() }))]);
    for (const result of results) expect(result.finish.type).toBe('finish');
  });
});

describe('LlamaCppLLM model loading', () => {
  it('refuses a model trained for too short a context, saying what to do', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'localchat-short-'));
    try {
      const modelPath = await buildTinyGguf(join(dir, 'short.gguf'), { nCtx: 512 });
      const error = await LlamaCppLLM.create({ modelPath, gpu: false, threads: 1 }).catch((caught: unknown) => caught);
      expect(ModelLoadError.isInstance(error)).toBe(true);
      expect((error as ModelLoadError).message).toMatch(/only 512 tokens/);
      expect((error as ModelLoadError).fix).toMatch(/--model/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses Q8_0 keys for a head size whose cache llama.cpp cannot shift, and defaults to f16 for it', async () => {
    const modelPath = await buildTinyGguf(); // heads of 16
    const error = await LlamaCppLLM.create({ modelPath, gpu: false, threads: 1, contextSize: 512, kvCacheKeyType: 'Q8_0' }).catch((caught: unknown) => caught);
    expect(ModelLoadError.isInstance(error)).toBe(true);
    expect((error as ModelLoadError).message).toMatch(/head size that is a multiple of 64; this model's is 16/);
    expect((error as ModelLoadError).fix).toMatch(/F16/);
    const llm = await LlamaCppLLM.create({ modelPath, gpu: false, threads: 1, contextSize: 512 });
    expect(llm.kvCacheKeyType).toBe('F16');
    await llm.dispose();
  });

  let directory: string;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'localchat-llm-'));
  });

  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('throws ModelLoadError naming a missing file', async () => {
    const modelPath = join(directory, 'missing.gguf');
    const error: unknown = await LlamaCppLLM.create({ modelPath, gpu: false, threads: 1 }).catch((caught: unknown) => caught);
    expect(ModelLoadError.isInstance(error)).toBe(true);
    expect((error as ModelLoadError).path).toBe(modelPath);
    expect((error as ModelLoadError).fix).toMatch(/download/);
  });

  it('throws ModelLoadError for a file that is not a GGUF', async () => {
    const modelPath = join(directory, 'junk.gguf');
    await writeFile(modelPath, 'this is not a model');
    const error: unknown = await LlamaCppLLM.create({ modelPath, gpu: false, threads: 1 }).catch((caught: unknown) => caught);
    expect(ModelLoadError.isInstance(error)).toBe(true);
    expect((error as ModelLoadError).message).toMatch(/GGUF/);
  });

  it('throws ModelLoadError for a truncated GGUF, saying what llama.cpp found', async () => {
    const whole = await readFile(await buildTinyGguf());
    const modelPath = join(directory, 'truncated.gguf');
    await writeFile(modelPath, whole.subarray(0, Math.floor(whole.length / 2)));
    const error: unknown = await LlamaCppLLM.create({ modelPath, gpu: false, threads: 1 }).catch((caught: unknown) => caught);
    expect(ModelLoadError.isInstance(error)).toBe(true);
    expect((error as ModelLoadError).path).toBe(modelPath);
    expect((error as ModelLoadError).message).toContain('Could not load the model');
  });
});
