import { describe, expect, it } from 'vitest';
import { ScriptedLLM } from '../../src/testing/scripted-llm.js';
import { SUMMARY_MAX_TOKENS, summarizeTurns, summaryMessages } from '../../src/tutor/lesson-summary.js';

const TURNS = [
  { role: 'user' as const, text: 'My name is Ana and I work in a bank.' },
  { role: 'assistant' as const, text: 'Nice to meet you, Ana! What do you do at the bank?' },
  { role: 'user' as const, text: 'I goed to the office yesterday.' },
];

describe('lesson summary', () => {
  it('asks for short notes on the transcript, folding in the earlier notes', () => {
    const messages = summaryMessages({ previous: 'The learner likes tennis.', turns: TURNS });
    expect(messages[0]!.role).toBe('system');
    expect(messages[0]!.content).toContain('at most 60 words');
    expect(messages[1]!.content).toBe(
      'Earlier notes: The learner likes tennis.\n\nLesson:\nLearner: My name is Ana and I work in a bank.\nTutor: Nice to meet you, Ana! What do you do at the bank?\nLearner: I goed to the office yesterday.',
    );
    expect(summaryMessages({ turns: TURNS })[1]!.content.startsWith('Lesson:\n')).toBe(true);
  });

  it('runs as background work with a token limit and returns the cleaned text', async () => {
    const llm = new ScriptedLLM({ reply: '  Ana works in a bank.\n Says "goed" for "went".  ' });
    const summary = await summarizeTurns(llm, { turns: TURNS }, { signal: new AbortController().signal, conversationId: 'notes' });
    expect(summary).toBe('Ana works in a bank. Says "goed" for "went".');
    expect(llm.calls[0]!.request).toMatchObject({ background: true, maxTokens: SUMMARY_MAX_TOKENS, conversationId: 'notes' });
  });

  it('gives null when aborted, empty or the engine fails', async () => {
    const aborted = new AbortController();
    aborted.abort();
    expect(await summarizeTurns(new ScriptedLLM({ reply: 'Notes.' }), { turns: TURNS }, { signal: aborted.signal })).toBeNull();
    expect(await summarizeTurns(new ScriptedLLM({ reply: '   ' }), { turns: TURNS }, { signal: new AbortController().signal })).toBeNull();
    const failing = new ScriptedLLM({ reply: 'Some notes here.', failAfterTokens: 1 });
    expect(await summarizeTurns(failing, { turns: TURNS }, { signal: new AbortController().signal })).toBeNull();
  });
});
