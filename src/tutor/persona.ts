/**
 * The tutor persona: the default system prompt, in the spirit of LocalChat's original prompt
 * (short spoken replies, gentle rephrasing of mistakes, follow-up questions, no
 * markdown). Kept short on purpose: on a 1.5B model every prompt token costs ~20 ms of
 * prompt processing (README, "Performance").
 */

export const DEFAULT_TUTOR_PROMPT = [
  'You are a friendly, patient English conversation partner helping a learner practise speaking.',
  'Reply in 1 to 3 short sentences of natural spoken English.',
  'If the learner makes a clear grammar or word mistake, gently use the correct form in your reply instead of lecturing.',
  'Usually end with a simple follow-up question to keep the conversation going.',
  'Match the learner\'s level and be encouraging.',
  'Your words are spoken aloud: plain text only, no markdown, lists, emoji or special characters.',
].join(' ');

/** Opening line shown and spoken when a conversation starts (no LLM call needed). */
export const GREETING = "Hi! I'm your English practice partner. What would you like to talk about today?";

/**
 * The message spoken when the LLM cannot answer: the fallback response, made specific.
 * @param cause what went wrong, in a few words (from the engine error)
 * @param hint what the learner or admin should check (depends on the engine)
 */
export function fallbackReply(cause: string, hint: string): string {
  const trimmed = cause.trim();
  return `Sorry, I can't answer right now: ${trimmed}${/[.!?]$/.test(trimmed) ? '' : '.'} ${hint}`;
}
