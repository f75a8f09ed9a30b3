/**
 * `SafeStore`: the store as the realtime session uses it. Writes never throw: when the database is
 * locked, full, corrupt, read-only or cannot be opened at all, the failure is logged once, `status()`
 * says what is wrong in words a learner can act on, the conversation goes on in memory, and the
 * writes wait in order in a bounded queue. They are retried on a timer with backoff (1 s doubling
 * to 30 s by default; each try may block the event loop for up to busy_timeout, so new writes join
 * the queue rather than try at once); once the cause is gone they are saved and the status is ok
 * again. A write the database refuses for its content (`constraint`: unknown conversation, a turn
 * id used twice) is logged and dropped: retrying would not help. Every write that is not saved at
 * once (queued, or dropped) is also announced with a `writeFailed` event, so that the client that
 * asked for it can be told (its item id, whether it is kept for retry).
 *
 * Writes made on `store` directly (the REST API) are not queued: they throw, and the caller answers
 * with an error; `reportFailure` puts their failure into `status()` and the log as well, until a
 * probe write (on the retry timer) or a later queued write shows the database takes writes again.
 *
 * Reads go to `store` directly (undefined while the database cannot be opened) and may throw
 * StoreError.
 *
 * @example
 * const safe = SafeStore.open({ dataDir: config.dataDir, logger });
 * safe.on('status', (status) => { if (!status.ok) sendToClient(status.message); });
 * const conversationId = safe.createConversation({ mode: 'free' });
 * safe.appendTurn({ conversationId, id: item.id, role: 'user', text, source: 'typed' });
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { NewConversation, NewCorrection, NewTurn, TurnPatch } from './conversations.js';
import { databasePath } from './database.js';
import { type StoreError, type StoreErrorCode, toStoreError } from './store-error.js';
import { Store, type StoreOptions } from './store.js';
import type { NewWord } from './vocabulary.js';

export type StoreStatus =
  | { ok: true; path: string }
  | {
      ok: false;
      path: string;
      code: StoreErrorCode;
      /** What happened and what to do, one or two sentences. */
      message: string;
      /** Writes waiting for the database. */
      pendingWrites: number;
      /** Writes lost because the queue was full. */
      droppedWrites: number;
      /** When the problem began, ms since the epoch. */
      since: number;
    };

/** A write that was not saved when asked (see `SafeStore` events). */
export interface WriteFailure {
  /** The SafeStore method, e.g. `appendTurn`. */
  operation: string;
  code: StoreErrorCode;
  /** What happened and what to do (the status message, or why the write was dropped). */
  message: string;
  /** True: waits in the queue and is saved once the database takes writes again; false: lost. */
  queued: boolean;
}

/** The pino methods SafeStore logs with. */
export type StoreLogger = Pick<Logger, 'info' | 'warn' | 'error'>;

export interface SafeStoreOptions extends StoreOptions {
  logger?: StoreLogger;
  /** Writes kept while the database fails; later ones are dropped (and counted). Default 10,000. */
  maxPendingWrites?: number;
  /** First retry delay, ms; doubles up to `retryMaxMs`. Default 1000. */
  retryMinMs?: number;
  /** Default 30,000. */
  retryMaxMs?: number;
}

interface PendingWrite {
  name: string;
  apply: (store: Store) => void;
}

export class SafeStore extends EventEmitter<{ status: [StoreStatus]; writeFailed: [WriteFailure] }> {
  readonly path: string;
  private current: Store | undefined;
  private readonly pending: PendingWrite[] = [];
  private problem: Extract<StoreStatus, { ok: false }> | undefined;
  private retryDelayMs: number;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** The current problem came from a write on `store` directly (nothing queued proves recovery). */
  private reportedOnly = false;
  private readonly logger: StoreLogger | undefined;
  private readonly clock: () => number;

  private constructor(private readonly options: SafeStoreOptions) {
    super();
    this.path = options.path ?? databasePath(options.dataDir ?? '.');
    this.logger = options.logger;
    this.clock = options.clock ?? Date.now;
    this.retryDelayMs = options.retryMinMs ?? 1000;
  }

  /** Opens the store; never throws. When opening fails, `status()` says why and opening is retried. */
  static open(options: SafeStoreOptions): SafeStore {
    const safe = new SafeStore(options);
    safe.connect();
    if (!safe.current) safe.scheduleRetry();
    return safe;
  }

  /** The store for reads; undefined while the database cannot be opened. */
  get store(): Store | undefined {
    return this.current;
  }

  status(): StoreStatus {
    return this.problem ? { ...this.problem, pendingWrites: this.pending.length } : { ok: true, path: this.path };
  }

  /**
   * Starts a conversation. @returns its id (`input.id`, or a new UUID), valid even when the write
   * waits in the queue
   */
  createConversation(input: NewConversation = {}): string {
    const full = { ...input, id: input.id ?? randomUUID(), createdAt: input.createdAt ?? this.clock() };
    this.write('createConversation', (store) => store.createConversation(full));
    return full.id;
  }

  /** @returns true when saved now; false when queued or dropped (see status()) */
  appendTurn(input: NewTurn): boolean {
    const full = { ...input, createdAt: input.createdAt ?? this.clock() };
    return this.write('appendTurn', (store) => store.appendTurn(full));
  }

  updateTurn(conversationId: string, turnId: string, patch: TurnPatch): boolean {
    return this.write('updateTurn', (store) => store.updateTurn(conversationId, turnId, patch));
  }

  deleteTurn(conversationId: string, turnId: string): boolean {
    return this.write('deleteTurn', (store) => store.deleteTurn(conversationId, turnId));
  }

  saveCorrection(input: NewCorrection): boolean {
    const full = { ...input, createdAt: input.createdAt ?? this.clock() };
    return this.write('saveCorrection', (store) => store.saveCorrection(full));
  }

  renameConversation(id: string, title: string | null): boolean {
    return this.write('renameConversation', (store) => store.renameConversation(id, title));
  }

  endConversation(id: string, endedAt?: number): boolean {
    const at = endedAt ?? this.clock();
    return this.write('endConversation', (store) => store.endConversation(id, at));
  }

  saveReport(conversationId: string, report: unknown, createdAt?: number): boolean {
    const at = createdAt ?? this.clock();
    return this.write('saveReport', (store) => store.saveReport(conversationId, report, at));
  }

  addWord(input: NewWord): boolean {
    const full = { ...input, createdAt: input.createdAt ?? this.clock() };
    return this.write('addWord', (store) => store.addWord(full));
  }

  /**
   * Tries the queued writes now (opening the database first if needed), in order.
   * @returns true when nothing is left waiting
   */
  flush(): boolean {
    if (this.closed) return this.pending.length === 0;
    if (this.current?.closed) this.current = undefined;
    if (!this.current && !this.connect()) {
      this.scheduleRetry();
      return false;
    }
    const store = this.current!;
    if (this.problem && this.reportedOnly && this.pending.length === 0 && !this.probe(store)) return false;
    while (this.pending.length > 0) {
      const next = this.pending[0]!;
      try {
        next.apply(store);
        this.pending.shift();
      } catch (error) {
        const storeError = toStoreError(error, this.path);
        if (!storeError.retryable) {
          this.pending.shift();
          this.logger?.warn({ operation: next.name, code: storeError.code, error: storeError.message }, 'database write dropped');
          continue;
        }
        this.fail(storeError.code, storeError.message);
        this.scheduleRetry();
        return false;
      }
    }
    this.recover();
    return true;
  }

  /**
   * A write made on `store` directly failed: when it is a storage condition (disk full, locked, ...)
   * it shows in `status()`, is logged once, and a probe write on the retry timer clears it once
   * the database takes writes again. Content errors (`constraint`) are the caller's to answer.
   * @returns the error as a StoreError
   */
  reportFailure(operation: string, error: unknown): StoreError {
    const storeError = toStoreError(error, this.path);
    if (!storeError.retryable || this.closed) return storeError;
    if (!this.problem) this.reportedOnly = true;
    this.fail(storeError.code, storeError.message, operation);
    this.scheduleRetry();
    return storeError;
  }

  /** Tries the queued writes a last time, stops retrying and closes the database. */
  close(): void {
    if (this.closed) return;
    this.flush();
    if (this.pending.length > 0) this.logger?.error({ pendingWrites: this.pending.length, path: this.path }, 'closing the database with unsaved writes');
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.current?.close();
    this.current = undefined;
  }

  private write(name: string, apply: (store: Store) => void): boolean {
    if (this.closed) return false;
    if (this.pending.length === 0 && this.current) {
      try {
        apply(this.current);
        return true;
      } catch (error) {
        const storeError = toStoreError(error, this.path);
        if (!storeError.retryable) {
          this.logger?.warn({ operation: name, code: storeError.code, error: storeError.message }, 'database write dropped');
          this.emit('writeFailed', { operation: name, code: storeError.code, message: storeError.message, queued: false });
          return false;
        }
        this.reportedOnly = false;
        this.fail(storeError.code, storeError.message, name);
        this.announce(name, this.enqueue(name, apply));
        this.scheduleRetry();
        return false;
      }
    }
    // Earlier writes are waiting: this one goes behind them, in order, and waits for the retry
    // timer (each attempt may block the event loop for up to busy_timeout).
    this.reportedOnly = false;
    this.announce(name, this.enqueue(name, apply));
    this.scheduleRetry();
    return false;
  }

  /** Emits `writeFailed` for a write that waits (or was dropped because the queue is full). */
  private announce(name: string, queued: boolean): void {
    const problem = this.problem;
    const code = problem?.code ?? 'unknown';
    const message = problem?.message ?? `Database ${this.path}: the write waits behind earlier ones.`;
    this.emit('writeFailed', { operation: name, code, message: queued ? message : `${message} The write queue is full: this was not saved.`, queued });
  }

  /** @returns false when the queue is full and the write was dropped */
  private enqueue(name: string, apply: (store: Store) => void): boolean {
    if (this.pending.length >= (this.options.maxPendingWrites ?? 10_000)) {
      if (this.problem) this.problem.droppedWrites++;
      if (this.problem?.droppedWrites === 1) this.logger?.error({ path: this.path }, 'database write queue full: new writes are dropped');
      return false;
    }
    this.pending.push({ name, apply });
    return true;
  }

  /**
   * A write that needs free space and changes nothing: a settings row written and deleted in one
   * transaction (its commit appends pages to the WAL). @returns true when it committed
   */
  private probe(store: Store): boolean {
    try {
      const db = store.database;
      db.transaction(() => {
        db.prepare("INSERT OR REPLACE INTO settings (key, value, updated_at) VALUES ('localchat.storeProbe', 'true', 0)").run();
        db.prepare("DELETE FROM settings WHERE key = 'localchat.storeProbe'").run();
      }).immediate();
      return true;
    } catch (error) {
      const storeError = toStoreError(error, this.path);
      this.fail(storeError.code, storeError.message, 'probe');
      this.scheduleRetry();
      return false;
    }
  }

  /** @returns true when open */
  private connect(): boolean {
    try {
      this.current = Store.open(this.options);
      return true;
    } catch (error) {
      const storeError = toStoreError(error, this.path);
      this.fail(storeError.code, storeError.message);
      return false;
    }
  }

  /** Logs and emits only when the problem is new or changes kind. */
  private fail(code: StoreErrorCode, message: string, operation?: string): void {
    if (this.problem?.code === code) {
      this.problem.message = message;
      return;
    }
    this.problem = { ok: false, path: this.path, code, message, pendingWrites: this.pending.length, droppedWrites: this.problem?.droppedWrites ?? 0, since: this.problem?.since ?? this.clock() };
    this.logger?.error({ code, path: this.path, operation, error: message }, 'database unavailable: writes wait and are retried; the conversation goes on in memory');
    this.emit('status', this.status());
  }

  private recover(): void {
    this.retryDelayMs = this.options.retryMinMs ?? 1000;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.problem) return;
    const { code, since, droppedWrites } = this.problem;
    this.problem = undefined;
    this.reportedOnly = false;
    this.logger?.info({ code, path: this.path, unavailableMs: this.clock() - since, droppedWrites }, 'database available again: waiting writes saved');
    this.emit('status', this.status());
  }

  private scheduleRetry(): void {
    if (this.timer || this.closed) return;
    const delay = this.retryDelayMs;
    this.retryDelayMs = Math.min(delay * 2, this.options.retryMaxMs ?? 30_000);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, delay);
    this.timer.unref();
  }
}
