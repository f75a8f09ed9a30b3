/**
 * Turn-taking benchmark (`npm run bench -- --only turns`): learners pause to find words, so when
 * is their turn over, and how soon after it does the tutor answer?
 *
 * Input: real LibriVox utterances (Debian `pocketsphinx-testdata`, test/fixtures/librivox.ts)
 * with silences inserted at the recordings' own short pauses (the longest gaps between words,
 * found by frame energy), each stretched to a learner-like length: log-normal, median 900 ms,
 * σ 0.45 (ln), kept within 0.5-2.5 s; then a true end and 3 s of silence. The audio goes through
 * a fake microphone (40 ms `input_audio_buffer.append`s in real time) into the real server's
 * server-VAD path (Silero VAD on onnxruntime-node, `turn_detection: server_vad`), one session
 * per configuration, turn after turn as one learner.
 *
 * Per configuration (thinking time fixed at 900 ms or learned, each with and without the
 * speculative reply):
 * - false cut-offs: inserted pauses during which reply audio reached the client; and turns ended
 *   in a pause (the VAD's `speech_stopped` during it: the utterance split in two, even when the
 *   learner went on before any reply audio came);
 * - voice to voice at the true end: end of the last word -> first reply audio received, p50/p95;
 * - speculative replies started, adopted and dropped, and the process CPU time while dropped
 *   ones ran (an upper bound of their cost: other work in the process is counted too);
 * - the learned thinking time at the end.
 * Learned configurations report cut-offs and voice to voice after `warmupTurns` turns of the
 * learner (5): the thinking time needs a few of their pauses.
 *
 * It also checks that no audio of a dropped speculation ever reached the client: every reply
 * audio delta belongs to a response created after the VAD ended a turn.
 */
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import type { LLM } from '../src/core/llm.js';
import type { STT } from '../src/core/stt.js';
import type { TTS } from '../src/core/tts.js';
import { StaticEngineSet } from '../src/engines/engine-set.js';
import { createSileroVad } from '../src/engines/vad/silero-vad.js';
import { buildApp } from '../src/server/app.js';
import type { ServerEvent } from '../src/server/realtime/server-events.js';
import type { SpeculationCounts } from '../src/turn/speculation.js';
import { ScriptedLLM, sleep } from '../src/testing/scripted-llm.js';
import { ScriptedSTT } from '../src/testing/scripted-stt.js';
import { LIBRIVOX_CLIPS, type ClipId, loadClip, silence } from '../test/fixtures/librivox.js';
import { TestRealtimeClient } from '../test/helpers/realtime-client.js';
import { quantile, round } from './stats.js';

const RATE = 24_000;
const FRAME_MS = 40;
const ENERGY_FRAME_MS = 20;
/** Silence after the true end of a turn: long enough for any thinking time and the reply's start. */
const TAIL_MS = 3500;

export type TurnsConfigName = 'fixed-900' | 'fixed-900+speculation' | 'learned' | 'learned+speculation';
export const TURNS_CONFIGS: readonly TurnsConfigName[] = ['fixed-900', 'fixed-900+speculation', 'learned', 'learned+speculation'];

/** One learner turn of the set: audio, where its inserted pauses are, where its speech ends (ms). */
export interface BenchTurn {
  clip: ClipId;
  audio: Int16Array;
  pauses: { startMs: number; endMs: number }[];
  speechEndMs: number;
}

export interface TurnsConfigResult {
  config: TurnsConfigName;
  turns: number;
  /** Turns counted (after the warm-up for learned thinking time). */
  counted_turns: number;
  inserted_pauses: number;
  false_cutoffs: number;
  false_cutoff_rate: number;
  /**
   * Inserted pauses in which the VAD ended the turn (`speech_stopped` arrived during the pause),
   * whether or not reply audio came before the learner went on: the utterance was split in two.
   */
  premature_turn_ends: number;
  premature_turn_end_rate: number;
  voice_to_voice_p50_ms: number | null;
  voice_to_voice_p95_ms: number | null;
  /** Turns whose true end got no reply audio within the tail. */
  unanswered_turns: number;
  thinking_time_end_ms: number | null;
  speculation: SpeculationCounts;
  /** Reply audio deltas that belonged to no response created after a turn end (must be 0). */
  stray_audio_deltas: number;
  per_turn: { clip: ClipId; pauses_ms: number[]; cut_off: boolean[]; ended: boolean[]; voice_to_voice_ms: number | null; thinking_time_ms: number | null }[];
}

export interface TurnsEngineResult {
  engine: string;
  configs: TurnsConfigResult[];
}

/** Deterministic PRNG (mulberry32, https://gist.github.com/tommyettinger/46a874533244883189143505d203312c). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A learner-like pause, ms: log-normal (median 900 ms, σ 0.45) within 0.5-2.5 s (Box-Muller). */
function learnerPause(next: () => number): number {
  const normal = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  return Math.round(Math.min(2500, Math.max(500, 900 * Math.exp(0.45 * normal))));
}

/** Voiced 20 ms frames of a clip (RMS above 10% of the loudest frame's). */
function voicedFrames(samples: Int16Array): boolean[] {
  const size = (ENERGY_FRAME_MS / 1000) * RATE;
  const rms: number[] = [];
  for (let offset = 0; offset + size <= samples.length; offset += size) {
    let sum = 0;
    for (let i = offset; i < offset + size; i++) sum += samples[i]! * samples[i]!;
    rms.push(Math.sqrt(sum / size));
  }
  const loudest = Math.max(...rms);
  return rms.map((value) => value > loudest * 0.1);
}

/**
 * The set: each clip with up to `pausesPerTurn` of its own gaps between words (the longest, at
 * least 40 ms) stretched to a learner-like pause.
 */
export function buildTurnSet(options: { turns: number; seed?: number; pausesPerTurn?: number }): BenchTurn[] {
  const next = random(options.seed ?? 12);
  const clips = Object.keys(LIBRIVOX_CLIPS) as ClipId[];
  const turns: BenchTurn[] = [];
  for (let t = 0; t < options.turns; t++) {
    const clip = clips[t % clips.length]!;
    const samples = loadClip(clip);
    const voiced = voicedFrames(samples);
    const first = voiced.indexOf(true);
    const last = voiced.lastIndexOf(true);
    const gaps: { start: number; length: number }[] = [];
    for (let i = first; i <= last; i++) {
      if (voiced[i]) continue;
      let j = i;
      while (j <= last && !voiced[j]) j++;
      if (j - i >= 2) gaps.push({ start: i, length: j - i });
      i = j;
    }
    const chosen = gaps
      .sort((a, b) => b.length - a.length)
      .slice(0, options.pausesPerTurn ?? 2)
      .sort((a, b) => a.start - b.start);
    const frameSamples = (ENERGY_FRAME_MS / 1000) * RATE;
    const parts: Int16Array[] = [silence(300)];
    const pauses: BenchTurn['pauses'] = [];
    let cursor = 0;
    let offsetMs = 300;
    for (const gap of chosen) {
      const middle = (gap.start + Math.floor(gap.length / 2)) * frameSamples;
      parts.push(samples.subarray(cursor, middle));
      offsetMs += ((middle - cursor) / RATE) * 1000;
      // The gap's own silence stays: the inserted silence brings the whole pause to the drawn length.
      const pauseMs = learnerPause(next);
      const insertMs = Math.max(0, pauseMs - gap.length * ENERGY_FRAME_MS);
      const gapStartMs = offsetMs - (gap.length / 2) * ENERGY_FRAME_MS;
      parts.push(silence(insertMs));
      offsetMs += insertMs;
      pauses.push({ startMs: gapStartMs, endMs: gapStartMs + pauseMs });
      cursor = middle;
    }
    parts.push(samples.subarray(cursor));
    const speechEndMs = offsetMs + (((last + 1) * frameSamples - cursor) / RATE) * 1000;
    parts.push(silence(TAIL_MS));
    const audio = new Int16Array(parts.reduce((sum, part) => sum + part.length, 0));
    let at = 0;
    for (const part of parts) {
      audio.set(part, at);
      at += part.length;
    }
    turns.push({ clip, audio, pauses, speechEndMs });
  }
  return turns;
}

interface TimedEvent {
  at: number;
  event: ServerEvent;
}

/**
 * Runs the set through one realtime session of the real app with server VAD.
 * @param createEngines fresh engines for this configuration
 */
export async function runTurnSet(options: {
  config: TurnsConfigName;
  turns: BenchTurn[];
  engines: { llm: LLM; tts: TTS; stt: STT };
  warmupTurns?: number;
  maxOutputTokens?: number;
  log?: (line: string) => void;
}): Promise<TurnsConfigResult> {
  const { config, turns } = options;
  const learned = config.startsWith('learned');
  const speculation = config.endsWith('+speculation');
  const warmup = learned ? (options.warmupTurns ?? 5) : 0;
  const engines = new StaticEngineSet({ ...options.engines, vad: (settings) => createSileroVad(settings) });
  const { app, sessions } = await buildApp({ engines, logger: pino({ level: 'silent' }) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const client = await TestRealtimeClient.connect(`ws://127.0.0.1:${port}/v1/realtime`);
  const timeline: TimedEvent[] = [];
  client.socket.on('message', (data) => timeline.push({ at: performance.now(), event: JSON.parse(data.toString()) as ServerEvent }));
  try {
    await client.waitFor('session.created');
    client.send({
      type: 'session.update',
      session: {
        ...(options.maxOutputTokens ? { max_output_tokens: options.maxOutputTokens } : {}),
        audio: { input: { turn_detection: { type: 'server_vad', ...(learned ? {} : { silence_duration_ms: 900 }) } } },
        localchat: { speculative_reply: speculation, thinking_time: learned ? 'learned' : 'fixed' },
      },
    });
    await client.waitFor('session.updated');
    const session = [...sessions][0]!;
    const perTurn: TurnsConfigResult['per_turn'] = [];
    for (const [index, turn] of turns.entries()) {
      const from = timeline.length;
      // Stream time 0 of this turn's audio is sent at `start`; frame k at start + k * 40 ms.
      const start = performance.now();
      const frameSamples = (FRAME_MS / 1000) * RATE;
      for (let offset = 0, k = 0; offset < turn.audio.length; offset += frameSamples, k++) {
        const wait = start + k * FRAME_MS - performance.now();
        if (wait > 0) await sleep(wait);
        const slice = turn.audio.subarray(offset, offset + frameSamples);
        client.send({ type: 'input_audio_buffer.append', audio: Buffer.from(slice.buffer, slice.byteOffset, slice.byteLength).toString('base64') });
      }
      // Let the last reply finish before the next turn (the learner listens to it).
      const done = timeline.slice(from).some((entry) => entry.event.type === 'response.done');
      if (!done) await client.waitFor('response.done', () => true, client.events.length, 60_000).catch(() => undefined);
      await session.idle();
      const events = timeline.slice(from);
      const audioAt = events.filter((entry) => entry.event.type === 'response.output_audio.delta').map((entry) => entry.at - start);
      const cutOff = turn.pauses.map((pause) => audioAt.some((ms) => ms >= pause.startMs && ms < pause.endMs));
      const stoppedAt = events.filter((entry) => entry.event.type === 'input_audio_buffer.speech_stopped').map((entry) => entry.at - start);
      const ended = turn.pauses.map((pause) => stoppedAt.some((ms) => ms >= pause.startMs && ms < pause.endMs));
      const afterEnd = audioAt.filter((ms) => ms >= turn.speechEndMs);
      const thinking = [...timeline].reverse().find((entry) => entry.event.type === 'localchat.thinking_time')?.event as Extract<ServerEvent, { type: 'localchat.thinking_time' }> | undefined;
      perTurn.push({
        clip: turn.clip,
        pauses_ms: turn.pauses.map((pause) => Math.round(pause.endMs - pause.startMs)),
        cut_off: cutOff,
        ended,
        voice_to_voice_ms: afterEnd.length ? Math.round(afterEnd[0]! - turn.speechEndMs) : null,
        thinking_time_ms: thinking?.silence_duration_ms ?? null,
      });
      options.log?.(`    ${config} turn ${index + 1}/${turns.length} (${turn.clip}): pauses ${perTurn.at(-1)!.pauses_ms.join(', ')} ms, cut off ${cutOff.filter(Boolean).length}, ended in a pause ${ended.filter(Boolean).length}, voice to voice ${perTurn.at(-1)!.voice_to_voice_ms ?? '-'} ms, thinking time ${thinking?.silence_duration_ms ?? '?'} ms`);
    }
    // Every reply audio delta belongs to a response created after the VAD ended a turn (a
    // `speech_stopped` with no `speech_started` since): a speculation's audio is never sent.
    let turnEnded = false;
    const confirmed = new Set<string>();
    let stray = 0;
    for (const { event } of timeline) {
      if (event.type === 'input_audio_buffer.speech_started') turnEnded = false;
      else if (event.type === 'input_audio_buffer.speech_stopped') turnEnded = true;
      else if (event.type === 'response.created' && turnEnded) confirmed.add(event.response.id!);
      else if (event.type === 'response.output_audio.delta' && !confirmed.has(event.response_id)) stray++;
    }
    const counted = perTurn.slice(warmup);
    const pauses = counted.flatMap((turn) => turn.cut_off);
    const endedInPause = counted.flatMap((turn) => turn.ended).filter(Boolean).length;
    const v2v = counted.map((turn) => turn.voice_to_voice_ms).filter((ms): ms is number => ms !== null);
    return {
      config,
      turns: perTurn.length,
      counted_turns: counted.length,
      inserted_pauses: pauses.length,
      false_cutoffs: pauses.filter(Boolean).length,
      false_cutoff_rate: pauses.length ? round(pauses.filter(Boolean).length / pauses.length, 3) : 0,
      premature_turn_ends: endedInPause,
      premature_turn_end_rate: pauses.length ? round(endedInPause / pauses.length, 3) : 0,
      voice_to_voice_p50_ms: v2v.length ? Math.round(quantile(v2v, 0.5)) : null,
      voice_to_voice_p95_ms: v2v.length ? Math.round(quantile(v2v, 0.95)) : null,
      unanswered_turns: counted.length - v2v.length,
      thinking_time_end_ms: perTurn.at(-1)?.thinking_time_ms ?? null,
      speculation: { ...session.speculative.counts, droppedCpuMs: Math.round(session.speculative.counts.droppedCpuMs) },
      stray_audio_deltas: stray,
      per_turn: perTurn,
    };
  } finally {
    await client.close();
    await app.close();
  }
}

/** The scripted engines: an LLM whose first clause takes ~370 ms (the tutor reply at 15 tokens/s after 100 ms), eSpeak-free tone TTS, STT with a delay. */
export async function scriptedTurnEngines(tts: TTS, sttDelayMs: number): Promise<{ llm: LLM; tts: TTS; stt: STT }> {
  return {
    llm: new ScriptedLLM({ reply: 'That sounds lovely. What did you do next, and who was with you?', tokensPerSecond: 15, firstTokenDelayMs: 100 }),
    tts,
    stt: new ScriptedSTT({ transcripts: ['he was not an ill disposed young man'], delayMs: sttDelayMs }),
  };
}

/** Runs every configuration on one engine. */
export async function benchTurns(options: {
  engine: string;
  turns: number;
  engines: () => Promise<{ llm: LLM; tts: TTS; stt: STT }>;
  maxOutputTokens?: number;
  configs?: readonly TurnsConfigName[];
  log: (line: string) => void;
}): Promise<TurnsEngineResult> {
  const set = buildTurnSet({ turns: options.turns });
  const configs: TurnsConfigResult[] = [];
  for (const config of options.configs ?? TURNS_CONFIGS) {
    const result = await runTurnSet({ config, turns: set, engines: await options.engines(), ...(options.maxOutputTokens ? { maxOutputTokens: options.maxOutputTokens } : {}), log: options.log });
    configs.push(result);
    const s = result.speculation;
    options.log(
      `  ${options.engine} ${config}: false cut-offs ${result.false_cutoffs}/${result.inserted_pauses} (${(result.false_cutoff_rate * 100).toFixed(1)}%), ` +
        `turn ended in a pause ${result.premature_turn_ends} (${(result.premature_turn_end_rate * 100).toFixed(1)}%), ` +
        `voice to voice p50 ${result.voice_to_voice_p50_ms ?? '-'} / p95 ${result.voice_to_voice_p95_ms ?? '-'} ms over ${result.counted_turns} turns, ` +
        `speculative ${s.started} started / ${s.adopted} adopted / ${s.dropped} dropped (${s.droppedCpuMs} ms CPU while dropped ones ran), ` +
        `thinking time at the end ${result.thinking_time_end_ms ?? '?'} ms, stray audio deltas ${result.stray_audio_deltas}`,
    );
  }
  return { engine: options.engine, configs };
}
