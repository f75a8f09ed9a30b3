/**
 * The lesson benchmark: a whole spoken lesson on the learner's own CPU, as a learner has it.
 *
 * The real server (bench/lesson-server.ts, its own process) with the tutor (correction cards,
 * turns saved) and the embedded engine — node-llama-cpp on a Qwen2.5-1.5B-shaped Q4_K_M GGUF whose
 * replies re-tokenize to the tokens generated, as a real model's do — or, with `--llm-base-url`,
 * an OpenAI-compatible server such as llama.cpp's `llama-server`; eSpeak NG speaks. A client over
 * `/v1/realtime` plays the learner: 60 turns from bench/data/lesson-turns.json (real learner
 * sentences with their mistakes), replies capped at 60 tokens, the learner answering 1 s after the
 * reply's audio has played (in real time), a barge-in on every 7th reply (`response.cancel` +
 * `conversation.item.truncate` after 1.5 s of playback, as the web UI sends them, then 2 s of the
 * learner speaking) and a typed interruption on every 11th (the next message 300 ms into the
 * reply's audio). Correction cards are on for odd learner turns and off for even ones (the
 * profile's correction style, set over /api/profile before each turn), so the replies after a
 * turn with a card and after one without are compared in the same run.
 *
 * Per turn: TTFT (learner's message sent -> first LLM token, on the server), TTFA (-> first audio:
 * the server's `localchat.response.metrics`, or the first audio delta received for a cut reply), time
 * until the tenth reply token, prompt tokens evaluated (node-llama-cpp's token meter; the
 * server's cache report with --llm-base-url) against the tokens new since the previous call,
 * correction latency, server RSS. Writes a chart (SVG) of TTFT and evaluated tokens per turn.
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TestRealtimeClient, decodePcm16 } from '../test/helpers/realtime-client.js';
import { ChildServer, procStatus, sleep } from './rss.js';
import { quantile, median, round } from './stats.js';
import { epochNow } from './timed-engines.js';
import type { LessonLlmCall } from './lesson-server.js';

export const LESSON_TARGETS = {
  /** Median TTFT of turns 50-60 over that of turns 2-10. */
  late_over_early_ttft_max_ratio: 1.5,
  /** Evaluated prompt tokens over new prompt tokens, summed over the lesson. */
  evaluated_over_new_tokens_max_ratio: 1.2,
  /** TTFA p50 and p95 after a turn with a correction card over after one without. */
  ttfa_corrections_on_over_off_max_ratio: 1.1,
  /** Share of learner turns with corrections on whose correction finished before the lesson ended. */
  corrected_turns_min_share: 0.9,
  rss_growth_max_mb: 50,
} as const;

const LEARNER_TURNS: string[] = (JSON.parse(readFileSync(new URL('./data/lesson-turns.json', import.meta.url), 'utf8')) as { turns: string[] }).turns;
const REPLY_MAX_TOKENS = 60;
const ANSWER_DELAY_MS = 1000;
const BARGE_IN_EVERY = 7;
const BARGE_IN_AFTER_MS = 1500;
const BARGE_IN_SPEECH_MS = 2000;
const TYPED_EVERY = 11;
const TYPED_AFTER_MS = 300;
const SAMPLE_RATE = 24_000;

export interface LessonOptions {
  turns: number;
  threads?: number;
  llmBaseUrl?: string;
  llmModel?: string;
  /** The tiny GGUF instead of the 1.5B shape: a smoke test of the benchmark, not a measurement. */
  tiny?: boolean;
  /** Context per sequence of the embedded engine (default: the app's). */
  contextSize?: number;
  /** false: the server leaves glibc's heap untuned (src/server/native-heap.ts), to compare. */
  heapUpkeep?: boolean;
  chartPath: string;
  log: (line: string) => void;
}

export interface LessonTurn {
  turn: number;
  /** How the learner ends the reply to this turn. */
  ending: 'listened' | 'barge-in' | 'typed-interruption';
  /** Correction cards on for this learner turn. */
  corrections: boolean;
  /** Correction cards were on for the previous learner turn (its card may compete with this reply). */
  afterCorrection: boolean;
  status: string;
  ttftMs: number | null;
  /** Of the TTFT, the LLM's own part: from the engine call to the first token (the rest is the server's). */
  llmTtftMs: number | null;
  /** A side task (correction, summary, ...) was still running when the reply's engine call was made. */
  sideWorkAtStart: boolean | null;
  ttfaMs: number | null;
  tenthTokenMs: number | null;
  promptTokens: number | null;
  evaluatedPromptTokens: number | null;
  newPromptTokens: number | null;
  /** Prompt tokens evaluated between the previous reply and this turn, ahead of it (off the learner's wait). */
  aheadTokens: number | null;
  replyTokens: number | null;
  audioMs: number;
  rssMb: number;
  /** Of the RSS, anonymous memory and file pages (the memory-mapped GGUF), in MB. */
  rssAnonMb: number;
  rssFileMb: number;
  /** Of the RSS, the V8 heap in use and the memory of Buffers and other external objects, in MB. */
  jsHeapMb: number;
  jsExternalMb: number;
  /** The server's threads (a worker thread started or ended shows here). */
  threads: number;
}

export interface LessonResult {
  engine: string;
  contextSize: number;
  /** Whether the server ran the native heap upkeep (src/server/native-heap.ts; Linux with glibc only). */
  heapUpkeep: boolean;
  turns: LessonTurn[];
  summary: {
    ttft_p50_turns_2_10_ms: number;
    /** TTFT medians of the turns that started with side work still running, and of the others. */
    ttft_p50_side_work_at_start_ms: number | null;
    ttft_p50_no_side_work_at_start_ms: number | null;
    ttft_p50_turns_50_60_ms: number | null;
    late_over_early_ttft_ratio: number | null;
    evaluated_prompt_tokens: number;
    /** Prompt tokens evaluated between turns, ahead of them (off the learner's wait). */
    evaluated_ahead_tokens: number;
    new_prompt_tokens: number | null;
    evaluated_over_new_tokens_ratio: number | null;
    ttfa_after_correction_p50_ms: number;
    ttfa_after_correction_p95_ms: number;
    ttfa_after_no_correction_p50_ms: number;
    ttfa_after_no_correction_p95_ms: number;
    ttfa_on_over_off_p50_ratio: number;
    ttfa_on_over_off_p95_ratio: number;
    corrected_turns: number;
    correction_turns: number;
    corrected_share: number;
    cards_shown: number;
    correction_latency_p50_ms: number | null;
    correction_latency_p95_ms: number | null;
    rss_first_mb: number;
    rss_last_mb: number;
    rss_growth_mb: number;
    /** From turn 2 (turn 1 still holds what start-up left behind), and the range over turns 2-N. */
    rss_growth_from_turn_2_mb: number | null;
    rss_min_after_turn_1_mb: number | null;
    rss_max_after_turn_1_mb: number | null;
    wall_minutes: number;
  };
  chart: string;
}

export async function benchLesson(options: LessonOptions): Promise<LessonResult> {
  const { log } = options;
  const args = [
    ...(options.threads ? ['--threads', String(options.threads)] : []),
    ...(options.llmBaseUrl ? ['--llm-base-url', options.llmBaseUrl] : []),
    ...(options.llmModel ? ['--llm-model', options.llmModel] : []),
    ...(options.tiny ? ['--tiny'] : []),
    ...(options.contextSize ? ['--context', String(options.contextSize)] : []),
    ...(options.heapUpkeep === false ? ['--no-heap-upkeep'] : []),
  ];
  log(`  starting the server (building the Qwen2.5-1.5B-shaped GGUF the first time: ~1 GB, a few minutes)...`);
  const server = await ChildServer.start(args, 'bench/lesson-server.ts', 15 * 60_000);
  const engine = `${String(server.ready.provider)} (context ${String(server.ready.contextSize)})`;
  const base = `http://127.0.0.1:${server.port}`;
  const client = await TestRealtimeClient.connect(`ws://127.0.0.1:${server.port}/v1/realtime`, { origin: base });
  const wallStart = performance.now();
  const turns: LessonTurn[] = [];
  const doneAt = new Map<number, number>();
  const replyOf = new Map<number, LessonLlmCall>();
  const allCalls: LessonLlmCall[] = [];
  try {
    await client.waitFor('session.created');
    client.send({ type: 'session.update', session: { max_output_tokens: REPLY_MAX_TOKENS } });
    await client.waitFor('session.updated');
    // The session warms the LLM (system prompt) when it opens: give it that moment, as a learner does.
    await sleep(3000);
    await server.command('calls');

    let pendingSend: { at: number; from: number } | null = null;
    const assigned = new Set<LessonLlmCall>();
    const count = Math.min(options.turns, LEARNER_TURNS.length);
    for (let index = 0; index < count; index++) {
      const turnNumber = index + 1;
      const corrections = turnNumber % 2 === 1;
      await setCorrections(base, corrections);
      const ending: LessonTurn['ending'] = turnNumber % BARGE_IN_EVERY === 0 ? 'barge-in' : turnNumber % TYPED_EVERY === 0 ? 'typed-interruption' : 'listened';
      const from = pendingSend?.from ?? client.events.length;
      const sentAt = pendingSend?.at ?? epochNow();
      if (pendingSend === null) client.sendText(LEARNER_TURNS[index]!);
      pendingSend = null;

      const created = await client.waitFor('response.created', () => true, from, 120_000);
      const responseId = created.response.id ?? '';
      const firstAudio = await client.waitFor('response.output_audio.delta', (event) => event.response_id === responseId, from, 600_000).catch(() => null);
      const firstAudioAt = firstAudio ? epochNow() : null;
      let done;
      if (ending === 'listened') {
        done = await client.waitFor('response.done', (event) => event.response.id === responseId, from, 180_000);
      } else if (ending === 'barge-in') {
        // Barge in 1.5 s into the audio (or when the reply ends, if sooner).
        const bargeAt = (firstAudioAt ?? epochNow()) + BARGE_IN_AFTER_MS;
        done = await Promise.race([
          client.waitFor('response.done', (event) => event.response.id === responseId, from, 180_000),
          sleep(Math.max(0, bargeAt - epochNow())).then(() => null),
        ]);
        const played = Math.round(Math.min(BARGE_IN_AFTER_MS, audioMsOf(client, from, responseId)));
        if (!done) client.send({ type: 'response.cancel' });
        if (firstAudio) client.send({ type: 'conversation.item.truncate', item_id: firstAudio.item_id, content_index: 0, audio_end_ms: played });
        done ??= await client.waitFor('response.done', (event) => event.response.id === responseId, from, 60_000);
      } else {
        // The next message 300 ms into the audio, while the reply is still being produced or played.
        await sleep(Math.max(0, (firstAudioAt ?? epochNow()) + TYPED_AFTER_MS - epochNow()));
        if (index + 1 < count) {
          await setCorrections(base, (turnNumber + 1) % 2 === 1);
          pendingSend = { at: epochNow(), from: client.events.length };
          client.sendText(LEARNER_TURNS[index + 1]!);
        }
        done = await client.waitFor('response.done', (event) => event.response.id === responseId, from, 180_000);
      }
      const doneTime = epochNow();
      doneAt.set(turnNumber, doneTime);
      // The server's own figures (from receiving the turn), when it sends them (not for a cut reply):
      // they do not depend on how soon this process got a core.
      const metrics = await client.waitFor('localchat.response.metrics', (event) => event.response_id === responseId, from, done.response.status === 'cancelled' ? 1 : 2000).catch(() => null);
      const audioMs = audioMsOf(client, from, responseId);

      allCalls.push(...((await server.command('calls')) as LessonLlmCall[]));
      const reply = allCalls.find((call) => call.task === 'reply' && !assigned.has(call) && call.startedAt >= sentAt - 5);
      if (reply) assigned.add(reply);
      if (reply) replyOf.set(turnNumber, reply);
      const memory = (await server.command('memory')) as { heapUsedMb: number; externalMb: number };
      const status = procStatus(server.pid);
      const record: LessonTurn = {
        turn: turnNumber,
        ending,
        corrections,
        afterCorrection: turnNumber > 1 && (turnNumber - 1) % 2 === 1,
        status: done.response.status ?? 'unknown',
        ttftMs: reply?.firstTokenAt !== undefined ? round(reply.firstTokenAt - sentAt) : null,
        llmTtftMs: reply?.firstTokenAt !== undefined ? round(reply.firstTokenAt - reply.startedAt) : null,
        sideWorkAtStart: null,
        ttfaMs: metrics?.ttfa_ms ?? (firstAudioAt !== null ? round(firstAudioAt - sentAt) : null),
        tenthTokenMs: reply?.tenthTokenAt !== undefined ? round(reply.tenthTokenAt - sentAt) : null,
        promptTokens: reply?.promptTokens ?? null,
        evaluatedPromptTokens: reply?.evaluatedPromptTokens ?? null,
        newPromptTokens: reply?.newPromptTokens ?? null,
        aheadTokens: reply?.aheadTokens ?? null,
        replyTokens: reply?.completionTokens ?? null,
        audioMs: round(audioMs),
        rssMb: round(status.rssMb),
        rssAnonMb: round(status.rssAnonMb),
        rssFileMb: round(status.rssFileMb),
        jsHeapMb: round(memory.heapUsedMb),
        jsExternalMb: round(memory.externalMb),
        threads: status.threads,
      };
      turns.push(record);
      log(
        `  turn ${String(turnNumber).padStart(2)} ${ending.padEnd(18)} cards ${corrections ? 'on ' : 'off'} ${record.status.padEnd(9)} ` +
          `TTFT ${fmt(record.ttftMs)}  TTFA ${fmt(record.ttfaMs)}  10 tok ${fmt(record.tenthTokenMs)}  ` +
          `prompt ${record.promptTokens ?? '?'} evaluated ${record.evaluatedPromptTokens ?? '?'} new ${record.newPromptTokens ?? '?'} ahead ${record.aheadTokens ?? '?'}  ` +
          `audio ${(audioMs / 1000).toFixed(1)} s  RSS ${record.rssMb} MB (anon ${record.rssAnonMb}, file ${record.rssFileMb}, JS heap ${record.jsHeapMb}), ${record.threads} threads`,
      );

      if (ending === 'listened') {
        // The learner listens to the whole reply, then answers a second later.
        const playbackEnd = Math.max(doneTime, (firstAudioAt ?? doneTime) + audioMs);
        await sleep(Math.max(0, playbackEnd - epochNow()) + ANSWER_DELAY_MS);
      } else if (ending === 'barge-in') {
        await sleep(BARGE_IN_SPEECH_MS);
      }
    }
  } finally {
    await client.close();
  }
  // The lesson ends here: count the corrections that finished by now.
  const verdicts = (await server.command('verdicts')) as { text: string; at: number; card: boolean }[];
  // Which replies started while side work was still running (calls still running at the end count as running).
  allCalls.push(...((await server.command('calls')) as LessonLlmCall[]));
  const sideCalls = allCalls.filter((call) => call.task !== 'reply');
  for (const turn of turns) {
    const reply = replyOf.get(turn.turn);
    if (reply) turn.sideWorkAtStart = sideCalls.some((side) => side.startedAt < reply.startedAt && (side.endedAt ?? Number.POSITIVE_INFINITY) > reply.startedAt);
  }
  await server.stop();

  const correctionTurns = turns.filter((turn) => turn.corrections);
  const latencies: number[] = [];
  let corrected = 0;
  for (const turn of correctionTurns) {
    const verdict = verdicts.find((candidate) => candidate.text === LEARNER_TURNS[turn.turn - 1]);
    if (!verdict) continue;
    corrected++;
    const replyDone = doneAt.get(turn.turn);
    if (replyDone !== undefined) latencies.push(verdict.at - replyDone);
  }
  const ttft = (from: number, to: number) => turns.filter((turn) => turn.turn >= from && turn.turn <= to && turn.ttftMs !== null).map((turn) => turn.ttftMs!);
  const ttfaOf = (after: boolean) => turns.filter((turn) => turn.turn > 1 && turn.afterCorrection === after && turn.ttfaMs !== null).map((turn) => turn.ttfaMs!);
  const early = median(ttft(2, 10));
  const lateValues = ttft(50, 60);
  const late = lateValues.length > 0 ? median(lateValues) : null;
  const evaluated = turns.reduce((sum, turn) => sum + (turn.evaluatedPromptTokens ?? 0), 0);
  const ahead = turns.reduce((sum, turn) => sum + (turn.aheadTokens ?? 0), 0);
  const fresh = turns.every((turn) => turn.newPromptTokens !== null) ? turns.reduce((sum, turn) => sum + turn.newPromptTokens!, 0) : null;
  const on = ttfaOf(true);
  const off = ttfaOf(false);
  const chart = renderChart(turns, engine);
  await mkdir(dirname(options.chartPath), { recursive: true });
  await writeFile(options.chartPath, chart);
  const rssFirst = turns[0]?.rssMb ?? 0;
  const rssLast = turns.at(-1)?.rssMb ?? 0;
  const later = turns.slice(1).map((turn) => turn.rssMb);
  return {
    engine,
    contextSize: Number(server.ready.contextSize),
    heapUpkeep: server.ready.heapUpkeep === true,
    turns,
    summary: {
      ttft_p50_turns_2_10_ms: round(early),
      ttft_p50_side_work_at_start_ms: medianOrNull(turns.filter((turn) => turn.sideWorkAtStart === true && turn.ttftMs !== null).map((turn) => turn.ttftMs!)),
      ttft_p50_no_side_work_at_start_ms: medianOrNull(turns.filter((turn) => turn.sideWorkAtStart === false && turn.ttftMs !== null).map((turn) => turn.ttftMs!)),
      ttft_p50_turns_50_60_ms: late === null ? null : round(late),
      late_over_early_ttft_ratio: late === null ? null : round(late / early, 2),
      evaluated_prompt_tokens: evaluated,
      evaluated_ahead_tokens: ahead,
      new_prompt_tokens: fresh,
      evaluated_over_new_tokens_ratio: fresh ? round(evaluated / fresh, 3) : null,
      ttfa_after_correction_p50_ms: round(median(on)),
      ttfa_after_correction_p95_ms: round(quantile(on, 0.95)),
      ttfa_after_no_correction_p50_ms: round(median(off)),
      ttfa_after_no_correction_p95_ms: round(quantile(off, 0.95)),
      ttfa_on_over_off_p50_ratio: round(median(on) / median(off), 3),
      ttfa_on_over_off_p95_ratio: round(quantile(on, 0.95) / quantile(off, 0.95), 3),
      corrected_turns: corrected,
      correction_turns: correctionTurns.length,
      corrected_share: round(corrected / Math.max(1, correctionTurns.length), 3),
      cards_shown: verdicts.filter((verdict) => verdict.card).length,
      correction_latency_p50_ms: latencies.length ? round(median(latencies)) : null,
      correction_latency_p95_ms: latencies.length ? round(quantile(latencies, 0.95)) : null,
      rss_first_mb: rssFirst,
      rss_last_mb: rssLast,
      rss_growth_mb: round(rssLast - rssFirst),
      rss_growth_from_turn_2_mb: later.length ? round(rssLast - later[0]!) : null,
      rss_min_after_turn_1_mb: later.length ? round(Math.min(...later)) : null,
      rss_max_after_turn_1_mb: later.length ? round(Math.max(...later)) : null,
      wall_minutes: round((performance.now() - wallStart) / 60_000, 1),
    },
    chart: options.chartPath,
  };
}

/** Audio of response `responseId` received since event `from`, in ms. */
function audioMsOf(client: TestRealtimeClient, from: number, responseId: string): number {
  const samples = client.ofType('response.output_audio.delta', from)
    .filter((event) => event.response_id === responseId)
    .reduce((sum, event) => sum + decodePcm16(event.delta).length, 0);
  return (samples / SAMPLE_RATE) * 1000;
}

async function setCorrections(base: string, on: boolean): Promise<void> {
  const response = await fetch(`${base}/api/profile`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', origin: base },
    body: JSON.stringify({ correctionStyle: on ? 'recast' : 'off' }),
  });
  if (!response.ok) throw new Error(`PUT /api/profile answered ${response.status}: ${await response.text()}`);
}

function fmt(ms: number | null): string {
  return ms === null ? '   —  ' : `${(ms / 1000).toFixed(2)} s`;
}

/** Two panels over the turns: TTFT and TTFA (s); prompt tokens evaluated and new. SVG, no dependencies. */
export function renderChart(turns: readonly LessonTurn[], engine: string): string {
  const width = 900;
  const panel = 220;
  const margin = { left: 60, right: 20, top: 40, gap: 60 };
  const plotWidth = width - margin.left - margin.right;
  const height = margin.top + panel * 2 + margin.gap + 50;
  const count = Math.max(1, turns.length);
  const x = (turn: number) => margin.left + ((turn - 1) / Math.max(1, count - 1)) * plotWidth;
  const line = (values: (number | null)[], top: number, max: number, color: string, dash = '') => {
    const points = values.map((value, index) => (value === null ? null : `${x(index + 1).toFixed(1)},${(top + panel - (value / max) * panel).toFixed(1)}`));
    const segments: string[] = [];
    let current: string[] = [];
    for (const point of points) {
      if (point === null) {
        if (current.length) segments.push(current.join(' '));
        current = [];
      } else current.push(point);
    }
    if (current.length) segments.push(current.join(' '));
    return segments.map((segment) => `<polyline fill="none" stroke="${color}" stroke-width="2" ${dash ? `stroke-dasharray="${dash}"` : ''} points="${segment}"/>`).join('');
  };
  const axis = (top: number, max: number, unit: string, digits: number) => {
    const ticks = [0, 0.25, 0.5, 0.75, 1].map((share) => {
      const y = top + panel - share * panel;
      return `<line x1="${margin.left}" x2="${width - margin.right}" y1="${y}" y2="${y}" stroke="#e3e3e3"/><text x="${margin.left - 8}" y="${y + 4}" text-anchor="end">${(max * share).toFixed(digits)}${unit}</text>`;
    });
    const turnTicks = turns.filter((turn) => turn.turn === 1 || turn.turn % 10 === 0).map((turn) => `<text x="${x(turn.turn)}" y="${top + panel + 16}" text-anchor="middle">${turn.turn}</text>`);
    return ticks.join('') + turnTicks.join('');
  };
  const seconds = (values: (number | null)[]) => values.map((value) => (value === null ? null : value / 1000));
  const ttft = seconds(turns.map((turn) => turn.ttftMs));
  const ttfa = seconds(turns.map((turn) => turn.ttfaMs));
  const maxSeconds = Math.max(1, ...ttft.filter((v): v is number => v !== null), ...ttfa.filter((v): v is number => v !== null)) * 1.1;
  const evaluated = turns.map((turn) => turn.evaluatedPromptTokens);
  const fresh = turns.map((turn) => turn.newPromptTokens);
  const maxTokens = Math.max(10, ...evaluated.filter((v): v is number => v !== null), ...fresh.filter((v): v is number => v !== null)) * 1.1;
  const top2 = margin.top + panel + margin.gap;
  const marks = turns
    .filter((turn) => turn.ending !== 'listened')
    .map((turn) => `<line x1="${x(turn.turn)}" x2="${x(turn.turn)}" y1="${margin.top}" y2="${margin.top + panel}" stroke="${turn.ending === 'barge-in' ? '#f0a0a0' : '#a0c0f0'}" stroke-width="1"/>`)
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="${margin.left}" y="22" font-size="15" font-weight="bold">A ${turns.length}-turn lesson — ${escapeXml(engine)}</text>
${marks}
${axis(margin.top, maxSeconds, ' s', 1)}
${line(ttft, margin.top, maxSeconds, '#1f6feb')}
${line(ttfa, margin.top, maxSeconds, '#d97706', '5 3')}
<text x="${width - margin.right}" y="${margin.top - 6}" text-anchor="end"><tspan fill="#1f6feb">— TTFT</tspan>  <tspan fill="#d97706">- - TTFA</tspan>  <tspan fill="#e07070">| barge-in</tspan>  <tspan fill="#6090e0">| typed interruption</tspan></text>
${axis(top2, maxTokens, '', 0)}
${line(fresh, top2, maxTokens, '#9ca3af', '4 3')}
${line(evaluated, top2, maxTokens, '#16a34a')}
<text x="${width - margin.right}" y="${top2 - 6}" text-anchor="end"><tspan fill="#16a34a">— prompt tokens evaluated (measured)</tspan>  <tspan fill="#6b7280">- - new since the previous turn</tspan></text>
<text x="${margin.left + plotWidth / 2}" y="${height - 12}" text-anchor="middle">learner turn</text>
</svg>
`;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&]/g, (char) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[char] ?? char);
}

/** The rounded median, or null for no values. */
function medianOrNull(values: number[]): number | null {
  return values.length > 0 ? round(median(values)) : null;
}
