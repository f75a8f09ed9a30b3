/**
 * Word meanings for the vocabulary feature: the learner clicks a word, the LLM explains it in
 * simple English (and in the learner's language when the profile has one) with an example, under
 * a JSON schema; retried once, else `null`.
 *
 * @example
 * const entry = await explainWord(llm, { word: 'reluctant', sentence: 'I was reluctant to go.', profile }, { signal });
 * // { word: 'reluctant', meaning: 'not wanting to do something', meaningNative: 'reacio', example: '...' }
 */
import { z } from 'zod';
import type { LLM } from '../core/llm.js';
import { type LearnerProfile, effectiveLevel } from './profile.js';
import { type TutorCallOptions, generateStructured } from './structured-output.js';

/** A word explained. */
export interface WordExplanation {
  /** The word or phrase as asked (trimmed). */
  word: string;
  /** What it means, in simple English suited to the learner's level. */
  meaning: string;
  /** The meaning in the learner's native language; present only when the profile sets one. */
  meaningNative?: string;
  /** A short example sentence using the word. */
  example: string;
}

/** Input of {@link explainWord}. */
export interface ExplainWordInput {
  /** A word or short phrase (at most {@link MAX_WORD_CHARS} characters). */
  word: string;
  /** The sentence it appeared in, to pick the right sense. */
  sentence?: string;
  profile: LearnerProfile;
}

/** Longest word or phrase accepted, in characters. */
export const MAX_WORD_CHARS = 60;

/**
 * The JSON schema of an explanation: `meaning` and `example`, plus `meaningNative` when the
 * learner's language is known. Two fixed shapes, so the engine compiles two grammars at most.
 * Strings are bounded (at most ~360 / ~490 characters of JSON), so the default `maxTokens`
 * (200 / 260) holds any answer the grammar allows, even at ~2 characters a token.
 */
export function wordJsonSchema(withNative: boolean): Record<string, unknown> {
  const text = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength });
  const properties: Record<string, unknown> = { meaning: text(160) };
  if (withNative) properties.meaningNative = text(120);
  properties.example = text(160);
  return { type: 'object', properties, required: Object.keys(properties), additionalProperties: false };
}

const modelWordSchema = z.object({
  meaning: z.string().trim().min(1),
  meaningNative: z.string().trim().min(1).optional(),
  example: z.string().trim().min(1),
});

/** The system prompt: simple English at the learner's level, native meaning when known. */
export function buildWordPrompt(profile: LearnerProfile): string {
  const level = effectiveLevel(profile);
  const simple = level === 'C1' || level === 'C2' ? 'clear English' : `very simple English${level ? ` (level ${level})` : ''}`;
  const native = profile.nativeLanguage
    ? ` "meaningNative": a translation or short meaning in ${profile.nativeLanguage.replace(/\s+/g, ' ')}.`
    : '';
  return `You explain English words to a learner. Answer in JSON. "meaning": what the word means here, in ${simple}, under 20 words.${native} "example": one short natural sentence using it.`;
}

/**
 * Explains `word` (JSON schema output, validated, retried once; see {@link generateStructured}).
 * Default `maxTokens`: 200 (260 with a native meaning).
 * @returns the explanation, or `null` when the model failed twice, the engine failed, or
 *   `signal` aborted; never throws for those
 * @throws RangeError when `word` is empty or longer than {@link MAX_WORD_CHARS} (a caller bug)
 */
export async function explainWord(llm: LLM, input: ExplainWordInput, options: TutorCallOptions): Promise<WordExplanation | null> {
  const word = input.word.replace(/\s+/g, ' ').trim();
  if (!word || word.length > MAX_WORD_CHARS) {
    throw new RangeError(`explainWord: the word must have 1 to ${MAX_WORD_CHARS} characters (got ${word.length})`);
  }
  const withNative = input.profile.nativeLanguage !== undefined;
  const sentence = input.sentence?.replace(/\s+/g, ' ').trim().slice(0, 300);
  const output = await generateStructured(
    llm,
    {
      name: 'word',
      messages: [
        { role: 'system', content: buildWordPrompt(input.profile) },
        { role: 'user', content: sentence ? `Word: ${word}\nSentence: ${sentence}` : `Word: ${word}` },
      ],
      schema: wordJsonSchema(withNative),
      validator: modelWordSchema,
      maxTokens: withNative ? 260 : 200,
    },
    options,
  );
  if (!output) return null;
  return {
    word,
    meaning: output.meaning,
    ...(withNative && output.meaningNative ? { meaningNative: output.meaningNative } : {}),
    example: output.example,
  };
}
