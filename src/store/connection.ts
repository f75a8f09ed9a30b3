/**
 * What every repository (conversations, vocabulary, ...) gets: the open database, its path (for
 * error messages), the clock, and prepared statements compiled once per connection.
 */
import type Database from 'better-sqlite3';

export interface Connection {
  readonly db: Database.Database;
  readonly path: string;
  /** Current time, ms since the Unix epoch. */
  readonly now: () => number;
  /** A prepared statement for `sql`, compiled on first use and cached for this connection. */
  statement<Row = unknown>(sql: string): Database.Statement<unknown[], Row>;
}

/** Wraps an open database for the repositories; `now` is the store's clock. */
export function createConnection(db: Database.Database, path: string, now: () => number): Connection {
  const cache = new Map<string, Database.Statement>();
  return {
    db,
    path,
    now,
    statement<Row>(sql: string) {
      let statement = cache.get(sql);
      if (!statement) {
        statement = db.prepare(sql);
        cache.set(sql, statement);
      }
      return statement as Database.Statement<unknown[], Row>;
    },
  };
}
