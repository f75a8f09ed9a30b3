/**
 * Keeps the server's native heap from holding on to memory it has freed (Linux with glibc).
 *
 * A lesson allocates and frees native memory all the time: llama.cpp and node-llama-cpp (each
 * request's sampler holds a candidate array of n_vocab x 12 bytes, 1.8 MB for Qwen2.5), Node's
 * Buffers for audio. glibc's malloc raises its mmap threshold whenever a large mapped block is
 * freed (up to 32 MiB on 64-bit systems, with the trim threshold at twice that); from then on,
 * blocks of that size come from the heap and its per-thread arenas, and freed ones stay resident
 * (mallopt(3), M_MMAP_THRESHOLD: https://man7.org/linux/man-pages/man3/mallopt.3.html). Measured
 * over 40 turns on the embedded engine (Qwen2.5-1.5B shape, corrections on every other turn): the
 * resident anonymous memory grew 100 MB, 64 MB of it in the main heap, and never came back.
 *
 * Two measures, called through koffi (https://koffi.dev), a C FFI with prebuilt binaries:
 *  - at start, `mallopt(M_MMAP_THRESHOLD, 128 KiB)`: glibc's default, but fixed, which turns off
 *    the dynamic threshold, so every block of 128 KiB or more is its own mapping and goes back to
 *    the system when freed;
 *  - every `intervalMs`, `malloc_trim(0)` on koffi's worker thread (the event loop does not wait):
 *    releases the free pages at the top of every arena and, since glibc 2.8, inside them
 *    (malloc_trim(3): https://man7.org/linux/man-pages/man3/malloc_trim.3.html). One call took
 *    7-12 ms on a 2-core VM.
 * The same 40 turns with either measure alone: the anonymous memory stayed within a band set by
 * what is live (end against start: +13 MB with the fixed threshold, -30 MB with the trim); the
 * server uses both.
 *
 * Elsewhere (macOS, Windows, musl libc) or when koffi cannot load, nothing is done.
 */
import { createRequire } from 'node:module';

/** mallopt(3) parameter numbers, from glibc's malloc/malloc.h. */
const M_MMAP_THRESHOLD = -3;
/** glibc's default mmap threshold, in bytes (malloc/malloc.c, DEFAULT_MMAP_THRESHOLD_MIN). */
const MMAP_THRESHOLD_BYTES = 128 * 1024;
/** How often freed heap is given back while the server runs, in ms. */
const DEFAULT_TRIM_INTERVAL_MS = 10_000;

/** The C functions used, bound to the running glibc. */
interface Glibc {
  mallopt(param: number, value: number): number;
  /** Calls `malloc_trim(pad)` on a worker thread; the callback gets 1 when memory was released. */
  mallocTrimAsync(pad: number, callback: (error: unknown, released: number) => void): void;
}

/** A running upkeep; `stop()` ends the timer (a trim in flight finishes on its own). */
export interface NativeHeapUpkeep {
  /** Whether the mmap threshold was fixed at start. */
  readonly thresholdFixed: boolean;
  /** Trims now; resolves with whether glibc released memory. */
  trim(): Promise<boolean>;
  stop(): void;
}

let glibc: Glibc | null | undefined;

/** Whether this process runs on Linux with glibc (Node's diagnostic report names its version). */
export function runsOnGlibc(): boolean {
  if (process.platform !== 'linux') return false;
  const report = process.report.getReport() as { header?: { glibcVersionRuntime?: string } };
  return Boolean(report.header?.glibcVersionRuntime);
}

/** The running glibc, or null when this is not Linux with glibc or koffi cannot load it. */
export function loadGlibc(): Glibc | null {
  if (glibc !== undefined) return glibc;
  glibc = null;
  if (!runsOnGlibc()) return glibc;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
    const libc = koffi.load('libc.so.6');
    const mallopt = libc.func('int mallopt(int param, int value)');
    const mallocTrim = libc.func('int malloc_trim(size_t pad)');
    glibc = {
      mallopt: (param, value) => mallopt(param, value) as number,
      mallocTrimAsync: (pad, callback) => mallocTrim.async(pad, callback),
    };
  } catch {
    // No koffi binary for this platform, or no libc.so.6: leave the heap as it is.
  }
  return glibc;
}

/**
 * Fixes glibc's mmap threshold and trims the heap every `intervalMs` (the timer does not keep the
 * process alive). Returns null where there is no glibc to tune; never throws.
 */
export function startNativeHeapUpkeep(intervalMs = DEFAULT_TRIM_INTERVAL_MS): NativeHeapUpkeep | null {
  const libc = loadGlibc();
  if (!libc) return null;
  const thresholdFixed = libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) === 1;
  let trimming: Promise<boolean> | null = null;
  const trim = (): Promise<boolean> =>
    (trimming ??= new Promise<boolean>((resolve) => {
      libc.mallocTrimAsync(0, (error, released) => {
        trimming = null;
        resolve(!error && released === 1);
      });
    }));
  const timer = setInterval(() => void trim(), intervalMs);
  timer.unref();
  return { thresholdFixed, trim, stop: () => clearInterval(timer) };
}
