import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import { type NativeHeapUpkeep, loadGlibc, runsOnGlibc, startNativeHeapUpkeep } from './native-heap.js';

/** Resident anonymous memory of this process, in MB (/proc/self/status). */
function rssAnonMb(): number {
  return Number(/RssAnon:\s*(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]) / 1024;
}

/** malloc, free and memset of this process's libc, to make native heap states the way llama.cpp does. */
function libcAllocator() {
  const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  const libc = koffi.load('libc.so.6');
  const malloc = libc.func('void *malloc(size_t size)');
  const free = libc.func('void free(void *ptr)');
  const memset = libc.func('void *memset(void *s, int c, size_t n)');
  return {
    /** Allocates `bytes` and touches every page, so they are resident. */
    alloc(bytes: number): unknown {
      const pointer: unknown = malloc(bytes);
      memset(pointer, 1, bytes);
      return pointer;
    },
    free: (pointer: unknown) => free(pointer),
  };
}

describe.runIf(runsOnGlibc())('native heap upkeep (Linux, glibc)', () => {
  let upkeep: NativeHeapUpkeep | null = null;
  afterAll(() => upkeep?.stop());

  it('binds glibc through koffi and fixes the mmap threshold', () => {
    expect(loadGlibc()).not.toBeNull();
    upkeep = startNativeHeapUpkeep();
    expect(upkeep?.thresholdFixed).toBe(true);
  });

  it('returns freed 2 MiB blocks to the system at once, even after a freed 8 MiB block', () => {
    const libc = libcAllocator();
    // Unfixed, freeing a mapped 8 MiB block would raise glibc's threshold to 8 MiB: the 2 MiB
    // blocks below would then come from the heap and stay resident when freed.
    libc.free(libc.alloc(8 << 20));
    const before = rssAnonMb();
    const blocks = Array.from({ length: 40 }, () => libc.alloc(2 << 20));
    expect(rssAnonMb() - before).toBeGreaterThan(70);
    // The last block stays in use, as a live allocation above freed ones does in a real heap.
    for (const block of blocks.slice(0, -1)) libc.free(block);
    expect(rssAnonMb() - before).toBeLessThan(20);
    libc.free(blocks.at(-1));
  });

  it('trim gives back small freed blocks that glibc keeps inside its heap', async () => {
    const libc = libcAllocator();
    const before = rssAnonMb();
    const blocks = Array.from({ length: 1600 }, () => libc.alloc(60 << 10));
    for (const block of blocks.slice(0, -1)) libc.free(block);
    // Below the threshold: glibc keeps the freed 94 MB resident, under the still-used last block.
    expect(rssAnonMb() - before).toBeGreaterThan(70);
    expect(await upkeep!.trim()).toBe(true);
    expect(rssAnonMb() - before).toBeLessThan(20);
    libc.free(blocks.at(-1));
  });
});
