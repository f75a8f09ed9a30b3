/**
 * LocalChat benchmark: `npm run bench [-- options]`. Prints a table and writes
 * bench/results/latest.json (plus a dated copy). Figures, not pass/fail: targets are printed next
 * to them (TTFA, TTFT, RTF as defined in README, "Performance").
 *
 *   1. TTFA of runVoiceTurn, streaming vs whole-reply, same ScriptedLLM (15 tokens/s) and TTS
 *      (eSpeak NG; Kokoro too when installed in the models directory).     -> bench/ttfa.ts
 *   2. Pipeline overhead: streaming TTFA - (LLM alone to the first chunk + TTS alone on it).
 *   3. node-llama-cpp decode tokens/s, TTFT and prompt speed on a random-weight GGUF with the
 *      default model's (Qwen2.5-1.5B) dimensions, per thread count.        -> bench/llm.ts
 *   4. RSS of the real server in a child process, idle and during a turn.   -> bench/rss.ts
 *   5. Voice to voice in headless Chromium with the real browser VAD, stage by stage, at the
 *      minimum and default thinking time; barge-in latency (issue 3).        -> bench/voice.ts
 *   6. STT real-time factor: the test engine, and Whisper when installed.   -> bench/voice.ts
 *   7. TTFA with corrections on vs off, time to a correction card (ScriptedLLM; and the real
 *      llama.cpp engine with the JSON-schema grammar) (issue 4).            -> bench/tutor.ts
 *   8. Database: save a turn, open a 1,000-turn conversation (issue 4).     -> bench/store.ts
 *   9. `/v1/audio/speech` TTFB and RTF per TTS engine, wav and mp3 (issue 5). -> bench/speech.ts
 *  10. Load: 20 concurrent sessions taking turns vs one session, RSS (issue 5). -> bench/load.ts
 *  12. Turn taking: LibriVox utterances with learner-like pauses inserted, fed in real time to the
 *      server-VAD path; false cut-offs, voice to voice at the true end, speculative replies, for a
 *      fixed 900 ms and the learned thinking time, each with and without speculation; scripted
 *      LLM, and the embedded engine on the Qwen2.5-1.5B-shaped GGUF.       -> bench/turns.ts
 *  11. A whole 60-turn lesson over /v1/realtime on the embedded engine (and on an OpenAI-compatible
 *      server such as llama-server with --llm-base-url): TTFT over the lesson, prompt tokens
 *      evaluated vs new, TTFA with correction cards vs without, cards, RSS.  -> bench/lesson.ts
 *
 * Sections (for --only / --skip): ttfa, voice, stt, corrections, store, speech, rss, load, llm,
 * correction-llm, lesson (these three build/load the ~1 GB GGUF; --quick skips them unless named in --only),
 * turns (its embedded-engine part also loads the GGUF; --quick runs the scripted part only).
 *
 * Options:
 *   --quick            fewer runs everywhere, 10 s of load, skip the GGUF parts (for development)
 *   --only a,b         run only these sections;  --skip a,b  leave these out
 *   --runs N           TTFA runs per delivery (default 5)
 *   --llm-runs N       llama.cpp runs per thread count (default 5)
 *   --threads 1,2      llama.cpp thread counts (default 1,2)
 *   --max-tokens N     tokens generated per llama.cpp run (default 64)
 *   --rss-turns N      measured turns over the WebSocket (default 3)
 *   --voice-runs N     browser runs per thinking time (default 3; quick 1)
 *   --voice-tokens-per-second N   LLM pace of the browser runs (default 19: a 1.5B model on 2 cores)
 *   --stt-delay-ms N   ScriptedSTT delay in the browser runs (default 0: STT compute not included)
 *   --corrections-runs N  turns per mode, corrections on/off (default 5; quick 2)
 *   --speech-runs N    requests per format and engine (default 5; quick 2)
 *   --load-seconds N   load duration (default 60; quick 10);  --load-sessions N (default 20)
 *   --skip-ttfa --skip-llm --skip-rss   (as --skip ttfa etc.)
 *   --lesson-turns N   learner turns of the lesson (default 60)
 *   --turn-set N       learner turns per turn-taking configuration (default 12, the first 5 learn; quick 6)
 *   --turns-engine E   scripted | embedded | both (default both; quick: scripted unless --only turns)
 *   --lesson-tiny      the lesson on the tiny GGUF: a smoke test of the benchmark, not a figure
 *   --lesson-no-heap-upkeep  the lesson's server without the native heap upkeep (to compare its RSS)
 *   --lesson-context N the embedded engine's context per sequence in the lesson (default: the app's, 4096)
 *   --llm-base-url URL also run the lesson against this OpenAI-compatible server (e.g. llama-server)
 *   --llm-model NAME   the model name on that server
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
import { formatMs, median, round, summarize } from './stats.js';
import { benchTtfa, type TtfaResult } from './ttfa.js';
import { MAX_SESSIONS_PER_CLIENT } from '../src/server/realtime/rate-limit.js';
import { benchLoad, LOAD_TARGETS, type LoadResult } from './load.js';
import { benchLesson, LESSON_TARGETS, type LessonResult } from './lesson.js';
import { benchTurns, scriptedTurnEngines, type TurnsEngineResult } from './turns.js';
import { benchSpeech, type SpeechResult } from './speech.js';
import { benchStore, type StoreBenchResult } from './store.js';
import { benchCorrectionLlama, benchCorrections, CORRECTIONS_TARGETS, type CorrectionsResult, type LlamaCorrectionResult } from './tutor.js';
import { benchStt, benchVoice, THINKING_TIMES_MS, VOICE_TARGETS, VOICE_TOKENS_PER_SECOND, type Absent, type SttResult, type VoiceResult } from './voice.js';

const TARGETS = {
  streaming_ttfa_max_ratio_of_whole_reply: 1 / 3,
  pipeline_overhead_p50_max_ms: 20,
  ...VOICE_TARGETS,
  ...CORRECTIONS_TARGETS,
  store_save_turn_p99_max_ms: 5,
  load_failed_turns: LOAD_TARGETS.failed_turns,
} as const;

const SECTIONS = ['ttfa', 'voice', 'stt', 'corrections', 'store', 'speech', 'rss', 'load', 'llm', 'correction-llm', 'lesson', 'turns'] as const;
type Section = (typeof SECTIONS)[number];

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
    only: { type: 'string' },
    skip: { type: 'string' },
    'voice-runs': { type: 'string' },
    'voice-tokens-per-second': { type: 'string' },
    'stt-delay-ms': { type: 'string' },
    'corrections-runs': { type: 'string' },
    'speech-runs': { type: 'string' },
    'load-seconds': { type: 'string' },
    'load-sessions': { type: 'string' },
    'lesson-turns': { type: 'string' },
    'turn-set': { type: 'string' },
    'turns-engine': { type: 'string' },
    'lesson-tiny': { type: 'boolean', default: false },
    'lesson-context': { type: 'string' },
    'lesson-no-heap-upkeep': { type: 'boolean', default: false },
    'llm-base-url': { type: 'string' },
    'llm-model': { type: 'string' },
    out: { type: 'string' },
  },
});

const quick = args.quick ?? false;
const only = sectionList(args.only, '--only');
const skipped = new Set<Section>([
  ...sectionList(args.skip, '--skip'),
  ...(args['skip-ttfa'] ? (['ttfa'] as const) : []),
  ...(args['skip-llm'] ? (['llm', 'correction-llm'] as const) : []),
  ...(args['skip-rss'] ? (['rss'] as const) : []),
]);
/** Whether a section runs: named in --only, or (without --only) not skipped, and the GGUF parts not in --quick. */
const runs = (section: Section): boolean =>
  only.length > 0 ? only.includes(section) && !skipped.has(section) : !skipped.has(section) && !(quick && (section === 'llm' || section === 'correction-llm' || section === 'lesson'));
const options = {
  quick,
  runs: positiveInt(args.runs, quick ? 2 : 5, '--runs'),
  llmRuns: positiveInt(args['llm-runs'], quick ? 1 : 5, '--llm-runs'),
  threads: (args.threads ?? '1,2').split(',').map((value) => positiveInt(value.trim(), 1, '--threads')),
  maxTokens: positiveInt(args['max-tokens'], 64, '--max-tokens'),
  rssTurns: positiveInt(args['rss-turns'], quick ? 1 : 3, '--rss-turns'),
  voiceRuns: positiveInt(args['voice-runs'], quick ? 1 : 3, '--voice-runs'),
  voiceTokensPerSecond: positiveInt(args['voice-tokens-per-second'], VOICE_TOKENS_PER_SECOND, '--voice-tokens-per-second'),
  sttDelayMs: nonNegativeInt(args['stt-delay-ms'], 0, '--stt-delay-ms'),
  correctionsRuns: positiveInt(args['corrections-runs'], quick ? 2 : 5, '--corrections-runs'),
  speechRuns: positiveInt(args['speech-runs'], quick ? 2 : 5, '--speech-runs'),
  loadSeconds: positiveInt(args['load-seconds'], quick ? 10 : 60, '--load-seconds'),
  loadSessions: positiveInt(args['load-sessions'], 20, '--load-sessions'),
  lessonTurns: positiveInt(args['lesson-turns'], 60, '--lesson-turns'),
  sections: SECTIONS.filter(runs),
  skipTtfa: !runs('ttfa'),
  skipLlm: !runs('llm'),
  skipRss: !runs('rss'),
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
if (runs('ttfa')) {
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

// 5. Voice to voice in Chromium, barge-in.
let voice: VoiceResult | Absent | undefined;
if (runs('voice')) {
  log(`[voice] headless Chromium, fake microphone (real speech), browser VAD; thinking time ${THINKING_TIMES_MS.join(' and ')} ms, ${options.voiceRuns} run(s) each; ` +
    `ScriptedLLM ${options.voiceTokensPerSecond} tokens/s, ScriptedSTT after ${options.sttDelayMs} ms, eSpeak NG`);
  voice = await benchVoice({ runs: options.voiceRuns, thinkingTimes: THINKING_TIMES_MS, sttDelayMs: options.sttDelayMs, tokensPerSecond: options.voiceTokensPerSecond, log });
  if ('installed' in voice) log(`  absent: ${voice.reason}`);
  log('');
}

// 6. STT real-time factor.
let stt: SttResult | undefined;
if (runs('stt')) {
  log('[stt] real-time factor on the LibriVox clips (24 kHz, as the server passes them)');
  stt = await benchStt({ runs: quick ? 1 : 3, log });
  log('');
}

// 7. Corrections on vs off (ScriptedLLM).
let corrections: CorrectionsResult | undefined;
if (runs('corrections')) {
  log(`[corrections] server children with the tutor (TutorService + SafeStore, correction cards) and without; ${options.correctionsRuns} turn(s) each, interleaved; ScriptedLLM ${SCRIPTED_TOKENS_PER_SECOND} tokens/s, eSpeak NG`);
  corrections = await benchCorrections({ runs: options.correctionsRuns, log });
  log('');
}

// 8. Database.
let store: StoreBenchResult | undefined;
if (runs('store')) {
  const storeOptions = quick ? { turns: 500, history: 50 } : { turns: 2000, history: 200 };
  log(`[store] SQLite: ${storeOptions.history * 100} turns of history, ${storeOptions.turns} turns saved per durability setting`);
  store = await benchStore(storeOptions);
  log(`  save a turn p50 ${store.save_turn_p50_ms} ms, p99 ${store.save_turn_p99_ms} ms (FULL: p99 ${store.save_turn_full_p99_ms} ms); open a 1,000-turn conversation ${store.open_1000_turn_conversation_ms} ms`);
  log('');
}

// 9. /v1/audio/speech.
let speech: SpeechResult | undefined;
if (runs('speech')) {
  log(`[speech] POST /v1/audio/speech on a server child, the tutor reply (${TUTOR_REPLY_WORDS} words), wav and mp3, ${options.speechRuns} request(s) each`);
  speech = await benchSpeech({ runs: options.speechRuns, log });
  log('');
}

// 4. RSS of the server (before the LLM part, which loads this process and the machine).
let rss: RssResult | undefined;
if (runs('rss')) {
  log(`[rss] real server in a child process (ScriptedLLM + eSpeak NG), ${options.rssTurns} measured turn(s) over the WebSocket`);
  rss = await benchRss({ turns: options.rssTurns, log });
  log('');
}

// 10. Load.
let load: LoadResult | undefined;
if (runs('load')) {
  log(`[load] server child; 1 session alone, then ${options.loadSessions} concurrent sessions taking turns for ${options.loadSeconds} s (ScriptedLLM 15 tokens/s, eSpeak NG)`);
  load = await benchLoad({ sessions: options.loadSessions, seconds: options.loadSeconds, baselineTurns: quick ? 3 : 5, tokensPerSecond: 15, log });
  log('');
}

// 3. llama.cpp speed.
let llm: LlmResult | undefined;
if (runs('llm')) {
  log(`[llm] node-llama-cpp, threads ${options.threads.join(',')}, ${options.llmRuns} run(s) each, ${options.maxTokens} tokens generated`);
  const rssBefore = procStatus('self').rssMb;
  llm = await benchLlm({ threads: options.threads, runs: options.llmRuns, maxTokens: options.maxTokens, log });
  log(`  bench process RSS before loading: ${rssBefore.toFixed(0)} MB`);
  log('');
}

// 7b. A correction card with the real llama.cpp engine and its JSON-schema grammar.
let correctionLlm: LlamaCorrectionResult | undefined;
if (runs('correction-llm')) {
  const threads = llm?.best_threads ?? 2;
  log(`[correction-llm] correctUtterance() on node-llama-cpp (random-weight Qwen2.5-1.5B shape, ${threads} threads), JSON-schema grammar, 96 tokens per attempt at most`);
  correctionLlm = await benchCorrectionLlama({ threads, calls: quick ? 1 : 3, maxTokens: 96, log });
  log('');
}

// 11. A whole lesson on the embedded engine (and on an OpenAI-compatible server when given).
const lesson: Record<string, LessonResult> = {};
if (runs('lesson')) {
  const threads = Math.max(...options.threads);
  const engines = [
    { name: 'embedded', llmBaseUrl: undefined as string | undefined },
    ...(args['llm-base-url'] ? [{ name: 'openai-compatible', llmBaseUrl: args['llm-base-url'] }] : []),
  ];
  for (const engine of engines) {
    log(`[lesson] ${engine.name}: ${options.lessonTurns} learner turns over /v1/realtime, replies <= 60 tokens, eSpeak NG, cards on odd turns, ` +
      `barge-in every 7th reply, typed interruption every 11th${engine.llmBaseUrl ? ` (${engine.llmBaseUrl})` : `, node-llama-cpp ${threads} threads`}`);
    const result = await benchLesson({
      turns: options.lessonTurns,
      threads,
      tiny: args['lesson-tiny'] ?? false,
      heapUpkeep: !args['lesson-no-heap-upkeep'],
      ...(args['lesson-context'] ? { contextSize: positiveInt(args['lesson-context'], 4096, '--lesson-context') } : {}),
      ...(engine.llmBaseUrl ? { llmBaseUrl: engine.llmBaseUrl, ...(args['llm-model'] ? { llmModel: args['llm-model'] } : {}) } : {}),
      chartPath: fileURLToPath(new URL(`./results/lesson-${engine.name}${args['lesson-context'] ? `-${args['lesson-context']}` : ''}.svg`, import.meta.url)),
      log,
    });
    lesson[engine.name] = result;
    const s = result.summary;
    log(`  TTFT p50 turns 2-10 ${formatMs(s.ttft_p50_turns_2_10_ms)}, turns 50-60 ${formatMs(s.ttft_p50_turns_50_60_ms)} (x${s.late_over_early_ttft_ratio ?? '?'}, target <= ${LESSON_TARGETS.late_over_early_ttft_max_ratio}); ` +
      `prompt tokens evaluated / new ${s.evaluated_prompt_tokens} / ${s.new_prompt_tokens ?? '?'} (x${s.evaluated_over_new_tokens_ratio ?? '?'}, target <= ${LESSON_TARGETS.evaluated_over_new_tokens_max_ratio}), ` +
      `${s.evaluated_ahead_tokens} more evaluated between turns`);
    log(`  TTFT p50 of replies started while side work ran / with none: ${formatMs(s.ttft_p50_side_work_at_start_ms)} / ${formatMs(s.ttft_p50_no_side_work_at_start_ms)}`);
    log(`  TTFA after a card turn / after none: p50 ${formatMs(s.ttfa_after_correction_p50_ms)} / ${formatMs(s.ttfa_after_no_correction_p50_ms)} (x${s.ttfa_on_over_off_p50_ratio}), ` +
      `p95 ${formatMs(s.ttfa_after_correction_p95_ms)} / ${formatMs(s.ttfa_after_no_correction_p95_ms)} (x${s.ttfa_on_over_off_p95_ratio}); target <= ${LESSON_TARGETS.ttfa_corrections_on_over_off_max_ratio}`);
    log(`  corrections finished ${s.corrected_turns}/${s.correction_turns} (${Math.round(s.corrected_share * 100)}%, target >= ${LESSON_TARGETS.corrected_turns_min_share * 100}%), cards ${s.cards_shown}, latency p50 ${formatMs(s.correction_latency_p50_ms)}; ` +
      `RSS ${s.rss_first_mb} -> ${s.rss_last_mb} MB (+${s.rss_growth_mb}, target < ${LESSON_TARGETS.rss_growth_max_mb}; from turn 2 +${s.rss_growth_from_turn_2_mb ?? '?'}, ` +
      `turns 2-${result.turns.length} within ${s.rss_min_after_turn_1_mb ?? '?'}-${s.rss_max_after_turn_1_mb ?? '?'} MB; heap upkeep ${result.heapUpkeep ? 'on' : 'off'}); ${s.wall_minutes} min; chart ${result.chart}`);
    log('');
  }
}

// 12. Turn taking through the server-VAD path (speculative reply, learned thinking time).
const turns: Record<string, TurnsEngineResult> = {};
if (runs('turns')) {
  const count = positiveInt(args['turn-set'], quick ? 6 : 12, '--turn-set');
  log(`[turns] ${count} LibriVox turns per configuration with learner-like pauses (0.5-2.5 s) inserted, real time through the server VAD; eSpeak NG`);
  const turnsEngine = args['turns-engine'] ?? 'both';
  if (!['scripted', 'embedded', 'both'].includes(turnsEngine)) throw new Error(`--turns-engine: scripted, embedded or both, not "${turnsEngine}"`);
  if (turnsEngine !== 'embedded') turns.scripted = await benchTurns({ engine: 'scripted', turns: count, engines: () => scriptedTurnEngines(new EspeakTTSEngine(), 150), log });
  if (turnsEngine !== 'scripted' && (!quick || only.includes('turns'))) {
    const { buildShapeRealisticGguf } = await import('../test/fixtures/gguf-builder.js');
    const { LlamaCppLLM } = await import('../src/engines/llm/llama-cpp.js');
    const { ScriptedSTT } = await import('../src/testing/scripted-stt.js');
    // The 'words' variant writes words and punctuation (as a tutor does), so replies split into
    // sentences for the voice and re-tokenize to themselves (the KV cache is reused across turns).
    const modelPath = await buildShapeRealisticGguf(undefined, 'qwen2.5-1.5b', { generate: 'words', name: 'random-qwen2.5-1.5b-shape-words' });
    const threads = Math.max(...options.threads);
    const llm = await LlamaCppLLM.create({ modelPath, gpu: false, logLevel: 'error', threads, contextSize: 4096 });
    turns.embedded = await benchTurns({
      engine: `embedded (random-weight Qwen2.5-1.5B shape, ${threads} threads)`,
      turns: count,
      maxOutputTokens: 40,
      engines: async () => ({ llm, tts: new EspeakTTSEngine(), stt: new ScriptedSTT({ transcripts: ['he was not an ill disposed young man'], delayMs: 150 }) }),
      log,
    });
  }
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
  ...voiceKeys(),
  stt_rtf_scripted: stt?.scripted.rtf ?? null,
  stt_rtf_whisper: stt && !('installed' in stt.whisper) ? stt.whisper.rtf : null,
  ttfa_corrections_on_ms: corrections?.ttfa_on_ms.p50 ?? null,
  ttfa_corrections_off_ms: corrections?.ttfa_off_ms.p50 ?? null,
  ttfa_corrections_on_over_off: corrections?.ttfa_on_over_off ?? null,
  correction_card_ms: corrections?.card_ms.n ? corrections.card_ms.p50 : null,
  correction_card_llama_projected_ms: correctionLlm?.projected_card_ms ?? null,
  correction_llama_grammar_tokens_per_s: correctionLlm?.grammar_decode_tokens_per_s ?? null,
  store_save_turn_p99_ms: store?.save_turn_p99_ms ?? null,
  store_save_turn_full_p99_ms: store?.save_turn_full_p99_ms ?? null,
  store_open_1000_turn_conversation_ms: store?.open_1000_turn_conversation_ms ?? null,
  ...speechKeys(),
  load_sessions: load?.load.sessions ?? null,
  load_turns_completed: load?.load.turns_completed ?? null,
  load_turns_failed: load?.load.turns_failed ?? null,
  load_ttfa_p50_ms: load?.load.ttfa_p50_ms ?? null,
  load_ttfa_p95_ms: load?.load.ttfa_p95_ms ?? null,
  load_single_ttfa_p50_ms: load?.single.ttfa_p50_ms ?? null,
  load_single_ttfa_p95_ms: load?.single.ttfa_p95_ms ?? null,
  load_rss_max_mb: load?.rss_load_max_mb ?? null,
  lesson_ttft_p50_turns_2_10_ms: lesson.embedded?.summary.ttft_p50_turns_2_10_ms ?? null,
  lesson_ttft_p50_turns_50_60_ms: lesson.embedded?.summary.ttft_p50_turns_50_60_ms ?? null,
  lesson_late_over_early_ttft: lesson.embedded?.summary.late_over_early_ttft_ratio ?? null,
  lesson_evaluated_over_new_tokens: lesson.embedded?.summary.evaluated_over_new_tokens_ratio ?? null,
  lesson_ttfa_on_over_off_p50: lesson.embedded?.summary.ttfa_on_over_off_p50_ratio ?? null,
  lesson_ttfa_on_over_off_p95: lesson.embedded?.summary.ttfa_on_over_off_p95_ratio ?? null,
  lesson_corrected_share: lesson.embedded?.summary.corrected_share ?? null,
  lesson_rss_growth_mb: lesson.embedded?.summary.rss_growth_mb ?? null,
  ...turnsKeys(),
  targets: { ...TARGETS, lesson: LESSON_TARGETS },
  notes: {
    lesson_ttft_p50_turns_2_10_ms: 'bench/lesson.ts: the real server child with the tutor, node-llama-cpp on the random-weight Qwen2.5-1.5B-shaped Q4_K_M GGUF whose replies re-tokenize to themselves, eSpeak NG; learner message sent -> first LLM token (detail.lesson.embedded.turns)',
    lesson_evaluated_over_new_tokens: 'prompt tokens evaluated (node-llama-cpp token meter) / prompt tokens new since the conversation\'s previous call, summed over the lesson; target <= 1.2',
    lesson_ttfa_on_over_off_p50: 'TTFA of replies after a learner turn with a correction card / after one without (cards alternate by turn, same run); target <= 1.10',
    lesson_corrected_share: 'learner turns with cards on whose correction finished (a card, or no mistakes) before the lesson ended; target >= 0.9',
    ttfa_streaming_ms: 'median over runs; runVoiceTurn turn start -> first audio event, streaming delivery, eSpeak NG, ScriptedLLM at 15 tokens/s (detail.ttfa.espeak)',
    ttfa_whole_reply_ms: 'same, whole_reply delivery (all text first, then all audio), interleaved with the streaming runs',
    pipeline_overhead_ms: 'median over runs of: streaming TTFA - (LLM alone until its tokens cover the first chunk + TTS alone on the first chunk)',
    llm_tokens_per_s: 'median decode tokens/s of the best thread count: (completionTokens - 1) / (duration - TTFT), random-weight Qwen2.5-1.5B-shaped Q4_K_M-like GGUF (detail.llm.per_threads)',
    llm_ttft_ms: 'median TTFT of that thread count for the cold ~100-token prompt (nothing cached)',
    llm_prompt_tokens_per_s: 'median prompt-processing speed of that thread count, from timing prepare() of the system prompt',
    rss_idle_mb: 'server child (ScriptedLLM + eSpeak NG, run with tsx): median VmRSS after 2 warm-up turns and a 2 s pause; V8 GC timing moves it by tens of MB',
    rss_turn_mb: 'max VmRSS sampled every 50 ms during the measured turns over the WebSocket',
    machine: 'cpu_busy_before_pct: CPU busy with other work in the second before the run',
    voice_to_voice_ms_thinking_300: 'headless Chromium, fake mic with real speech, browser Silero VAD, hands-free; end of speech (from the known audio file, aligned to the captured samples) -> first reply sample played by the page, median over runs; ScriptedLLM 19 tokens/s, ScriptedSTT with no delay (STT compute excluded), eSpeak NG (detail.voice)',
    turn_end_decision_ms_thinking_300: 'end of speech -> the page sends input_audio_buffer.commit (thinking time + VAD lag)',
    barge_in_stop_after_confirmation_ms: 'the VAD confirms speech over the reply -> AudioPlayer.stop() (window.__localchat), median; target <= 100 ms',
    barge_in_llm_stopped_ms: 'speech start of the interrupting utterance -> the LLM stream ended on the server (call log), median',
    barge_in_audio_deltas_after_cancel: "audio deltas of the cancelled response received after its response.done (cancelled), all runs; target 0",
    stt_rtf_scripted: 'ScriptedSTT.transcribe time / audio duration (the test engine path; trivially small)',
    stt_rtf_whisper: 'Whisper base.en from the models directory, null when not installed (detail.stt.whisper says why)',
    ttfa_corrections_on_ms: 'realtime session with TutorService + SafeStore (cards on), client-observed TTFA, median; ScriptedLLM 15 tokens/s answering the correction JSON too (detail.corrections)',
    ttfa_corrections_on_over_off: 'TTFA p50 on / off in the same run, interleaved; target <= 1.10',
    correction_card_ms: 'response.done -> localchat.correction (client-observed), median; the correction runs after the reply by design',
    correction_card_llama_projected_ms: 'real node-llama-cpp, random-weight 1.5B shape, grammar: TTFT with the correction prompt cached + the scripted card tokens at the grammar decode speed (detail.correction_llm)',
    store_save_turn_p99_ms: 'bench/store.ts: appendTurn p99, WAL + synchronous NORMAL; target < 5 ms',
    speech_ttfb_ms_espeak_wav: 'POST /v1/audio/speech through the real app: request -> first body byte, median (detail.speech)',
    speech_rtf_espeak_wav: 'request -> last byte / audio duration, median',
    load_ttfa_p95_ms: 'server child; 20 sessions taking text turns (0.5-1.5 s apart) for --load-seconds; client-observed TTFA; load_single_*: one session alone, same run',
    load_rss_max_mb: 'server child VmRSS max, sampled every 250 ms under load',
  },
  machine,
  options,
  duration_s: round((performance.now() - startedAt) / 1000),
  detail: {
    turns,
    lesson,
    ttfa,
    llm: llm ?? null,
    rss: rss ?? null,
    voice: voice ?? null,
    stt: stt ?? null,
    corrections: corrections ?? null,
    correction_llm: correctionLlm ?? null,
    store: store ?? null,
    speech: speech ?? null,
    load: load ?? null,
  },
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
    rows.push(['llama.cpp', 'not run', '', notRunReason('llm')]);
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
    rows.push(['Server RSS', 'not run', '', notRunReason('rss')]);
  }
  voiceRows(rows);
  sttRows(rows);
  correctionRows(rows);
  storeRows(rows);
  speechRows(rows);
  loadRows(rows);

  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (column === 3 ? 0 : row[column]!.length))));
  const line = (cells: string[]) => cells.map((cell, column) => (column === 3 ? cell : cell.padEnd(widths[column]!))).join(' | ');
  log(line(header));
  log(`${widths.slice(0, 3).map((width) => '-'.repeat(width)).join('-+-')}-+-${'-'.repeat(40)}`);
  for (const row of rows) log(line(row));
  log(`machine: ${machine.cpu_model}, ${machine.logical_cores} cores, ${(machine.ram_total_mb / 1024).toFixed(1)} GiB, ${machine.os}, Node ${machine.node_version}, ` +
    `${machine.date}; before start CPU ${machine.cpu_busy_before_pct ?? '?'}% busy (other work), load avg start ${machine.loadavg_start.join('/')}, end ${machine.loadavg_end?.join('/') ?? '?'}`);
}

function notRunReason(section: Section): string {
  if (only.length > 0 && !only.includes(section)) return '--only';
  if (skipped.has(section)) return '--skip';
  return quick ? '--quick' : '';
}

function met(ok: boolean): string {
  return ok ? 'met' : 'NOT met';
}

function numbers(values: (number | null | undefined)[]): number[] {
  return values.filter((value): value is number => typeof value === 'number' && Number.isFinite(value));
}

function voiceKeys(): Record<string, number | null> {
  const v = voice && !('installed' in voice) ? voice : undefined;
  const keys: Record<string, number | null> = {};
  for (const ms of THINKING_TIMES_MS) {
    const entry = v?.by_thinking_time.find((candidate) => candidate.thinking_time_ms === ms);
    keys[`voice_to_voice_ms_thinking_${ms}`] = entry?.voice_to_voice_ms.n ? entry.voice_to_voice_ms.p50 : null;
    keys[`turn_end_decision_ms_thinking_${ms}`] = entry?.stages_p50_ms.turn_end_decision_ms ?? null;
  }
  const bargeIns = (v?.runs ?? []).flatMap((run) => (run.barge_in ? [run.barge_in] : []));
  const p50 = (values: number[]) => (values.length > 0 ? round(median(values)) : null);
  keys.barge_in_vad_confirmed_ms = p50(numbers(bargeIns.map((b) => b.vad_confirmed_ms)));
  keys.barge_in_stop_after_confirmation_ms = p50(numbers(bargeIns.map((b) => b.stop_after_confirmation_ms)));
  keys.barge_in_stop_after_confirmation_max_ms = bargeIns.length > 0 ? Math.max(...numbers(bargeIns.map((b) => b.stop_after_confirmation_ms))) : null;
  keys.barge_in_playback_silent_ms = p50(numbers(bargeIns.map((b) => b.playback_silent_ms)));
  keys.barge_in_llm_stopped_ms = p50(numbers(bargeIns.map((b) => b.llm_stopped_ms)));
  keys.barge_in_audio_deltas_after_cancel = bargeIns.length > 0 ? bargeIns.reduce((sum, b) => sum + b.audio_deltas_after_cancel_done, 0) : null;
  return keys;
}

function speechKeys(): Record<string, number | null> {
  const keys: Record<string, number | null> = {};
  for (const engine of ['espeak', 'kokoro', 'supertonic']) {
    const entry = speech?.[engine];
    for (const format of ['wav', 'mp3']) {
      const result = entry && !('installed' in entry) ? entry.formats.find((candidate) => candidate.format === format) : undefined;
      keys[`speech_ttfb_ms_${engine}_${format}`] = result?.ttfb_ms.p50 ?? null;
      keys[`speech_rtf_${engine}_${format}`] = result?.rtf ?? null;
    }
  }
  return keys;
}

function voiceRows(rows: string[][]): void {
  if (!voice) return void rows.push(['Voice to voice (Chromium)', 'not run', '', notRunReason('voice')]);
  if ('installed' in voice) return void rows.push(['Voice to voice (Chromium)', 'absent', '', voice.reason]);
  // The chain a reply goes through (server stages on the bench clock, page stages on the page's).
  const stageNames: [keyof VoiceResult['by_thinking_time'][number]['stages_p50_ms'], string][] = [
    ['turn_end_decision_ms', 'end of speech -> turn end decided (page sends commit)'],
    ['stt_done_ms', `-> STT done (server; ${voice.setup.stt.startsWith('ScriptedSTT') ? 'scripted, no compute' : 'STT'})`],
    ['llm_first_token_ms', '-> LLM first token (server)'],
    ['first_llm_chunk_ms', '-> first LLM chunk (a clause) to TTS (server)'],
    ['tts_first_audio_ms', '-> first TTS audio (server)'],
    ['first_audio_delta_received_ms', '-> first audio delta in the page'],
    ['first_sample_played_ms', '-> first sample played = voice to voice'],
  ];
  for (const entry of voice.by_thinking_time) {
    const v2v = entry.voice_to_voice_ms;
    rows.push([
      `Voice to voice, thinking time ${entry.thinking_time_ms} ms (p50 of ${v2v.n})`,
      formatMs(v2v.n ? v2v.p50 : null),
      'none set (issue 3)',
      `min ${formatMs(v2v.min)} max ${formatMs(v2v.max)}; end of speech -> first reply sample played in Chromium; ${voice.setup.llm}; ${voice.setup.stt}`,
    ]);
    let previous = 0;
    for (const [key, label] of stageNames) {
      const value = entry.stages_p50_ms[key];
      const note =
        key === 'turn_end_decision_ms'
          ? `VAD + thinking time; the transcript shows in the page at +${formatMs(entry.stages_p50_ms.transcript_received_ms)}`
          : value === null
            ? ''
            : `+${formatMs(value - previous)}`;
      rows.push([`  ${label}`, formatMs(value), key === 'turn_end_decision_ms' ? `>= ${entry.thinking_time_ms} ms (thinking time)` : '', note]);
      if (value !== null) previous = value;
    }
  }
  const runs = voice.runs.filter((run) => run.barge_in);
  const bargeIns = runs.map((run) => run.barge_in!);
  if (bargeIns.length === 0) {
    rows.push(['Barge-in', 'n/a', '', `no run had a barge-in (${voice.runs.map((run) => run.problem ?? 'ok').join('; ')})`]);
  } else {
    const summary = (values: (number | null)[]) => summarize(numbers(values));
    const confirmed = summary(bargeIns.map((b) => b.vad_confirmed_ms));
    const stop = summary(bargeIns.map((b) => b.stop_after_confirmation_ms));
    const silent = summary(bargeIns.map((b) => b.playback_silent_ms));
    const llmStopped = summary(bargeIns.map((b) => b.llm_stopped_ms));
    const llmAfterCancel = summary(bargeIns.map((b) => b.llm_stopped_after_cancel_ms));
    const ttsRunning = bargeIns.filter((b) => b.tts_was_running);
    const deltasAfter = bargeIns.reduce((sum, b) => sum + b.audio_deltas_after_cancel_done, 0);
    const inFlight = bargeIns.reduce((sum, b) => sum + b.audio_deltas_in_flight, 0);
    rows.push([`Barge-in: speech start -> VAD confirmed (p50 of ${confirmed.n})`, formatMs(confirmed.p50), '', `min ${formatMs(confirmed.min)} max ${formatMs(confirmed.max)}; >= 250 ms of speech at the raised threshold (0.8) while the tutor plays`]);
    rows.push([
      `Barge-in: VAD confirmed -> playback stopped (p50)`,
      formatMs(stop.p50),
      `<= ${TARGETS.barge_in_stop_after_confirmation_max_ms} ms: ${met(stop.max <= TARGETS.barge_in_stop_after_confirmation_max_ms)} (max ${formatMs(stop.max)})`,
      `AudioPlayer.stop(); the worklet reports silence at speech start +${formatMs(silent.p50)} (p50)`,
    ]);
    rows.push([
      `Barge-in: speech start -> LLM stopped on the server (p50)`,
      formatMs(llmStopped.n ? llmStopped.p50 : null),
      '',
      `${llmStopped.n}/${bargeIns.length} runs had the LLM still generating; response.cancel -> LLM stopped p50 ${formatMs(llmAfterCancel.n ? llmAfterCancel.p50 : null)}; ` +
        `TTS was synthesizing at the cancel in ${ttsRunning.length} run(s)${ttsRunning.length ? `, stopped at speech start +${formatMs(median(numbers(ttsRunning.map((b) => b.tts_stopped_ms))))}` : ' (waiting for the next sentence)'}`,
    ]);
    rows.push([
      'Barge-in: audio deltas after the cancel',
      String(deltasAfter),
      `${TARGETS.audio_deltas_after_cancel}: ${met(deltasAfter === TARGETS.audio_deltas_after_cancel)}`,
      `of the cancelled response, after its response.done, over ${bargeIns.length} runs; ${inFlight} were in flight between response.cancel and response.done`,
    ]);
  }
  const ok = voice.runs.filter((run) => run.ok);
  const uncertainty = numbers(ok.map((run) => run.clock.uncertainty_ms));
  const lag = numbers(ok.map((run) => run.playwright_frame_lag_ms));
  rows.push([
    '  clocks (voice runs)',
    `±${uncertainty.length ? Math.max(...uncertainty).toFixed(1) : '?'} ms`,
    '',
    `page vs bench clock offset ${ok.map((run) => run.clock.page_minus_node_ms.toFixed(1)).join(', ')} ms; capture aligned to the file: correlation ${ok.map((run) => run.alignment.correlation.toFixed(2)).join(', ')}, ` +
      `drift over 6 s ${ok.map((run) => run.alignment.drift_ms ?? 'n/a').join(', ')} ms; Playwright frame events lag the page by ${lag.length ? formatMs(median(lag)) : 'n/a'}; ` +
      `the player's AudioContext reports outputLatency ${[...new Set(ok.map((run) => run.player_latency?.output ?? null).filter((value) => value !== null).map((value) => `${(value! * 1000).toFixed(0)} ms`))].join('/') || 'n/a'} (not included: headless Chromium's output is fake); ` +
      `${voice.runs.length - ok.length} failed run(s)${voice.runs.some((run) => run.problem) ? `; notes: ${[...new Set(voice.runs.flatMap((run) => (run.problem ? [run.problem] : [])))].join('; ')}` : ''}`,
  ]);
}

function sttRows(rows: string[][]): void {
  if (!stt) return void rows.push(['STT real-time factor', 'not run', '', notRunReason('stt')]);
  rows.push([`STT RTF, test engine (${stt.scripted.model})`, stt.scripted.rtf.toPrecision(2), '', `${formatMs(stt.scripted.transcribe_ms.p50)} per call on ${stt.scripted.calls} calls (the realtime path's STT call with no delay: trivially small)`]);
  const whisper = stt.whisper;
  if ('installed' in whisper) rows.push(['STT RTF, Whisper base.en', 'absent', '', whisper.reason]);
  else rows.push([`STT RTF, Whisper (${whisper.model})`, whisper.rtf.toFixed(3), '', `${formatMs(whisper.transcribe_ms.p50)} per utterance (p50 of ${whisper.calls}); "${whisper.transcripts?.join('" / "')}"`]);
}

function correctionRows(rows: string[][]): void {
  if (!corrections) {
    rows.push(['TTFA with corrections', 'not run', '', notRunReason('corrections')]);
  } else {
    const c = corrections;
    rows.push([
      `TTFA, corrections on (p50 of ${c.ttfa_on_ms.n})`,
      formatMs(c.ttfa_on_ms.p50),
      `within 10% of off: ${met(c.ttfa_on_over_off <= TARGETS.ttfa_on_over_off_max_ratio)} (${c.ttfa_on_over_off.toFixed(3)}x)`,
      `client-observed over the WebSocket; server-reported ${formatMs(c.server_ttfa_on_ms.p50)}; runs ${c.ttfa_on_ms.values.join(', ')}`,
    ]);
    rows.push([`TTFA, corrections off (p50 of ${c.ttfa_off_ms.n})`, formatMs(c.ttfa_off_ms.p50), '', `server-reported ${formatMs(c.server_ttfa_off_ms.p50)}; runs ${c.ttfa_off_ms.values.join(', ')}`]);
    rows.push([
      `Correction card after response.done (p50 of ${c.card_ms.n})`,
      formatMs(c.card_ms.n ? c.card_ms.p50 : null),
      '',
      `ScriptedLLM writes the ${c.correction_tokens}-token card at ${c.tokens_per_second} tok/s; its call starts ${formatMs(c.correction_llm_start_after_done_ms.p50)} after response.done and lasts ${formatMs(c.correction_llm_duration_ms.p50)}; ${c.cards_received}/${c.ttfa_on_ms.n} cards`,
    ]);
  }
  if (correctionLlm) {
    const l = correctionLlm;
    rows.push([
      'Correction card, llama.cpp 1.5B shape (projected)',
      formatMs(l.projected_card_ms),
      '',
      `TTFT of a new utterance ${formatMs(l.warm_ttft_ms)} (task prompt cached) + ${l.projected_card_tokens} tokens at ${l.grammar_decode_tokens_per_s} tok/s under the grammar (${l.threads} threads); ` +
        `first call's TTFT ${formatMs(l.cold_ttft_ms)} (grammar built, whole prompt evaluated; the fixture tokenizer makes ~2x a real model's prompt tokens); ` +
        `correctUtterance wall (random weights, ${l.max_tokens_per_attempt} tokens/attempt max) ${l.calls.map((call) => `${formatMs(call.wallMs)}${call.card ? '' : ' (no card)'}`).join(', ')}`,
    ]);
  } else {
    rows.push(['Correction card, llama.cpp', 'not run', '', notRunReason('correction-llm')]);
  }
}

function storeRows(rows: string[][]): void {
  if (!store) return void rows.push(['Database', 'not run', '', notRunReason('store')]);
  rows.push([
    'DB: save a turn, p99 (WAL, synchronous NORMAL)',
    `${store.save_turn_p99_ms.toFixed(3)} ms`,
    `< ${TARGETS.store_save_turn_p99_max_ms} ms: ${met(store.save_turn_p99_ms < TARGETS.store_save_turn_p99_max_ms)}`,
    `p50 ${store.save_turn_p50_ms} ms, max ${store.save_turn_max_ms} ms; synchronous FULL p99 ${store.save_turn_full_p99_ms} ms; ${store.turns_measured} turns, ${store.history_turns} of history, ${store.file_system}`,
  ]);
  rows.push([
    'DB: open a 1,000-turn conversation (p50)',
    formatMs(store.open_1000_turn_conversation_ms),
    '',
    `first read ${formatMs(store.open_1000_turn_conversation_cold_ms)}; open the database ${formatMs(store.open_database_ms)}; list ${formatMs(store.list_conversations_ms)}, search ${formatMs(store.search_ms)}`,
  ]);
}

function speechRows(rows: string[][]): void {
  if (!speech) return void rows.push(['/v1/audio/speech', 'not run', '', notRunReason('speech')]);
  for (const [engine, entry] of Object.entries(speech)) {
    if ('installed' in entry) {
      rows.push([`/v1/audio/speech, ${engine}`, 'absent', '', entry.reason]);
      continue;
    }
    for (const format of entry.formats) {
      rows.push([
        `/v1/audio/speech, ${engine} ${format.format}: TTFB (p50 of ${format.ttfb_ms.n})`,
        formatMs(format.ttfb_ms.p50),
        '',
        `RTF ${format.rtf.toFixed(3)} (${formatMs(format.total_ms.p50)} for ${(format.audio_ms / 1000).toFixed(1)} s of audio, ${format.bytes} bytes)${format.format === 'wav' ? `; ${entry.route}` : ''}`,
      ]);
    }
  }
}

function loadRows(rows: string[][]): void {
  if (!load) return void rows.push(['Load', 'not run', '', notRunReason('load')]);
  const l = load.load;
  const s = load.single;
  rows.push([
    `Load: ${l.sessions} sessions x ${options.loadSeconds} s, turns completed`,
    `${l.turns_completed}/${l.turns_started}`,
    `every turn completes: ${met(l.turns_failed === TARGETS.load_failed_turns && l.turns_started > 0)}`,
    `${l.turns_failed} failed${l.failures.length ? ` (${[...new Set(l.failures)].slice(0, 3).join('; ')})` : ''}; sessions from ${load.client_addresses} loopback address(es) (the server allows ${MAX_SESSIONS_PER_CLIENT} sessions per client address)`,
  ]);
  rows.push([
    'Load: TTFA p50 / p95',
    `${formatMs(l.ttfa_p50_ms)} / ${formatMs(l.ttfa_p95_ms)}`,
    '',
    `1 session alone, same run: ${formatMs(s.ttfa_p50_ms)} / ${formatMs(s.ttfa_p95_ms)}; server-reported ${formatMs(l.server_ttfa_p50_ms)} / ${formatMs(l.server_ttfa_p95_ms)} (alone ${formatMs(s.server_ttfa_p50_ms)} / ${formatMs(s.server_ttfa_p95_ms)}); turn p50 ${formatMs(l.turn_total_p50_ms)} (alone ${formatMs(s.turn_total_p50_ms)})`,
  ]);
  rows.push([
    'Load: server RSS (max)',
    `${load.rss_load_max_mb.toFixed(1)} MB`,
    '',
    `idle before ${load.rss_idle_before_mb.toFixed(1)} MB, p50 under load ${load.rss_load_p50_mb.toFixed(1)} MB, after ${load.rss_after_mb.toFixed(1)} MB; up to ${load.threads_load_max} threads; ` +
      (load.memory_before_after_gc && load.memory_after_load_after_gc
        ? `after a full GC, before -> after the load (sessions closed): heap ${load.memory_before_after_gc.heapUsedMb} -> ${load.memory_after_load_after_gc.heapUsedMb} MB, ` +
          `ArrayBuffers ${load.memory_before_after_gc.arrayBuffersMb} -> ${load.memory_after_load_after_gc.arrayBuffersMb} MB; `
        : '') +
      `event-loop delay p50/p99/max ${l.event_loop_delay_ms.p50}/${l.event_loop_delay_ms.p99}/${l.event_loop_delay_ms.max} ms (alone ${s.event_loop_delay_ms.p50}/${s.event_loop_delay_ms.p99}/${s.event_loop_delay_ms.max})`,
  ]);
}

function sectionList(value: string | undefined, name: string): Section[] {
  if (value === undefined) return [];
  const list = value.split(',').map((item) => item.trim()).filter(Boolean);
  for (const item of list) if (!(SECTIONS as readonly string[]).includes(item)) throw new Error(`${name}: unknown section "${item}"; sections: ${SECTIONS.join(', ')}`);
  return list as Section[];
}

function nonNegativeInt(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`${name} must be a non-negative integer, got "${value}"`);
  return parsed;
}

function positiveInt(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`${name} must be a positive integer, got "${value}"`);
  return parsed;
}

/** Turn-taking figures per engine and configuration: `turns_<engine>_<config>_<figure>`. */
function turnsKeys(): Record<string, number | null> {
  const keys: Record<string, number | null> = {};
  for (const [engine, result] of Object.entries(turns)) {
    for (const config of result.configs) {
      const prefix = `turns_${engine}_${config.config.replace(/[^a-z0-9]+/g, '_')}`;
      keys[`${prefix}_false_cutoff_rate`] = config.false_cutoff_rate;
      keys[`${prefix}_premature_turn_end_rate`] = config.premature_turn_end_rate;
      keys[`${prefix}_voice_to_voice_p50_ms`] = config.voice_to_voice_p50_ms;
      keys[`${prefix}_voice_to_voice_p95_ms`] = config.voice_to_voice_p95_ms;
      keys[`${prefix}_thinking_time_end_ms`] = config.thinking_time_end_ms;
      keys[`${prefix}_speculative_dropped`] = config.speculation.dropped;
      keys[`${prefix}_stray_audio_deltas`] = config.stray_audio_deltas;
    }
  }
  return keys;
}
