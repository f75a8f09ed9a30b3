/**
 * Idle and dead realtime sockets end (ping/pong, idle timeout, idle sessions make room so the UI
 * is never locked out), the token redirect stays on this site and keeps the other query
 * parameters, a backup import of a non-SQLite file is a 400 naming no server path, and the data
 * directory and database are the owner's alone.
 */
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StaticEngineSet } from '../../src/engines/engine-set.js';
import { MAX_SESSIONS_PER_CLIENT } from '../../src/server/realtime/rate-limit.js';
import { TutorService } from '../../src/server/tutor-service.js';
import { SafeStore } from '../../src/store/safe-store.js';
import { Store } from '../../src/store/store.js';
import { ScriptedLLM } from '../../src/testing/scripted-llm.js';
import { ToneTTS } from '../../src/testing/tone-tts.js';
import { TestRealtimeClient } from '../helpers/realtime-client.js';
import { type TestServer, startTestServer } from '../helpers/test-server.js';

const engines = () => new StaticEngineSet({ llm: new ScriptedLLM({ reply: 'Hello there!' }), tts: new ToneTTS() });

/** Resolves with the close code once the socket closes. */
function closed(socket: WebSocket): Promise<number> {
  return new Promise((resolve) => {
    if (socket.readyState === WebSocket.CLOSED) resolve(1006);
    socket.once('close', (code) => resolve(code));
  });
}

describe('idle and dead realtime sockets', () => {
  let server: TestServer | undefined;
  const clients: TestRealtimeClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await server?.stop();
  });

  it(`${MAX_SESSIONS_PER_CLIENT} idle sockets do not lock the UI out: the most idle makes room`, async () => {
    server = await startTestServer(engines(), { keepalive: { pingIntervalMs: 60_000, idleTimeoutMs: 600_000, evictIdleAfterMs: 300 } });
    for (let i = 0; i < MAX_SESSIONS_PER_CLIENT; i++) {
      const client = await TestRealtimeClient.connect(server.wsUrl);
      await client.waitFor('session.created');
      clients.push(client);
    }
    // Right now they are all fresh: the limit holds.
    await expect(TestRealtimeClient.connect(server.wsUrl)).rejects.toThrow('HTTP 429');
    const firstClosed = closed(clients[0]!.socket);
    await new Promise((resolve) => setTimeout(resolve, 400));
    // Keep the last one busy: it is not idle, so it is not the one closed.
    const busy = clients.at(-1)!;
    busy.send({ type: 'session.update', session: { type: 'realtime', instructions: 'Be brief.' } });
    await busy.waitFor('session.updated');

    const ui = await TestRealtimeClient.connect(server.wsUrl);
    clients.push(ui);
    await ui.waitFor('session.created');
    expect(await firstClosed).toBe(1001);
    expect(busy.socket.readyState).toBe(WebSocket.OPEN);
  });

  it('cuts a peer that stops answering pings, and closes a session idle too long (1001)', async () => {
    server = await startTestServer(engines(), { keepalive: { pingIntervalMs: 100, idleTimeoutMs: 250, evictIdleAfterMs: 60_000 } });
    const deaf = new WebSocket(server.wsUrl, { autoPong: false });
    const deafClosed = closed(deaf);
    const quiet = await TestRealtimeClient.connect(server.wsUrl);
    clients.push(quiet);
    const quietClosed = closed(quiet.socket);
    let pings = 0;
    deaf.on('ping', () => pings++);
    // No pong: terminated (no close frame: 1006) after the next ping finds the last unanswered.
    expect(await deafClosed).toBe(1006);
    expect(pings).toBeGreaterThanOrEqual(1);
    // Answers pings but sends nothing: closed as idle, with a close frame.
    expect(await quietClosed).toBe(1001);
  });
});

describe('token redirect', () => {
  const TOKEN = 'test-token-0123456789abcdef';
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(engines(), { token: TOKEN });
  });
  afterAll(() => server.stop());

  it('redirects to a path on this site only, keeping the other query parameters', async () => {
    const offSite = await fetch(`${server.url}//evil.example/?token=${TOKEN}&lang=en`, { redirect: 'manual' });
    expect(offSite.status).toBe(302);
    const location = offSite.headers.get('location')!;
    expect(location).toBe('/evil.example/?lang=en');
    expect(new URL(location, server.url).origin).toBe(server.url);

    const backslash = await fetch(`${server.url}/%5Cevil.example?token=${TOKEN}`, { redirect: 'manual' });
    expect(new URL(backslash.headers.get('location')!, server.url).origin).toBe(server.url);

    const home = await fetch(`${server.url}/?lang=en&token=${TOKEN}&theme=dark`, { redirect: 'manual' });
    expect(home.status).toBe(302);
    expect(home.headers.get('location')).toBe('/?lang=en&theme=dark');
  });
});

describe('backup import and file permissions', () => {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'localchat-hardening-')), 'data');
  let server: TestServer;
  let store: SafeStore;
  beforeAll(async () => {
    store = SafeStore.open({ dataDir });
    const set = engines();
    server = await startTestServer(set, { tutor: new TutorService({ store, engines: set, logger: pino({ level: 'silent' }) }) });
  });
  afterAll(async () => {
    await server.stop();
    store.close();
    rmSync(join(dataDir, '..'), { recursive: true, force: true });
  });

  it('answers 400 without server paths for a backup that is not a SQLite database', async () => {
    for (const body of [Buffer.from('this is not a database, just text '.repeat(20)), Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(4096, 7)])]) {
      const response = await fetch(`${server.url}/api/backup`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body });
      expect(response.status).toBe(400);
      const answer = (await response.json()) as { error: { code: string; message: string } };
      expect(answer.error.code).toBe('invalid_backup');
      expect(answer.error.message).not.toMatch(/\//);
      expect(answer.error.message).not.toContain(tmpdir());
    }
    // Nothing was changed: the store still works.
    expect(((await (await fetch(`${server.url}/api/store`)).json()) as { ok: boolean }).ok).toBe(true);
  });

  it('creates the data directory 0700 and the database (and its WAL) 0600, and tightens an old 0644 file', () => {
    if (process.platform === 'win32') return;
    store.createConversation({ id: 'private' });
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(store.path).mode & 0o777).toBe(0o600);
    expect(statSync(`${store.path}-wal`).mode & 0o777).toBe(0o600);

    const oldDir = mkdtempSync(join(tmpdir(), 'localchat-old-'));
    try {
      const path = join(oldDir, 'localchat.db');
      Store.open({ path }).close();
      chmodSync(path, 0o644);
      const reopened = Store.open({ path });
      expect(statSync(path).mode & 0o777).toBe(0o600);
      reopened.close();
    } finally {
      rmSync(oldDir, { recursive: true, force: true });
    }
  });
});
