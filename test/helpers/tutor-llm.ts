/**
 * A scripted LLM for tutor tests: answers the tutor's structured tasks (correction, word,
 * session report — recognised by their JSON schema name) with known JSON, and chat with `reply`.
 */
import type { ChatRequest } from '../../src/core/llm.js';
import { ScriptedLLM } from '../../src/testing/scripted-llm.js';

export const CORRECTION = {
  corrected: 'Yesterday I went to the park.',
  errors: [{ original: 'goed', correction: 'went', category: 'tense', rule: 'The past of "go" is irregular: went.', example: 'Last week I went to London.' }],
};
export const WORD = { meaning: 'a public garden where people walk and play', example: 'We had a picnic in the park.' };
export const REPORT = { levelEstimate: 'A2', reason: 'Short sentences with some past-tense errors.', practiseNext: 'Irregular past tense verbs.', highlights: ['Clear questions'] };

export function tutorLlm(reply: string | ((request: ChatRequest) => string), tokensPerSecond = 0): ScriptedLLM {
  return new ScriptedLLM({
    tokensPerSecond,
    reply: (request) => {
      switch (request.jsonSchema?.name) {
        case 'correction':
          return JSON.stringify(request.messages.at(-1)?.content.includes('goed') ? CORRECTION : { corrected: request.messages.at(-1)?.content ?? '', errors: [] });
        case 'word':
          return JSON.stringify(WORD);
        case 'session_report':
          return JSON.stringify(REPORT);
        default:
          return typeof reply === 'function' ? reply(request) : reply;
      }
    },
  });
}
