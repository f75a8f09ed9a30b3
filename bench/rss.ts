/**
 * Memory of the real server: `bench/server-child.ts` in a child process (ScriptedLLM + eSpeak NG),
 * its VmRSS read from /proc/<pid>/status:
 *   - startup: once it listens (eSpeak loaded and warmed up, no connection yet);
 *   - idle: after a warm-up turn over the WebSocket and a pause, median of 10 samples 100 ms apart;
 *   - turn: every 50 ms during a turn over the WebSocket (text in, streamed audio out), the max.
 * Also the client-side TTFA of those turns (request sent -> first audio delta received) and the
 * server's own `localchat.response.metrics`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { TestRealtimeClient } from '../test/helpers/realtime-client.js';
import { USER_MESSAGE } from './scenario.js';
import { median, round, summarize, type Summary } from './stats.js';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface ProcStatus {
  rssMb: number;
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
  rss_startup_mb: number;
  rss_idle_mb: number;
  rss_idle_samples_mb: number[];
  /** Max VmRSS seen during the measured turns. */
  rss_turn_mb: number;
  turns: RssTurn[];
  rss_turn_max_per_turn_mb: Summary;
  /** VmHWM (peak RSS of the process's life) at the end. */
  rss_peak_hwm_mb: number;
  threads_idle: number;
  threads_turn_max: number;
  ws_client_ttfa_ms: Summary;
  ws_server_ttfa_ms: Summary;
}

export async function benchRss(options: { turns: number; log: (line: string) => void }): Promise<RssResult> {
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/server-child.ts'], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, TEST_LOG_LEVEL: 'silent' },
  });
  let stderr = '';
  child.stderr?.on('data', (data: Buffer) => {
    stderr = (stderr + data.toString()).slice(-4000);
  });
  try {
    const { port, pid } = await waitReady(child, () => stderr);
    const readyMs = performance.now() - spawnedAt;
    const startup = procStatus(pid);
    options.log(`  server child pid ${pid} on port ${port}, ready in ${(readyMs / 1000).toFixed(1)} s, RSS ${startup.rssMb.toFixed(1)} MB`);

    const url = `http://127.0.0.1:${port}`;
    const client = await TestRealtimeClient.connect(`ws://127.0.0.1:${port}/v1/realtime`, { origin: url });
    try {
      await client.waitFor('session.created');
      await runTurn(client, pid, undefined); // warm-up
      await sleep(1500);
      const idleSamples: ProcStatus[] = [];
      for (let index = 0; index < 10; index++) {
        idleSamples.push(procStatus(pid));
        await sleep(100);
      }
      const idleMb = median(idleSamples.map((sample) => sample.rssMb));
      options.log(`  idle RSS ${idleMb.toFixed(1)} MB (${idleSamples[0]!.threads} threads)`);

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
      const end = procStatus(pid);
      return {
        server_pid: pid,
        spawn_to_ready_ms: round(readyMs),
        rss_startup_mb: round(startup.rssMb),
        rss_idle_mb: round(idleMb),
        rss_idle_samples_mb: idleSamples.map((sample) => round(sample.rssMb)),
        rss_turn_mb: round(Math.max(...turns.map((turn) => turn.maxRssMb))),
        turns,
        rss_turn_max_per_turn_mb: summarize(turns.map((turn) => turn.maxRssMb)),
        rss_peak_hwm_mb: round(end.hwmMb),
        threads_idle: idleSamples[0]!.threads,
        threads_turn_max: threadsTurnMax,
        ws_client_ttfa_ms: summarize(turns.map((turn) => turn.clientTtfaMs)),
        ws_server_ttfa_ms: summarize(turns.map((turn) => turn.serverTtfaMs ?? Number.NaN)),
      };
    } finally {
      await client.close();
    }
  } finally {
    await stopChild(child);
  }
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
    hwmMb: kb('VmHWM') / 1024,
    threads: Number(/^Threads:\s*(\d+)/m.exec(text)?.[1] ?? Number.NaN),
  };
}

function waitReady(child: ChildProcess, stderr: () => string): Promise<{ port: number; pid: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('the server child did not start within 60 s')), 60_000);
    const lines = createInterface({ input: child.stdout! });
    function fail(error: Error) {
      clearTimeout(timer);
      lines.close();
      reject(new Error(`${error.message}\n${stderr()}`));
    }
    lines.on('line', (line) => {
      try {
        const message = JSON.parse(line) as { ready?: boolean; port?: number; pid?: number };
        if (message.ready && message.port && message.pid) {
          clearTimeout(timer);
          resolve({ port: message.port, pid: message.pid });
        }
      } catch {
        // Not our line.
      }
    });
    child.once('exit', (code, signal) => fail(new Error(`the server child exited early (code ${code}, signal ${signal})`)));
    child.once('error', (error) => fail(error));
  });
}

/** SIGTERM the child (by its own pid), SIGKILL after 5 s, and wait for it to exit. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdin?.end();
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(killer);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
