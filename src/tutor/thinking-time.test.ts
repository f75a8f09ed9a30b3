import { describe, expect, it } from 'vitest';
import { MAX_RECORDED_PAUSES, THINKING_TIME_RANGE, learnedThinkingTimeMs, recordPauses } from './thinking-time.js';

describe('learnedThinkingTimeMs', () => {
  it('keeps the default until five pauses are known', () => {
    expect(learnedThinkingTimeMs([])).toBe(THINKING_TIME_RANGE.default);
    expect(learnedThinkingTimeMs([400, 400, 400, 400])).toBe(THINKING_TIME_RANGE.default);
    expect(learnedThinkingTimeMs([400, 400, 400, 400, 400])).toBe(600);
  });

  it('is the 95th percentile (linear interpolation) plus 200 ms', () => {
    const pauses = Array.from({ length: 21 }, (_, i) => 300 + i * 50); // 300..1300
    // rank 0.95 * 20 = 19 -> 1250
    expect(learnedThinkingTimeMs(pauses)).toBe(1450);
    expect(learnedThinkingTimeMs([...pauses].reverse())).toBe(1450);
    expect(learnedThinkingTimeMs([300, 400, 500, 600, 700], { percentile: 50, marginMs: 0 })).toBe(500);
  });

  it('stays within the settings range: fluent speakers at the minimum, long thinkers at the maximum', () => {
    expect(learnedThinkingTimeMs([10, 20, 30, 40, 50])).toBe(THINKING_TIME_RANGE.min);
    expect(learnedThinkingTimeMs([4000, 5000, 6000, 7000, 9000])).toBe(THINKING_TIME_RANGE.max);
    expect(learnedThinkingTimeMs([600, 700, 800, 900, 1000], { range: { min: 1300, max: 1500, default: 1400 } })).toBe(1300);
  });

  it('ignores values that are not pauses', () => {
    expect(learnedThinkingTimeMs([Number.NaN, -5, Infinity, 400, 400, 400, 400])).toBe(THINKING_TIME_RANGE.default);
    expect(learnedThinkingTimeMs([Number.NaN, 400, 400, 400, 400, 400])).toBe(600);
  });
});

describe('recordPauses', () => {
  it('keeps the newest pauses, rounded', () => {
    const record = recordPauses(Array.from({ length: MAX_RECORDED_PAUSES }, () => 1), [512.4, Number.NaN, 700]);
    expect(record).toHaveLength(MAX_RECORDED_PAUSES);
    expect(record.slice(-2)).toEqual([512, 700]);
  });
});
