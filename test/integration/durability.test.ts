/**
 * Nothing acknowledged is lost: kill -9 the real server during a conversation, start it again on
 * the same data directory, and every turn the client saw completed (and every learner message the
 * server acknowledged) is in the saved conversation.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type SseServer, startSseServer } from '../helpers/openai-sse-server.js';
import { TestRealtimeClient } from '../helpers/realtime-client.js';

const children: ChildProcess[] = [];
let llm: SseServer | undefined;
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  await llm?.close();
});

async function startServer(dataDir: string, baseURL: string): Promise<{ child: ChildProcess; port: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0', '--llm-base-url', baseURL, '--llm-model', 'test-model', '--tts', 'espeak', '--stt', 'none', '--no-download', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  const port = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${output}`)), 90_000);
    child.stdout!.on('data', (data: Buffer) => {
      output += data.toString();
      const match = /open http:\/\/localhost:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.stderr!.on('data', (data: Buffer) => (output += data.toString()));
  });
  return { child, port };
}

describe('durability', () => {
  it('keeps every acknowledged turn across kill -9', async () => {
    llm = await startSseServer({ reply: 'That is nice. Tell me more about it, please.', wordDelayMs: 30 });
    const dataDir = mkdtempSync(join(tmpdir(), 'localchat-durable-'));
    const first = await startServer(dataDir, llm.baseURL);
    const client = await TestRealtimeClient.connect(`ws://127.0.0.1:${first.port}/v1/realtime`);
    await client.waitFor('session.created');
    // The server probes the LLM server after it starts listening: talk once it is ready.
    await client.waitFor('localchat.engine.status', (event) => event.engines.some((engine) => engine.kind === 'llm' && engine.state === 'ready'), 0, 60_000);
    const acknowledged: { id: string; text: string }[] = [];
    for (let turn = 0; turn < 3; turn++) {
      const from = client.events.length;
      client.sendText(`Message number ${turn}.`);
      const user = await client.waitFor('conversation.item.done', (event) => 'role' in event.item && event.item.role === 'user', from);
      acknowledged.push({ id: user.item.id!, text: `Message number ${turn}.` });
      const done = await client.waitFor('response.done', () => true, from);
      const item = done.response.output?.[0];
      acknowledged.push({ id: item!.id!, text: 'That is nice. Tell me more about it, please.' });
    }
    // A fourth message: acknowledged, then the server dies mid-reply.
    const from = client.events.length;
    client.sendText('Message number 3.');
    const fourth = await client.waitFor('conversation.item.done', (event) => 'role' in event.item && event.item.role === 'user', from);
    acknowledged.push({ id: fourth.item.id!, text: 'Message number 3.' });
    await client.waitFor('response.output_audio_transcript.delta', () => true, from);
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    await client.close();

    const second = await startServer(dataDir, llm.baseURL);
    const list = (await (await fetch(`http://127.0.0.1:${second.port}/api/conversations`)).json()) as { data: { id: string }[] };
    expect(list.data).toHaveLength(1);
    const saved = (await (await fetch(`http://127.0.0.1:${second.port}/api/conversations/${list.data[0]!.id}`)).json()) as { turns: { id: string; text: string }[] };
    for (const turn of acknowledged) {
      expect(saved.turns.find((candidate) => candidate.id === turn.id)?.text, turn.text).toBe(turn.text);
    }
  }, 180_000);
});
