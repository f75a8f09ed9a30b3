/**
 * Session reports: one JSON document per conversation (speaking time, errors, level estimate, ...:
 * its shape belongs to src/tutor), replaced when made again.
 */
import type { Connection } from './connection.js';
import { StoreError } from './store-error.js';

export interface SessionReportRecord<T = unknown> {
  conversationId: string;
  report: T;
  /** ms since the epoch. */
  createdAt: number;
}

const SQL = {
  save: `INSERT INTO session_reports (conversation_id, report, created_at) VALUES (?, ?, ?)
    ON CONFLICT (conversation_id) DO UPDATE SET report = excluded.report, created_at = excluded.created_at`,
  get: 'SELECT conversation_id, report, created_at FROM session_reports WHERE conversation_id = ?',
} as const;

/** Session reports, one per conversation; used through Store. */
export class ReportRepository {
  constructor(private readonly connection: Connection) {}

  save<T>(conversationId: string, report: T, createdAt?: number): SessionReportRecord<T> {
    const json = JSON.stringify(report);
    if (json === undefined) throw new StoreError('constraint', 'A session report must be a JSON value.', { path: this.connection.path });
    const at = createdAt ?? this.connection.now();
    try {
      this.connection.statement(SQL.save).run(conversationId, json, at);
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
        throw new StoreError('constraint', `No conversation "${conversationId}" to attach a report to.`, { path: this.connection.path, sqliteCode: 'SQLITE_CONSTRAINT_FOREIGNKEY', cause: error });
      }
      throw error;
    }
    return { conversationId, report, createdAt: at };
  }

  get<T = unknown>(conversationId: string): SessionReportRecord<T> | undefined {
    const row = this.connection.statement<{ conversation_id: string; report: string; created_at: number }>(SQL.get).get(conversationId);
    return row && { conversationId: row.conversation_id, report: JSON.parse(row.report) as T, createdAt: row.created_at };
  }
}
