/**
 * The schema, as an ordered list of migrations. Migration N takes a database from schema version
 * N-1 to N; `PRAGMA user_version` holds the version a database is at (0 = empty). Never edit a
 * released step: add a new one. Steps run in `runMigrations` (database.ts), one transaction each.
 *
 * Conventions: times are integers, milliseconds since the Unix epoch (UTC); durations are REAL ms;
 * booleans are 0/1; JSON columns are TEXT checked with `json_valid`. Tables that full-text search
 * indexes keep an INTEGER PRIMARY KEY (`pk`), because FTS5 external-content tables point at a
 * stable rowid (https://www.sqlite.org/fts5.html#external_content_tables) and VACUUM may renumber
 * implicit rowids.
 */

export interface Migration {
  /** The schema version the database is at after this step (1, 2, ...: the step's index + 1). */
  version: number;
  /** What the step does, for logs. */
  name: string;
  /** SQL run inside the step's transaction (no BEGIN/COMMIT, no `user_version`: the runner does those). */
  sql: string;
}

/** `PRAGMA application_id` of a LocalChat database: 'LoCh' in ASCII (https://www.sqlite.org/fileformat.html#application_id). */
export const APPLICATION_ID = 0x4c6f4368;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'profile, settings, conversations, turns, corrections, vocabulary, session reports, full-text search',
    sql: `
PRAGMA application_id = ${APPLICATION_ID};

CREATE TABLE profile (
  id               INTEGER PRIMARY KEY CHECK (id = 1),
  name             TEXT,
  level            TEXT NOT NULL DEFAULT 'auto',
  native_language  TEXT,
  goals            TEXT NOT NULL DEFAULT '',
  correction_style TEXT NOT NULL DEFAULT 'recast',
  speaking_speed   REAL NOT NULL DEFAULT 1,
  updated_at       INTEGER NOT NULL
);

CREATE TABLE settings (
  key        TEXT PRIMARY KEY,
  value      TEXT NOT NULL CHECK (json_valid(value)),
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE conversations (
  pk          INTEGER PRIMARY KEY,
  id          TEXT NOT NULL UNIQUE,
  title       TEXT,
  scenario_id TEXT,
  mode        TEXT NOT NULL DEFAULT 'free',
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  ended_at    INTEGER
);
CREATE INDEX conversations_by_update ON conversations (updated_at DESC);
CREATE INDEX conversations_by_creation ON conversations (created_at);

CREATE TABLE turns (
  pk              INTEGER PRIMARY KEY,
  conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  id              TEXT NOT NULL,
  seq             INTEGER NOT NULL,
  role            TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
  text            TEXT NOT NULL,
  source          TEXT CHECK (source IN ('typed', 'spoken')),
  interrupted     INTEGER NOT NULL DEFAULT 0 CHECK (interrupted IN (0, 1)),
  word_count      INTEGER NOT NULL DEFAULT 0,
  ttft_ms         REAL,
  ttfa_ms         REAL,
  total_ms        REAL,
  speech_ms       REAL,
  created_at      INTEGER NOT NULL,
  UNIQUE (conversation_id, id),
  UNIQUE (conversation_id, seq)
);

CREATE TABLE corrections (
  turn_pk    INTEGER PRIMARY KEY REFERENCES turns (pk) ON DELETE CASCADE,
  original   TEXT NOT NULL,
  corrected  TEXT NOT NULL,
  errors     TEXT NOT NULL CHECK (json_valid(errors)),
  created_at INTEGER NOT NULL
);

CREATE TABLE vocabulary (
  id              INTEGER PRIMARY KEY,
  word            TEXT NOT NULL COLLATE NOCASE UNIQUE,
  meaning         TEXT NOT NULL DEFAULT '',
  meaning_native  TEXT,
  example         TEXT,
  conversation_id TEXT REFERENCES conversations (id) ON DELETE SET NULL,
  turn_id         TEXT,
  created_at      INTEGER NOT NULL
);
CREATE INDEX vocabulary_by_conversation ON vocabulary (conversation_id);

CREATE TABLE session_reports (
  conversation_id TEXT PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
  report          TEXT NOT NULL CHECK (json_valid(report)),
  created_at      INTEGER NOT NULL
);

-- A new turn makes its conversation the most recent one.
CREATE TRIGGER turns_touch_conversation AFTER INSERT ON turns BEGIN
  UPDATE conversations SET updated_at = max(updated_at, NEW.created_at) WHERE id = NEW.conversation_id;
END;

-- Full-text search over conversation titles and turn text (FTS5 external content, kept by triggers).
CREATE VIRTUAL TABLE turns_fts USING fts5 (text, content = 'turns', content_rowid = 'pk', tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER turns_fts_insert AFTER INSERT ON turns BEGIN
  INSERT INTO turns_fts (rowid, text) VALUES (NEW.pk, NEW.text);
END;
CREATE TRIGGER turns_fts_delete AFTER DELETE ON turns BEGIN
  INSERT INTO turns_fts (turns_fts, rowid, text) VALUES ('delete', OLD.pk, OLD.text);
END;
CREATE TRIGGER turns_fts_update AFTER UPDATE OF text ON turns BEGIN
  INSERT INTO turns_fts (turns_fts, rowid, text) VALUES ('delete', OLD.pk, OLD.text);
  INSERT INTO turns_fts (rowid, text) VALUES (NEW.pk, NEW.text);
END;

CREATE VIRTUAL TABLE conversations_fts USING fts5 (title, content = 'conversations', content_rowid = 'pk', tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER conversations_fts_insert AFTER INSERT ON conversations BEGIN
  INSERT INTO conversations_fts (rowid, title) VALUES (NEW.pk, NEW.title);
END;
CREATE TRIGGER conversations_fts_delete AFTER DELETE ON conversations BEGIN
  INSERT INTO conversations_fts (conversations_fts, rowid, title) VALUES ('delete', OLD.pk, OLD.title);
END;
CREATE TRIGGER conversations_fts_update AFTER UPDATE OF title ON conversations BEGIN
  INSERT INTO conversations_fts (conversations_fts, rowid, title) VALUES ('delete', OLD.pk, OLD.title);
  INSERT INTO conversations_fts (rowid, title) VALUES (NEW.pk, NEW.title);
END;
`,
  },
  {
    version: 2,
    name: 'vocabulary review schedule (SM-2)',
    sql: `
ALTER TABLE vocabulary ADD COLUMN due_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE vocabulary ADD COLUMN interval_days REAL NOT NULL DEFAULT 0;
ALTER TABLE vocabulary ADD COLUMN ease REAL NOT NULL DEFAULT 2.5;
ALTER TABLE vocabulary ADD COLUMN repetitions INTEGER NOT NULL DEFAULT 0;
ALTER TABLE vocabulary ADD COLUMN reviews INTEGER NOT NULL DEFAULT 0;
ALTER TABLE vocabulary ADD COLUMN lapses INTEGER NOT NULL DEFAULT 0;
ALTER TABLE vocabulary ADD COLUMN reviewed_at INTEGER;
-- Words saved before reviews existed are due at once.
UPDATE vocabulary SET due_at = created_at;
CREATE INDEX vocabulary_by_due ON vocabulary (due_at);
`,
  },
];

/** The schema version this code writes: the last migration's. */
export const SCHEMA_VERSION = MIGRATIONS.length;
