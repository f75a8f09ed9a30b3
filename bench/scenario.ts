/**
 * The fixed inputs of the benchmark, shared by the in-process runs and the server child process:
 * a 3-sentence tutor reply (52 words) streamed by a ScriptedLLM at 15 tokens/s, and the prompt
 * given to the real llama.cpp engine.
 */
import type { ChatRequest } from '../src/core/llm.js';
import { ScriptedLLM, type ScriptedLLMOptions, tokenize } from '../src/testing/scripted-llm.js';
import { DEFAULT_TUTOR_PROMPT } from '../src/tutor/persona.js';

/** What the learner said (the turn's user message). */
export const USER_MESSAGE = 'Yesterday I goed to the park with my sister and we eated ice cream.';

/** A typical tutor reply: 3 sentences, 52 words, plain text as the persona asks. */
export const TUTOR_REPLY =
  'That sounds like a really lovely weekend, and your sentence was almost perfect. ' +
  'We say that you went to the park and ate ice cream, because go and eat are irregular verbs in the past tense. ' +
  'What kind of ice cream did you choose, and did your sister like the same flavour?';

/** LLM pace of the TTFA comparison, tokens/s (a 1.5B model on a 2-core CPU generates ~15-19). */
export const SCRIPTED_TOKENS_PER_SECOND = 15;

export const SCRIPTED_LLM_OPTIONS: ScriptedLLMOptions = {
  reply: TUTOR_REPLY,
  tokensPerSecond: SCRIPTED_TOKENS_PER_SECOND,
};

export function scriptedLlm(): ScriptedLLM {
  return new ScriptedLLM(SCRIPTED_LLM_OPTIONS);
}

export const TUTOR_REPLY_WORDS = TUTOR_REPLY.split(/\s+/).length;
export const TUTOR_REPLY_TOKENS = tokenize(TUTOR_REPLY).length;

/** The request of a TTFA turn (the ScriptedLLM ignores it; the shape is the app's). */
export function tutorRequest(): ChatRequest {
  return {
    messages: [
      { role: 'system', content: DEFAULT_TUTOR_PROMPT },
      { role: 'user', content: USER_MESSAGE },
    ],
  };
}

/**
 * The llama.cpp prompt: a short system prompt plus the learner's message, ~100 tokens with the
 * ChatML template as the fixture GGUF's tokenizer splits it (its BPE has few merges: ~1.7
 * characters a token; the real Qwen2.5 tokenizer would need fewer tokens for this text, but
 * the cost of prompt processing depends only on the token count, which is measured and reported).
 */
export const LLM_SYSTEM_PROMPT = 'You are a friendly English tutor. Reply in short spoken sentences and ask a follow-up question.';
export const LLM_USER_MESSAGE = 'Yesterday I goed to the park with my sister.';

/** The correction card a good model writes for USER_MESSAGE (the ScriptedLLM's `correction` answer). */
export const SCRIPTED_CORRECTION = {
  corrected: 'Yesterday I went to the park with my sister and we ate ice cream.',
  errors: [
    { original: 'goed', correction: 'went', category: 'tense', rule: 'The past of "go" is irregular: went.', example: 'Last week I went to London.' },
    { original: 'eated', correction: 'ate', category: 'tense', rule: 'The past of "eat" is irregular: ate.', example: 'We ate pizza last night.' },
  ],
};
export const SCRIPTED_CORRECTION_JSON = JSON.stringify(SCRIPTED_CORRECTION);

/**
 * The ScriptedLLM of the server benchmarks: the tutor reply for chat, the correction card for the
 * tutor's `correction` JSON-schema task (the same pace for both).
 */
export function tutorScriptedLlm(tokensPerSecond = SCRIPTED_TOKENS_PER_SECOND): ScriptedLLM {
  return new ScriptedLLM({
    tokensPerSecond,
    reply: (request: ChatRequest) => (request.jsonSchema?.name === 'correction' ? SCRIPTED_CORRECTION_JSON : TUTOR_REPLY),
  });
}
