/**
 * The real server for the RSS benchmark, in its own process: the app with a StaticEngineSet of
 * the benchmark's ScriptedLLM (15 tokens/s) and eSpeak NG (warmed up), on a free loopback port.
 * Prints one JSON line `{"ready":true,"port":…,"pid":…}` to stdout when listening; closes on
 * SIGTERM/SIGINT or when stdin ends (so it never outlives the benchmark).
 *
 * Run: node --import tsx bench/server-child.ts   (or: npx tsx bench/server-child.ts)
 */
import { StaticEngineSet } from '../src/engines/engine-set.js';
import { EspeakTTSEngine } from '../src/engines/tts/espeak.js';
import { startTestServer } from '../test/helpers/test-server.js';
import { scriptedLlm } from './scenario.js';

const tts = new EspeakTTSEngine();
await tts.prepare();
const server = await startTestServer(new StaticEngineSet({ llm: scriptedLlm(), tts }));

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await server.stop().catch(() => undefined);
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
process.stdin.on('end', () => void stop());
process.stdin.resume();

process.stdout.write(`${JSON.stringify({ ready: true, port: server.port, pid: process.pid })}\n`);
