/**
 * App settings as key -> JSON value (voice, replay speed, show-text, ...). Keys are the UI's to
 * choose; values are anything JSON can hold.
 */
import type { Connection } from './connection.js';
import { StoreError } from './store-error.js';

const SQL = {
  get: 'SELECT value FROM settings WHERE key = ?',
  all: 'SELECT key, value FROM settings ORDER BY key',
  set: `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
    ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
  delete: 'DELETE FROM settings WHERE key = ?',
} as const;

/** Key -> JSON settings; used through Store. */
export class SettingsRepository {
  constructor(private readonly connection: Connection) {}

  get<T = unknown>(key: string): T | undefined {
    const row = this.connection.statement<{ value: string }>(SQL.get).get(key);
    return row === undefined ? undefined : (JSON.parse(row.value) as T);
  }

  all(): Record<string, unknown> {
    const rows = this.connection.statement<{ key: string; value: string }>(SQL.all).all();
    return Object.fromEntries(rows.map((row) => [row.key, JSON.parse(row.value) as unknown]));
  }

  set(key: string, value: unknown): void {
    const json = JSON.stringify(value);
    if (json === undefined) throw new StoreError('constraint', `Setting "${key}" must be a JSON value.`, { path: this.connection.path });
    this.connection.statement(SQL.set).run(key, json, this.connection.now());
  }

  delete(key: string): boolean {
    return this.connection.statement(SQL.delete).run(key).changes > 0;
  }
}
