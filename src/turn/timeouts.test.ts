import { describe, expect, it } from 'vitest';
import { EngineError } from '../core/errors.js';
import { sleep } from '../testing/scripted-llm.js';
import { withTimeouts } from './timeouts.js';

async function* paced(delays: number[], signal: AbortSignal, seen: { aborted: boolean }) {
  for (const [index, delay] of delays.entries()) {
    await sleep(delay, signal);
    if (signal.aborted) {
      seen.aborted = true;
      return;
    }
    yield index;
  }
}

describe('withTimeouts', () => {
  it('passes parts through when they come in time', async () => {
    const seen = { aborted: false };
    const parts: number[] = [];
    for await (const part of withTimeouts((signal) => paced([5, 5, 5], signal, seen), { signal: new AbortController().signal, firstMs: 200, idleMs: 200, engine: 'test' })) parts.push(part);
    expect(parts).toEqual([0, 1, 2]);
  });

  it('fails a stalled first part with a retryable timeout and aborts the engine', async () => {
    const seen = { aborted: false };
    const started = performance.now();
    const run = async () => {
      for await (const _ of withTimeouts((signal) => paced([5_000], signal, seen), { signal: new AbortController().signal, firstMs: 50, idleMs: 1000, engine: 'llm', what: 'the first word' })) void _;
    };
    const error = await run().catch((caught: unknown) => caught);
    expect(EngineError.isInstance(error)).toBe(true);
    expect((error as EngineError).retryable).toBe(true);
    expect((error as EngineError).message).toMatch(/the first word/);
    expect(performance.now() - started).toBeLessThan(1000);
    await sleep(20);
    expect(seen.aborted).toBe(true);
  });

  it('fails a stream that stalls mid-way after yielding its first parts', async () => {
    const seen = { aborted: false };
    const parts: number[] = [];
    const run = async () => {
      for await (const part of withTimeouts((signal) => paced([1, 1, 5_000], signal, seen), { signal: new AbortController().signal, firstMs: 500, idleMs: 50, engine: 'llm' })) parts.push(part);
    };
    await expect(run()).rejects.toThrow(/did not answer/);
    expect(parts).toEqual([0, 1]);
  });

  it('ends quietly when the caller aborts', async () => {
    const seen = { aborted: false };
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const parts: number[] = [];
    for await (const part of withTimeouts((signal) => paced([1, 5_000], signal, seen), { signal: controller.signal, firstMs: 1000, idleMs: 1000, engine: 'llm' })) parts.push(part);
    expect(parts).toEqual([0]);
    expect(seen.aborted).toBe(true);
  });
});
