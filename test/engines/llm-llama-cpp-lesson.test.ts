/**
 * KV-cache reuse over a long conversation on the real node-llama-cpp engine: 60 learner turns on
 * a tiny GGUF whose replies re-tokenize to the tokens generated (`generate: 'words'`), with a small
 * context so the history window fills and is trimmed several times. The counts come from
 * node-llama-cpp's token meter (what was evaluated), not from the engine's own estimate. At a trim
 * the kept turns' KV cache is shifted back, not evaluated again.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlamaCppLLM, type LlamaCppTurnStats } from '../../src/engines/llm/llama-cpp.js';
import { Conversation } from '../../src/turn/conversation.js';
import { buildTinyGguf } from '../fixtures/gguf-builder.js';

const TURNS = (JSON.parse(readFileSync(new URL('../../bench/data/lesson-turns.json', import.meta.url), 'utf8')) as { turns: string[] }).turns;
const SYSTEM_PROMPT = 'You are a patient English tutor. Answer in one or two short sentences, and correct mistakes kindly by repeating them correctly.';
const CONTEXT = 1024;

/**
 * Runs the 60 learner turns on a fresh engine; with `ahead`, after each reply the next turn's
 * prefix is evaluated as the realtime session does (`prepare` with `messagesAhead`).
 */
async function runLesson(conversation: Conversation, stats: LlamaCppTurnStats[], ahead: boolean, summaries = false): Promise<LlamaCppLLM> {
  // Heads of 64, as in real models: the CPU's default Q8_0 keys, whose cache is shifted at each trim.
  const modelPath = await buildTinyGguf(undefined, { generate: 'words', name: 'localchat-tiny-words-head64', nEmbd: 128, nHead: 2, nHeadKv: 1 });
  const llm = await LlamaCppLLM.create({ modelPath, gpu: false, threads: 1, contextSize: CONTEXT, maxConversations: 1, sampling: { seed: 3 } });
  expect(llm.kvCacheKeyType).toBe('Q8_0');
  const signal = new AbortController().signal;
  const countTokens = (value: string): number => llm.countTokens(value);
  await llm.prepare(conversation.id, SYSTEM_PROMPT, { signal });
  for (const text of TURNS) {
    conversation.add({ role: 'user', text });
    const messages = conversation.messages(llm.contextSize, { reserveTokens: 64, countTokens });
    let output = '';
    for await (const part of llm.stream({ messages, conversationId: conversation.id, maxTokens: 24 }, { signal })) {
      if (part.type === 'text-delta') output += part.text;
    }
    stats.push(llm.lastTurnStats!);
    // As the session stores it: the trimmed text shown, the exact output for the history.
    conversation.add({ role: 'assistant', text: output.trim(), llmText: output });
    if (summaries) {
      // As the tutor's side work would: a summary of the turns the next trim drops, ready at once.
      const offered = conversation.turnsToSummarize(llm.contextSize, { reserveTokens: 64, countTokens });
      if (offered.length > 0) conversation.setSummary({ text: `The learner said ${offered.length} things, the first one: ${offered[0]!.text}`, throughId: offered.at(-1)!.id });
    }
    if (ahead) await llm.prepare(conversation.id, conversation.messagesAhead(llm.contextSize, { reserveTokens: 64, countTokens }), { signal });
  }
  return llm;
}

describe('LlamaCppLLM over a 60-turn conversation', () => {
  let llm: LlamaCppLLM;
  const stats: LlamaCppTurnStats[] = [];
  const conversation = new Conversation(SYSTEM_PROMPT);

  beforeAll(async () => {
    llm = await runLesson(conversation, stats, false);
  }, 120_000);

  afterAll(async () => {
    await llm?.dispose();
  });

  it('fills the small context several times, trimming the history in blocks and shifting the kept turns', () => {
    expect(conversation.droppedTurns).toBeGreaterThan(0);
    const trims = stats.filter((turn) => turn.shiftedPromptTokens > 0);
    expect(trims.length).toBeGreaterThanOrEqual(2);
    // Trimmed a turn at a time, every turn after the first fill would shift (or start from zero).
    expect(trims.length).toBeLessThanOrEqual(12);
    // What a trim keeps is most of the prompt, moved rather than evaluated.
    for (const turn of trims) expect(turn.shiftedPromptTokens).toBeGreaterThan(turn.promptTokens / 4);
  });

  it('evaluates only the new message at every turn, trims included', () => {
    for (const turn of stats.slice(1)) {
      // The end of the previous reply, the learner's message (8-25 words) and the template tokens.
      expect(turn.evaluatedPromptTokens).toBeLessThanOrEqual(turn.newPromptTokens + 2);
      expect(turn.evaluatedPromptTokens).toBeLessThan(96);
    }
  });

  it('evaluates only the new tokens at turn 60: the learner message, not the history', () => {
    const last = stats.at(-1)!;
    expect(last.promptTokens).toBeGreaterThan(300);
    expect(last.evaluatedPromptTokens).toBeLessThanOrEqual(last.newPromptTokens + 2);
    expect(last.evaluatedPromptTokens).toBeLessThan(last.promptTokens / 4);
  });

  it('evaluates no more than the new tokens over the whole conversation (measured by the token meter)', () => {
    const evaluated = stats.reduce((sum, turn) => sum + turn.evaluatedPromptTokens, 0);
    const fresh = stats.reduce((sum, turn) => sum + turn.newPromptTokens, 0);
    expect(evaluated).toBeGreaterThan(0);
    expect(evaluated).toBeLessThanOrEqual(fresh * 1.2);
    // The engine's estimate agrees with the meter.
    for (const turn of stats) expect(turn.promptTokens - turn.cachedPromptTokens).toBeGreaterThanOrEqual(turn.evaluatedPromptTokens - 1);
  });
});

describe('LlamaCppLLM evaluating the conversation ahead of each turn (prepare between turns)', () => {
  let llm: LlamaCppLLM;
  const stats: LlamaCppTurnStats[] = [];
  const conversation = new Conversation(SYSTEM_PROMPT);

  beforeAll(async () => {
    llm = await runLesson(conversation, stats, true);
  }, 120_000);

  afterAll(async () => {
    await llm?.dispose();
  });

  it('trims the window between turns: no turn evaluates the history again, only its new message', () => {
    expect(conversation.droppedTurns).toBeGreaterThan(0);
    // Trimmed between turns, a turn itself shifts nothing.
    expect(stats.every((turn) => turn.shiftedPromptTokens === 0)).toBe(true);
    for (const turn of stats.slice(1)) {
      // The learner's message (8-25 words) and the template tokens around it.
      expect(turn.evaluatedPromptTokens).toBeLessThan(64);
    }
  });

  it('evaluates no history ahead of the turns either: the kept turns are shifted, not evaluated again', () => {
    // Per turn ahead: the end of the reply and the next user header (a few template tokens), plus
    // the system prompt once. Re-evaluating the kept half of the window at each trim would add
    // several hundred tokens per trim.
    expect(llm.evaluatedAheadTokens).toBeGreaterThan(0);
    expect(llm.evaluatedAheadTokens).toBeLessThan(TURNS.length * 8 + 100);
  });
});

describe('LlamaCppLLM over a lesson with running summaries (prepare between turns)', () => {
  let llm: LlamaCppLLM;
  const stats: LlamaCppTurnStats[] = [];
  const conversation = new Conversation(SYSTEM_PROMPT);

  beforeAll(async () => {
    llm = await runLesson(conversation, stats, true, true);
  }, 120_000);

  afterAll(async () => {
    await llm?.dispose();
  });

  it('replaces the summary at each trim without evaluating the kept turns again', () => {
    expect(conversation.droppedTurns).toBeGreaterThan(0);
    expect(conversation.summary).toBeDefined();
    for (const turn of stats.slice(1)) {
      // The learner's message, and after a trim the summary (evaluated ahead, so new but not evaluated now).
      expect(turn.newPromptTokens).toBeLessThan(200);
      expect(turn.evaluatedPromptTokens).toBeLessThan(64);
    }
    // Ahead of the turns: the template tokens, the system prompt once, and at each trim the new
    // summary (~60 tokens with its template). Re-evaluating the kept half of the window would add
    // ~450 tokens per trim.
    const trims = stats.filter((turn, index) => index > 0 && turn.promptTokens < stats[index - 1]!.promptTokens).length;
    expect(trims).toBeGreaterThanOrEqual(3);
    expect(llm.evaluatedAheadTokens).toBeLessThan(TURNS.length * 8 + 100 + trims * 150);
  });
});
