/**
 * The correction side channel with a scripted LLM: the model's JSON becomes a correction with
 * spans in the learner's text; bad output is retried once, then dropped as null; never throws.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { ChatRequest, LLM } from '../../src/core/llm.js';
import { ScriptedLLM } from '../../src/testing/scripted-llm.js';
import {
  ERROR_CATEGORIES, MAX_CORRECTION_CHARS, buildCorrectionPrompt, correctUtterance, correctionJsonSchema, locate,
} from '../../src/tutor/corrections.js';
import { DEFAULT_PROFILE, parseProfile } from '../../src/tutor/profile.js';
import type { TutorLogger } from '../../src/tutor/structured-output.js';

const B1 = parseProfile({ level: 'B1' });

function signal(): AbortSignal {
  return new AbortController().signal;
}

/** A logger that records events (name and details). */
function recordingLogger(): TutorLogger & { events: Array<{ level: string; message: string; details: object }> } {
  const events: Array<{ level: string; message: string; details: object }> = [];
  return {
    events,
    warn: (details, message) => events.push({ level: 'warn', message, details }),
    debug: (details, message) => events.push({ level: 'debug', message, details }),
  };
}

/** An LLM that answers each call with the next reply of `replies` (the last one repeats). */
function sequenceLLM(replies: string[]): ScriptedLLM {
  let call = 0;
  return new ScriptedLLM({ reply: () => replies[Math.min(call++, replies.length - 1)]! });
}

const TEXT = 'yesterday i go to park and buyed two apple';
const KNOWN = {
  corrected: 'Yesterday I went to the park and bought two apples.',
  errors: [
    { original: 'go', correction: 'went', category: 'tense', rule: 'Use the past simple for finished past actions.', example: 'Yesterday I went home.' },
    { original: 'to park', correction: 'to the park', category: 'article', rule: 'Use "the" for a place both people know.', example: 'We met at the park.' },
    { original: 'buyed', correction: 'bought', category: 'Word-Choice', rule: '"Buy" is irregular: buy, bought, bought.', example: 'She bought a car.' },
    { original: 'Two Apple', correction: 'two apples', category: 'plural', rule: 'Count nouns take -s after numbers above one.', example: 'I have two cats.' },
    { original: 'I', correction: 'I', category: 'spelling', rule: 'Capital I.', example: 'I am here.' },
  ],
};

describe('correctUtterance', () => {
  it('turns the model JSON into a correction with spans in the original text', async () => {
    const llm = new ScriptedLLM({ reply: JSON.stringify(KNOWN) });
    const correction = await correctUtterance(llm, { text: TEXT, profile: B1, context: 'What did you do yesterday?' }, { signal: signal() });
    expect(correction).not.toBeNull();
    expect(correction!.original).toBe(TEXT);
    expect(correction!.corrected).toBe(KNOWN.corrected);
    // The capital-I "error" differs only in case: speech cannot show it, so it is dropped.
    expect(correction!.errors.map((error) => [error.original, error.category, error.span])).toEqual([
      ['go', 'tense', [12, 14]],
      ['to park', 'article', [15, 22]],
      ['buyed', 'word choice', [27, 32]],
      ['Two Apple', 'plural', [33, 42]],
    ]);
    for (const error of correction!.errors) {
      const [start, end] = error.span!;
      expect(TEXT.slice(start, end).toLowerCase()).toBe(error.original.toLowerCase());
    }

    const request = llm.calls[0]!.request;
    expect(request.jsonSchema?.name).toBe('correction');
    expect(request.jsonSchema?.schema).toEqual(correctionJsonSchema(TEXT.length));
    expect(request.messages[0]!.content).toBe(buildCorrectionPrompt(B1));
    expect(request.messages[1]!.content).toBe(`Tutor: What did you do yesterday?\nLearner: ${TEXT}`);
    expect(request.maxTokens).toBeGreaterThan(300);
  });

  it('gives a correct sentence no errors and leaves it unchanged', async () => {
    const text = 'i went to the cinema with my sister';
    for (const reply of [
      { corrected: text, errors: [] },
      // A model that "fixes" only punctuation and capitals, or rewrites without naming an error.
      { corrected: 'I went to the cinema with my sister.', errors: [{ original: 'i', correction: 'I', category: 'spelling', rule: 'r', example: 'e' }] },
      { corrected: 'I went to the movies with my sister.', errors: [] },
    ]) {
      const correction = await correctUtterance(new ScriptedLLM({ reply: JSON.stringify(reply) }), { text, profile: B1 }, { signal: signal() });
      expect(correction).toEqual({ original: text, corrected: text, errors: [] });
    }
  });

  it('retries once after invalid JSON and uses the second answer', async () => {
    const llm = sequenceLLM(['{"corrected": "Yesterday I went', JSON.stringify(KNOWN)]);
    const logger = recordingLogger();
    const correction = await correctUtterance(llm, { text: TEXT, profile: B1 }, { signal: signal(), logger });
    expect(correction?.errors).toHaveLength(4);
    expect(llm.calls).toHaveLength(2);
    expect(llm.calls.map((call) => call.request.temperature)).toEqual([0.2, 0.6]);
    expect(logger.events.filter((event) => event.level === 'warn').map((event) => event.details)).toEqual([
      expect.objectContaining({ task: 'correction', attempt: 1, reason: 'invalid_json' }),
    ]);
    // No learner text above debug level.
    for (const event of logger.events.filter((entry) => entry.level === 'warn')) expect(JSON.stringify(event)).not.toContain('park');
  });

  it('retries once after a schema mismatch', async () => {
    const llm = sequenceLLM([JSON.stringify({ corrected: 'x', errors: [{ original: 'go' }] }), JSON.stringify(KNOWN)]);
    const logger = recordingLogger();
    expect(await correctUtterance(llm, { text: TEXT, profile: B1 }, { signal: signal(), logger })).not.toBeNull();
    expect(logger.events[0]?.details).toMatchObject({ reason: 'schema_mismatch', detail: expect.stringContaining('errors.0.') });
  });

  it('gives up with null after two invalid answers, without throwing', async () => {
    const llm = sequenceLLM(['not json at all', '{"corrected": 3, "errors": []}']);
    const logger = recordingLogger();
    expect(await correctUtterance(llm, { text: TEXT, profile: B1 }, { signal: signal(), logger })).toBeNull();
    expect(llm.calls).toHaveLength(2);
    expect(logger.events.map((event) => event.message)).toContain('tutor.structured_gave_up');
  });

  it('accepts JSON wrapped in a code fence (servers without a grammar)', async () => {
    const llm = new ScriptedLLM({ reply: `\`\`\`json\n${JSON.stringify(KNOWN)}\n\`\`\`` });
    expect((await correctUtterance(llm, { text: TEXT, profile: B1 }, { signal: signal() }))?.errors).toHaveLength(4);
  });

  it('returns null on abort, without a retry', async () => {
    const controller = new AbortController();
    const llm = new ScriptedLLM({ reply: JSON.stringify(KNOWN), tokensPerSecond: 200 });
    setTimeout(() => controller.abort(), 30);
    expect(await correctUtterance(llm, { text: TEXT, profile: B1 }, { signal: controller.signal })).toBeNull();
    expect(llm.calls).toHaveLength(1);
  });

  it('returns null when the engine fails, retrying only retryable errors', async () => {
    const failing = new ScriptedLLM({ reply: JSON.stringify(KNOWN), failAfterTokens: 2 });
    expect(await correctUtterance(failing, { text: TEXT, profile: B1 }, { signal: signal() })).toBeNull();
    expect(failing.calls).toHaveLength(2); // the scripted failure is retryable
  });

  it('counts an answer cut off at maxTokens as a failed attempt', async () => {
    const calls: ChatRequest[] = [];
    const cutOff: LLM = {
      provider: 'test', modelId: 'cut-off', contextSize: 4096,
      async *stream(request) {
        calls.push(request);
        yield { type: 'text-delta', text: JSON.stringify(KNOWN) };
        yield { type: 'finish', reason: 'length' };
      },
    };
    const logger = recordingLogger();
    expect(await correctUtterance(cutOff, { text: TEXT, profile: B1 }, { signal: signal(), logger, maxTokens: 40 })).toBeNull();
    expect(calls.map((request) => request.maxTokens)).toEqual([40, 40]);
    expect(logger.events.filter((event) => event.level === 'warn').map((event) => (event.details as { reason?: string }).reason))
      .toEqual(['truncated', 'truncated', undefined]);
  });

  it('makes no call for an utterance without words, and none for one too long to correct', async () => {
    const llm = new ScriptedLLM({ reply: JSON.stringify(KNOWN) });
    expect(await correctUtterance(llm, { text: ' ... ', profile: B1 }, { signal: signal() })).toEqual({ original: ' ... ', corrected: ' ... ', errors: [] });
    expect(await correctUtterance(llm, { text: 'word '.repeat(MAX_CORRECTION_CHARS), profile: B1 }, { signal: signal() })).toBeNull();
    expect(llm.calls).toHaveLength(0);
  });

  it('maps unknown categories to "other"', async () => {
    const reply = { corrected: 'I am here', errors: [{ original: 'is', correction: 'am', category: 'verb form', rule: 'r', example: 'e' }] };
    const correction = await correctUtterance(new ScriptedLLM({ reply: JSON.stringify(reply) }), { text: 'I is here', profile: B1 }, { signal: signal() });
    expect(correction?.errors[0]).toMatchObject({ category: 'other', span: [2, 4] });
  });

  it('accepts a pino logger, and its warnings reach it', async () => {
    const lines: string[] = [];
    const logger: TutorLogger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const failing = new ScriptedLLM({ reply: JSON.stringify(KNOWN), failAfterTokens: 2 });
    expect(await correctUtterance(failing, { text: TEXT, profile: B1 }, { signal: signal(), logger })).toBeNull();
    const warnings = lines.map((line) => JSON.parse(line) as { level: number; msg: string }).filter((entry) => entry.level === 40);
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings[0]!.msg).toEqual(expect.any(String));
  });
});

describe('correction prompt and schema', () => {
  it('is level-aware, tolerant of speech, and says a correct sentence has no errors', () => {
    const a1 = buildCorrectionPrompt(parseProfile({ level: 'A1' }));
    expect(a1).toContain('level A1');
    expect(a1).toMatch(/very simple English/);
    expect(buildCorrectionPrompt(parseProfile({ level: 'C2' }))).toMatch(/unnatural word choices/);
    expect(buildCorrectionPrompt(DEFAULT_PROFILE)).not.toContain('level');
    expect(a1).toMatch(/ignore punctuation, capital letters/);
    expect(a1).toMatch(/If the sentence is correct, return it unchanged with no errors/);
    expect(Math.ceil(a1.length / 4)).toBeLessThan(160);
  });

  it('bounds the corrected sentence to a bucket that fits the utterance', () => {
    type Schema = { properties: { corrected: { maxLength: number }; errors: { items: { properties: { category: { enum: string[] } } } } } };
    const schema = (length: number) => correctionJsonSchema(length) as unknown as Schema;
    const corrected = (length: number): number => schema(length).properties.corrected.maxLength;
    expect(corrected(10)).toBe(128);
    expect(corrected(100)).toBe(256);
    expect(corrected(MAX_CORRECTION_CHARS)).toBe(2048);
    expect(schema(10).properties.errors.items.properties.category.enum).toEqual([...ERROR_CATEGORIES]);
  });
});

describe('locate', () => {
  it('finds words case-insensitively, across punctuation, not inside longer words', () => {
    expect(locate('I have a cat, a dog.', 'a')).toEqual([7, 8]);
    expect(locate('I have a cat, a dog.', 'CAT a')).toEqual([9, 15]);
    expect(locate('I have a cat, a dog.', 'a', 9)).toEqual([14, 15]);
    expect(locate("I don't know", 'don’t')).toEqual([2, 7]);
    expect(locate('I have a cat', 'hat')).toBeNull();
    expect(locate('I have a cat', '')).toBeNull();
    expect(locate('I have a cat', 'cat', 11)).toEqual([9, 12]);
  });
});
