/** What the benchmark ran on: CPU, cores, memory, OS, Node, load, and the code version. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { physicalCoreCount } from '../src/engines/llm/threads.js';

export interface MachineInfo {
  cpu_model: string;
  logical_cores: number;
  physical_cores: number;
  ram_total_mb: number;
  ram_free_mb: number;
  os: string;
  arch: string;
  node_version: string;
  date: string;
  /** 1/5/15-minute load averages when the benchmark started: > ~0.3 means other work was running. */
  loadavg_start: number[];
  loadavg_end?: number[];
  /**
   * Share of all CPU time the machine spent busy during 1 s before the benchmark started (while
   * it did nothing itself), from /proc/stat: other work running at the same time. null off Linux.
   */
  cpu_busy_before_pct: number | null;
  git_commit: string | null;
  git_dirty: boolean | null;
  versions: Record<string, string | null>;
}

export async function machineInfo(): Promise<MachineInfo> {
  const cpuBusy = await cpuBusyPercent(1000);
  const cpus = os.cpus();
  return {
    cpu_model: cpus[0]?.model.trim() ?? 'unknown',
    logical_cores: cpus.length,
    physical_cores: physicalCoreCount(),
    ram_total_mb: Math.round(os.totalmem() / 2 ** 20),
    ram_free_mb: Math.round(os.freemem() / 2 ** 20),
    os: `${os.type()} ${os.release()} (${osPrettyName() ?? os.platform()})`,
    arch: os.arch(),
    node_version: process.version,
    date: new Date().toISOString(),
    loadavg_start: loadAverage(),
    cpu_busy_before_pct: cpuBusy,
    git_commit: git(['rev-parse', '--short', 'HEAD']),
    git_dirty: gitDirty(),
    versions: {
      'node-llama-cpp': packageVersion('node-llama-cpp'),
      '@echogarden/espeak-ng-emscripten': packageVersion('@echogarden/espeak-ng-emscripten'),
      'kokoro-js': packageVersion('kokoro-js'),
    },
  };
}

export function loadAverage(): number[] {
  return os.loadavg().map((value) => Math.round(value * 100) / 100);
}

/** Percent of CPU time (all cores) spent not idle during the next `ms`, from /proc/stat. */
export async function cpuBusyPercent(ms: number): Promise<number | null> {
  const read = () => {
    const fields = /^cpu\s+(.*)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]?.trim().split(/\s+/).map(Number);
    if (!fields || fields.length < 5) throw new Error('no cpu line in /proc/stat');
    const idle = fields[3]! + fields[4]!; // idle + iowait
    return { idle, total: fields.slice(0, 8).reduce((sum, value) => sum + value, 0) };
  };
  try {
    const before = read();
    await new Promise((resolve) => setTimeout(resolve, ms));
    const after = read();
    const total = after.total - before.total;
    return total > 0 ? Math.round((1 - (after.idle - before.idle) / total) * 1000) / 10 : null;
  } catch {
    return null;
  }
}

function osPrettyName(): string | undefined {
  try {
    return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function gitDirty(): boolean | null {
  const status = git(['status', '--porcelain']);
  return status === null ? null : status.length > 0;
}

function packageVersion(name: string): string | null {
  try {
    const url = new URL(`../node_modules/${name}/package.json`, import.meta.url);
    return (JSON.parse(readFileSync(url, 'utf8')) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}
