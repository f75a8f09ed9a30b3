/**
 * The real server for the server benchmarks, in its own process (so that its RSS and event loop
 * are its own, and a client in the benchmark process does not share its event loop): the app with
 * a StaticEngineSet of the benchmark's ScriptedLLM (15 tokens/s: the tutor reply, and the
 * correction card for the tutor's `correction` task) and a TTS (eSpeak NG by default, warmed up),
 * on a free loopback port. Prints one JSON line `{"ready":true,"port":…,"pid":…}` to stdout when
 * listening; closes on SIGTERM/SIGINT or when stdin ends (so it never outlives the benchmark).
 *
 * Options:
 *   --tokens-per-second N   the ScriptedLLM's pace (default 15)
 *   --tts espeak|kokoro|supertonic   the active TTS (Kokoro/Supertonic from the models directory)
 *   --tutor                 a TutorService over a SafeStore in a temporary data directory
 *                           (turns saved, correction cards), removed at exit
 *   --baseline              load nothing (no app, no engine) and listen on no port: the RSS of
 *                           node plus the tsx loader, to subtract from the server's figures
 *
 * Commands on stdin, one a line: `gc` runs a full garbage collection when node was started with
 * --expose-gc, then prints `{"gc":true,"memory":{rssMb,heapUsedMb,heapTotalMb,externalMb,arrayBuffersMb}}`; `stats` prints the event loop's delay since the last
 * `stats` (or the start), ms above the 10 ms sampling interval:
 * `{"eventLoopDelay":{"p50":…,"p99":…,"max":…,"mean":…}}`, and resets it; `calls` prints the
 * LLM's call log `{"calls":[…]}` (bench/timed-engines.ts, this process's wall clock).
 *
 * Run: node --import tsx bench/server-child.ts   (or: npx tsx bench/server-child.ts)
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';

const argv = process.argv.slice(2);
const baseline = argv.includes('--baseline');
const option = (name: string): string | undefined => {
  const index = argv.indexOf(name);
  return index >= 0 ? argv[index + 1] : undefined;
};
let stop: () => Promise<void> = async () => undefined;
let port = 0;
let calls: () => unknown[] = () => [];

if (!baseline) {
  // Imported here, so the baseline process loads none of it.
  const { StaticEngineSet } = await import('../src/engines/engine-set.js');
  const { startTestServer } = await import('../test/helpers/test-server.js');
  const { SCRIPTED_TOKENS_PER_SECOND, tutorScriptedLlm } = await import('./scenario.js');
  const { TimedLLM } = await import('./timed-engines.js');
  const { loadTts } = await import('./tts-engines.js');
  const tokensPerSecond = Number(option('--tokens-per-second') ?? SCRIPTED_TOKENS_PER_SECOND);
  const ttsName = (option('--tts') ?? 'espeak') as 'espeak' | 'kokoro' | 'supertonic';
  const llm = new TimedLLM(tutorScriptedLlm(tokensPerSecond));
  calls = () => llm.calls;
  const tts = await loadTts(ttsName);
  const engines = new StaticEngineSet({ llm, tts });
  let cleanup = async () => undefined as void;
  let tutor: import('../src/server/tutor-service.js').TutorService | undefined;
  if (argv.includes('--tutor')) {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { default: pino } = await import('pino');
    const { SafeStore } = await import('../src/store/safe-store.js');
    const { TutorService } = await import('../src/server/tutor-service.js');
    const dataDir = mkdtempSync(join(tmpdir(), 'localchat-bench-tutor-'));
    const store = SafeStore.open({ dataDir });
    tutor = new TutorService({ store, engines, logger: pino({ level: 'silent' }) });
    cleanup = async () => {
      store.close();
      rmSync(dataDir, { recursive: true, force: true });
    };
  }
  const server = await startTestServer(engines, tutor ? { tutor } : {});
  port = server.port;
  stop = async () => {
    await server.stop();
    await cleanup();
    await tts.dispose?.();
  };
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
// The histogram holds the timer's whole interval (resolution + delay): the delay is what is above 10 ms.
const LOOP_RESOLUTION_MS = 10;
const loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
loopDelay.enable();
commands.on('line', (line) => {
  const command = line.trim();
  if (command === 'stats') {
    const ms = (ns: number) => Math.max(0, Math.round((ns / 1e6 - LOOP_RESOLUTION_MS) * 100) / 100);
    const eventLoopDelay = { p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max), mean: ms(loopDelay.mean) };
    loopDelay.reset();
    process.stdout.write(`${JSON.stringify({ eventLoopDelay })}\n`);
  } else if (command === 'calls') {
    process.stdout.write(`${JSON.stringify({ calls: calls() })}\n`);
  } else if (command === 'gc') {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
    const usage = process.memoryUsage();
    const memory = { rssMb: mb(usage.rss), heapUsedMb: mb(usage.heapUsed), heapTotalMb: mb(usage.heapTotal), externalMb: mb(usage.external), arrayBuffersMb: mb(usage.arrayBuffers) };
    process.stdout.write(`${JSON.stringify({ gc: gc !== undefined, memory })}\n`);
  }
});
commands.on('close', () => void shutdown());

process.stdout.write(`${JSON.stringify({ ready: true, port, pid: process.pid })}\n`);
