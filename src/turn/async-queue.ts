/**
 * A minimal single-consumer async queue: one stage pushes, the next stage iterates with
 * `for await`. `close()` ends the iteration once the queue drains; `abort()` ends it at once.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private waiting: (() => void) | null = null;
  private closed = false;
  private aborted = false;

  push(item: T): void {
    if (this.closed || this.aborted) return;
    this.items.push(item);
    this.wake();
  }

  /** No more items: the iteration ends after the queued ones. */
  close(): void {
    this.closed = true;
    this.wake();
  }

  /** Stop now: queued items are dropped. */
  abort(): void {
    this.aborted = true;
    this.items.length = 0;
    this.wake();
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    while (true) {
      if (this.aborted) return;
      if (this.items.length > 0) {
        yield this.items.shift() as T;
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
  }
}
