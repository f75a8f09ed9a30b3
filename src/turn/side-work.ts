/**
 * Keeps side work (correction cards) from competing with replies for the CPU.
 *
 * A local LLM runs every sequence of its context in one batch on the same cores: a correction
 * generated while a reply is produced slows that reply's first clause. So replies mark their
 * producing phase as *foreground*; side tasks run only outside it. A side task running when a
 * foreground phase starts is aborted at once and run again from the start once the foreground is
 * over (on llama.cpp its constant prompt prefix stays cached, so a restart costs little). A hold
 * keeps side work paused for a short while after a reply is cut by the learner's voice, because
 * their turn, and the next reply, is about to start.
 *
 * The same priority idea as livekit/agents' speech scheduling (a reply's SpeechHandle is awaited
 * before anything else is generated: https://github.com/livekit/agents-js, `agent_activity.ts`).
 */

/** Waits after a foreground phase before side work resumes, ms: a reply's next phase often follows at once. */
const RESUME_DELAY_MS = 150;

/** A side task: gets a signal that aborts when it must pause; resolves with its result (any value on abort). */
export type SideTask<T> = (signal: AbortSignal) => Promise<T>;

export class SideWorkScheduler {
  private foregroundCount = 0;
  private holdUntil = 0;
  private holdTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly running = new Set<AbortController>();
  private waiters: (() => void)[] = [];
  private resumeTimer: ReturnType<typeof setTimeout> | undefined;

  /** True while side work must not run. */
  get paused(): boolean {
    return this.foregroundCount > 0 || Date.now() < this.holdUntil;
  }

  /**
   * Starts a foreground phase (a reply being produced, a learner turn being transcribed): side
   * tasks running now are paused. Call the returned function once the phase is over (idempotent).
   */
  foreground(): () => void {
    this.foregroundCount++;
    this.holdUntil = 0;
    for (const controller of this.running) controller.abort(new Error('paused for a reply'));
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.foregroundCount--;
      this.scheduleResume(RESUME_DELAY_MS);
    };
  }

  /** Keeps side work paused for `ms` (e.g. after a barge-in: the learner's turn is starting). */
  hold(ms: number): void {
    this.holdUntil = Math.max(this.holdUntil, Date.now() + ms);
    for (const controller of this.running) controller.abort(new Error('paused for the learner'));
    this.scheduleResume(ms);
  }

  /**
   * Runs `task` when no foreground phase is active; when one starts meanwhile, the task's signal
   * aborts and the task runs again from the start afterwards. Tasks wait in arrival order.
   * @param signal aborts the task for good (e.g. the session closed)
   * @returns the task's result, or undefined when `signal` aborted first
   */
  async run<T>(task: SideTask<T>, signal: AbortSignal): Promise<T | undefined> {
    for (;;) {
      while (this.paused || this.running.size > 0) {
        if (signal.aborted) return undefined;
        await this.nextChance(signal);
      }
      if (signal.aborted) return undefined;
      const controller = new AbortController();
      const onAbort = (): void => controller.abort(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      this.running.add(controller);
      try {
        const result = await task(controller.signal);
        if (!controller.signal.aborted) return result;
        if (signal.aborted) return undefined;
        // Paused by a reply: run again once it is over.
      } finally {
        signal.removeEventListener('abort', onAbort);
        this.running.delete(controller);
        this.wakeOne();
      }
    }
  }

  private nextChance(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        signal.removeEventListener('abort', done);
        resolve();
      };
      signal.addEventListener('abort', done, { once: true });
      this.waiters.push(done);
    });
  }

  private scheduleResume(ms: number): void {
    if (this.resumeTimer) clearTimeout(this.resumeTimer);
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.resumeTimer = setTimeout(() => {
      this.resumeTimer = undefined;
      if (this.paused) {
        // A hold still runs: try again when it ends.
        if (this.foregroundCount === 0) this.holdTimer = setTimeout(() => this.wakeOne(), Math.max(0, this.holdUntil - Date.now()) + 1);
        return;
      }
      this.wakeOne();
    }, ms);
    this.resumeTimer.unref?.();
  }

  /** Lets the first waiting task check again (tasks run one at a time). */
  private wakeOne(): void {
    const waiter = this.waiters.shift();
    waiter?.();
  }
}
