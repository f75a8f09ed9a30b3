/**
 * Voice names in a realtime `session.update`: an engine voice id, or one of OpenAI's voice names,
 * mapped to an engine voice exactly as the REST speech route maps them (../openai-voices.ts).
 */
export { OPENAI_VOICES as OPENAI_REALTIME_VOICES, resolveOpenAIVoice as resolveRealtimeVoice } from '../openai-voices.js';
