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
 *   The server's VmRSS is sampled every 250 ms, its event-loop delay read from the child; a full
 *   GC before and after the load (all sessions closed) shows the heap the load left behind.
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
    log(`  single session: ${singlePhase.turns_completed}/${singlePhase.turns_started} turns, TTFA p50 ${singlePhase.ttfa_p50_ms} ms, p95 ${singlePhase.ttfa_p95_ms} ms`);
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
    } finally {
      clearInterval(sampler);
      clearInterval(progress);
    }
    const loadDuration = performance.now() - loadStarted;
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

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.readyState === WebSocket.CLOSED) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.close();
    });
  }
}
