/**
 * The durability test: kill -9 a process while it saves turns, reopen, and check that every
 * turn it acknowledged is there and the database passes `PRAGMA integrity_check`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/append-turns.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'localchat-durability-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts the writer, kills it with SIGKILL after `killAfter` acknowledgements, returns every acknowledged id. */
async function writeAndKill(path: string, conversationId: string, round: number, killAfter: number): Promise<string[]> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', FIXTURE, path, conversationId, String(round)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  const acked: string[] = [];
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    if (line.startsWith('ack ')) acked.push(line.slice(4));
    if (acked.length === killAfter) child.kill('SIGKILL');
  }
  const signal = await exited;
  if (signal !== 'SIGKILL') throw new Error(`writer exited by itself (${signal}): ${stderr}`);
  return acked;
}

describe('kill -9 durability', () => {
  it('keeps every acknowledged turn across three kills, and the database stays intact', async () => {
    const path = join(dir, 'localchat.db');
    const conversationId = 'conversation-under-fire';
    const acknowledged: string[] = [];
    for (const [round, killAfter] of [[1, 150], [2, 333], [3, 77]] as const) {
      acknowledged.push(...(await writeAndKill(path, conversationId, round, killAfter)));
      expect(acknowledged.length).toBeGreaterThanOrEqual(killAfter);

      const store = Store.open({ path });
      try {
        const integrity = store.database.pragma('integrity_check', { simple: true });
        expect(integrity).toBe('ok');
        const turns = store.getConversation(conversationId)!.turns;
        const saved = new Set(turns.map((turn) => turn.id));
        const missing = acknowledged.filter((id) => !saved.has(id));
        expect(missing).toEqual([]);
        for (const turn of turns) expect(turn.text.startsWith(turn.id)).toBe(true);
        // seq has no gaps: no half-written turn left a hole.
        expect(turns.map((turn) => turn.seq)).toEqual(turns.map((_, index) => index + 1));
      } finally {
        store.close();
      }
    }
  }, 120_000);
});
