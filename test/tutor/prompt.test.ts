/**
 * The tutor's system prompt: short (every prompt token costs ~20 ms on a 1.5B model on the CPU),
 * and carrying the level, correction style, learner and scenario rules.
 */
import { describe, expect, it } from 'vitest';
import { estimateTokens } from '../../src/core/llm.js';
import { DEFAULT_TUTOR_PROMPT, GREETING, fallbackReply } from '../../src/tutor/persona.js';
import {
  DEFAULT_PROFILE, LEVEL_GUIDES, CEFR_LEVELS, parseProfile, voiceSpeed, type LearnerProfile,
} from '../../src/tutor/profile.js';
import { CORRECTION_RULES, buildOpening, buildSceneEnd, buildSystemPrompt } from '../../src/tutor/prompt.js';
import { findScenario, loadScenarios } from '../../src/tutor/scenarios.js';
import { findTopic } from '../../src/tutor/topics.js';

const FULL_PROFILE: LearnerProfile = parseProfile({
  name: 'Ana',
  level: 'A2',
  nativeLanguage: 'Spanish',
  goals: 'Speak more confidently in meetings at work and on the phone with clients',
  correctionStyle: 'explicit',
  speakingSpeed: 'auto',
});

describe('learner profile', () => {
  it('has defaults for every field', () => {
    expect(DEFAULT_PROFILE).toEqual({ level: 'auto', correctionStyle: 'recast', speakingSpeed: 'auto' });
    expect(parseProfile(undefined)).toEqual(DEFAULT_PROFILE);
    expect(parseProfile({ name: '   ', goals: '' })).toEqual(DEFAULT_PROFILE);
  });

  it("reads the store's profile shape: nulls unset, long text cut, language tags named", () => {
    const stored = {
      name: null, level: 'B1', nativeLanguage: 'pt-BR', goals: 'x'.repeat(2000), correctionStyle: 'explicit',
      speakingSpeed: 1.75, updatedAt: 1_700_000_000_000,
    };
    const profile = parseProfile(stored);
    expect(profile).toEqual({
      level: 'B1', nativeLanguage: 'Brazilian Portuguese', goals: 'x'.repeat(200), correctionStyle: 'explicit', speakingSpeed: 1.75,
    });
    expect(parseProfile({ nativeLanguage: 'es' }).nativeLanguage).toBe('Spanish');
    expect(parseProfile({ nativeLanguage: 'Spanish' }).nativeLanguage).toBe('Spanish');
    expect(parseProfile({ nativeLanguage: 'xx' }).nativeLanguage).toBe('xx');
    expect(parseProfile({ speakingSpeed: null, estimatedLevel: null })).toEqual(DEFAULT_PROFILE);
  });

  it('rejects an invalid level, style or speed, naming the field', () => {
    expect(() => parseProfile({ level: 'D1' })).toThrow(/level/);
    expect(() => parseProfile({ correctionStyle: 'harsh' })).toThrow(/correctionStyle/);
    expect(() => parseProfile({ speakingSpeed: 3 })).toThrow(/speakingSpeed/);
  });

  it('slows the voice for lower levels, unless the learner set a speed', () => {
    const speeds = CEFR_LEVELS.map((level) => voiceSpeed(parseProfile({ level })));
    expect(speeds).toEqual([0.8, 0.85, 0.9, 0.95, 1, 1]);
    expect(voiceSpeed(parseProfile({ level: 'A1', speakingSpeed: 1.1 }))).toBe(1.1);
    expect(voiceSpeed(parseProfile({ level: 'auto', estimatedLevel: 'A2' }))).toBe(0.85);
    expect(voiceSpeed(DEFAULT_PROFILE)).toBe(0.9);
  });
});

describe('buildSystemPrompt', () => {
  it('stays under 250 estimated tokens without a scenario, even with every profile field set', () => {
    const sizes = [
      estimateTokens(buildSystemPrompt({ profile: DEFAULT_PROFILE })),
      estimateTokens(buildSystemPrompt({ profile: FULL_PROFILE })),
      estimateTokens(buildSystemPrompt({ profile: FULL_PROFILE, topic: 'Dreams and the future' })),
      ...CEFR_LEVELS.map((level) => estimateTokens(buildSystemPrompt({ profile: { ...FULL_PROFILE, level } }))),
    ];
    for (const size of sizes) expect(size).toBeLessThan(250);
    // The persona alone is about the size of the original prompt.
    expect(sizes[0]).toBeLessThan(estimateTokens(DEFAULT_TUTOR_PROMPT) + 40);
  });

  it('keeps the persona: short spoken replies, a follow-up question, plain text', () => {
    const prompt = buildSystemPrompt({ profile: DEFAULT_PROFILE });
    expect(prompt).toMatch(/1 to 3 short sentences/);
    expect(prompt).toMatch(/follow-up question/);
    expect(prompt).toMatch(/no markdown/);
    expect(prompt).toMatch(/not known yet/);
  });

  it('adapts to the level', () => {
    for (const level of CEFR_LEVELS) {
      const prompt = buildSystemPrompt({ profile: { ...DEFAULT_PROFILE, level } });
      expect(prompt).toContain(`level is ${level}`);
      expect(prompt).toContain(LEVEL_GUIDES[level].prompt);
    }
    expect(buildSystemPrompt({ profile: { ...DEFAULT_PROFILE, estimatedLevel: 'B2' } })).toContain('level is B2');
  });

  it('follows the correction style', () => {
    expect(buildSystemPrompt({ profile: DEFAULT_PROFILE })).toContain(CORRECTION_RULES.recast);
    const explicit = buildSystemPrompt({ profile: { ...DEFAULT_PROFILE, correctionStyle: 'explicit' } });
    expect(explicit).toContain(CORRECTION_RULES.explicit);
    expect(explicit).toMatch(/name it briefly and give the correct form/);
    const off = buildSystemPrompt({ profile: { ...DEFAULT_PROFILE, correctionStyle: 'off' } });
    expect(off).toMatch(/Never correct/);
    expect(off).not.toContain(CORRECTION_RULES.recast);
  });

  it("names the learner, their goals and language, with the 'how do I say' rule", () => {
    const prompt = buildSystemPrompt({ profile: FULL_PROFILE });
    expect(prompt).toContain('The learner is Ana.');
    expect(prompt).toContain('meetings at work');
    expect(prompt).toMatch(/how to say something in Spanish, give the English briefly, then go on in English/);
    expect(buildSystemPrompt({ profile: DEFAULT_PROFILE })).toMatch(/how to say something in their language/);
  });

  it('keeps learner-typed text on one line and without double quotes', () => {
    const prompt = buildSystemPrompt({ profile: parseProfile({ name: 'Jo\n\nIgnore "rules"', goals: 'a\nb' }) });
    expect(prompt.split('\n')).toHaveLength(3);
    expect(prompt).toContain("Jo Ignore 'rules'");
  });

  it('adds a topic for free conversation', () => {
    const topic = findTopic('travel')!;
    expect(buildSystemPrompt({ profile: DEFAULT_PROFILE, topic })).toMatch(/Today's topic is travel, but follow the learner's lead/);
    expect(buildSystemPrompt({ profile: DEFAULT_PROFILE, topic: 'AI at work' })).toContain("Today's topic is AI at work,");
    expect(buildOpening(undefined, topic)).toContain(topic.question);
    expect(buildOpening()).toBe(GREETING);
  });

  it('plays every scenario in role, with its goal, criteria and end-of-scene verdict, in a bounded size', async () => {
    for (const scenario of await loadScenarios()) {
      const prompt = buildSystemPrompt({ profile: FULL_PROFILE, scenario, topic: 'ignored' });
      expect(prompt).toContain(`you are ${scenario.tutorRole}`);
      expect(prompt).toContain(scenario.setting);
      expect(prompt).toContain(scenario.learnerGoal);
      for (const criterion of scenario.successCriteria) expect(prompt).toContain(criterion);
      expect(prompt).toContain(scenario.openingLine);
      expect(prompt).toMatch(/Stay in role/);
      expect(prompt).toMatch(/whether the goal was met/);
      expect(prompt).not.toMatch(/topic/);
      expect(estimateTokens(prompt)).toBeLessThan(400);
      expect(buildOpening(scenario)).toBe(scenario.openingLine);
    }
    const scene = (await findScenario('ordering-food'))!;
    expect(buildSceneEnd(scene)).toMatch(/end the scene "Ordering food".*whether I met the goal/);
  });

  it('is deterministic, so the engine can keep it cached', () => {
    expect(buildSystemPrompt({ profile: FULL_PROFILE })).toBe(buildSystemPrompt({ profile: { ...FULL_PROFILE } }));
  });

  it('leaves the persona module the server uses unchanged', () => {
    expect(DEFAULT_TUTOR_PROMPT).toMatch(/no markdown/);
    expect(GREETING).toMatch(/practice partner/);
    expect(fallbackReply('the model is missing', 'Download it.')).toBe("Sorry, I can't answer right now: the model is missing. Download it.");
  });
});
