/**
 * Memory of the real server: `bench/server-child.ts` in a child process (ScriptedLLM + eSpeak NG),
 * its VmRSS read from /proc/<pid>/status:
 *   - baseline: `server-child.ts --baseline` (node + tsx loader, nothing of LocalChat loaded);
 *   - startup: once it listens (eSpeak loaded and warmed up, no connection yet);
 *   - idle: after 2 warm-up turns over the WebSocket and a 2 s pause, median of 10 samples 100 ms
 *     apart (V8 collects garbage when it likes, so this moves by tens of MB between runs);
 *   - turn: every 50 ms during a turn over the WebSocket (text in, streamed audio out), the max;
 *   - idle after GC: after the measured turns and a forced full GC (`--expose-gc`), the floor.
 * Also the client-side TTFA of those turns (request sent -> first audio delta received) and the
 * server's own `localchat.response.metrics`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { TestRealtimeClient } from '../test/helpers/realtime-client.js';
import { USER_MESSAGE } from './scenario.js';
import type { TimedCall } from './timed-engines.js';
import { median, round, summarize, type Summary } from './stats.js';

/** Turns over the WebSocket before the idle figure (not measured). */
const WARM_UP_TURNS = 2;
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface ProcStatus {
  rssMb: number;
  /** Of the RSS: anonymous memory (heaps, KV cache) and file pages (the memory-mapped model). */
  rssAnonMb: number;
  rssFileMb: number;
  hwmMb: number;
  threads: number;
}

export interface RssTurn {
  maxRssMb: number;
  samples: number;
  clientTtfaMs: number;
  serverTtfaMs: number | null;
  serverTtftMs: number | null;
  serverTotalMs: number;
  status: string;
}

export interface RssResult {
  server_pid: number;
  spawn_to_ready_ms: number;
  /** node + tsx loader alone (`server-child.ts --baseline`). */
  rss_baseline_node_tsx_mb: number;
  rss_startup_mb: number;
  /** Median of 10 samples, after the warm-up turns and a 2 s pause. */
  rss_idle_mb: number;
  rss_idle_samples_mb: number[];
  /** Idle after the measured turns and a forced full GC (null without --expose-gc). */
  rss_idle_after_gc_mb: number | null;
  /** Max VmRSS seen during the measured turns. */
  rss_turn_mb: number;
  turns: RssTurn[];
  rss_turn_max_per_turn_mb: Summary;
  /** VmHWM (peak RSS of the process's life) at the end. */
  rss_peak_hwm_mb: number;
  threads_baseline: number;
  threads_idle: number;
  threads_turn_max: number;
  ws_client_ttfa_ms: Summary;
  ws_server_ttfa_ms: Summary;
}

export async function benchRss(options: { turns: number; log: (line: string) => void }): Promise<RssResult> {
  // Floor: node + the tsx loader, nothing of LocalChat loaded.
  const baselineChild = await ChildServer.start(['--baseline']);
  await sleep(500);
  const baseline = procStatus(baselineChild.pid);
  await baselineChild.stop();
  options.log(`  baseline (node + tsx loader, nothing loaded): RSS ${baseline.rssMb.toFixed(1)} MB, ${baseline.threads} threads`);

  const spawnedAt = performance.now();
  const server = await ChildServer.start([]);
  try {
    const { port, pid } = server;
    const readyMs = performance.now() - spawnedAt;
    const startup = procStatus(pid);
    options.log(`  server child pid ${pid} on port ${port}, ready in ${(readyMs / 1000).toFixed(1)} s, RSS ${startup.rssMb.toFixed(1)} MB`);

    const url = `http://127.0.0.1:${port}`;
    const client = await TestRealtimeClient.connect(`ws://127.0.0.1:${port}/v1/realtime`, { origin: url });
    try {
      await client.waitFor('session.created');
      // Warm-up: the first turns of a process run unoptimised code (JIT) and grow the heap.
      for (let index = 0; index < WARM_UP_TURNS; index++) await runTurn(client, pid, undefined);
      await sleep(2000);
      const idleSamples = await sampleIdle(pid, 10);
      const idleMb = median(idleSamples.map((sample) => sample.rssMb));
      options.log(`  idle RSS ${idleMb.toFixed(1)} MB after ${WARM_UP_TURNS} warm-up turns (${idleSamples[0]!.threads} threads)`);

      const turns: RssTurn[] = [];
      let threadsTurnMax = 0;
      for (let index = 0; index < options.turns; index++) {
        const sampled: ProcStatus[] = [];
        const turn = await runTurn(client, pid, sampled);
        threadsTurnMax = Math.max(threadsTurnMax, ...sampled.map((sample) => sample.threads));
        turns.push(turn);
        options.log(
          `  turn ${index + 1}/${options.turns}: max RSS ${turn.maxRssMb.toFixed(1)} MB over ${turn.samples} samples, ` +
            `TTFA client ${turn.clientTtfaMs.toFixed(0)} ms / server ${turn.serverTtfaMs?.toFixed(0) ?? 'n/a'} ms`,
        );
        await sleep(300);
      }

      // Idle again after a full GC: the heap's floor, without garbage V8 has not collected yet.
      await sleep(500);
      const gcRan = await server.gc();
      await sleep(500);
      const afterGc = await sampleIdle(pid, 5);
      const afterGcMb = median(afterGc.map((sample) => sample.rssMb));
      options.log(`  idle RSS after a forced full GC: ${gcRan ? `${afterGcMb.toFixed(1)} MB` : 'n/a (no --expose-gc)'}`);
      const end = procStatus(pid);
      return {
        server_pid: pid,
        spawn_to_ready_ms: round(readyMs),
        rss_baseline_node_tsx_mb: round(baseline.rssMb),
        rss_startup_mb: round(startup.rssMb),
        rss_idle_mb: round(idleMb),
        rss_idle_samples_mb: idleSamples.map((sample) => round(sample.rssMb)),
        rss_idle_after_gc_mb: gcRan ? round(afterGcMb) : null,
        rss_turn_mb: round(Math.max(...turns.map((turn) => turn.maxRssMb))),
        turns,
        rss_turn_max_per_turn_mb: summarize(turns.map((turn) => turn.maxRssMb)),
        rss_peak_hwm_mb: round(end.hwmMb),
        threads_baseline: baseline.threads,
        threads_idle: idleSamples[0]!.threads,
        threads_turn_max: threadsTurnMax,
        ws_client_ttfa_ms: summarize(turns.map((turn) => turn.clientTtfaMs)),
        ws_server_ttfa_ms: summarize(turns.map((turn) => turn.serverTtfaMs ?? Number.NaN)),
      };
    } finally {
      await client.close();
    }
  } finally {
    await server.stop();
  }
}

async function sampleIdle(pid: number, count: number): Promise<ProcStatus[]> {
  const samples: ProcStatus[] = [];
  for (let index = 0; index < count; index++) {
    samples.push(procStatus(pid));
    await sleep(100);
  }
  return samples;
}

/** One text turn over the WebSocket; with `sampled`, samples the server's RSS every 50 ms meanwhile. */
async function runTurn(client: TestRealtimeClient, pid: number, sampled: ProcStatus[] | undefined): Promise<RssTurn> {
  const start = client.events.length;
  const sample = () => sampled?.push(procStatus(pid));
  sample();
  const timer = sampled ? setInterval(sample, 50) : undefined;
  try {
    const sentAt = performance.now();
    client.sendText(USER_MESSAGE);
    await client.waitFor('response.output_audio.delta', () => true, start, 30_000);
    const clientTtfaMs = performance.now() - sentAt;
    const done = await client.waitFor('response.done', () => true, start, 60_000);
    const metrics = await client.waitFor('localchat.response.metrics', () => true, start, 5_000);
    sample();
    return {
      maxRssMb: Math.max(0, ...(sampled ?? []).map((entry) => entry.rssMb)),
      samples: sampled?.length ?? 0,
      clientTtfaMs: round(clientTtfaMs),
      serverTtfaMs: metrics.ttfa_ms === null ? null : round(metrics.ttfa_ms),
      serverTtftMs: metrics.ttft_ms === null ? null : round(metrics.ttft_ms),
      serverTotalMs: round(metrics.total_ms),
      status: done.response.status ?? 'unknown',
    };
  } finally {
    if (timer) clearInterval(timer);
  }
}

/** VmRSS, VmHWM (MB) and thread count of a process, from /proc/<pid>/status. */
export function procStatus(pid: number | 'self'): ProcStatus {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s*(\\d+)\\s*kB`, 'm').exec(text)?.[1] ?? Number.NaN);
  return {
    rssMb: kb('VmRSS') / 1024,
    rssAnonMb: kb('RssAnon') / 1024,
    rssFileMb: kb('RssFile') / 1024,
    hwmMb: kb('VmHWM') / 1024,
    threads: Number(/^Threads:\s*(\d+)/m.exec(text)?.[1] ?? Number.NaN),
  };
}

/** `bench/server-child.ts` in a child process (`node --expose-gc --import tsx`), driven over stdin/stdout. */
export class ChildServer {
  private readonly messages: Record<string, unknown>[] = [];
  private readonly waiters: { predicate: (message: Record<string, unknown>) => boolean; resolve: (message: Record<string, unknown>) => void }[] = [];
  private stderr = '';
  private exited = false;
  port = 0;
  pid = 0;
  /** The child's ready message. */
  ready: Record<string, unknown> = {};

  private constructor(private readonly child: ChildProcess) {
    child.stderr?.on('data', (data: Buffer) => {
      this.stderr = (this.stderr + data.toString()).slice(-4000);
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let message: Record<string, unknown>;
      try {
        message = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return; // Not one of ours.
      }
      this.messages.push(message);
      for (const waiter of this.waiters.splice(0)) {
        if (waiter.predicate(message)) waiter.resolve(message);
        else this.waiters.push(waiter);
      }
    });
    child.once('exit', () => {
      this.exited = true;
    });
  }

  /**
   * @param script the child's entry, relative to the repository (default `bench/server-child.ts`)
   * @param readyTimeoutMs how long it may take to listen (building a large fixture takes minutes)
   */
  static async start(args: string[], script = 'bench/server-child.ts', readyTimeoutMs = 60_000): Promise<ChildServer> {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', script, ...args], {
      cwd: REPO_ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, TEST_LOG_LEVEL: 'silent' },
    });
    const server = new ChildServer(child);
    try {
      const ready = await server.waitMessage((message) => message.ready === true, readyTimeoutMs);
      server.ready = ready;
      server.port = Number(ready.port);
      server.pid = Number(ready.pid);
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  /** Asks the child for a full GC; false when it has no `gc` (started without --expose-gc). */
  async gc(): Promise<boolean> {
    return (await this.gcMemory()).gc;
  }

  /** A full GC in the child, then its memory (process.memoryUsage(), MB). */
  async gcMemory(): Promise<{ gc: boolean; memory: { rssMb: number; heapUsedMb: number; heapTotalMb: number; externalMb: number; arrayBuffersMb: number } | null }> {
    const seen = this.messages.length;
    this.child.stdin?.write('gc\n');
    const reply = await this.waitMessage((message) => 'gc' in message && this.messages.indexOf(message) >= seen, 10_000);
    return { gc: reply.gc === true, memory: (reply.memory as never) ?? null };
  }

  /**
   * The child's event-loop delay since the last call (perf_hooks.monitorEventLoopDelay, ms), which
   * also resets it.
   */
  async eventLoopDelay(): Promise<{ p50: number; p99: number; max: number; mean: number }> {
    const seen = this.messages.length;
    this.child.stdin?.write('stats\n');
    const reply = await this.waitMessage((message) => 'eventLoopDelay' in message && this.messages.indexOf(message) >= seen, 10_000);
    return reply.eventLoopDelay as { p50: number; p99: number; max: number; mean: number };
  }

  /** The child's LLM call log (bench/timed-engines.ts `TimedCall`s, wall-clock ms). */
  async llmCalls(): Promise<TimedCall[]> {
    return (await this.command('calls')) as TimedCall[];
  }

  /** Sends `name` on the child's stdin and resolves with the `name` field of its answer. */
  async command(name: string): Promise<unknown> {
    const seen = this.messages.length;
    this.child.stdin?.write(`${name}\n`);
    const reply = await this.waitMessage((message) => name in message && this.messages.indexOf(message) >= seen, 10_000);
    return reply[name];
  }

  private waitMessage(predicate: (message: Record<string, unknown>) => boolean, timeoutMs: number): Promise<Record<string, unknown>> {
    const seen = this.messages.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const fail = (reason: string) => {
        clearTimeout(timer);
        clearInterval(watcher);
        reject(new Error(`server child: ${reason}\n${this.stderr}`));
      };
      const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
      const watcher = setInterval(() => {
        if (this.exited) fail(`exited (code ${this.child.exitCode}, signal ${this.child.signalCode})`);
      }, 100);
      this.waiters.push({
        predicate,
        resolve: (message) => {
          clearTimeout(timer);
          clearInterval(watcher);
          resolve(message);
        },
      });
    });
  }

  /** SIGTERM the child (by its own pid), SIGKILL after 5 s, and wait for it to exit. */
  async stop(): Promise<void> {
    if (this.exited || this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin?.end();
    this.child.kill('SIGTERM');
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
