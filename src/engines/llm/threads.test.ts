import { describe, expect, it } from 'vitest';
import { physicalCoreCount, physicalCoresFromCpuinfo } from './threads.js';

/** /proc/cpuinfo of `count` logical CPUs with the given (physical id, core id) pairs. */
function cpuinfo(processors: { packageId?: number; coreId?: number; cpuCores?: number }[]): string {
  return processors
    .map((processor, index) =>
      [
        `processor\t: ${index}`,
        'model name\t: Test CPU',
        processor.packageId !== undefined ? `physical id\t: ${processor.packageId}` : undefined,
        processor.cpuCores !== undefined ? `cpu cores\t: ${processor.cpuCores}` : undefined,
        processor.coreId !== undefined ? `core id\t\t: ${processor.coreId}` : undefined,
      ]
        .filter((line) => line !== undefined)
        .join('\n'),
    )
    .join('\n\n');
}

describe('physicalCoresFromCpuinfo', () => {
  it('counts distinct cores, not hyper-threads', () => {
    const text = cpuinfo([
      { packageId: 0, coreId: 0, cpuCores: 2 },
      { packageId: 0, coreId: 1, cpuCores: 2 },
      { packageId: 0, coreId: 0, cpuCores: 2 },
      { packageId: 0, coreId: 1, cpuCores: 2 },
    ]);
    expect(physicalCoresFromCpuinfo(text)).toBe(2);
  });

  it('counts the same core id in two packages twice', () => {
    const text = cpuinfo([
      { packageId: 0, coreId: 0 },
      { packageId: 1, coreId: 0 },
    ]);
    expect(physicalCoresFromCpuinfo(text)).toBe(2);
  });

  it('falls back to "cpu cores" times packages', () => {
    const text = cpuinfo([
      { packageId: 0, cpuCores: 4 },
      { packageId: 1, cpuCores: 4 },
    ]);
    expect(physicalCoresFromCpuinfo(text)).toBe(8);
  });

  it('returns undefined when the text says nothing about cores', () => {
    expect(physicalCoresFromCpuinfo(cpuinfo([{}, {}]))).toBeUndefined();
  });
});

describe('physicalCoreCount', () => {
  it('uses /proc/cpuinfo on Linux', () => {
    const readCpuinfo = (): string => cpuinfo([{ packageId: 0, coreId: 0 }, { packageId: 0, coreId: 0 }]);
    expect(physicalCoreCount({ platform: 'linux', logicalCpus: 2, readCpuinfo })).toBe(1);
  });

  it('never exceeds the logical CPUs this process may use', () => {
    const readCpuinfo = (): string => cpuinfo(Array.from({ length: 8 }, (_, coreId) => ({ packageId: 0, coreId })));
    expect(physicalCoreCount({ platform: 'linux', logicalCpus: 3, readCpuinfo })).toBe(3);
  });

  it('uses sysctl on macOS', () => {
    expect(physicalCoreCount({ platform: 'darwin', logicalCpus: 10, readSysctlPhysicalCpu: () => '10\n' })).toBe(10);
  });

  it('halves the logical count when nothing better is known, at least 1', () => {
    const failing = (): string => {
      throw new Error('ENOENT');
    };
    expect(physicalCoreCount({ platform: 'linux', logicalCpus: 8, readCpuinfo: failing })).toBe(4);
    expect(physicalCoreCount({ platform: 'win32', logicalCpus: 1 })).toBe(1);
  });

  it('gives a positive integer on this machine', () => {
    const cores = physicalCoreCount();
    expect(Number.isInteger(cores)).toBe(true);
    expect(cores).toBeGreaterThanOrEqual(1);
  });
});
