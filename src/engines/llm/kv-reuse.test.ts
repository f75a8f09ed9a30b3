import { describe, expect, it } from 'vitest';
import { planKvReuse } from './kv-reuse.js';

/** `count` distinct tokens starting at `from`. */
const run = (from: number, count: number): number[] => Array.from({ length: count }, (_, index) => from + index);

/** The cache after erasing the plan's ranges (tokens behind each range move back). */
function applyPlan(cached: number[], erase: { start: number; end: number }[]): number[] {
  return cached.filter((_, index) => !erase.some((range) => index >= range.start && index < range.end));
}

describe('planKvReuse', () => {
  const system = run(1, 40);
  const dropped = run(1000, 300);
  const kept = run(2000, 500);

  it('keeps the turns after a block trimmed from the start of the history, shifted back', () => {
    const summary = run(3000, 60);
    const message = run(4000, 20);
    const cached = [...system, ...dropped, ...kept];
    const prompt = [...system, ...kept, ...summary, ...message];
    const plan = planKvReuse(cached, prompt);
    expect(plan.prefix).toBe(40);
    expect(plan.erase).toEqual([{ start: 40, end: 340 }]);
    expect(plan.reused).toBe(540);
    expect(applyPlan(cached, plan.erase)).toEqual(prompt.slice(0, plan.reused));
  });

  it('keeps template tokens shared by the dropped and the kept turn in the prefix', () => {
    const header = [7, 8, 9]; // e.g. "<|im_start|>user\n" opens both turns
    const cached = [...system, ...header, ...dropped, ...header, ...kept];
    const prompt = [...system, ...header, ...kept];
    const plan = planKvReuse(cached, prompt);
    expect(plan.prefix).toBe(43);
    expect(applyPlan(cached, plan.erase).slice(0, plan.reused)).toEqual(prompt);
    expect(plan.reused).toBe(prompt.length);
  });

  it('erases several blocks (an old summary and the turns around it)', () => {
    const oldSummary = run(5000, 50);
    const middle = run(6000, 100);
    const cached = [...system, ...dropped, ...oldSummary, ...middle, ...kept];
    const prompt = [...system, ...oldSummary, ...kept, ...run(7000, 10)];
    const plan = planKvReuse(cached, prompt);
    expect(plan.erase).toEqual([{ start: 40, end: 340 }, { start: 390, end: 490 }]);
    expect(plan.reused).toBe(40 + 50 + 500);
    expect(applyPlan(cached, plan.erase).slice(0, plan.reused)).toEqual(prompt.slice(0, plan.reused));
  });

  it('shifts nothing when the prompt extends the cache or shares only short runs with it', () => {
    expect(planKvReuse([...system, ...kept], [...system, ...kept, ...run(9000, 5)])).toEqual({ prefix: 540, erase: [], reused: 540 });
    const shortRuns = [...system, ...run(8000, 10), ...dropped.slice(0, 20)];
    const plan = planKvReuse([...system, ...dropped], shortRuns);
    expect(plan).toEqual({ prefix: 40, erase: [], reused: 40 });
  });

  it('keeps a run of exactly the minimum chunk and not one shorter', () => {
    const cached = [...system, ...dropped, ...kept.slice(0, 32)];
    expect(planKvReuse(cached, [...system, ...kept.slice(0, 32), 1]).reused).toBe(72);
    expect(planKvReuse(cached.slice(0, -1), [...system, ...kept.slice(0, 31), 1]).reused).toBe(40);
  });
});
