/**
 * The LocalChat JSON API for the UI and scripts (same Host/Origin/token rules as every route):
 * conversations (list, search, read, rename, delete, export, report), scenarios and topics, the
 * learner profile, vocabulary (explain, save, review, export for Anki), progress, and database
 * backup/import. Errors use one shape: `{ error: { type, code, message } }`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { errorMessage } from '../core/errors.js';
import { conversationToJson, conversationToMarkdown } from '../store/export.js';
import { StoreError } from '../store/store-error.js';
import type { Progress } from '../store/progress.js';
import type { Store } from '../store/store.js';
import { CEFR_LEVELS, CORRECTION_STYLES } from '../tutor/profile.js';
import { TOPICS } from '../tutor/topics.js';
import { abortOnDisconnect } from './routes/http-streaming.js';
import type { PublicConfig } from './public-config.js';
import type { TutorService } from './tutor-service.js';

/** The first 16 bytes of every SQLite 3 database file. */
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/** Import refusals that are the file's fault (answered 400), with what to tell the learner. */
const INVALID_BACKUP = new Map<string, string>([
  ['corrupt', 'the file is damaged or not a database'],
  ['foreign', 'a SQLite database, but not LocalChat\'s'],
  ['version', 'it was written by a newer LocalChat'],
  ['constraint', 'it cannot replace the database'],
]);

/** Largest backup accepted for import, bytes. */
const MAX_BACKUP_BYTES = 512 * 1024 * 1024;

const profileUpdateSchema = z
  .object({
    name: z.string().trim().max(40).nullable(),
    level: z.enum([...CEFR_LEVELS, 'auto']),
    nativeLanguage: z.string().trim().max(40).nullable(),
    goals: z.string().max(200).nullable(),
    correctionStyle: z.enum(CORRECTION_STYLES),
    speakingSpeed: z.union([z.literal('auto'), z.number().min(0.5).max(2)]),
  })
  .partial()
  .strict();

const wordSchema = z.object({
  word: z.string().trim().min(1).max(60),
  meaning: z.string().max(500).optional(),
  meaningNative: z.string().max(500).nullable().optional(),
  example: z.string().max(500).nullable().optional(),
  conversationId: z.string().max(100).nullable().optional(),
  turnId: z.string().max(100).nullable().optional(),
});

function fail(reply: FastifyReply, status: number, code: string, message: string) {
  return reply.code(status).send({ error: { type: status >= 500 ? 'server_error' : 'invalid_request_error', code, message } });
}

function parse<T>(schema: z.ZodType<T>, value: unknown, reply: FastifyReply): T | undefined {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  void fail(reply, 400, 'invalid_request', `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
  return undefined;
}

/**
 * Progress without the sessions in which no reply came (every reply failed, e.g. with no LLM):
 * such a session measured nothing, and would show as "0 mistakes". A reply counts when its saved
 * text is not empty (a failed reply keeps only what the LLM said before failing).
 */
export function answeredOnly(store: Pick<Store, 'getConversation'>, progress: Progress): Progress {
  const sessions = progress.sessions.filter((session) =>
    (store.getConversation(session.conversationId)?.turns ?? []).some((turn) => turn.role === 'assistant' && turn.text.trim() !== ''),
  );
  if (sessions.length === progress.sessions.length) return progress;
  const present = new Set(sessions.flatMap((session) => Object.keys(session.errorsByCategory)));
  return { sessions, categories: progress.categories.filter((category) => present.has(category)) };
}

/**
 * `GET /api/config`: the configuration in effect, without secrets (see public-config.ts). Served
 * with or without the tutor.
 */
export function registerConfigRoute(app: FastifyInstance, read: () => PublicConfig): void {
  app.get('/api/config', async () => read());
}

export function registerApiRoutes(app: FastifyInstance, tutor: TutorService): void {
  /** The open store, or an answer saying why there is none. */
  const storeOr = (reply: FastifyReply): Store | undefined => {
    const store = tutor.store?.store;
    if (store) return store;
    const status = tutor.store?.status();
    void fail(reply, 503, 'store_unavailable', `The database is unavailable${status && !status.ok ? `: ${status.message}` : ''}. Conversations go on, but are not saved.`);
    return undefined;
  };
  /**
   * Runs a store call, mapping StoreError to 503 (database trouble) or 400 (bad value). Database
   * trouble (a full disk, a lock, ...) also shows in `/api/store` and the log until it is over.
   */
  const withStore = async (reply: FastifyReply, action: (store: Store) => unknown, operation = 'api') => {
    const store = storeOr(reply);
    if (!store) return reply;
    try {
      return await action(store);
    } catch (error) {
      if (StoreError.isInstance(error)) {
        if (error.retryable) tutor.store?.reportFailure(operation, error);
        return fail(reply, error.code === 'constraint' ? 400 : 503, `store_${error.code}`, error.message);
      }
      throw error;
    }
  };

  app.get('/api/store', async () => tutor.store?.status() ?? { ok: false, code: 'disabled', message: 'No database configured.' });

  app.get('/api/conversations', async (request, reply) => {
    const query = parse(z.object({ search: z.string().max(200).optional(), limit: z.coerce.number().int().min(1).max(500).optional(), offset: z.coerce.number().int().min(0).optional() }), request.query, reply);
    if (!query) return reply;
    return withStore(reply, (store) => ({ data: store.listConversations(query) }));
  });

  app.get<{ Params: { id: string } }>('/api/conversations/:id', async (request, reply) =>
    withStore(reply, (store) => {
      const conversation = store.getConversation(request.params.id);
      return conversation ?? fail(reply, 404, 'not_found', `No conversation "${request.params.id}".`);
    }),
  );

  app.patch<{ Params: { id: string } }>('/api/conversations/:id', async (request, reply) => {
    const body = parse(z.object({ title: z.string().trim().min(1).max(200) }).strict(), request.body, reply);
    if (!body) return reply;
    return withStore(reply, (store) => (store.renameConversation(request.params.id, body.title) ? store.getConversation(request.params.id) : fail(reply, 404, 'not_found', `No conversation "${request.params.id}".`)));
  });

  app.delete<{ Params: { id: string } }>('/api/conversations/:id', async (request, reply) =>
    withStore(reply, (store) => (store.deleteConversation(request.params.id) ? { deleted: true } : fail(reply, 404, 'not_found', `No conversation "${request.params.id}".`))),
  );

  app.get<{ Params: { id: string } }>('/api/conversations/:id/export', async (request, reply) => {
    const query = parse(z.object({ format: z.enum(['md', 'json']).default('md') }), request.query, reply);
    if (!query) return reply;
    return withStore(reply, (store) => {
      const data = store.exportConversation(request.params.id);
      if (!data) return fail(reply, 404, 'not_found', `No conversation "${request.params.id}".`);
      const name = `localchat-${request.params.id.slice(0, 8)}.${query.format}`;
      reply.header('content-disposition', `attachment; filename="${name}"`);
      return query.format === 'json'
        ? reply.type('application/json; charset=utf-8').send(conversationToJson(data))
        : reply.type('text/markdown; charset=utf-8').send(conversationToMarkdown(data));
    });
  });

  app.get<{ Params: { id: string } }>('/api/conversations/:id/report', async (request, reply) =>
    withStore(reply, (store) => store.getReport(request.params.id) ?? fail(reply, 404, 'not_found', 'No report yet: end the session, or POST to this URL to write one.')),
  );

  app.post<{ Params: { id: string } }>('/api/conversations/:id/report', async (request, reply) => {
    const controller = abortOnDisconnect(reply);
    const report = await tutor.report(request.params.id, controller.signal);
    return report ?? fail(reply, 404, 'not_found', `No saved conversation "${request.params.id}".`);
  });

  app.get('/api/scenarios', async () => ({ data: await tutor.scenarios() }));
  app.get('/api/topics', async () => ({ today: tutor.topicOfTheDay(), data: TOPICS }));

  app.get('/api/profile', async () => tutor.profile());
  app.put('/api/profile', async (request, reply) => {
    const body = parse(profileUpdateSchema, request.body, reply);
    if (!body) return reply;
    try {
      return tutor.updateProfile(body);
    } catch (error) {
      return fail(reply, StoreError.isInstance(error) && error.code === 'constraint' ? 400 : 503, 'profile_not_saved', errorMessage(error));
    }
  });

  app.get('/api/vocabulary', async (request, reply) => {
    const query = parse(z.object({ search: z.string().max(100).optional(), limit: z.coerce.number().int().min(1).max(10_000).optional(), offset: z.coerce.number().int().min(0).optional() }), request.query, reply);
    if (!query) return reply;
    return withStore(reply, (store) => ({ data: store.listVocabulary(query) }));
  });
  app.post('/api/vocabulary', async (request, reply) => {
    const body = parse(wordSchema, request.body, reply);
    if (!body) return reply;
    return withStore(reply, (store) => reply.code(201).send(store.addWord(body)), 'addWord');
  });
  app.post('/api/vocabulary/explain', async (request, reply) => {
    const body = parse(z.object({ word: z.string().trim().min(1).max(60), sentence: z.string().max(1000).optional() }), request.body, reply);
    if (!body) return reply;
    const controller = abortOnDisconnect(reply);
    const explanation = await tutor.explain(body.word, body.sentence, controller.signal);
    return explanation ?? fail(reply, 502, 'explain_failed', 'The language model could not explain this word right now. Try again, or save it without a meaning.');
  });
  app.delete<{ Params: { id: string } }>('/api/vocabulary/:id', async (request, reply) =>
    withStore(reply, (store) => (store.deleteWord(Number(request.params.id)) ? { deleted: true } : fail(reply, 404, 'not_found', 'No such word.'))),
  );
  app.get('/api/vocabulary/review', async (_request, reply) => withStore(reply, (store) => ({ data: store.dueForReview() })));
  app.post<{ Params: { id: string } }>('/api/vocabulary/:id/review', async (request, reply) => {
    const body = parse(z.object({ grade: z.number().int().min(0).max(5) }), request.body, reply);
    if (!body) return reply;
    return withStore(reply, (store) => store.recordReview(Number(request.params.id), body.grade) ?? fail(reply, 404, 'not_found', 'No such word.'));
  });
  app.get('/api/vocabulary/export.csv', async (_request, reply) =>
    withStore(reply, (store) =>
      reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="localchat-vocabulary.csv"').send(store.exportVocabularyCsv(',')),
    ),
  );

  app.get('/api/progress', async (_request, reply) => withStore(reply, (store) => answeredOnly(store, store.progress())));

  app.get('/api/backup', async (_request, reply) =>
    withStore(reply, async (store) => {
      const dir = mkdtempSync(join(tmpdir(), 'localchat-backup-'));
      try {
        const file = join(dir, 'localchat.db');
        await store.backup(file);
        const bytes = readFileSync(file);
        const stamp = new Date().toISOString().slice(0, 10);
        return reply.type('application/vnd.sqlite3').header('content-disposition', `attachment; filename="localchat-backup-${stamp}.db"`).send(bytes);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }),
  );

  app.register(async (scope) => {
    scope.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: MAX_BACKUP_BYTES }, (_request, body, done) => done(null, body));
    scope.post('/api/backup', { bodyLimit: MAX_BACKUP_BYTES }, async (request, reply) => {
      if (!Buffer.isBuffer(request.body) || request.body.length === 0) return fail(reply, 400, 'invalid_request', 'Send the backup file as the body, with Content-Type: application/octet-stream.');
      const body = request.body;
      // https://www.sqlite.org/fileformat.html#the_database_header: every SQLite 3 file starts so.
      if (body.length < 100 || !body.subarray(0, SQLITE_HEADER.length).equals(SQLITE_HEADER)) {
        return fail(reply, 400, 'invalid_backup', 'This file is not a LocalChat backup (not a SQLite database). Nothing was changed.');
      }
      const store = storeOr(reply);
      if (!store) return reply;
      const dir = mkdtempSync(join(tmpdir(), 'localchat-import-'));
      try {
        const file = join(dir, 'import.db');
        writeFileSync(file, body);
        const result = store.importBackup(file);
        // `previous`: the file name (in the data directory) the replaced database was kept as.
        return { imported: true, fromVersion: result.fromVersion, schemaVersion: result.schemaVersion, previous: result.previousPath ? basename(result.previousPath) : null };
      } catch (error) {
        if (!StoreError.isInstance(error)) throw error;
        // The answer names no server path: the log has the full message.
        request.log.warn({ err: error }, 'backup import refused');
        if (INVALID_BACKUP.has(error.code)) return fail(reply, 400, 'invalid_backup', `This file is not a usable LocalChat backup (${INVALID_BACKUP.get(error.code)}). Nothing was changed.`);
        if (error.retryable) tutor.store?.reportFailure('importBackup', error);
        return fail(reply, 503, `store_${error.code}`, 'The backup could not be imported: the database could not be written (see /api/store and the server log). Nothing was changed.');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
