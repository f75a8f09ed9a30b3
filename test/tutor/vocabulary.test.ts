/** Word meanings with a scripted LLM: simple English, the native meaning when set, retry once. */
import { describe, expect, it } from 'vitest';
import { ScriptedLLM } from '../../src/testing/scripted-llm.js';
import { parseProfile } from '../../src/tutor/profile.js';
import { buildWordPrompt, explainWord, wordJsonSchema } from '../../src/tutor/vocabulary.js';

function signal(): AbortSignal {
  return new AbortController().signal;
}

const SPANISH_A2 = parseProfile({ level: 'A2', nativeLanguage: 'Spanish' });
const C1 = parseProfile({ level: 'C1' });

describe('explainWord', () => {
  it('explains a word in simple English and in the learner language', async () => {
    const reply = { meaning: 'not wanting to do something', meaningNative: 'reacio', example: 'He was reluctant to leave.' };
    const llm = new ScriptedLLM({ reply: JSON.stringify(reply) });
    const entry = await explainWord(llm, { word: ' reluctant ', sentence: 'I was reluctant to go.', profile: SPANISH_A2 }, { signal: signal() });
    expect(entry).toEqual({ word: 'reluctant', ...reply });
    const request = llm.calls[0]!.request;
    expect(request.jsonSchema).toEqual({ name: 'word', schema: wordJsonSchema(true) });
    expect(request.messages[0]!.content).toMatch(/very simple English \(level A2\)/);
    expect(request.messages[0]!.content).toMatch(/in Spanish/);
    expect(request.messages[1]!.content).toBe('Word: reluctant\nSentence: I was reluctant to go.');
  });

  it('asks for no native meaning when the profile has no language', async () => {
    const llm = new ScriptedLLM({ reply: JSON.stringify({ meaning: 'unwilling', example: 'She seemed reluctant.' }) });
    const entry = await explainWord(llm, { word: 'reluctant', profile: C1 }, { signal: signal() });
    expect(entry).toEqual({ word: 'reluctant', meaning: 'unwilling', example: 'She seemed reluctant.' });
    expect(Object.keys(wordJsonSchema(false).properties as object)).toEqual(['meaning', 'example']);
    expect(buildWordPrompt(C1)).not.toMatch(/meaningNative/);
    expect(llm.calls[0]!.request.messages[1]!.content).toBe('Word: reluctant');
  });

  it('retries once, then returns null', async () => {
    let calls = 0;
    const retried = new ScriptedLLM({
      reply: () => (calls++ === 0 ? '{"meaning": ""}' : JSON.stringify({ meaning: 'happy', example: 'I am glad.' })),
    });
    expect(await explainWord(retried, { word: 'glad', profile: C1 }, { signal: signal() })).toMatchObject({ meaning: 'happy' });
    expect(retried.calls).toHaveLength(2);

    const broken = new ScriptedLLM({ reply: '{"meaning": "happy", "example": ' });
    expect(await explainWord(broken, { word: 'glad', profile: C1 }, { signal: signal() })).toBeNull();
    expect(broken.calls).toHaveLength(2);
  });

  it('rejects an empty or overlong word as a caller error', async () => {
    const llm = new ScriptedLLM({ reply: '{}' });
    await expect(explainWord(llm, { word: '  ', profile: C1 }, { signal: signal() })).rejects.toThrow(RangeError);
    await expect(explainWord(llm, { word: 'x'.repeat(61), profile: C1 }, { signal: signal() })).rejects.toThrow(RangeError);
    expect(llm.calls).toHaveLength(0);
  });
});
