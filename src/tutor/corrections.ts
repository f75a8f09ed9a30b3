/**
 * The correction side channel: one learner utterance in, a structured correction out (the
 * corrected sentence and each error with its span, category, a one-line rule and an example),
 * produced by the LLM under a JSON schema. It runs beside the
 * spoken reply and never breaks a turn: bad model output is retried once, then dropped as `null`.
 *
 * @example
 * const correction = await correctUtterance(llm, { text: 'Yesterday I go to the park', profile }, { signal });
 * if (correction && correction.errors.length > 0) send({ type: 'localchat.correction', correction });
 */
import { z } from 'zod';
import { type LLM, estimateTokens } from '../core/llm.js';
import { type LearnerProfile, effectiveLevel } from './profile.js';
import { type TutorCallOptions, generateStructured } from './structured-output.js';

export { diffWords, type DiffPart } from './word-diff.js';

/** Error categories of a correction card. `other` takes whatever fits none of the rest. */
export const ERROR_CATEGORIES = [
  'grammar', 'word choice', 'tense', 'article', 'preposition', 'word order',
  'spelling', 'agreement', 'plural', 'pronoun', 'other',
] as const;
export type ErrorCategory = (typeof ERROR_CATEGORIES)[number];

/** One mistake in the learner's utterance. */
export interface CorrectionError {
  /** The wrong words, as the model quoted them from the utterance. */
  original: string;
  /** What to say instead. */
  correction: string;
  category: ErrorCategory;
  /** The rule, one line. */
  rule: string;
  /** A short correct sentence using the rule. */
  example: string;
  /**
   * Where `original` is in {@link Correction.original}: `[start, end)` in UTF-16 code units
   * (JavaScript string indices), or `null` when the quote is empty or not found there.
   */
  span: [start: number, end: number] | null;
}

/** A learner utterance and its correction. No errors means the utterance was fine: show no card. */
export interface Correction {
  /** The utterance exactly as given. */
  original: string;
  /** The corrected utterance; equal to `original` when `errors` is empty. */
  corrected: string;
  errors: CorrectionError[];
}

/** Input of {@link correctUtterance}. */
export interface CorrectionInput {
  /** What the learner said (a transcript) or typed. */
  text: string;
  profile: LearnerProfile;
  /** The tutor's line the learner answered, to judge short answers (optional). */
  context?: string;
}

/** Longest utterance sent for correction, in characters (~180 words); longer ones get none. */
export const MAX_CORRECTION_CHARS = 1000;
/** Most errors one correction lists. */
export const MAX_ERRORS = 5;

/**
 * The JSON schema of a correction, as the LLM must write it. String lengths are bounded so a
 * confused model cannot run on: `corrected` to a bucket of 128/256/512/1024/2048 characters that
 * fits 1.5 x the utterance + 40 (one grammar per bucket is compiled and cached by the engine).
 * Every property is required and no other is allowed (OpenAI strict mode's rule; node-llama-cpp's
 * grammar requires them all anyway); every string but `correction` is non-empty.
 * @param textLength length of the utterance, in characters
 */
export function correctionJsonSchema(textLength: number): Record<string, unknown> {
  let correctedMax = 128;
  while (correctedMax < textLength * 1.5 + 40 && correctedMax < 2048) correctedMax *= 2;
  const text = (maxLength: number, minLength = 1) => ({ type: 'string', minLength, maxLength });
  return {
    type: 'object',
    properties: {
      corrected: text(correctedMax),
      errors: {
        type: 'array',
        maxItems: MAX_ERRORS,
        items: {
          type: 'object',
          properties: {
            original: text(80),
            // Empty when a word must go: "I am agree" -> "am" -> "".
            correction: text(80, 0),
            category: { type: 'string', enum: [...ERROR_CATEGORIES] },
            rule: text(120),
            example: text(120),
          },
          required: ['original', 'correction', 'category', 'rule', 'example'],
          additionalProperties: false,
        },
      },
    },
    required: ['corrected', 'errors'],
    additionalProperties: false,
  };
}

/** A category as written by a model without a grammar: case, dashes and underscores forgiven, unknown -> `other`. */
const categorySchema = z.preprocess(
  (value) => (typeof value === 'string' ? value.trim().toLowerCase().replace(/[_-]+/g, ' ') : value),
  z.enum(ERROR_CATEGORIES).catch('other'),
);

/** Validator of the model's output (looser than the JSON schema: lengths are not checked). */
export const modelCorrectionSchema = z.object({
  corrected: z.string().trim(),
  errors: z
    .array(
      z.object({
        original: z.string().trim(),
        correction: z.string().trim(),
        category: categorySchema,
        rule: z.string().trim(),
        example: z.string().trim(),
      }),
    )
    .max(MAX_ERRORS * 2),
});
type ModelCorrection = z.output<typeof modelCorrectionSchema>;

/**
 * The correction task's system prompt for a level. Constant per level, so an engine with a KV
 * cache keeps it evaluated between utterances (pass a stable `conversationId`). ~125-135 tokens.
 */
export function buildCorrectionPrompt(profile: LearnerProfile): string {
  const level = effectiveLevel(profile);
  const focus =
    level === 'A1' || level === 'A2'
      ? 'Mark only clear mistakes, and write rules in very simple English.'
      : level === 'C1' || level === 'C2'
        ? 'Also mark unnatural word choices.'
        : 'Mark only real mistakes.';
  return [
    `You check what a learner of English${level ? ` (level ${level})` : ''} said. It is a speech transcript: ignore punctuation, capital letters, filler words and false starts. ${focus}`,
    'Answer in JSON. "corrected": the sentence with the fewest changes that make it correct.',
    '"errors": one item per mistake: "original" (the wrong words exactly as said), "correction", "category", "rule" (one short line) and "example" (a short correct sentence).',
    'If the sentence is correct, return it unchanged with no errors.',
  ].join('\n');
}

/** The user message: the utterance, after the tutor's line when given. */
function buildCorrectionMessage(text: string, context: string | undefined): string {
  const learner = `Learner: ${oneLine(text)}`;
  return context?.trim() ? `Tutor: ${oneLine(context).slice(-300)}\n${learner}` : learner;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * Asks `llm` to correct one learner utterance (JSON schema output, validated with zod, retried
 * once on invalid JSON or a schema mismatch; see {@link generateStructured}).
 *
 * The result is normalized for speech: an error whose `original` and `correction` differ only in
 * case or punctuation is dropped; with no errors left, `corrected` is set to `original` (so a
 * correct sentence gives `{ corrected: original, errors: [] }` and the caller shows no card).
 * Each error's `span` is found in the text (case-insensitive, punctuation between words
 * ignored, searching after the previous error first).
 *
 * Default `maxTokens`: 320 + 2 x the utterance's estimated tokens.
 * @returns the correction; `null` when the model failed twice, the engine failed, `signal`
 *   aborted, or the text is longer than {@link MAX_CORRECTION_CHARS}. Never throws.
 */
export async function correctUtterance(
  llm: LLM,
  input: CorrectionInput,
  options: TutorCallOptions,
): Promise<Correction | null> {
  const { text } = input;
  if (!/[\p{L}\p{N}]/u.test(text)) return { original: text, corrected: text, errors: [] };
  if (text.length > MAX_CORRECTION_CHARS) {
    options.logger?.debug({ chars: text.length }, 'tutor.correction_skipped_long');
    return null;
  }
  const output = await generateStructured(
    llm,
    {
      name: 'correction',
      messages: [
        { role: 'system', content: buildCorrectionPrompt(input.profile) },
        { role: 'user', content: buildCorrectionMessage(text, input.context) },
      ],
      schema: correctionJsonSchema(text.length),
      validator: modelCorrectionSchema,
      maxTokens: 320 + 2 * estimateTokens(text),
    },
    options,
  );
  return output ? toCorrection(text, output) : null;
}

/** Letters, digits and single spaces, lower case: what speech can tell apart. */
function spokenForm(text: string): string {
  return text.toLowerCase().replace(/[’‘`]/g, "'").replace(/[^\p{L}\p{N}']+/gu, ' ').trim();
}

/**
 * The model's correction fitted to the utterance: no-op errors dropped, spans located.
 * Exported for tests and for engines that return corrections by other means.
 */
export function toCorrection(text: string, output: ModelCorrection): Correction {
  const errors: CorrectionError[] = [];
  let searchFrom = 0;
  for (const error of output.errors) {
    if (spokenForm(error.original) === spokenForm(error.correction)) continue;
    const span = locate(text, error.original, searchFrom);
    if (span) searchFrom = span[1];
    errors.push({ ...error, span });
  }
  if (errors.length === 0) return { original: text, corrected: text, errors };
  return { original: text, corrected: output.corrected || text, errors };
}

const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*/gu;

/**
 * Span of `quote` in `text`: its words in order, case-insensitive, with any punctuation or
 * spaces between them, not inside a longer word. Searches from `from`, then from the start.
 * @returns `[start, end)` or `null`
 */
export function locate(text: string, quote: string, from = 0): [number, number] | null {
  const words = quote.match(WORD);
  if (!words) return null;
  const pattern = words
    .map((word) => word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/['’]/g, "['’]"))
    .join("[^\\p{L}\\p{N}]+");
  const regex = new RegExp(`(?<![\\p{L}\\p{N}'’])${pattern}(?![\\p{L}\\p{N}]|['’][\\p{L}\\p{N}])`, 'giu');
  for (const start of from > 0 ? [from, 0] : [0]) {
    regex.lastIndex = start;
    const match = regex.exec(text);
    if (match) return [match.index, match.index + match[0].length];
  }
  return null;
}
