/**
 * "End scene": the instructions for the tutor's last reply in a role-play. It steps out of role
 * and tells the learner whether they met the scene's goal (by its success criteria) and one thing
 * to do better; then the session report follows. Sent as `response.create`'s `instructions`, which
 * replace the system prompt for that one reply; the conversation so far goes with it.
 */
import type { CefrLevel, Scenario } from '../api/client.js';

export function sceneVerdictInstructions(scenario: Scenario, level: CefrLevel | null): string {
  const criteria = scenario.successCriteria.map((criterion) => criterion.replace(/[.;\s]+$/, '')).join('; ');
  return [
    'You are a friendly, encouraging English tutor.',
    `You and the learner have just played a role-play scene, "${scenario.title}": ${scenario.setting} You played ${scenario.tutorRole}.`,
    `The learner's goal was: ${scenario.learnerGoal} The goal is met when the learner ${criteria}.`,
    'Now step out of your role. In two or three short spoken sentences, tell the learner whether they met the goal, naming what they did, and give one thing to do better next time.',
    level ? `Speak English a learner at level ${level} understands.` : 'Use simple English.',
    'Plain spoken text only: no lists, no markdown, no emojis.',
  ].join('\n');
}
