/**
 * The turn-taking benchmark's set (bench/turns.ts: every LibriVox clip with learner-like pauses
 * inserted) through the server-VAD path in real time, with speculative replies: speculations are
 * dropped at the inserted pauses after producing audio, and none of that audio ever reaches the
 * client — every reply audio delta belongs to a response created after the VAD ended a turn.
 */
import { describe, expect, it } from 'vitest';
import { ScriptedLLM } from '../../src/testing/scripted-llm.js';
import { ScriptedSTT } from '../../src/testing/scripted-stt.js';
import { ToneTTS } from '../../src/testing/tone-tts.js';
import { buildTurnSet, runTurnSet } from '../../bench/turns.js';
import { LIBRIVOX_CLIPS, librivoxAvailable } from '../fixtures/librivox.js';

const available = librivoxAvailable();

describe.runIf(available)('turn-taking set with speculative replies', () => {
  it('never lets audio of a dropped speculation reach the learner', async () => {
    const turns = buildTurnSet({ turns: Object.keys(LIBRIVOX_CLIPS).length, seed: 7 });
    expect(turns.flatMap((turn) => turn.pauses).length).toBeGreaterThanOrEqual(3);
    const result = await runTurnSet({
      config: 'fixed-900+speculation',
      turns,
      engines: { llm: new ScriptedLLM({ reply: 'Good. Tell me more about it, please.', tokensPerSecond: 60 }), tts: new ToneTTS(), stt: new ScriptedSTT({ transcripts: ['words'] }) },
    });
    // Speculations were started at the pauses, and some were dropped after making audio.
    expect(result.speculation.dropped).toBeGreaterThan(0);
    expect(result.speculation.droppedAudioSamples).toBeGreaterThan(0);
    expect(result.stray_audio_deltas).toBe(0);
    // Every true end was answered.
    expect(result.unanswered_turns).toBe(0);
  }, 120_000);
});
