/** The session report: exact figures from a known transcript, and the written part with its fallback. */
import { describe, expect, it } from 'vitest';
import { ScriptedLLM } from '../../src/testing/scripted-llm.js';
import type { Correction, CorrectionError } from '../../src/tutor/corrections.js';
import { parseProfile } from '../../src/tutor/profile.js';
import {
  REPORT_JSON_SCHEMA, buildReportMessage, computeSessionStats, countWords, writeSessionReport, type SessionTurn,
} from '../../src/tutor/report.js';

function signal(): AbortSignal {
  return new AbortController().signal;
}

function error(original: string, correction: string, category: CorrectionError['category']): CorrectionError {
  return { original, correction, category, rule: `rule for ${original}`, example: 'example', span: null };
}

/** 4 learner turns (3 spoken, 1 typed), 4 tutor turns. */
const TURNS: SessionTurn[] = [
  { role: 'assistant', text: 'Hi! What did you do yesterday?' },
  { role: 'user', text: 'Yesterday I go to the park with my friend.', speechMs: 3_000 }, // 9 words
  { role: 'assistant', text: 'Oh nice, you went to the park! What did you do there?' },
  { role: 'user', text: "We play football and I don't won.", speechMs: 2_500 }, // 7 words
  { role: 'assistant', text: 'You played football! Who won?' },
  { role: 'user', text: 'My friend team, they was very well-known players', speechMs: 4_500 }, // 8 words
  { role: 'assistant', text: 'Do you play every week?' },
  { role: 'user', text: 'Yes, every Sunday at 10.' }, // 5 words, typed
];

const CORRECTIONS: Array<Correction | null> = [
  { original: TURNS[1]!.text, corrected: 'Yesterday I went to the park with my friend.', errors: [error('go', 'went', 'tense')] },
  {
    original: TURNS[3]!.text, corrected: "We played football and I didn't win.",
    errors: [error('play', 'played', 'tense'), error("don't won", "didn't win", 'tense')],
  },
  null, // this turn's correction failed
  { original: TURNS[7]!.text, corrected: TURNS[7]!.text, errors: [] },
  {
    original: 'extra', corrected: 'extra',
    errors: [error('friend team', "friend's team", 'grammar'), error('was', 'were', 'agreement'), error('go', 'went', 'tense'), error('a', 'the', 'article')],
  },
];

describe('computeSessionStats', () => {
  it('counts words like a reader would', () => {
    expect(countWords("Yesterday I don't   go, well-known 10 times!")).toBe(7);
    expect(countWords(' ... ')).toBe(0);
    expect(countWords('Um, I think… café')).toBe(4);
  });

  it('gives exact figures for a known transcript', () => {
    const stats = computeSessionStats(TURNS, CORRECTIONS);
    expect(stats).toMatchObject({
      turns: 4,
      spokenTurns: 3,
      typedTurns: 1,
      tutorTurns: 4,
      speakingMs: 10_000,
      words: 29, // 9 + 7 + 8 + 5
      spokenWords: 24,
      wordsPerMinute: 144, // 24 words in 10 s
      errors: 7,
      errorsPer100Words: 24.1, // 7 / 29 * 100 = 24.137...
    });
    expect(stats.errorsByCategory.map((entry) => [entry.category, entry.count])).toEqual([
      ['tense', 4], ['grammar', 1], ['article', 1], ['agreement', 1],
    ]);
    // Examples: distinct, in order, at most 3.
    expect(stats.errorsByCategory[0]!.examples).toEqual([
      { original: 'go', correction: 'went', rule: 'rule for go' },
      { original: 'play', correction: 'played', rule: 'rule for play' },
      { original: "don't won", correction: "didn't win", rule: "rule for don't won" },
    ]);
  });

  it('has no rates for an empty session', () => {
    expect(computeSessionStats([], [])).toEqual({
      turns: 0, spokenTurns: 0, typedTurns: 0, tutorTurns: 0, speakingMs: 0, words: 0, spokenWords: 0,
      wordsPerMinute: null, errors: 0, errorsPer100Words: null, errorsByCategory: [],
    });
    const typedOnly = computeSessionStats([{ role: 'user', text: 'one two three four' }], []);
    expect(typedOnly).toMatchObject({ words: 4, spokenWords: 0, wordsPerMinute: null, errorsPer100Words: 0 });
  });
});

describe('writeSessionReport', () => {
  const profile = parseProfile({ level: 'auto', nativeLanguage: 'Spanish' });
  const stats = computeSessionStats(TURNS, CORRECTIONS);
  const written = {
    levelEstimate: 'A2',
    reason: 'You talk about past events in simple sentences, with some tense mistakes.',
    practiseNext: 'The past simple of common verbs: go, went; play, played.',
    highlights: ['You kept the conversation going.'],
  };

  it('adds the LLM written part to the figures', async () => {
    const llm = new ScriptedLLM({ reply: JSON.stringify(written) });
    const report = await writeSessionReport(llm, stats, TURNS, profile, { signal: signal(), newWords: ['well-known'] });
    expect(report).toEqual({ stats, newWords: ['well-known'], ...written, source: 'llm' });
    const request = llm.calls[0]!.request;
    expect(request.jsonSchema).toEqual({ name: 'session_report', schema: REPORT_JSON_SCHEMA });
    expect(request.messages[1]!.content).toBe(buildReportMessage(stats, TURNS));
    expect(request.messages[1]!.content).toContain('errors by category: tense 4, grammar 1, article 1, agreement 1');
    expect(request.messages[1]!.content).toContain('- Yes, every Sunday at 10.');
    expect(request.messages[1]!.content).not.toContain('What did you do there?');
    expect(request.messages[0]!.content).toMatch(/very simple English/);
  });

  it('falls back to a figures-only report after two bad answers', async () => {
    const llm = new ScriptedLLM({ reply: JSON.stringify({ ...written, levelEstimate: 'B7' }) });
    const report = await writeSessionReport(llm, stats, TURNS, profile, { signal: signal() });
    expect(llm.calls).toHaveLength(2);
    expect(report).toEqual({
      stats, newWords: [], levelEstimate: null, reason: null, highlights: [], source: 'stats',
      practiseNext: 'Practise tense: it was your most frequent kind of mistake (4). For example, say "went" instead of "go".',
    });
  });

  it('asks nothing when the learner said nothing', async () => {
    const llm = new ScriptedLLM({ reply: JSON.stringify(written) });
    const report = await writeSessionReport(llm, computeSessionStats([], []), [], profile, { signal: signal() });
    expect(llm.calls).toHaveLength(0);
    expect(report).toMatchObject({ levelEstimate: null, practiseNext: null, source: 'stats' });
  });

  it('sends only the most recent learner words within the budget', () => {
    const long: SessionTurn[] = Array.from({ length: 100 }, (_, index) => ({ role: 'user', text: `turn ${index} `.repeat(10) }));
    const message = buildReportMessage(computeSessionStats(long, []), long);
    expect(message.length).toBeLessThan(2_600);
    expect(message).toContain('turn 99');
    expect(message).not.toContain('turn 0 ');
  });
});
