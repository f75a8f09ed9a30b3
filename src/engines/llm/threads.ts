/**
 * How many threads llama.cpp should use: the number of physical CPU cores.
 *
 * llama.cpp's matrix kernels saturate a core's execution units, so hyper-threads add nothing and
 * more threads than cores make every token wait for the slowest thread: node-llama-cpp's default
 * of at least 4 threads runs ~30x slower on a 2-core machine (measured: README, "Performance").
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, platform } from 'node:os';

/**
 * Counts physical cores in the text of Linux's `/proc/cpuinfo`: distinct
 * (`physical id`, `core id`) pairs; failing that, `cpu cores` per package times the number of
 * packages. Returns undefined when the text has neither (some VMs and ARM kernels).
 */
export function physicalCoresFromCpuinfo(cpuinfo: string): number | undefined {
  const cores = new Set<string>();
  const packages = new Set<string>();
  let coresPerPackage: number | undefined;
  for (const processor of cpuinfo.split(/\n\s*\n/)) {
    const field = (name: string): string | undefined =>
      new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(processor)?.[1]?.trim();
    const packageId = field('physical id');
    const coreId = field('core id');
    const cpuCores = field('cpu cores');
    if (packageId !== undefined) packages.add(packageId);
    if (coreId !== undefined) cores.add(`${packageId ?? '0'}:${coreId}`);
    if (cpuCores !== undefined && Number(cpuCores) > 0) coresPerPackage = Number(cpuCores);
  }
  if (cores.size > 0) return cores.size;
  if (coresPerPackage !== undefined) return coresPerPackage * Math.max(1, packages.size);
  return undefined;
}

/** Inputs of {@link physicalCoreCount}, injectable for tests. */
export interface CoreCountSources {
  platform?: NodeJS.Platform;
  /** Logical CPUs this process may use (`os.availableParallelism()`). */
  logicalCpus?: number;
  /** Reads `/proc/cpuinfo`; throws when absent. */
  readCpuinfo?: () => string;
  /** Runs `sysctl -n hw.physicalcpu` on macOS; throws when absent. */
  readSysctlPhysicalCpu?: () => string;
}

/**
 * Estimated physical core count available to this process, at least 1.
 *
 * Linux: `/proc/cpuinfo` core ids; macOS: `sysctl hw.physicalcpu`; elsewhere, or when those
 * fail: logical CPUs / 2 (two hyper-threads a core is the common case). Never more than the
 * logical CPUs this process may use (`os.availableParallelism()`, which honours CPU affinity).
 */
export function physicalCoreCount(sources: CoreCountSources = {}): number {
  const logical = Math.max(1, sources.logicalCpus ?? availableParallelism());
  const os = sources.platform ?? platform();
  let physical: number | undefined;
  try {
    if (os === 'linux') {
      physical = physicalCoresFromCpuinfo((sources.readCpuinfo ?? (() => readFileSync('/proc/cpuinfo', 'utf8')))());
    } else if (os === 'darwin') {
      const read = sources.readSysctlPhysicalCpu ?? (() => execFileSync('sysctl', ['-n', 'hw.physicalcpu'], { encoding: 'utf8' }));
      const value = Number.parseInt(read(), 10);
      physical = Number.isFinite(value) && value > 0 ? value : undefined;
    }
  } catch {
    physical = undefined;
  }
  return Math.max(1, Math.min(logical, physical ?? Math.floor(logical / 2)));
}
