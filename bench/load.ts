/**
 * Load (issue 5): concurrent realtime sessions, each taking turns with a paced ScriptedLLM (15
 * tokens/s, the 3-sentence reply) and eSpeak NG, against the real server in a child process
 * (bench/server-child.ts, as bench/rss.ts runs it) so that its RSS and event-loop delay are the
 * server's alone.
 *
 *   1. A single session takes `baselineTurns` turns: TTFA without load, same server, same run.
 *   2. `sessions` sessions (default 20) start 150 ms apart and each takes turns for `seconds`:
 *      text turn -> wait for `response.done` -> a pause of 0.5-1.5 s -> next turn. No new turn
 *      starts after `seconds`; turns in flight finish (60 s limit each).
 *   Per turn: TTFA = turn sent -> first `response.output_audio.delta` (client-observed) and the
 *   server's `localchat.response.metrics` ttfa_ms. A turn fails when its `response.done` is not
 *   `completed`, it times out, an `error` event arrives during it, or the socket closes.
 *   The server's VmRSS is sampled every 250 ms, its event-loop delay read from the child
 *   (perf_hooks monitorEventLoopDelay: p50/p99/max); a full GC before and after the load (all
 *   sessions closed) shows the heap the load left behind.
 *   3. Cancel latency: a probe session sends `response.cancel` at three stages of a reply and
 *      times `response.cancel` -> `response.done` (client-observed), and counts the reply's
 *      events that still arrive after its `response.done` (must be 0): `llm_wait` (50 ms after
 *      `response.created`, before the first sentence is complete), `synthesis` (at the first
 *      audio delta: eSpeak NG is still producing the sentence), `playback` (400 ms after the first
 *      audio delta: the first sentence's audio is out and the client would still be playing it;
 *      the server waits for the LLM's next sentence or synthesizes it). Probed alone before the
 *      load, and again throughout the load from its own address.
 *
 * The server allows MAX_SESSIONS_PER_CLIENT (8) sessions per client address, so the sessions
 * connect from several loopback addresses (127.0.0.1, 127.0.0.2, ...: all of 127/8 is local on Linux).
 */
import WebSocket from 'ws';
import { MAX_SESSIONS_PER_CLIENT } from '../src/server/realtime/rate-limit.js';
import { ChildServer, procStatus, sleep } from './rss.js';
import { TUTOR_REPLY, USER_MESSAGE } from './scenario.js';
import { median, quantile, round, summarize, type Summary } from './stats.js';

export const LOAD_TARGETS = { failed_turns: 0 } as const;
const TURN_TIMEOUT_MS = 60_000;

export interface LoadPhase {
  sessions: number;
  turns_started: number;
  turns_completed: number;
  turns_failed: number;
  failures: string[];
  ttfa_ms: Summary;
  ttfa_p50_ms: number;
  ttfa_p95_ms: number;
  server_ttfa_p50_ms: number;
  server_ttfa_p95_ms: number;
  /** Turn sent -> response.done, p50. */
  turn_total_p50_ms: number;
  event_loop_delay_ms: { p50: number; p99: number; max: number; mean: number };
  duration_s: number;
}

/** Cancel probes of one stage. */
export interface CancelStage {
  runs: number;
  /** response.cancel -> response.done, client-observed. */
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  /** Events of the cancelled reply after its response.done (all runs). */
  deltas_after_done: number;
  /** Runs whose reply had completed before the cancel went out (not counted in the times). */
  too_late: number;
}

export type CancelStageName = 'llm_wait' | 'synthesis' | 'playback';
export type CancelResult = Record<CancelStageName, CancelStage>;

export interface MemoryAfterGc {
  rssMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
  arrayBuffersMb: number;
}

export interface LoadResult {
  tokens_per_second: number;
  reply_words: number;
  client_addresses: number;
  single: LoadPhase;
  load: LoadPhase;
  rss_idle_before_mb: number;
  rss_load_max_mb: number;
  rss_load_p50_mb: number;
  /** 1 s after the last session closed. */
  rss_after_mb: number;
  /** process.memoryUsage() of the server after a full GC, before the load and after it (sessions closed). */
  memory_before_after_gc: MemoryAfterGc | null;
  memory_after_load_after_gc: MemoryAfterGc | null;
  threads_load_max: number;
  server_pid: number;
  /** Cancel probes with no other session, and during the load. */
  cancel_idle: CancelResult;
  cancel_load: CancelResult;
  /** Load TTFA p95 / single-session TTFA p95. */
  ttfa_p95_load_over_single: number;
}

export interface LoadOptions {
  sessions: number;
  seconds: number;
  baselineTurns: number;
  tokensPerSecond: number;
  log: (line: string) => void;
}

export async function benchLoad(options: LoadOptions): Promise<LoadResult> {
  const { log } = options;
  const server = await ChildServer.start(['--tokens-per-second', String(options.tokensPerSecond)]);
  try {
    const url = `http://127.0.0.1:${server.port}`;
    const wsUrl = `ws://127.0.0.1:${server.port}/v1/realtime`;
    // Warm-up (JIT, heap), not measured.
    const warm = await LoadSession.connect(wsUrl, url, '127.0.0.1');
    await warm.turn();
    await warm.close();
    await sleep(500);
    const rssIdle = procStatus(server.pid).rssMb;
    const before = await server.gcMemory();

    // 1. One session alone.
    await server.eventLoopDelay();
    const singleStarted = performance.now();
    const single = await LoadSession.connect(wsUrl, url, '127.0.0.1');
    const singleTurns: TurnResult[] = [];
    for (let index = 0; index < options.baselineTurns; index++) {
      singleTurns.push(await single.turn());
      await sleep(500 + Math.random() * 1000);
    }
    await single.close();
    const singlePhase = phase(1, singleTurns, await server.eventLoopDelay(), performance.now() - singleStarted);
    log(`  single session: ${singlePhase.turns_completed}/${singlePhase.turns_started} turns, TTFA p50 ${singlePhase.ttfa_p50_ms} ms, p95 ${singlePhase.ttfa_p95_ms} ms, event-loop delay p99 ${singlePhase.event_loop_delay_ms.p99} ms`);
    await sleep(500);

    // Cancel probes with nothing else running.
    const idleProbe = await LoadSession.connect(wsUrl, url, '127.0.0.1');
    const idleCancels: CancelRun[] = [];
    for (let round = 0; round < 4; round++) {
      for (const stage of CANCEL_STAGES) {
        idleCancels.push(await idleProbe.cancelTurn(stage));
        await sleep(300);
      }
    }
    await idleProbe.close();
    const cancelIdle = cancelSummary(idleCancels);
    log(`  cancel -> response.done, one session: ${formatCancel(cancelIdle)}`);
    await sleep(500);

    // 2. The load.
    const addresses = Math.ceil(options.sessions / MAX_SESSIONS_PER_CLIENT);
    const rssSamples: { rssMb: number; threads: number }[] = [];
    const sampler = setInterval(() => {
      try {
        rssSamples.push(procStatus(server.pid));
      } catch {
        // The child went away: the turns will say so.
      }
    }, 250);
    const loadStarted = performance.now();
    const deadline = loadStarted + options.seconds * 1000;
    const progress = setInterval(() => {
      const latest = rssSamples.at(-1);
      log(`  load: ${((performance.now() - loadStarted) / 1000).toFixed(0)} s, RSS ${latest?.rssMb.toFixed(0) ?? '?'} MB`);
    }, 15_000);
    let loadTurns: TurnResult[][];
    // Cancel probes during the load, from an address of their own.
    const loadCancels: CancelRun[] = [];
    const probing = (async () => {
      await sleep(Math.min(3000, options.sessions * 150));
      const probe = await LoadSession.connect(wsUrl, url, `127.0.0.${2 + Math.floor((options.sessions - 1) / MAX_SESSIONS_PER_CLIENT)}`);
      try {
        for (let index = 0; performance.now() < deadline; index++) {
          loadCancels.push(await probe.cancelTurn(CANCEL_STAGES[index % CANCEL_STAGES.length]!));
          await sleep(300);
        }
      } finally {
        await probe.close();
      }
    })();
    try {
      loadTurns = await Promise.all(
        Array.from({ length: options.sessions }, async (_, index) => {
          await sleep(index * 150);
          const address = `127.0.0.${1 + Math.floor(index / MAX_SESSIONS_PER_CLIENT)}`;
          const turns: TurnResult[] = [];
          let session: LoadSession;
          try {
            session = await LoadSession.connect(wsUrl, url, address);
          } catch (error) {
            return [{ ok: false, failure: `session ${index} could not connect from ${address}: ${String(error)}`, ttfaMs: null, serverTtfaMs: null, totalMs: null }];
          }
          try {
            while (performance.now() < deadline) {
              const turn = await session.turn();
              turns.push(turn);
              if (session.closed) break;
              await sleep(500 + Math.random() * 1000);
            }
          } finally {
            await session.close();
          }
          return turns;
        }),
      );
      await probing;
    } finally {
      clearInterval(sampler);
      clearInterval(progress);
    }
    const loadDuration = performance.now() - loadStarted;
    const cancelLoad = cancelSummary(loadCancels);
    const loadPhase = phase(options.sessions, loadTurns.flat(), await server.eventLoopDelay(), loadDuration);
    await sleep(1000);
    const after = procStatus(server.pid);
    // Every session is closed now: a full GC shows what the load left behind.
    const afterGc = await server.gcMemory();
    log(
      `  ${options.sessions} sessions for ${options.seconds} s: ${loadPhase.turns_completed}/${loadPhase.turns_started} turns completed, ` +
        `TTFA p50 ${loadPhase.ttfa_p50_ms} ms, p95 ${loadPhase.ttfa_p95_ms} ms; RSS max ${Math.max(...rssSamples.map((s) => s.rssMb)).toFixed(0)} MB; ` +
        `event-loop delay p99 ${loadPhase.event_loop_delay_ms.p99} ms`,
    );
    for (const failure of loadPhase.failures.slice(0, 5)) log(`    failure: ${failure}`);
    log(`  event-loop delay under load: p50 ${loadPhase.event_loop_delay_ms.p50} ms, p99 ${loadPhase.event_loop_delay_ms.p99} ms, max ${loadPhase.event_loop_delay_ms.max} ms`);
    log(`  cancel -> response.done under load: ${formatCancel(cancelLoad)}`);
    const ttfaRatio = singlePhase.ttfa_p95_ms > 0 ? round(loadPhase.ttfa_p95_ms / singlePhase.ttfa_p95_ms) : 0;
    log(`  TTFA p95 under load / one session: ${ttfaRatio}`);
    return {
      tokens_per_second: options.tokensPerSecond,
      reply_words: TUTOR_REPLY.split(/\s+/).length,
      client_addresses: addresses,
      single: singlePhase,
      load: loadPhase,
      rss_idle_before_mb: round(rssIdle),
      rss_load_max_mb: round(Math.max(...rssSamples.map((sample) => sample.rssMb))),
      rss_load_p50_mb: round(median(rssSamples.map((sample) => sample.rssMb))),
      rss_after_mb: round(after.rssMb),
      memory_before_after_gc: before.memory,
      memory_after_load_after_gc: afterGc.memory,
      threads_load_max: Math.max(...rssSamples.map((sample) => sample.threads)),
      server_pid: server.pid,
      cancel_idle: cancelIdle,
      cancel_load: cancelLoad,
      ttfa_p95_load_over_single: ttfaRatio,
    };
  } finally {
    await server.stop();
  }
}

interface TurnResult {
  ok: boolean;
  failure?: string;
  ttfaMs: number | null;
  serverTtfaMs: number | null;
  totalMs: number | null;
}

function phase(sessions: number, turns: TurnResult[], eventLoopDelay: LoadPhase['event_loop_delay_ms'], durationMs: number): LoadPhase {
  const ttfa = turns.map((turn) => turn.ttfaMs).filter((value): value is number => value !== null);
  const serverTtfa = turns.map((turn) => turn.serverTtfaMs).filter((value): value is number => value !== null);
  const totals = turns.map((turn) => turn.totalMs).filter((value): value is number => value !== null);
  const failures = turns.filter((turn) => !turn.ok).map((turn) => turn.failure ?? 'unknown');
  return {
    sessions,
    turns_started: turns.length,
    turns_completed: turns.filter((turn) => turn.ok).length,
    turns_failed: failures.length,
    failures,
    ttfa_ms: { ...summarize(ttfa), values: [] },
    ttfa_p50_ms: round(quantile(ttfa, 0.5)),
    ttfa_p95_ms: round(quantile(ttfa, 0.95)),
    server_ttfa_p50_ms: round(quantile(serverTtfa, 0.5)),
    server_ttfa_p95_ms: round(quantile(serverTtfa, 0.95)),
    turn_total_p50_ms: round(quantile(totals, 0.5)),
    event_loop_delay_ms: eventLoopDelay,
    duration_s: round(durationMs / 1000),
  };
}

const CANCEL_STAGES: readonly CancelStageName[] = ['llm_wait', 'synthesis', 'playback'];

interface CancelRun {
  stage: CancelStageName;
  /** response.cancel -> response.done; null when the reply was done before the cancel. */
  latencyMs: number | null;
  deltasAfterDone: number;
  failure?: string;
}

function cancelSummary(runs: CancelRun[]): CancelResult {
  const result = {} as CancelResult;
  for (const stage of CANCEL_STAGES) {
    const ofStage = runs.filter((run) => run.stage === stage);
    const times = ofStage.map((run) => run.latencyMs).filter((value): value is number => value !== null);
    result[stage] = {
      runs: times.length,
      p50_ms: round(quantile(times, 0.5)),
      p99_ms: round(quantile(times, 0.99)),
      max_ms: round(times.length > 0 ? Math.max(...times) : 0),
      deltas_after_done: ofStage.reduce((sum, run) => sum + run.deltasAfterDone, 0),
      too_late: ofStage.filter((run) => run.latencyMs === null).length,
    };
  }
  return result;
}

function formatCancel(result: CancelResult): string {
  return CANCEL_STAGES.map((stage) => {
    const entry = result[stage];
    return `${stage} p50 ${entry.p50_ms} / p99 ${entry.p99_ms} / max ${entry.max_ms} ms (${entry.runs} runs, ${entry.deltas_after_done} events after done${entry.too_late ? `, ${entry.too_late} too late` : ''})`;
  }).join('; ');
}

/** A lean realtime client: no event log (audio is not decoded or kept), one turn at a time. */
class LoadSession {
  closed = false;
  private waiter: ((event: { type: string; text: string; at: number }) => void) | null = null;

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      const at = performance.now();
      const text = data.toString();
      const type = /^\{"type":"([^"]+)"/.exec(text.slice(0, 100))?.[1] ?? '?';
      this.waiter?.({ type, text, at });
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.({ type: 'socket.closed', text: '', at: performance.now() });
    });
  }

  static connect(url: string, origin: string, localAddress: string): Promise<LoadSession> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { origin, localAddress });
      const session = new LoadSession(socket);
      const onCreated = (data: Buffer) => {
        if (!data.toString('latin1', 0, 40).includes('"session.created"')) return;
        socket.off('message', onCreated);
        resolve(session);
      };
      socket.on('message', onCreated);
      socket.once('error', reject);
      socket.once('unexpected-response', (request, response) => {
        request.destroy();
        reject(new Error(`HTTP ${response.statusCode}`));
      });
    });
  }

  /** One text turn: resolves when its response.done and metrics came, or it failed. */
  turn(): Promise<TurnResult> {
    if (this.closed) return Promise.resolve({ ok: false, failure: 'socket closed', ttfaMs: null, serverTtfaMs: null, totalMs: null });
    return new Promise((resolve) => {
      const sentAt = performance.now();
      let ttfaMs: number | null = null;
      let status: string | null = null;
      let totalMs: number | null = null;
      let error: string | null = null;
      const finish = (result: TurnResult) => {
        clearTimeout(timer);
        this.waiter = null;
        resolve(result);
      };
      const timer = setTimeout(() => finish({ ok: false, failure: `timed out after ${TURN_TIMEOUT_MS / 1000} s (status ${status ?? 'none'})`, ttfaMs, serverTtfaMs: null, totalMs }), TURN_TIMEOUT_MS);
      this.waiter = ({ type, text, at }) => {
        if (type === 'response.output_audio.delta') {
          ttfaMs ??= at - sentAt;
        } else if (type === 'error') {
          error ??= (JSON.parse(text) as { error?: { code?: string; message?: string } }).error?.message ?? 'error event';
        } else if (type === 'response.done') {
          status = (JSON.parse(text) as { response?: { status?: string } }).response?.status ?? 'unknown';
          totalMs = at - sentAt;
          if (status !== 'completed') finish({ ok: false, failure: `response ${status}${error ? `: ${error}` : ''}`, ttfaMs, serverTtfaMs: null, totalMs });
        } else if (type === 'localchat.response.metrics') {
          const metrics = JSON.parse(text) as { ttfa_ms: number | null };
          const ok = status === 'completed' && error === null && ttfaMs !== null;
          finish({ ok, ...(ok ? {} : { failure: error ?? (ttfaMs === null ? 'no audio' : `status ${status}`) }), ttfaMs: ttfaMs === null ? null : round(ttfaMs), serverTtfaMs: metrics.ttfa_ms, totalMs: totalMs === null ? null : round(totalMs) });
        } else if (type === 'socket.closed') {
          finish({ ok: false, failure: 'socket closed mid-turn', ttfaMs, serverTtfaMs: null, totalMs });
        }
      };
      this.socket.send(JSON.stringify({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: USER_MESSAGE }] } }));
      this.socket.send(JSON.stringify({ type: 'response.create' }));
    });
  }

  /**
   * One turn cancelled at `stage` (see the module header): the cancel -> response.done time and
   * the reply's events that arrive in the 500 ms after its response.done.
   */
  cancelTurn(stage: CancelStageName): Promise<CancelRun> {
    if (this.closed) return Promise.resolve({ stage, latencyMs: null, deltasAfterDone: 0, failure: 'socket closed' });
    return new Promise((resolve) => {
      let cancelAt: number | null = null;
      let doneAt: number | null = null;
      let after = 0;
      let armed: NodeJS.Timeout | undefined;
      const cancel = () => {
        if (cancelAt !== null || doneAt !== null) return;
        cancelAt = performance.now();
        this.socket.send(JSON.stringify({ type: 'response.cancel' }));
      };
      const finish = (run: CancelRun) => {
        clearTimeout(timer);
        clearTimeout(armed);
        this.waiter = null;
        resolve(run);
      };
      const timer = setTimeout(() => finish({ stage, latencyMs: null, deltasAfterDone: after, failure: 'timed out' }), TURN_TIMEOUT_MS);
      this.waiter = ({ type, at }) => {
        if (doneAt !== null) {
          if (type.startsWith('response.output') || type.endsWith('.delta')) after++;
          return;
        }
        if (type === 'response.created' && stage === 'llm_wait') armed = setTimeout(cancel, 50);
        else if (type === 'response.output_audio.delta' && stage === 'synthesis') cancel();
        else if (type === 'response.output_audio.delta' && stage === 'playback') armed ??= setTimeout(cancel, 400);
        else if (type === 'response.done') {
          doneAt = at;
          const latencyMs = cancelAt === null ? null : round(at - cancelAt);
          setTimeout(() => finish({ stage, latencyMs, deltasAfterDone: after }), 500);
        } else if (type === 'socket.closed') {
          finish({ stage, latencyMs: null, deltasAfterDone: after, failure: 'socket closed' });
        }
      };
      this.socket.send(JSON.stringify({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: USER_MESSAGE }] } }));
      this.socket.send(JSON.stringify({ type: 'response.create' }));
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.readyState === WebSocket.CLOSED) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.close();
    });
  }
}
