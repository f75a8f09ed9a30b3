/**
 * The real server for the RSS benchmark, in its own process: the app with a StaticEngineSet of
 * the benchmark's ScriptedLLM (15 tokens/s) and eSpeak NG (warmed up), on a free loopback port.
 * Prints one JSON line `{"ready":true,"port":…,"pid":…}` to stdout when listening; closes on
 * SIGTERM/SIGINT or when stdin ends (so it never outlives the benchmark).
 *
 * Commands on stdin, one a line: `gc` runs a full garbage collection when node was started with
 * --expose-gc, then prints `{"gc":true}`.
 * With `--baseline` it loads nothing (no app, no engine) and listens on no port: the RSS of node
 * plus the tsx loader, to subtract from the server's figures.
 *
 * Run: node --import tsx bench/server-child.ts   (or: npx tsx bench/server-child.ts)
 */
import { createInterface } from 'node:readline';

const baseline = process.argv.includes('--baseline');
let stop: () => Promise<void> = async () => undefined;
let port = 0;

if (!baseline) {
  // Imported here, so the baseline process loads none of it.
  const { StaticEngineSet } = await import('../src/engines/engine-set.js');
  const { EspeakTTSEngine } = await import('../src/engines/tts/espeak.js');
  const { startTestServer } = await import('../test/helpers/test-server.js');
  const { scriptedLlm } = await import('./scenario.js');
  const tts = new EspeakTTSEngine();
  await tts.prepare();
  const server = await startTestServer(new StaticEngineSet({ llm: scriptedLlm(), tts }));
  port = server.port;
  stop = () => server.stop();
}

let stopping = false;
async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await stop().catch(() => undefined);
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
const commands = createInterface({ input: process.stdin });
commands.on('line', (line) => {
  if (line.trim() !== 'gc') return;
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  process.stdout.write(`${JSON.stringify({ gc: gc !== undefined })}\n`);
});
commands.on('close', () => void shutdown());

process.stdout.write(`${JSON.stringify({ ready: true, port, pid: process.pid })}\n`);
