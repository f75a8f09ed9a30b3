import { describe, expect, it } from 'vitest';
import { AudioStore } from './audio-store.js';

describe('AudioStore', () => {
  it('keeps recordings per message and evicts the oldest over budget', () => {
    const store = new AudioStore(10 * 2);
    store.append('a', new Int16Array(6));
    store.append('b', new Int16Array(3));
    expect(store.get('a')?.length).toBe(1);
    store.append('c', new Int16Array(4));
    expect(store.has('a')).toBe(false);
    expect(store.has('b')).toBe(true);
    expect(store.has('c')).toBe(true);
  });

  it('never evicts the recording being appended to', () => {
    const store = new AudioStore(4);
    store.append('a', new Int16Array(10));
    expect(store.has('a')).toBe(true);
  });
});
