/**
 * The tutor's JSON schemas through the REAL node-llama-cpp engine with its grammar, on a tiny
 * random-weight GGUF (test/fixtures/gguf-builder.ts). The model's words are random: these tests
 * assert that every answer parses and fits the schema, never what it says. One thread, modest
 * token limits.
 *
 * String lengths are not checked against `maxLength`: a random model emits broken UTF-8 byte
 * tokens, which llama.cpp's grammar counts differently from JavaScript's UTF-16 length (seen: 130
 * characters under a 128 limit). A real model writes whole characters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { CallOptions } from '../../src/core/call-options.js';
import type { ChatRequest, LLM, LLMStreamPart } from '../../src/core/llm.js';
import { LlamaCppLLM } from '../../src/engines/llm/llama-cpp.js';
import {
  ERROR_CATEGORIES, correctUtterance, correctionJsonSchema, modelCorrectionSchema, toCorrection,
} from '../../src/tutor/corrections.js';
import { CEFR_LEVELS, parseProfile } from '../../src/tutor/profile.js';
import { REPORT_JSON_SCHEMA, computeSessionStats, writeSessionReport } from '../../src/tutor/report.js';
import { explainWord, wordJsonSchema } from '../../src/tutor/vocabulary.js';
import { buildTinyGguf } from '../fixtures/gguf-builder.js';

/** An LLM that passes calls through and keeps each call's request and raw output. */
class RecordingLLM implements LLM {
  readonly provider: string;
  readonly modelId: string;
  readonly contextSize: number;
  readonly outputs: Array<{ request: ChatRequest; text: string; finish?: LLMStreamPart }> = [];
  constructor(private readonly inner: LLM) {
    this.provider = inner.provider;
    this.modelId = inner.modelId;
    this.contextSize = inner.contextSize;
  }
  async *stream(request: ChatRequest, options: CallOptions): AsyncIterable<LLMStreamPart> {
    const record: { request: ChatRequest; text: string; finish?: LLMStreamPart } = { request, text: '' };
    this.outputs.push(record);
    for await (const part of this.inner.stream(request, options)) {
      if (part.type === 'text-delta') record.text += part.text;
      else record.finish = part;
      yield part;
    }
  }
}

/** The schema without `maxLength` (see the header), as a zod validator of the exact shape. */
function shapeValidator(schema: Record<string, unknown>): z.ZodType {
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).filter(([key]) => key !== 'maxLength').map(([key, inner]) => [key, strip(inner)]));
    }
    return value;
  };
  return z.fromJSONSchema(strip(schema) as Parameters<typeof z.fromJSONSchema>[0]);
}

function signal(): AbortSignal {
  return new AbortController().signal;
}

describe('tutor JSON schemas on the real llama.cpp grammar (tiny random GGUF)', () => {
  let engine: LlamaCppLLM;
  let llm: RecordingLLM;

  beforeAll(async () => {
    engine = await LlamaCppLLM.create({
      modelPath: await buildTinyGguf(), gpu: false, threads: 1, contextSize: 2048, maxConversations: 2, sampling: { seed: 11 },
    });
    llm = new RecordingLLM(engine);
  });

  afterAll(async () => {
    await engine?.dispose();
  });

  it('checks shapes strictly (the validator is not vacuous)', () => {
    const validator = shapeValidator(correctionJsonSchema(10));
    const item = { original: 'a', correction: 'b', category: 'tense', rule: 'r', example: 'e' };
    expect(validator.safeParse({ corrected: 'x', errors: [item] }).success).toBe(true);
    expect(validator.safeParse({ corrected: 'x' }).success).toBe(false);
    expect(validator.safeParse({ corrected: 'x', errors: [], extra: 1 }).success).toBe(false);
    expect(validator.safeParse({ corrected: 'x', errors: [{ ...item, category: 'style' }] }).success).toBe(false);
    expect(validator.safeParse({ corrected: '', errors: [] }).success).toBe(false);
  });

  it('correctUtterance: every answer parses and fits the correction schema', async () => {
    const profile = parseProfile({ level: 'B1' });
    const utterances = ['Yesterday I go to the park with my friend.', 'She have two childs', 'I am agree with you about this'];
    for (const text of utterances) {
      const before = llm.outputs.length;
      const correction = await correctUtterance(llm, { text, profile }, { signal: signal(), conversationId: 'tutor-corrections' });
      expect(correction, 'a grammar-constrained answer is always usable').not.toBeNull();
      expect(correction!.original).toBe(text);
      for (const error of correction!.errors) {
        expect(ERROR_CATEGORIES).toContain(error.category);
        if (error.span) expect(error.span[0]).toBeLessThan(error.span[1]);
      }
      // An answer cut off at maxTokens is retried; every finished answer must fit the schema.
      const calls = llm.outputs.slice(before);
      expect(calls.length).toBeLessThanOrEqual(2);
      expect(calls.at(-1)!.finish).toMatchObject({ type: 'finish', reason: 'stop' });
      for (const { request, text: raw, finish } of calls) {
        expect(request.maxTokens).toBeLessThanOrEqual(400);
        if (finish?.type === 'finish' && finish.reason === 'length') continue;
        expect(shapeValidator(correctionJsonSchema(text.length)).safeParse(JSON.parse(raw)).success).toBe(true);
      }
    }
  });

  it('the correction schema with errors forced: items parse, fit, and become a correction', async () => {
    const text = 'She have two childs';
    const schema = correctionJsonSchema(text.length) as { properties: { errors: Record<string, unknown> } };
    const forced = { ...schema, properties: { ...schema.properties, errors: { ...schema.properties.errors, minItems: 1, maxItems: 2 } } };
    let raw = '';
    for await (const part of engine.stream(
      { messages: [{ role: 'user', content: text }], jsonSchema: { name: 'correction', schema: forced }, maxTokens: 700, temperature: 0.6 },
      { signal: signal() },
    )) {
      if (part.type === 'text-delta') raw += part.text;
      else expect(part.reason).toBe('stop');
    }
    const value: unknown = JSON.parse(raw);
    expect(shapeValidator(forced).safeParse(value).success).toBe(true);
    const parsed = modelCorrectionSchema.parse(value);
    expect(parsed.errors.length).toBeGreaterThanOrEqual(1);
    expect(parsed.errors.length).toBeLessThanOrEqual(2);
    const correction = toCorrection(text, parsed);
    expect(correction.original).toBe(text);
  });

  it('explainWord and writeSessionReport: answers parse and fit their schemas', async () => {
    const profile = parseProfile({ level: 'A2', nativeLanguage: 'Spanish' });
    const before = llm.outputs.length;
    const entry = await explainWord(llm, { word: 'reluctant', sentence: 'I was reluctant to go.', profile }, { signal: signal() });
    expect(entry).not.toBeNull();
    expect(entry!.word).toBe('reluctant');
    expect(typeof entry!.meaningNative).toBe('string');
    const wordCall = llm.outputs[before]!;
    expect(shapeValidator(wordJsonSchema(true)).safeParse(JSON.parse(wordCall.text)).success).toBe(true);

    const turns = [
      { role: 'assistant' as const, text: 'What did you do yesterday?' },
      { role: 'user' as const, text: 'Yesterday I go to the park with my friend.', speechMs: 3_000 },
    ];
    const report = await writeSessionReport(llm, computeSessionStats(turns, []), turns, profile, { signal: signal() });
    expect(report.source).toBe('llm');
    expect(CEFR_LEVELS).toContain(report.levelEstimate);
    expect(report.highlights.length).toBeLessThanOrEqual(2);
    const reportCall = llm.outputs.at(-1)!;
    expect(shapeValidator(REPORT_JSON_SCHEMA).safeParse(JSON.parse(reportCall.text)).success).toBe(true);
  });
});
