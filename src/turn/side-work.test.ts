import { describe, expect, it } from 'vitest';
import { SideWorkScheduler } from './side-work.js';

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

/** A side task that takes `ms` unless its signal aborts; logs what happened. */
function task(log: string[], name: string, ms: number) {
  return (signal: AbortSignal) =>
    new Promise<string>((resolve) => {
      log.push(`${name} start`);
      const timer = setTimeout(() => {
        log.push(`${name} done`);
        resolve(name);
      }, ms);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        log.push(`${name} aborted`);
        resolve('aborted');
      }, { once: true });
    });
}

describe('SideWorkScheduler', () => {
  it('runs side tasks one at a time, in arrival order', async () => {
    const scheduler = new SideWorkScheduler();
    const log: string[] = [];
    const signal = new AbortController().signal;
    const results = await Promise.all([scheduler.run(task(log, 'a', 20), signal), scheduler.run(task(log, 'b', 20), signal)]);
    expect(results).toEqual(['a', 'b']);
    expect(log).toEqual(['a start', 'a done', 'b start', 'b done']);
  });

  it('waits while a foreground phase runs, and restarts a task the foreground interrupted', async () => {
    const scheduler = new SideWorkScheduler();
    const log: string[] = [];
    const result = scheduler.run(task(log, 'card', 80), new AbortController().signal);
    await tick(10);
    const end = scheduler.foreground();
    expect(log).toEqual(['card start', 'card aborted']);
    await tick(200);
    expect(log).toEqual(['card start', 'card aborted']); // nothing runs during the reply
    end();
    expect(await result).toBe('card');
    expect(log).toEqual(['card start', 'card aborted', 'card start', 'card done']);
  });

  it('a hold pauses side work for a while; a new foreground phase ends the hold', async () => {
    const scheduler = new SideWorkScheduler();
    const log: string[] = [];
    scheduler.hold(5000);
    const result = scheduler.run(task(log, 'card', 10), new AbortController().signal);
    await tick(50);
    expect(log).toEqual([]);
    scheduler.foreground()();
    expect(await result).toBe('card');
  });

  it('gives up (undefined) when its own signal aborts while waiting', async () => {
    const scheduler = new SideWorkScheduler();
    const end = scheduler.foreground();
    const controller = new AbortController();
    const result = scheduler.run(async () => 'never', controller.signal);
    controller.abort();
    expect(await result).toBeUndefined();
    end();
  });
});
