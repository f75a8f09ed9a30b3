/**
 * The tutor's system prompt for one conversation, built from the learner profile and, for a
 * role-play, the scenario; and the conversation's first line.
 *
 * The persona (short spoken replies, gentle rephrasing of mistakes, follow-up
 * questions, plain text), adapted to the level and the correction style. Kept short on purpose:
 * every prompt token costs ~20 ms of prompt processing on a 1.5B model on the CPU (README,
 * "Performance"). Sizes, in estimated tokens (characters / 4): 144 for the default
 * profile, 152-161 with a level, at most ~230 with every field set and a topic; a scenario adds
 * 132-183 (the shipped library).
 *
 * @example
 * const systemPrompt = buildSystemPrompt({ profile, scenario });
 * conversation.add({ role: 'assistant', text: buildOpening(scenario) });
 */
import { GREETING } from './persona.js';
import { type CorrectionStyle, type LearnerProfile, LEVEL_GUIDES, effectiveLevel } from './profile.js';
import type { Scenario } from './scenarios.js';
import type { Topic } from './topics.js';

/** What the system prompt is built from. */
export interface SystemPromptInput {
  profile: LearnerProfile;
  /** A role-play: the tutor plays `tutorRole` in `setting` and judges `learnerGoal` at the end. */
  scenario?: Scenario;
  /** A topic for free conversation (ignored with a scenario): its title, or the {@link Topic}. */
  topic?: string | Topic;
}

const PERSONA = 'You are a friendly, patient English conversation partner helping a learner practise speaking.';
const SHAPE = 'Reply in 1 to 3 short sentences of natural spoken English, and usually end with a simple follow-up question.';
const PLAIN_TEXT = 'Your words are spoken aloud: plain text only, no markdown, lists or emoji.';
const UNKNOWN_LEVEL = "Their level is not known yet: start with simple English, then match the learner's level.";

/** The correction rule for each style, one sentence each. */
export const CORRECTION_RULES: Readonly<Record<CorrectionStyle, string>> = Object.freeze({
  off: "Never correct the learner's English; just keep the conversation going.",
  recast: 'If the learner makes a clear mistake, use the correct form naturally in your reply, without pointing it out.',
  explicit: 'If the learner makes a clear mistake, first name it briefly and give the correct form, then continue.',
});

/**
 * The "how do I say ...?" rule: a short answer, then back to English. Names the learner's
 * language when the profile has one.
 */
function translationRule(nativeLanguage: string | undefined): string {
  const language = nativeLanguage ? ` in ${nativeLanguage}` : ' in their language';
  return `If they ask how to say something${language}, give the English briefly, then go on in English.`;
}

/** Removes line breaks and quotes from learner-typed text so it stays one clause of the prompt. */
function inline(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/"/g, "'").trim();
}

/** `text` inlined and ending with a full stop (unless it ends with other end punctuation). */
function sentence(text: string): string {
  const line = inline(text);
  return /[.!?]$/.test(line) ? line : `${line}.`;
}

/** A title inside a sentence: first letter in lower case unless the word is an acronym ("AI"). */
function inSentence(title: string): string {
  const line = inline(title);
  return /^\p{Lu}\p{Ll}/u.test(line) ? line[0]!.toLowerCase() + line.slice(1) : line;
}

/**
 * The system prompt for a conversation: persona, reply shape, level guidance
 * ({@link LEVEL_GUIDES}), correction style ({@link CORRECTION_RULES}), the learner's name and
 * goals, the "how do I say ...?" rule, plain-text output; then either the scenario (role,
 * setting, goal, success criteria, the opening line already spoken, stay in role, say at the end
 * whether the goal was met) or the topic.
 *
 * Deterministic: the same input gives the same string, so the engine's KV cache of it can be kept
 * (`LLM.prepare`).
 * @returns plain text, one line a part; under 250 estimated tokens without a scenario
 */
export function buildSystemPrompt(input: SystemPromptInput): string {
  const { profile, scenario, topic } = input;
  const level = effectiveLevel(profile);
  const about: string[] = [];
  if (profile.name) about.push(`The learner is ${inline(profile.name)}.`);
  if (profile.goals) about.push(`Their goals: ${sentence(profile.goals)}`);
  about.push(level ? `Their English level is ${level} (CEFR). ${LEVEL_GUIDES[level].prompt}` : UNKNOWN_LEVEL);

  const parts = [
    [PERSONA, SHAPE].join(' '),
    about.join(' '),
    [CORRECTION_RULES[profile.correctionStyle], translationRule(profile.nativeLanguage), PLAIN_TEXT].join(' '),
  ];
  if (scenario) parts.push(scenarioPart(scenario));
  else if (topic) parts.push(`Today's topic is ${inSentence(typeof topic === 'string' ? topic : topic.title)}, but follow the learner's lead.`);
  return parts.join('\n');
}

/** The role-play rules. The opening line is repeated here because the history may drop it. */
function scenarioPart(scenario: Scenario): string {
  const criteria = scenario.successCriteria.map((criterion) => inline(criterion).replace(/\.$/, '')).join('; ');
  return [
    `Role-play: you are ${inline(scenario.tutorRole).replace(/[.!?]$/, '')}. Setting: ${sentence(scenario.setting)}`,
    `The learner's goal: ${sentence(scenario.learnerGoal)} It is met when they have: ${criteria}.`,
    `You opened the scene with "${inline(scenario.openingLine)}"`,
    "Stay in role and let the learner do the work; don't reach the goal for them.",
    'When the goal is met or the learner ends the scene, step out of role and say briefly whether the goal was met.',
  ].join(' ');
}

/**
 * The conversation's first line, spoken without an LLM call: the scenario's opening line in role,
 * else the topic's question, else {@link GREETING}. Put it in the history as the first assistant
 * turn.
 */
export function buildOpening(scenario?: Scenario, topic?: Topic): string {
  if (scenario) return scenario.openingLine;
  if (topic) return `Hi! Today's topic is ${inSentence(topic.title)}. ${topic.question}`;
  return GREETING;
}

/**
 * A user-turn message that ends a role-play on the learner's request (an "End scene" button):
 * the tutor steps out of role and judges the goal. Send it as the user message of one more turn.
 */
export function buildSceneEnd(scenario: Scenario): string {
  return `(I want to end the scene "${inline(scenario.title)}" now. Step out of role and tell me briefly whether I met the goal, and one thing to do better.)`;
}
