/**
 * LocalChat benchmark: `npm run bench [-- options]`. Prints a table and writes
 * bench/results/latest.json (plus a dated copy). Figures, not pass/fail: targets are printed next
 * to them (DESIGN.md, "Performance vocabulary").
 *
 *   1. TTFA of runVoiceTurn, streaming vs whole-reply, same ScriptedLLM (15 tokens/s) and TTS
 *      (eSpeak NG; Kokoro too when installed in the models directory).     -> bench/ttfa.ts
 *   2. Pipeline overhead: streaming TTFA - (LLM alone to the first chunk + TTS alone on it).
 *   3. node-llama-cpp decode tokens/s, TTFT and prompt speed on a random-weight GGUF with the
 *      default model's (Qwen2.5-1.5B) dimensions, per thread count.        -> bench/llm.ts
 *   4. RSS of the real server in a child process, idle and during a turn.   -> bench/rss.ts
 *
 * Options:
 *   --quick            2 runs, 1 LLM run, skip the GGUF part (for development)
 *   --runs N           TTFA runs per delivery (default 5)
 *   --llm-runs N       llama.cpp runs per thread count (default 5)
 *   --threads 1,2      llama.cpp thread counts (default 1,2)
 *   --max-tokens N     tokens generated per llama.cpp run (default 64)
 *   --rss-turns N      measured turns over the WebSocket (default 3)
 *   --skip-ttfa --skip-llm --skip-rss
 *   --out PATH         JSON output (default bench/results/latest.json)
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { TTS } from '../src/core/tts.js';
import { EspeakTTSEngine } from '../src/engines/tts/espeak.js';
import { kokoroEntry } from '../src/models/catalog.js';
import { isInstalled, modelDirectory, resolveModelsDir } from '../src/models/models-dir.js';
import { benchLlm, type LlmResult } from './llm.js';
import { loadAverage, machineInfo } from './machine.js';
import { benchRss, procStatus, type RssResult } from './rss.js';
import { SCRIPTED_TOKENS_PER_SECOND, TUTOR_REPLY_TOKENS, TUTOR_REPLY_WORDS } from './scenario.js';
import { formatMs, round } from './stats.js';
import { benchTtfa, type TtfaResult } from './ttfa.js';

const TARGETS = {
  streaming_ttfa_max_ratio_of_whole_reply: 1 / 3,
  pipeline_overhead_p50_max_ms: 20,
} as const;

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    runs: { type: 'string' },
    'llm-runs': { type: 'string' },
    threads: { type: 'string', default: '1,2' },
    'max-tokens': { type: 'string', default: '64' },
    'rss-turns': { type: 'string' },
    'skip-ttfa': { type: 'boolean', default: false },
    'skip-llm': { type: 'boolean', default: false },
    'skip-rss': { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});

const quick = args.quick ?? false;
const options = {
  quick,
  runs: positiveInt(args.runs, quick ? 2 : 5, '--runs'),
  llmRuns: positiveInt(args['llm-runs'], quick ? 1 : 5, '--llm-runs'),
  threads: (args.threads ?? '1,2').split(',').map((value) => positiveInt(value.trim(), 1, '--threads')),
  maxTokens: positiveInt(args['max-tokens'], 64, '--max-tokens'),
  rssTurns: positiveInt(args['rss-turns'], quick ? 1 : 3, '--rss-turns'),
  skipTtfa: args['skip-ttfa'] ?? false,
  skipLlm: (args['skip-llm'] ?? false) || quick,
  skipRss: args['skip-rss'] ?? false,
};
const outPath = resolve(args.out ?? fileURLToPath(new URL('./results/latest.json', import.meta.url)));

const log = (line: string) => console.log(line);
const startedAt = performance.now();
const machine = await machineInfo();
log(`LocalChat bench — ${machine.cpu_model}, ${machine.logical_cores} logical / ${machine.physical_cores} physical cores, ` +
  `${(machine.ram_total_mb / 1024).toFixed(1)} GiB, ${machine.os}, Node ${machine.node_version}`);
const busy = machine.cpu_busy_before_pct;
log(`before starting: CPU ${busy ?? '?'}% busy with other work, load average ${machine.loadavg_start.join(' / ')}` +
  `${busy !== null && busy > 10 ? '  (other work is running: figures may be inflated)' : ''}`);
log(`options: ${JSON.stringify(options)}\n`);

// 1-2. TTFA and pipeline overhead, per TTS engine.
const ttfa: Record<string, TtfaResult | { installed: false; reason: string }> = {};
if (!options.skipTtfa) {
  const engines: { name: string; load: () => Promise<TTS> }[] = [{ name: 'espeak', load: async () => new EspeakTTSEngine() }];
  const kokoro = kokoroEntry();
  const modelsDir = resolveModelsDir();
  if (await isInstalled(kokoro, modelsDir)) {
    engines.push({
      name: 'kokoro',
      load: async () => {
        const { KokoroTTSEngine } = await import('../src/engines/tts/kokoro.js');
        return KokoroTTSEngine.load({ modelDir: modelDirectory(kokoro, modelsDir) });
      },
    });
  } else {
    ttfa.kokoro = { installed: false, reason: `${kokoro.id} is not installed in ${modelsDir}` };
  }
  for (const engine of engines) {
    log(`[ttfa] ${engine.name}: ${options.runs} runs x (streaming turn, whole-reply turn, LLM alone, TTS alone); ` +
      `reply ${TUTOR_REPLY_WORDS} words / ${TUTOR_REPLY_TOKENS} tokens at ${SCRIPTED_TOKENS_PER_SECOND} tokens/s`);
    const tts = await engine.load();
    try {
      ttfa[engine.name] = await benchTtfa(tts, {
        runs: options.runs,
        onRun: (index, run) =>
          log(`  run ${index + 1}/${options.runs}: TTFA streaming ${formatMs(run.streaming.ttfaMs)}, whole-reply ${formatMs(run.wholeReply.ttfaMs)}, ` +
            `LLM alone ${formatMs(run.llmFirstChunkTokensMs)} + TTS alone ${formatMs(run.ttsFirstChunkMs)} -> overhead ${formatMs(run.overheadMs)}`),
      });
    } finally {
      await tts.dispose?.();
    }
  }
  if (ttfa.kokoro && 'installed' in ttfa.kokoro) log(`[ttfa] kokoro: absent (${ttfa.kokoro.reason})`);
  log('');
}

// 4. RSS of the server (before the LLM part, which loads this process and the machine).
let rss: RssResult | undefined;
if (!options.skipRss) {
  log(`[rss] real server in a child process (ScriptedLLM + eSpeak NG), ${options.rssTurns} measured turn(s) over the WebSocket`);
  rss = await benchRss({ turns: options.rssTurns, log });
  log('');
}

// 3. llama.cpp speed.
let llm: LlmResult | undefined;
if (!options.skipLlm) {
  log(`[llm] node-llama-cpp, threads ${options.threads.join(',')}, ${options.llmRuns} run(s) each, ${options.maxTokens} tokens generated`);
  const rssBefore = procStatus('self').rssMb;
  llm = await benchLlm({ threads: options.threads, runs: options.llmRuns, maxTokens: options.maxTokens, log });
  log(`  bench process RSS before loading: ${rssBefore.toFixed(0)} MB`);
  log('');
}

machine.loadavg_end = loadAverage();
const espeak = ttfa.espeak && !('installed' in ttfa.espeak) ? ttfa.espeak : undefined;
const kokoroResult = ttfa.kokoro && !('installed' in ttfa.kokoro) ? ttfa.kokoro : undefined;
const result = {
  ttfa_streaming_ms: espeak?.ttfa_streaming_ms.p50 ?? null,
  ttfa_whole_reply_ms: espeak?.ttfa_whole_reply_ms.p50 ?? null,
  ttfa_ratio_streaming_to_whole: espeak?.streaming_to_whole_ratio ?? null,
  pipeline_overhead_ms: espeak?.pipeline_overhead_ms.p50 ?? null,
  ttfa_engine: espeak ? 'espeak' : null,
  ttfa_streaming_ms_kokoro: kokoroResult?.ttfa_streaming_ms.p50 ?? null,
  ttfa_whole_reply_ms_kokoro: kokoroResult?.ttfa_whole_reply_ms.p50 ?? null,
  pipeline_overhead_ms_kokoro: kokoroResult?.pipeline_overhead_ms.p50 ?? null,
  llm_tokens_per_s: llm?.llm_tokens_per_s ?? null,
  llm_best_threads: llm?.best_threads ?? null,
  llm_ttft_ms: llm?.llm_ttft_ms ?? null,
  llm_prompt_tokens_per_s: llm?.llm_prompt_tokens_per_s ?? null,
  rss_startup_mb: rss?.rss_startup_mb ?? null,
  rss_idle_after_gc_mb: rss?.rss_idle_after_gc_mb ?? null,
  rss_idle_mb: rss?.rss_idle_mb ?? null,
  rss_turn_mb: rss?.rss_turn_mb ?? null,
  targets: TARGETS,
  notes: {
    ttfa_streaming_ms: 'median over runs; runVoiceTurn turn start -> first audio event, streaming delivery, eSpeak NG, ScriptedLLM at 15 tokens/s (detail.ttfa.espeak)',
    ttfa_whole_reply_ms: 'same, whole_reply delivery (all text first, then all audio), interleaved with the streaming runs',
    pipeline_overhead_ms: 'median over runs of: streaming TTFA - (LLM alone until its tokens cover the first chunk + TTS alone on the first chunk)',
    llm_tokens_per_s: 'median decode tokens/s of the best thread count: (completionTokens - 1) / (duration - TTFT), random-weight Qwen2.5-1.5B-shaped Q4_K_M-like GGUF (detail.llm.per_threads)',
    llm_ttft_ms: 'median TTFT of that thread count for the cold ~100-token prompt (nothing cached)',
    llm_prompt_tokens_per_s: 'median prompt-processing speed of that thread count, from timing prepare() of the system prompt',
    rss_idle_mb: 'server child (ScriptedLLM + eSpeak NG, run with tsx): median VmRSS after 2 warm-up turns and a 2 s pause; V8 GC timing moves it by tens of MB',
    rss_turn_mb: 'max VmRSS sampled every 50 ms during the measured turns over the WebSocket',
    machine: 'cpu_busy_before_pct: CPU busy with other work in the second before the run',
  },
  machine,
  options,
  duration_s: round((performance.now() - startedAt) / 1000),
  detail: { ttfa, llm: llm ?? null, rss: rss ?? null },
};

printTable();
await mkdir(dirname(outPath), { recursive: true });
const json = `${JSON.stringify(result, null, 2)}\n`;
await writeFile(outPath, json);
await writeFile(join(dirname(outPath), `bench-${machine.date.replace(/[:.]/g, '-')}.json`), json);
log(`\nwrote ${outPath} (${result.duration_s} s in all)`);
// node-llama-cpp's native threads and handles may keep the loop alive.
process.exit(0);

function printTable(): void {
  const rows: string[][] = [];
  const header = ['figure', 'value', 'target', 'detail'];
  for (const [name, entry] of Object.entries(ttfa)) {
    if ('installed' in entry) {
      rows.push([`TTFA (${name})`, 'absent', '', entry.reason]);
      continue;
    }
    const whole = entry.ttfa_whole_reply_ms.p50;
    const ratio = entry.streaming_to_whole_ratio;
    const ratioMet = ratio <= TARGETS.streaming_ttfa_max_ratio_of_whole_reply;
    const overheadMet = entry.pipeline_overhead_ms.p50 <= TARGETS.pipeline_overhead_p50_max_ms;
    rows.push([
      `TTFA streaming, ${name} (p50 of ${entry.ttfa_streaming_ms.n})`,
      formatMs(entry.ttfa_streaming_ms.p50),
      `<= 1/3 whole (${formatMs(whole / 3)}): ${ratioMet ? 'met' : 'NOT met'}`,
      `ratio ${ratio.toFixed(2)}; min ${formatMs(entry.ttfa_streaming_ms.min)} max ${formatMs(entry.ttfa_streaming_ms.max)}; TTFT ${formatMs(entry.ttft_streaming_ms.p50)}`,
    ]);
    rows.push([
      `TTFA whole reply, ${name} (p50 of ${entry.ttfa_whole_reply_ms.n})`,
      formatMs(whole),
      '',
      `min ${formatMs(entry.ttfa_whole_reply_ms.min)} max ${formatMs(entry.ttfa_whole_reply_ms.max)}; reply audio ${formatMs(entry.reply_audio_ms)}, ${entry.chunks_per_reply} chunks when streamed`,
    ]);
    rows.push([
      `  first chunk: LLM alone`,
      formatMs(entry.llm_first_chunk_tokens_ms.p50),
      '',
      `${entry.first_chunk_tokens} tokens: "${entry.first_chunk_text}"; next token at ${formatMs(entry.llm_lookahead_token_ms.p50)}`,
    ]);
    rows.push([`  first chunk: TTS alone`, formatMs(entry.tts_first_chunk_ms.p50), '', `resampling it to 24 kHz: ${formatMs(entry.resample_first_chunk_ms.p50)}`]);
    rows.push([
      `Pipeline overhead, ${name} (p50)`,
      formatMs(entry.pipeline_overhead_ms.p50),
      `<= ${TARGETS.pipeline_overhead_p50_max_ms} ms: ${overheadMet ? 'met' : 'NOT met'}`,
      `chunk decision ${formatMs(entry.overhead_breakdown_p50_ms.chunk_decision_ms)} + synthesis stage ${formatMs(entry.overhead_breakdown_p50_ms.synthesis_stage_ms)}; runs ${entry.pipeline_overhead_ms.values.join(', ')}`,
    ]);
  }
  if (llm) {
    for (const entry of llm.per_threads) {
      rows.push([
        `llama.cpp decode, ${entry.threads} thread(s) (p50)`,
        `${entry.decode_tokens_per_s.p50.toFixed(1)} tok/s`,
        '',
        `runs ${entry.decode_tokens_per_s.values.join(', ')} tok/s; TTFT ${formatMs(entry.ttft_ms.p50)} for ${entry.prompt_tokens} prompt tokens; prompt ${entry.prepare_prompt_tokens_per_s.p50.toFixed(0)} tok/s (prepare), ` +
          `~${entry.prompt_tokens_per_s_estimate.p50.toFixed(0)} tok/s (from TTFT); TTFT after prepare ${formatMs(entry.prepared_ttft_ms.p50)}; load ${formatMs(entry.load_ms)}`,
      ]);
    }
    rows.push([`llm_tokens_per_s (best: ${llm.best_threads} threads)`, `${llm.llm_tokens_per_s.toFixed(1)} tok/s`, '', `${llm.model}, ${llm.per_threads[0]?.max_tokens} tokens generated`]);
  } else {
    rows.push(['llama.cpp', 'skipped', '', options.quick ? '--quick' : '--skip-llm']);
  }
  if (rss) {
    rows.push([
      'Server RSS at startup',
      `${rss.rss_startup_mb.toFixed(1)} MB`,
      '',
      `ready ${formatMs(rss.spawn_to_ready_ms)} after spawn; node + tsx loader alone ${rss.rss_baseline_node_tsx_mb.toFixed(1)} MB (${rss.threads_baseline} threads)`,
    ]);
    rows.push([
      'Server RSS idle (after warm-up turns)',
      `${rss.rss_idle_mb.toFixed(1)} MB`,
      '',
      `${rss.threads_idle} threads; after a forced full GC ${rss.rss_idle_after_gc_mb?.toFixed(1) ?? 'n/a'} MB`,
    ]);
    rows.push([
      `Server RSS during a turn (max of ${rss.turns.length})`,
      `${rss.rss_turn_mb.toFixed(1)} MB`,
      '',
      `per turn ${rss.rss_turn_max_per_turn_mb.values.join(', ')} MB; VmHWM ${rss.rss_peak_hwm_mb.toFixed(1)} MB; up to ${rss.threads_turn_max} threads`,
    ]);
    rows.push([
      'TTFA over WebSocket, streaming (p50)',
      formatMs(rss.ws_client_ttfa_ms.p50),
      '',
      `client-observed; server-reported ${formatMs(rss.ws_server_ttfa_ms.p50)}`,
    ]);
  } else {
    rows.push(['Server RSS', 'skipped', '', '--skip-rss']);
  }

  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (column === 3 ? 0 : row[column]!.length))));
  const line = (cells: string[]) => cells.map((cell, column) => (column === 3 ? cell : cell.padEnd(widths[column]!))).join(' | ');
  log(line(header));
  log(`${widths.slice(0, 3).map((width) => '-'.repeat(width)).join('-+-')}-+-${'-'.repeat(40)}`);
  for (const row of rows) log(line(row));
  log(`machine: ${machine.cpu_model}, ${machine.logical_cores} cores, ${(machine.ram_total_mb / 1024).toFixed(1)} GiB, ${machine.os}, Node ${machine.node_version}, ` +
    `${machine.date}; before start CPU ${machine.cpu_busy_before_pct ?? '?'}% busy (other work), load avg start ${machine.loadavg_start.join('/')}, end ${machine.loadavg_end?.join('/') ?? '?'}`);
}

function positiveInt(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`${name} must be a positive integer, got "${value}"`);
  return parsed;
}
