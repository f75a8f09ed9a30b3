/**
 * The tutor's cost (issue 4, "Benchmark"): TTFA with corrections on vs off in the same run, and the
 * time to produce a correction card.
 *
 * 1. Two real servers, each in its own child process (bench/server-child.ts: `buildApp` with a
 *    ScriptedLLM at 15 tokens/s and eSpeak NG), so the client here does not share their event loop:
 *    - "on": a TutorService over a SafeStore in a temporary data directory (every turn saved, a
 *      correction card for each learner turn, asked of the same LLM, which answers the
 *      `correction` JSON schema with a known 2-error card at the same pace);
 *    - "off": no tutor (the plain persona, nothing saved, no correction).
 *    One WebSocket session each; text turns (the learner's sentence with two past-tense errors),
 *    runs interleaved on/off/off/on... TTFA = turn sent -> first `response.output_audio.delta`
 *    (client-observed) and the server's own `localchat.response.metrics` ttfa_ms. After each
 *    turn, with the tutor, the bench waits for the card before the next turn (a learner listens to
 *    a ~14 s reply first; the card takes ~5 s), so a correction never overlaps the next reply here.
 *    Card time = `response.done` -> `localchat.correction` (both as received by the client), with
 *    the correction LLM call's start and end (the child's engine call log; both processes use the
 *    system's wall clock).
 * 2. With the real node-llama-cpp engine on the random-weight Qwen2.5-1.5B-shaped GGUF: the same
 *    correction task through `correctUtterance` (JSON schema -> llama.cpp grammar) with the app's
 *    stable conversation id ('localchat-corrections'), a new learner utterance per call, so only the
 *    task's system prompt stays cached between calls. Random weights write random (but
 *    grammar-valid) JSON whose length is chance (it may run on, be cut at `maxTokens` and retried,
 *    or close early and even pass validation), so each attempt is capped at `maxTokens` and the
 *    figures that carry over to a real model are per token: TTFT (grammar compile + prompt on the
 *    first call; the utterance only, later) and decode tokens/s under the grammar. The card time of
 *    a real model is projected as later-call TTFT + the scripted card's tokens / that decode speed.
 *    Note: the fixture's tokenizer splits English into ~1.7 characters a token (the real Qwen2.5
 *    tokenizer: ~4), so its prompt token counts, hence TTFTs, are ~2x a real model's.
 */
import type { CallOptions } from '../src/core/call-options.js';
import type { ChatRequest, LLM, LLMStreamPart } from '../src/core/llm.js';
import { tokenize } from '../src/testing/scripted-llm.js';
import { correctUtterance } from '../src/tutor/corrections.js';
import { parseProfile } from '../src/tutor/profile.js';
import { TestRealtimeClient } from '../test/helpers/realtime-client.js';
import { ChildServer } from './rss.js';
import { SCRIPTED_CORRECTION_JSON, SCRIPTED_TOKENS_PER_SECOND, USER_MESSAGE } from './scenario.js';
import { median, round, summarize, type Summary } from './stats.js';
import { epochNow } from './timed-engines.js';

export const CORRECTIONS_TARGETS = { ttfa_on_over_off_max_ratio: 1.1 } as const;

export const CORRECTION_TOKENS = tokenize(SCRIPTED_CORRECTION_JSON).length;

export interface CorrectionTurn {
  mode: 'on' | 'off';
  client_ttfa_ms: number;
  server_ttfa_ms: number | null;
  status: string;
  /** response.done -> localchat.correction (client-observed); on only. */
  card_ms: number | null;
  /** response.done -> the correction LLM call starts / ends (the server's call log). */
  correction_llm_start_ms: number | null;
  correction_llm_end_ms: number | null;
}

export interface CorrectionsResult {
  turns: CorrectionTurn[];
  ttfa_on_ms: Summary;
  ttfa_off_ms: Summary;
  server_ttfa_on_ms: Summary;
  server_ttfa_off_ms: Summary;
  /** p50 on / p50 off (client-observed). */
  ttfa_on_over_off: number;
  /** The same for the server-reported TTFA. */
  server_ttfa_on_over_off: number;
  card_ms: Summary;
  correction_llm_start_after_done_ms: Summary;
  correction_llm_duration_ms: Summary;
  correction_tokens: number;
  tokens_per_second: number;
  cards_received: number;
}

export async function benchCorrections(options: { runs: number; log: (line: string) => void }): Promise<CorrectionsResult> {
  const { log } = options;
  const children: ChildServer[] = [];
  const clients: TestRealtimeClient[] = [];
  try {
    const on = await ChildServer.start(['--tutor']);
    children.push(on);
    const off = await ChildServer.start([]);
    children.push(off);
    const sessions = {
      on: await Session.open(on),
      off: await Session.open(off),
    };
    clients.push(sessions.on.client, sessions.off.client);
    // Warm-up, not measured (two turns each: the first turns of a process run colder code).
    for (let index = 0; index < 2; index++) {
      await sessions.on.turn('on');
      await sessions.off.turn('off');
    }
    const turns: CorrectionTurn[] = [];
    for (let index = 0; index < options.runs; index++) {
      const order: ('on' | 'off')[] = index % 2 === 0 ? ['on', 'off'] : ['off', 'on'];
      for (const mode of order) turns.push(await sessions[mode].turn(mode));
      const [a, b] = turns.slice(-2);
      const onTurn = a!.mode === 'on' ? a! : b!;
      const offTurn = a!.mode === 'off' ? a! : b!;
      log(
        `  run ${index + 1}/${options.runs}: TTFA on ${onTurn.client_ttfa_ms.toFixed(0)} ms / off ${offTurn.client_ttfa_ms.toFixed(0)} ms ` +
          `(server ${onTurn.server_ttfa_ms?.toFixed(0) ?? 'n/a'} / ${offTurn.server_ttfa_ms?.toFixed(0) ?? 'n/a'}); ` +
          `card ${onTurn.card_ms === null ? 'none' : `${onTurn.card_ms.toFixed(0)} ms after response.done`} ` +
          `(LLM call from +${onTurn.correction_llm_start_ms?.toFixed(0) ?? '?'} to +${onTurn.correction_llm_end_ms?.toFixed(0) ?? '?'} ms)`,
      );
    }
    const pick = (mode: 'on' | 'off', get: (turn: CorrectionTurn) => number | null) =>
      turns.filter((turn) => turn.mode === mode).map(get).filter((value): value is number => value !== null && Number.isFinite(value));
    const onTtfa = pick('on', (turn) => turn.client_ttfa_ms);
    const offTtfa = pick('off', (turn) => turn.client_ttfa_ms);
    const onServer = pick('on', (turn) => turn.server_ttfa_ms);
    const offServer = pick('off', (turn) => turn.server_ttfa_ms);
    return {
      turns,
      ttfa_on_ms: summarize(onTtfa),
      ttfa_off_ms: summarize(offTtfa),
      server_ttfa_on_ms: summarize(onServer),
      server_ttfa_off_ms: summarize(offServer),
      ttfa_on_over_off: round(median(onTtfa) / median(offTtfa), 3),
      server_ttfa_on_over_off: round(median(onServer) / median(offServer), 3),
      card_ms: summarize(pick('on', (turn) => turn.card_ms)),
      correction_llm_start_after_done_ms: summarize(pick('on', (turn) => turn.correction_llm_start_ms)),
      correction_llm_duration_ms: summarize(
        pick('on', (turn) => (turn.correction_llm_end_ms !== null && turn.correction_llm_start_ms !== null ? turn.correction_llm_end_ms - turn.correction_llm_start_ms : null)),
      ),
      correction_tokens: CORRECTION_TOKENS,
      tokens_per_second: SCRIPTED_TOKENS_PER_SECOND,
      cards_received: pick('on', (turn) => turn.card_ms).length,
    };
  } finally {
    for (const client of clients) await client.close().catch(() => undefined);
    for (const child of children) await child.stop().catch(() => undefined);
  }
}

/** One realtime session with receive times of every event (this process's wall clock). */
class Session {
  private readonly times: { at: number; type: string }[] = [];
  private constructor(
    readonly client: TestRealtimeClient,
    private readonly server: ChildServer,
  ) {
    client.socket.on('message', (data: Buffer) => {
      const at = epochNow();
      const type = /^\{"type":"([^"]+)"/.exec(data.toString('latin1', 0, 120))?.[1] ?? '?';
      this.times.push({ at, type });
    });
  }

  static async open(server: ChildServer): Promise<Session> {
    const url = `http://127.0.0.1:${server.port}`;
    const client = await TestRealtimeClient.connect(`ws://127.0.0.1:${server.port}/v1/realtime`, { origin: url });
    await client.waitFor('session.created');
    return new Session(client, server);
  }

  async turn(mode: 'on' | 'off'): Promise<CorrectionTurn> {
    const { client } = this;
    const start = client.events.length;
    const timesStart = this.times.length;
    const sentAt = epochNow();
    client.sendText(USER_MESSAGE);
    const done = await client.waitFor('response.done', () => true, start, 60_000);
    const metrics = await client.waitFor('localchat.response.metrics', () => true, start, 5_000);
    let cardAt: number | null = null;
    if (mode === 'on') {
      await client.waitFor('localchat.correction', () => true, start, 30_000).catch(() => undefined);
      cardAt = this.times.slice(timesStart).find((entry) => entry.type === 'localchat.correction')?.at ?? null;
    }
    const times = this.times.slice(timesStart);
    const firstAudio = times.find((entry) => entry.type === 'response.output_audio.delta');
    const doneAt = times.find((entry) => entry.type === 'response.done')!.at;
    const correctionCall = (await this.server.llmCalls()).filter((call) => call.task === 'correction' && call.startedAt >= sentAt).at(-1);
    // Client work (decoding audio events) must not overlap the next turn.
    client.events.length = 0;
    this.times.length = 0;
    await new Promise((resolve) => setTimeout(resolve, 300));
    return {
      mode,
      client_ttfa_ms: round((firstAudio?.at ?? Number.NaN) - sentAt),
      server_ttfa_ms: metrics.ttfa_ms === null ? null : round(metrics.ttfa_ms),
      status: done.response.status ?? 'unknown',
      card_ms: cardAt === null ? null : round(cardAt - doneAt),
      correction_llm_start_ms: correctionCall ? round(correctionCall.startedAt - doneAt) : null,
      correction_llm_end_ms: correctionCall?.endedAt !== undefined ? round(correctionCall.endedAt - doneAt) : null,
    };
  }
}

// ---------------------------------------------------------------------------------------------
// The real engine.

export interface LlamaCorrectionAttempt {
  promptTokens: number;
  cachedPromptTokens: number;
  completionTokens: number;
  /** Call -> first token, ms (grammar compile on the first call, prompt evaluation, first token). */
  ttftMs: number;
  durationMs: number;
  decodeTokensPerS: number;
  finishReason: string;
}

export interface LlamaCorrectionResult {
  model: string;
  threads: number;
  max_tokens_per_attempt: number;
  /** correctUtterance() calls: wall time, whether a card came back, and each attempt. */
  calls: { wallMs: number; card: boolean; attempts: LlamaCorrectionAttempt[] }[];
  /** First attempt of the first call: grammar built, system prompt evaluated. */
  cold_ttft_ms: number;
  /** Median TTFT of the first attempt of each later call (a new utterance; the task's system prompt cached under the app's conversation id). */
  warm_ttft_ms: number;
  /** Median decode tokens/s under the grammar. */
  grammar_decode_tokens_per_s: number;
  /** Projected card time of a real model writing the scripted card: warm TTFT + tokens / decode speed. */
  projected_card_ms: number;
  projected_card_tokens: number;
}

/**
 * Learner utterances for the real engine, one per call: a new utterance each time (as in a
 * conversation), so only the task's system prompt can be reused from the KV cache.
 */
const LEARNER_UTTERANCES = [
  USER_MESSAGE,
  "She don't like the weather in London because it rain every days.",
  'I am agree with you, we should to go there tomorrow morning.',
  'My brother have two childs and they goes to school by the bus.',
];

/** `correctUtterance` through node-llama-cpp with the JSON-schema grammar (see the module header). */
export async function benchCorrectionLlama(options: { threads: number; calls: number; maxTokens: number; log: (line: string) => void }): Promise<LlamaCorrectionResult> {
  const { LlamaCppLLM } = await import('../src/engines/llm/llama-cpp.js');
  const { buildShapeRealisticGguf } = await import('../test/fixtures/gguf-builder.js');
  const modelPath = await buildShapeRealisticGguf(undefined, 'qwen2.5-1.5b');
  const engine = await LlamaCppLLM.create({ modelPath, threads: options.threads, maxConversations: 2, contextSize: 2048, logLevel: 'error', sampling: { seed: 42 } });
  const recording = new StatsLLM(engine, () => engine.lastTurnStats);
  const profile = parseProfile({});
  const calls: LlamaCorrectionResult['calls'] = [];
  try {
    for (let index = 0; index < options.calls; index++) {
      const before = recording.attempts.length;
      const started = performance.now();
      const text = LEARNER_UTTERANCES[index % LEARNER_UTTERANCES.length]!;
      const card = await correctUtterance(recording, { text, profile }, { signal: new AbortController().signal, maxTokens: options.maxTokens, conversationId: 'localchat-corrections' });
      const wallMs = performance.now() - started;
      const attempts = recording.attempts.slice(before);
      calls.push({ wallMs: round(wallMs), card: card !== null, attempts });
      options.log(
        `  correctUtterance ${index + 1}/${options.calls}: ${(wallMs / 1000).toFixed(1)} s, card ${card ? 'yes' : 'no (random weights)'}; attempts: ` +
          attempts.map((a) => `TTFT ${a.ttftMs.toFixed(0)} ms (${a.promptTokens - a.cachedPromptTokens}/${a.promptTokens} prompt tok evaluated), ${a.completionTokens} tok at ${a.decodeTokensPerS.toFixed(1)} tok/s, ${a.finishReason}`).join('; '),
      );
    }
  } finally {
    await engine.dispose();
  }
  const all = calls.flatMap((call) => call.attempts);
  // A new utterance with the task's system prompt cached: the first attempt of each later call (a
  // retry re-uses the whole prompt, so its TTFT is not what a new utterance costs).
  const warm = calls.slice(1).flatMap((call) => (call.attempts[0] ? [call.attempts[0].ttftMs] : []));
  const decode = median(all.map((attempt) => attempt.decodeTokensPerS).filter(Number.isFinite));
  const warmTtft = warm.length > 0 ? median(warm) : all[0]!.ttftMs;
  return {
    model: 'random-weight qwen2.5-1.5b (Q4_K_M-like)',
    threads: options.threads,
    max_tokens_per_attempt: options.maxTokens,
    calls,
    cold_ttft_ms: round(all[0]?.ttftMs ?? Number.NaN),
    warm_ttft_ms: round(warmTtft),
    grammar_decode_tokens_per_s: round(decode, 2),
    projected_card_ms: round(warmTtft + ((CORRECTION_TOKENS - 1) / decode) * 1000),
    projected_card_tokens: CORRECTION_TOKENS,
  };
}

/** Passes calls through and keeps the engine's statistics of each. */
class StatsLLM implements LLM {
  readonly attempts: LlamaCorrectionAttempt[] = [];
  constructor(
    private readonly inner: LLM,
    private readonly stats: () => { promptTokens: number; cachedPromptTokens: number; completionTokens: number; timeToFirstTokenMs: number | undefined; durationMs: number; finishReason: string } | undefined,
  ) {}
  get provider(): string {
    return this.inner.provider;
  }
  get modelId(): string {
    return this.inner.modelId;
  }
  get contextSize(): number {
    return this.inner.contextSize;
  }
  async *stream(request: ChatRequest, options: CallOptions): AsyncIterable<LLMStreamPart> {
    yield* this.inner.stream(request, options);
    const stats = this.stats();
    if (!stats) return;
    const ttft = stats.timeToFirstTokenMs ?? Number.NaN;
    this.attempts.push({
      promptTokens: stats.promptTokens,
      cachedPromptTokens: stats.cachedPromptTokens,
      completionTokens: stats.completionTokens,
      ttftMs: round(ttft),
      durationMs: round(stats.durationMs),
      decodeTokensPerS: round(((stats.completionTokens - 1) / (stats.durationMs - ttft)) * 1000, 2),
      finishReason: stats.finishReason,
    });
  }
}
