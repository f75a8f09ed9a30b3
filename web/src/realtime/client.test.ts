import { describe, expect, it } from 'vitest';
import { backoffDelay, realtimeUrl } from './client.js';

describe('realtimeUrl', () => {
  it('uses ws: on http and wss: on https, on the page host', () => {
    expect(realtimeUrl({ protocol: 'http:', host: 'localhost:8000' })).toBe('ws://localhost:8000/v1/realtime');
    expect(realtimeUrl({ protocol: 'https:', host: '192.168.1.20:8443' })).toBe('wss://192.168.1.20:8443/v1/realtime');
  });
});

describe('backoffDelay', () => {
  const options = { initialDelayMs: 500, maxDelayMs: 15_000, offlineAfterAttempts: 4 };
  it('doubles from the initial delay up to the cap', () => {
    const middle = () => 0.5;
    expect([1, 2, 3, 4, 5, 6, 7].map((attempt) => backoffDelay(attempt, options, middle))).toEqual([500, 1000, 2000, 4000, 8000, 15_000, 15_000]);
  });
  it('jitters by ±20%', () => {
    expect(backoffDelay(1, options, () => 0)).toBe(400);
    expect(backoffDelay(1, options, () => 1)).toBe(600);
  });
});
