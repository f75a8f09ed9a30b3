/**
 * Voice-to-voice latency and barge-in latency in headless Chromium with the real browser VAD
 * (issue 3, "Benchmark"), and the STT real-time factor.
 *
 * Set-up, per run: the real server (`buildApp` through test/helpers/test-server.ts), in this process
 * (which also runs Playwright; the page runs in Chromium's own processes), with a ScriptedLLM (the
 * tutor reply plus two sentences, paced like a 1.5B model on 2 cores: 19 tokens/s), a ScriptedSTT
 * (returns the clip's transcript, after `sttDelayMs`: 0 by default, i.e. STT compute is NOT in the
 * figures — see the Whisper RTF for what it would add) and eSpeak NG, each wrapped by
 * bench/timed-engines.ts; the built web UI; Chromium with a fake microphone playing a WAV of real
 * speech (test/fixtures/fake-mic.ts): 2 s of silence, LibriVox clip 0880 (3.0 s), 3 s of silence,
 * clip 0930 (3.3 s), then silence. The page is in hands-free mode with barge-in on and the thinking
 * time set (300 ms = the minimum, 900 ms = the default) through its saved preferences.
 *
 * The first clip is the learner's turn; the second starts while the tutor's reply plays (a barge-in).
 *
 * Clocks. Everything is put on the page's `performance.now()` clock:
 *   - A probe injected before the page's scripts (addInitScript; the page's code is not changed)
 *     wraps `WebSocket` (every frame sent and received, time-stamped in the page as it is sent or
 *     arrives, before the app's own handler runs) and `AudioWorkletNode` (the capture worklet's
 *     32 ms frames with their context time and PCM, and the player worklet's status reports).
 *   - End of speech: the fake-mic file is known, so the end of speech in it is known (the end of
 *     the last 10 ms window >= 15 dB over the clip's noise floor, not the clip's end, which has
 *     ~0.25 s of room noise). The captured PCM is aligned to the file: the file is digital silence
 *     before the first clip, so the first non-zero captured sample gives a coarse offset, refined
 *     by matching log-energy envelopes (0.5 ms steps) over the last second of the first
 *     utterance and again over the first second of the second (their difference: drift).
 *     A captured sample's time is its frame's context time (regular: exactly 32 ms apart) mapped to
 *     the page clock by `performance.now() - (currentTime - frame.time)` at receipt, taking the low
 *     5% over all frames (receipt lags the render by >= 0). So "end of speech" = when the last
 *     speech sample reached the page's audio graph; a real microphone adds its own buffering
 *     (~10-20 ms) before that, which a fake device does not have.
 *   - Server-side times (STT, LLM, TTS calls) are taken in this process on its wall clock
 *     (performance.timeOrigin + performance.now()) and mapped to the page clock with an offset
 *     measured by `page.evaluate(() => performance.timeOrigin + performance.now())` bracketed by
 *     this process's clock (the sample with the smallest round trip of 5; its half round trip is the
 *     uncertainty, reported; measured at the start and end of each run).
 *   - Playwright's `page.on('websocket')` frames are recorded too (Date.now() when the CDP event
 *     reaches this process): they lag the page's own receipt by a few ms (reported), so the
 *     probe's times are used for the figures.
 *   - First sample played: the player worklet's first `playing` report, minus the samples of the
 *     stream it says were already played (<= one render quantum). The output device's latency
 *     (none for headless Chromium's fake output) is not included.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { REALTIME_SAMPLE_RATE } from '../src/core/audio.js';
import type { STT } from '../src/core/stt.js';
import type { TTS } from '../src/core/tts.js';
import { StaticEngineSet } from '../src/engines/engine-set.js';
import { findCatalogEntry } from '../src/models/catalog.js';
import { isInstalled, modelDirectory, resolveModelsDir } from '../src/models/models-dir.js';
import { WEB_ROOT } from '../src/server/start.js';
import { ScriptedLLM } from '../src/testing/scripted-llm.js';
import { ScriptedSTT } from '../src/testing/scripted-stt.js';
import { buildFakeMic, fakeMicArgs, type FakeMicFile } from '../test/fixtures/fake-mic.js';
import { type ClipId, LIBRIVOX_CLIPS, LIBRIVOX_DIR, concatAudio, loadClip, silence } from '../test/fixtures/librivox.js';
import { CHROMIUM_PATH, launchChromium } from '../test/helpers/chromium.js';
import { startTestServer } from '../test/helpers/test-server.js';
import { TUTOR_REPLY } from './scenario.js';
import { median, round, summarize, type Summary } from './stats.js';
import { TimedLLM, type TimedCall, TimedSTT, TimedTTS, epochNow } from './timed-engines.js';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const RATE = REALTIME_SAMPLE_RATE;
const FRAME_SAMPLES = 768; // 32 ms at 24 kHz (web/src/audio/capture-dsp.ts)
const CLIPS: [ClipId, ClipId] = ['0880', '0930'];
const LEAD_MS = 2000;
const GAP_MS = 3000;
const TAIL_MS = 10_000;
/** The thinking times measured: the UI's minimum and default (web/src/voice/voice-controller.ts THINKING_TIME_RANGE). */
export const THINKING_TIMES_MS = [300, 900] as const;
/** The LLM pace of these runs: a 1.5B model on 2 cores (~19 tokens/s, src/models/catalog.ts). */
export const VOICE_TOKENS_PER_SECOND = 19;

/**
 * The first reply: the benchmark's tutor reply (its first clause decides the TTFA) and two more
 * sentences, so the LLM is still generating when the learner barges in ~3-4 s into it.
 */
export const VOICE_REPLY = `${TUTOR_REPLY} I love chocolate ice cream myself, especially on a hot summer afternoon in the park. Do you often go there together at the weekend, or was it a special day for both of you?`;

export const VOICE_TARGETS = {
  barge_in_stop_after_confirmation_max_ms: 100,
  audio_deltas_after_cancel: 0,
} as const;

// ---------------------------------------------------------------------------------------------
// The page probe (plain JavaScript, injected before the page's own scripts).

const PROBE = `(() => {
  const probe = { ws: [], capture: [], pcm: [], player: [], captureRate: null, playerLatency: null };
  window.__bench = probe;
  const NativeWebSocket = window.WebSocket;
  const summarize = (direction, text, t) => {
    let event;
    try { event = JSON.parse(text); } catch { return; }
    const entry = { d: direction, t, type: event.type, id: event.event_id };
    if (event.response_id) entry.resp = event.response_id;
    if (event.response && event.response.id) { entry.resp = event.response.id; entry.status = event.response.status; }
    if (event.item_id) entry.item = event.item_id;
    if (typeof event.delta === 'string' && event.type === 'response.output_audio.delta') entry.bytes = Math.floor(event.delta.length * 3 / 4);
    if (typeof event.audio === 'string') entry.bytes = Math.floor(event.audio.length * 3 / 4);
    if (typeof event.audio_end_ms === 'number') entry.audioEndMs = event.audio_end_ms;
    probe.ws.push(entry);
  };
  const ProbedWebSocket = function (url, protocols) {
    const socket = protocols === undefined ? new NativeWebSocket(url) : new NativeWebSocket(url, protocols);
    socket.addEventListener('message', (message) => {
      const t = performance.now();
      if (typeof message.data === 'string') summarize('in', message.data, t);
    });
    const send = socket.send.bind(socket);
    socket.send = (data) => {
      if (typeof data === 'string') summarize('out', data, performance.now());
      return send(data);
    };
    return socket;
  };
  ProbedWebSocket.prototype = NativeWebSocket.prototype;
  for (const key of ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED']) ProbedWebSocket[key] = NativeWebSocket[key];
  window.WebSocket = ProbedWebSocket;

  const NativeNode = window.AudioWorkletNode;
  window.AudioWorkletNode = class extends NativeNode {
    constructor(context, name, options) {
      super(context, name, options);
      if (name === 'localchat-capture') {
        probe.captureRate = context.sampleRate;
        this.port.addEventListener('message', (message) => {
          const data = message.data;
          if (!data || data.type !== 'frame') return;
          const now = performance.now();
          probe.capture.push([now, context.currentTime, data.time]);
          probe.pcm.push(new Int16Array(data.pcm));
        });
      } else if (name === 'localchat-player') {
        probe.playerLatency = { base: context.baseLatency ?? null, output: context.outputLatency ?? null, rate: context.sampleRate };
        this.port.addEventListener('message', (message) => {
          const s = message.data;
          if (s && s.type === 'status') probe.player.push({ t: performance.now(), state: s.state, played: s.playedSamples, streamPlayed: s.streamPlayed, generation: s.generation, drained: s.drained });
        });
      }
    }
  };
  window.__benchPcm = () => {
    const total = probe.pcm.reduce((sum, frame) => sum + frame.length, 0);
    const all = new Int16Array(total);
    let offset = 0;
    for (const frame of probe.pcm) { all.set(frame, offset); offset += frame.length; }
    const bytes = new Uint8Array(all.buffer);
    let binary = '';
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return btoa(binary);
  };
})();`;

interface ProbeWs {
  d: 'in' | 'out';
  t: number;
  type: string;
  id?: string;
  resp?: string;
  status?: string;
  item?: string;
  bytes?: number;
  audioEndMs?: number;
}
interface ProbePlayer {
  t: number;
  state: string;
  played: number;
  streamPlayed: number;
  generation: number;
  drained: boolean;
}
interface ProbeData {
  ws: ProbeWs[];
  /** [receipt performance.now(), context.currentTime at receipt, frame.time] per capture frame. */
  capture: [number, number, number][];
  player: ProbePlayer[];
  captureRate: number | null;
  playerLatency: { base: number | null; output: number | null; rate: number } | null;
  timeOrigin: number;
  debug: PageDebug;
}
interface PageDebug {
  playedSamples: number;
  lastStop?: { source: string | null; playedMs: number; at: number };
  voice?: {
    phase: string;
    misfires: number;
    utterances: { durationMs: number; kind: string; reason: string; at: number }[];
    lastSpeechConfirmedAt: number | null;
    lastSpeechConfirmedCapturedAt: number | null;
    lastSpeechStartedCapturedAt: number | null;
  };
}

// ---------------------------------------------------------------------------------------------
// Results.

/** Stage times of one turn, ms after the end of speech (page clock). */
export interface VoiceStages {
  /** The page sends input_audio_buffer.commit (the end-of-turn decision). */
  turn_end_decision_ms: number;
  /** The server's input_audio_buffer.committed reaches the page. */
  committed_received_ms: number | null;
  stt_started_ms: number | null;
  stt_done_ms: number | null;
  /** conversation.item.input_audio_transcription.completed reaches the page. */
  transcript_received_ms: number | null;
  llm_called_ms: number | null;
  /** The LLM's first token. */
  llm_first_token_ms: number | null;
  /** The first sentence chunk is complete and handed to the TTS (the first LLM chunk). */
  first_llm_chunk_ms: number | null;
  /** The TTS yields the first audio of it. */
  tts_first_audio_ms: number | null;
  /** The first response.output_audio.delta reaches the page. */
  first_audio_delta_received_ms: number | null;
  /** The player worklet plays the first sample. */
  first_sample_played_ms: number | null;
}

export interface BargeIn {
  /** Speech start of the second utterance, on the page clock (file-aligned). */
  speech_start_page_ms: number;
  /** VAD confirmed the turn (>= 250 ms of speech), ms after speech start. */
  vad_confirmed_ms: number | null;
  /** AudioPlayer.stop() ran (window.__localchat.lastStop.at), ms after speech start. */
  playback_stop_called_ms: number | null;
  /** The player worklet reported the clear (it renders silence from then), ms after speech start. */
  playback_silent_ms: number | null;
  /** stop() - VAD confirmation (target <= 100 ms). */
  stop_after_confirmation_ms: number | null;
  cancel_sent_ms: number | null;
  /** response.done (cancelled) reaches the page. */
  cancelled_received_ms: number | null;
  /** The LLM stream ended (ScriptedLLM call log's endedAt), ms after speech start. */
  llm_stopped_ms: number | null;
  llm_stopped_after_cancel_ms: number | null;
  llm_was_running: boolean;
  /** The last TTS call of the reply ended, ms after speech start; null if none was running at the cancel. */
  tts_stopped_ms: number | null;
  tts_was_running: boolean;
  /** Audio deltas of the cancelled response received after its response.done (target 0). */
  audio_deltas_after_cancel_done: number;
  /** Audio deltas received between sending response.cancel and its response.done (in flight). */
  audio_deltas_in_flight: number;
  truncate_audio_end_ms: number | null;
  played_ms_at_stop: number | null;
}

export interface VoiceRun {
  thinking_time_ms: number;
  ok: boolean;
  problem?: string;
  stages: VoiceStages | null;
  /** First sample played - end of speech. */
  voice_to_voice_ms: number | null;
  barge_in: BargeIn | null;
  commits_before_second_clip: number;
  utterance_ms: number | null;
  /** VAD's speech start of the barge-in utterance - the file's speech start (page clock). */
  vad_start_error_ms: number | null;
  /**
   * offset_ms: file time - capture time at the end of the first utterance; correlation: the lower
   * of the two anchors' normalised cross-correlation; drift_ms: second anchor - first.
   */
  alignment: { offset_ms: number; correlation: number; drift_ms: number | null; context_to_page_ms: number; capture_rate: number | null };
  clock: { page_minus_node_ms: number; uncertainty_ms: number; change_during_run_ms: number };
  /** Playwright's frame timestamps minus the page's own receipt times (CDP delivery), median. */
  playwright_frame_lag_ms: number | null;
  player_latency: ProbeData['playerLatency'];
}

export interface VoiceSummary {
  thinking_time_ms: number;
  runs: number;
  voice_to_voice_ms: Summary;
  stages_p50_ms: Record<keyof VoiceStages, number | null>;
  barge_in_stop_after_confirmation_ms: Summary;
  barge_in_vad_confirmed_ms: Summary;
  barge_in_playback_silent_ms: Summary;
  barge_in_llm_stopped_ms: Summary;
  barge_in_llm_stopped_after_cancel_ms: Summary;
  audio_deltas_after_cancel: number;
}

export interface VoiceResult {
  setup: {
    llm: string;
    stt: string;
    tts: string;
    fake_mic: { clips: string[]; lead_ms: number; gap_ms: number; speech: { clip: string; speech_start_ms: number; speech_end_ms: number; clip_end_ms: number }[] };
    chromium: string;
  };
  runs: VoiceRun[];
  by_thinking_time: VoiceSummary[];
}

export type { Absent } from './tts-engines.js';
import type { Absent } from './tts-engines.js';

export interface VoiceOptions {
  runs: number;
  thinkingTimes: readonly number[];
  sttDelayMs: number;
  tokensPerSecond: number;
  log: (line: string) => void;
}

// ---------------------------------------------------------------------------------------------

export async function benchVoice(options: VoiceOptions): Promise<VoiceResult | Absent> {
  const { log } = options;
  if (!existsSync(CHROMIUM_PATH)) return { installed: false, reason: `no Chromium at ${CHROMIUM_PATH} (apt-get install chromium)` };
  if (!existsSync(LIBRIVOX_DIR)) return { installed: false, reason: `no LibriVox clips at ${LIBRIVOX_DIR} (apt-get install pocketsphinx-testdata)` };
  if (!existsSync(join(WEB_ROOT, 'vad', 'silero_vad_v5.onnx'))) {
    log(`  ${WEB_ROOT} is missing or has no vad/: building the web UI (npx vite build --config web/vite.config.ts)`);
    execFileSync('npx', ['vite', 'build', '--config', 'web/vite.config.ts'], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  }

  const dir = mkdtempSync(join(tmpdir(), 'localchat-bench-voice-'));
  const mic = buildFakeMic({ clips: CLIPS, leadMs: LEAD_MS, gapMs: GAP_MS, tailMs: TAIL_MS, dir, name: 'fake-mic.wav' });
  const reference = referenceAudio(mic);
  const speech = mic.segments.map((segment) => speechBounds(segment.clip, segment.startMs));
  log(
    `  fake mic: ${mic.segments.map((segment, index) => `clip ${segment.clip} at ${(segment.startMs / 1000).toFixed(2)}-${(segment.endMs / 1000).toFixed(2)} s (speech ${(speech[index]!.startMs / 1000).toFixed(2)}-${(speech[index]!.endMs / 1000).toFixed(2)} s)`).join(', ')}`,
  );
  const { EspeakTTSEngine } = await import('../src/engines/tts/espeak.js');
  const espeak: TTS = new EspeakTTSEngine();
  await espeak.prepare?.();
  let browser: Browser | undefined;
  const runs: VoiceRun[] = [];
  try {
    browser = await launchChromium(fakeMicArgs(mic.path));
    const order: number[] = [];
    for (let index = 0; index < options.runs; index++) order.push(...options.thinkingTimes);
    for (const [index, thinkingTimeMs] of order.entries()) {
      let run: VoiceRun;
      try {
        run = await voiceRun(browser, espeak, mic, reference, speech, thinkingTimeMs, options);
      } catch (error) {
        run = failedRun(thinkingTimeMs, error instanceof Error ? error.message : String(error));
      }
      runs.push(run);
      log(`  run ${index + 1}/${order.length} (thinking time ${thinkingTimeMs} ms): ${describeRun(run)}`);
    }
  } finally {
    await browser?.close().catch(() => undefined);
    await espeak.dispose?.();
    rmSync(dir, { recursive: true, force: true });
  }

  return {
    setup: {
      llm: `ScriptedLLM, ${VOICE_REPLY.split(/\s+/).length}-word reply at ${options.tokensPerSecond} tokens/s`,
      stt: `ScriptedSTT (returns the clip's transcript) after ${options.sttDelayMs} ms${options.sttDelayMs === 0 ? ': STT compute not included' : ''}`,
      tts: 'eSpeak NG',
      fake_mic: {
        clips: [...CLIPS],
        lead_ms: LEAD_MS,
        gap_ms: GAP_MS,
        speech: mic.segments.map((segment, index) => ({ clip: segment.clip, speech_start_ms: round(speech[index]!.startMs), speech_end_ms: round(speech[index]!.endMs), clip_end_ms: round(segment.endMs) })),
      },
      chromium: `${CHROMIUM_PATH} ${browser?.version() ?? ''}`.trim(),
    },
    runs,
    by_thinking_time: options.thinkingTimes.map((thinkingTimeMs) => summarizeRuns(thinkingTimeMs, runs.filter((run) => run.thinking_time_ms === thinkingTimeMs && run.ok))),
  };
}

async function voiceRun(
  browser: Browser,
  espeak: TTS,
  mic: FakeMicFile,
  reference: Int16Array,
  speech: { startMs: number; endMs: number }[],
  thinkingTimeMs: number,
  options: VoiceOptions,
): Promise<VoiceRun> {
  let call = 0;
  const llm = new TimedLLM(new ScriptedLLM({ reply: () => (call++ === 0 ? VOICE_REPLY : 'I see. Tell me more.'), tokensPerSecond: options.tokensPerSecond }));
  const stt = new TimedSTT(new ScriptedSTT({ transcripts: mic.segments.map((segment) => segment.transcript), delayMs: options.sttDelayMs }));
  const tts = new TimedTTS(espeak);
  const server = await startTestServer(new StaticEngineSet({ llm, tts, stt }), { webRoot: WEB_ROOT });
  let context: BrowserContext | undefined;
  try {
    context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
    await context.addInitScript((prefs) => localStorage.setItem('localchat.preferences', prefs), JSON.stringify({ voiceInput: { mode: 'hands-free', bargeIn: true, thinkingTimeMs, turnDetection: 'browser' } }));
    await context.addInitScript({ content: PROBE });
    const page = await context.newPage();
    const playwrightFrames = recordPlaywrightFrames(page);
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(server.url);
    const clockStart = await measureClock(page);

    // Until the barge-in's cancel has gone out (or the second clip is long over), then 1.5 s for stray audio.
    const secondClipEndMs = mic.segments[1]!.endMs;
    const deadline = Date.now() + secondClipEndMs + 8000;
    let cancelled = false;
    while (Date.now() < deadline) {
      cancelled = await page.evaluate(() => {
        const probe = (window as unknown as { __bench: { ws: { d: string; type: string }[] } }).__bench;
        return probe.ws.some((entry) => entry.d === 'out' && entry.type === 'conversation.item.truncate');
      });
      if (cancelled) break;
      await sleep(200);
    }
    await sleep(1500);
    const clockEnd = await measureClock(page);
    const probe = await page.evaluate(() => {
      const w = window as unknown as { __bench: Omit<ProbeData, 'timeOrigin' | 'debug'>; __localchat: PageDebug };
      const { ws, capture, player, captureRate, playerLatency } = w.__bench;
      return { ws, capture, player, captureRate, playerLatency, timeOrigin: performance.timeOrigin, debug: JSON.parse(JSON.stringify(w.__localchat ?? {})) as PageDebug };
    });
    const pcmBase64 = await page.evaluate(() => (window as unknown as { __benchPcm: () => string }).__benchPcm());
    const pcmBytes = Buffer.from(pcmBase64, 'base64');
    const captured = new Int16Array(pcmBytes.buffer, pcmBytes.byteOffset, pcmBytes.byteLength / 2);
    if (pageErrors.length > 0) throw new Error(`page errors: ${pageErrors.join('; ')}`);
    return analyzeRun({ thinkingTimeMs, probe, captured, reference, speech, clock: [clockStart, clockEnd], llm, stt, tts, playwrightFrames, mic });
  } finally {
    await context?.close().catch(() => undefined);
    await server.stop();
  }
}

interface ClockSample {
  /** page epoch (timeOrigin + now) - this process's epoch at the same moment. */
  offset: number;
  rtt: number;
}

async function measureClock(page: Page): Promise<ClockSample> {
  let best: ClockSample | undefined;
  for (let index = 0; index < 5; index++) {
    const before = epochNow();
    const pageEpoch = await page.evaluate(() => performance.timeOrigin + performance.now());
    const after = epochNow();
    const sample = { offset: pageEpoch - (before + after) / 2, rtt: after - before };
    if (!best || sample.rtt < best.rtt) best = sample;
  }
  return best!;
}

interface PlaywrightFrame {
  at: number;
  id?: string;
  type?: string;
}

function recordPlaywrightFrames(page: Page): PlaywrightFrame[] {
  const frames: PlaywrightFrame[] = [];
  page.on('websocket', (socket) => {
    socket.on('framereceived', (frame) => {
      const at = Date.now();
      const text = typeof frame.payload === 'string' ? frame.payload : frame.payload.toString();
      // The server writes `type` first and `event_id` last: read both without parsing the audio.
      frames.push({ at, type: /^\{"type":"([^"]+)"/.exec(text)?.[1], id: /"event_id":"([^"]+)"\}$/.exec(text)?.[1] });
    });
  });
  return frames;
}

// ---------------------------------------------------------------------------------------------
// Analysis.

interface RunInput {
  thinkingTimeMs: number;
  probe: ProbeData;
  captured: Int16Array;
  reference: Int16Array;
  speech: { startMs: number; endMs: number }[];
  clock: [ClockSample, ClockSample];
  llm: TimedLLM;
  stt: TimedSTT;
  tts: TimedTTS;
  playwrightFrames: PlaywrightFrame[];
  mic: FakeMicFile;
}

function analyzeRun(input: RunInput): VoiceRun {
  const { probe, thinkingTimeMs } = input;
  const [clockStart, clockEnd] = input.clock;
  const clockOffset = clockStart.rtt <= clockEnd.rtt ? clockStart.offset : clockEnd.offset;
  /** This process's epoch ms -> page performance.now() ms. */
  const toPage = (epoch: number | undefined): number | null => (epoch === undefined ? null : epoch + clockOffset - probe.timeOrigin);

  // File time (ms) -> page clock.
  const alignment = alignCapture(input.captured, input.reference, input.speech);
  const frames = probe.capture;
  if (frames.length < 10) throw new Error(`only ${frames.length} capture frames`);
  const contextToPage = quantile5(frames.map(([receipt, currentTime, time]) => receipt - (currentTime - time) * 1000 - time * 1000));
  const frame0EndContextMs = frames[0]![2] * 1000;
  const fileToPage = (fileMs: number, offsetSamples: number): number => {
    const capturedIndex = (fileMs * RATE) / 1000 - offsetSamples;
    return contextToPage + frame0EndContextMs + ((capturedIndex - FRAME_SAMPLES) / RATE) * 1000;
  };
  const speechEnd = fileToPage(input.speech[0]!.endMs, alignment.endOffset);
  const secondStart = fileToPage(input.speech[1]!.startMs, alignment.startOffset);
  const secondClipStart = fileToPage(input.mic.segments[1]!.startMs, alignment.startOffset);

  const ws = probe.ws;
  const out = (type: string) => ws.filter((entry) => entry.d === 'out' && entry.type === type);
  const inn = (type: string) => ws.filter((entry) => entry.d === 'in' && entry.type === type);
  const commits = out('input_audio_buffer.commit');
  const commitsBefore = commits.filter((entry) => entry.t < secondClipStart);
  const commit = commitsBefore.at(-1);
  const debug = probe.debug;
  const utterance = debug.voice?.utterances[commitsBefore.length - 1];
  const base: Omit<VoiceRun, 'ok' | 'stages' | 'voice_to_voice_ms' | 'barge_in'> = {
    thinking_time_ms: thinkingTimeMs,
    commits_before_second_clip: commitsBefore.length,
    utterance_ms: utterance ? round(utterance.durationMs) : null,
    vad_start_error_ms: debug.voice?.lastSpeechStartedCapturedAt != null ? round(debug.voice.lastSpeechStartedCapturedAt - secondStart) : null,
    alignment: {
      offset_ms: round((alignment.endOffset / RATE) * 1000, 2),
      correlation: round(alignment.correlation, 3),
      drift_ms: alignment.driftSamples === null ? null : round((alignment.driftSamples / RATE) * 1000, 2),
      context_to_page_ms: round(contextToPage, 2),
      capture_rate: probe.captureRate,
    },
    clock: { page_minus_node_ms: round(clockOffset, 2), uncertainty_ms: round(Math.min(clockStart.rtt, clockEnd.rtt) / 2, 2), change_during_run_ms: round(clockEnd.offset - clockStart.offset, 2) },
    playwright_frame_lag_ms: playwrightLag(input.playwrightFrames, ws, probe.timeOrigin, clockOffset),
    player_latency: probe.playerLatency,
  };
  if (!commit) return { ...base, ok: false, problem: 'no commit before the second clip (VAD missed the first utterance)', stages: null, voice_to_voice_ms: null, barge_in: null };

  // The reply to the first utterance: the first response after the (last) commit before clip 2.
  const after = (entry: { t: number }) => entry.t >= commit.t;
  const created = inn('response.created').find(after);
  const responseId = created?.resp;
  const rel = (t: number | null | undefined) => (t === null || t === undefined ? null : round(t - speechEnd));
  const sttCall = input.stt.calls[commitsBefore.length - 1];
  const replyCall = input.llm.calls.find((candidate) => toPage(candidate.startedAt)! >= commit.t - 50);
  const replyTts = input.tts.calls.filter((candidate) => replyCall && candidate.startedAt >= replyCall.startedAt);
  const firstDelta = inn('response.output_audio.delta').find((entry) => entry.resp === responseId);
  const firstPlaying = probe.player.find((status) => status.t > commit.t && status.state === 'playing' && status.streamPlayed > 0);
  const stages: VoiceStages = {
    turn_end_decision_ms: round(commit.t - speechEnd),
    committed_received_ms: rel(inn('input_audio_buffer.committed').find(after)?.t),
    stt_started_ms: rel(toPage(sttCall?.startedAt)),
    stt_done_ms: rel(toPage(sttCall?.endedAt)),
    transcript_received_ms: rel(inn('conversation.item.input_audio_transcription.completed').find(after)?.t),
    llm_called_ms: rel(toPage(replyCall?.startedAt)),
    llm_first_token_ms: rel(toPage(replyCall?.firstOutputAt)),
    first_llm_chunk_ms: rel(toPage(replyTts[0]?.startedAt)),
    tts_first_audio_ms: rel(toPage(replyTts[0]?.firstOutputAt)),
    first_audio_delta_received_ms: rel(firstDelta?.t),
    first_sample_played_ms: firstPlaying ? rel(firstPlaying.t - (firstPlaying.streamPlayed / RATE) * 1000) : null,
  };

  const bargeIn = analyzeBargeIn({ ws, probe, responseId, secondStart, replyCall, replyTts, toPage });
  const problems: string[] = [];
  if (commitsBefore.length !== 1) problems.push(`${commitsBefore.length} commits for the first utterance`);
  if (!bargeIn) problems.push('no barge-in');
  if (stages.first_sample_played_ms === null) problems.push('no reply played');
  return {
    ...base,
    ok: stages.first_sample_played_ms !== null,
    ...(problems.length > 0 ? { problem: problems.join('; ') } : {}),
    stages,
    voice_to_voice_ms: stages.first_sample_played_ms,
    barge_in: bargeIn,
  };
}

function analyzeBargeIn(input: {
  ws: ProbeWs[];
  probe: ProbeData;
  responseId: string | undefined;
  secondStart: number;
  replyCall: TimedCall | undefined;
  replyTts: TimedCall[];
  toPage: (epoch: number | undefined) => number | null;
}): BargeIn | null {
  const { ws, probe, responseId, secondStart, toPage } = input;
  const debug = probe.debug;
  const stop = debug.lastStop;
  const truncate = ws.find((entry) => entry.d === 'out' && entry.type === 'conversation.item.truncate');
  if (!stop || !truncate || stop.at < secondStart - 1000) return null;
  const cancel = ws.find((entry) => entry.d === 'out' && entry.type === 'response.cancel' && entry.t >= stop.at - 50);
  const cancelledDone = ws.find((entry) => entry.d === 'in' && entry.type === 'response.done' && entry.resp === responseId && entry.status === 'cancelled');
  const deltas = ws.filter((entry) => entry.d === 'in' && entry.type === 'response.output_audio.delta' && entry.resp === responseId);
  const doneIndex = cancelledDone ? ws.indexOf(cancelledDone) : -1;
  const afterDone = doneIndex < 0 ? 0 : deltas.filter((entry) => ws.indexOf(entry) > doneIndex).length;
  const inFlight = cancel ? deltas.filter((entry) => entry.t > cancel.t && (doneIndex < 0 || ws.indexOf(entry) < doneIndex)).length : 0;
  const stopGeneration = probe.player.filter((status) => status.t <= stop.at).at(-1)?.generation ?? -1;
  const silent = probe.player.find((status) => status.t >= stop.at && status.generation > stopGeneration);
  const rel = (t: number | null | undefined) => (t === null || t === undefined ? null : round(t - secondStart));
  const confirmed = debug.voice?.lastSpeechConfirmedAt ?? null;
  const llmEnded = toPage(input.replyCall?.endedAt);
  const cancelAt = cancel?.t ?? stop.at;
  const llmWasRunning = llmEnded !== null && llmEnded > cancelAt - 5;
  // TTS calls of the reply still running when the cancel went out.
  const running = input.replyTts.filter((call) => (toPage(call.endedAt) ?? Infinity) > cancelAt - 5);
  const ttsEnded = running.length > 0 ? Math.max(...running.map((call) => toPage(call.endedAt) ?? Number.NaN)) : null;
  return {
    speech_start_page_ms: round(secondStart),
    vad_confirmed_ms: rel(confirmed),
    playback_stop_called_ms: rel(stop.at),
    playback_silent_ms: rel(silent?.t),
    stop_after_confirmation_ms: confirmed === null ? null : round(stop.at - confirmed),
    cancel_sent_ms: rel(cancel?.t),
    cancelled_received_ms: rel(cancelledDone?.t),
    llm_stopped_ms: llmWasRunning ? rel(llmEnded) : null,
    llm_stopped_after_cancel_ms: llmWasRunning && cancel ? round(llmEnded! - cancel.t) : null,
    llm_was_running: llmWasRunning,
    tts_stopped_ms: ttsEnded === null ? null : rel(ttsEnded),
    tts_was_running: running.length > 0,
    audio_deltas_after_cancel_done: afterDone,
    audio_deltas_in_flight: inFlight,
    truncate_audio_end_ms: truncate.audioEndMs ?? null,
    played_ms_at_stop: round(stop.playedMs),
  };
}

/** Median of (Playwright's Date.now() at the CDP frame event - the page's own receipt), matched by event_id. */
function playwrightLag(frames: PlaywrightFrame[], ws: ProbeWs[], timeOrigin: number, clockOffset: number): number | null {
  const byId = new Map(ws.filter((entry) => entry.d === 'in' && entry.id).map((entry) => [entry.id!, entry.t]));
  const lags: number[] = [];
  for (const frame of frames) {
    const t = frame.id ? byId.get(frame.id) : undefined;
    if (t !== undefined) lags.push(frame.at - (t + timeOrigin - clockOffset));
  }
  return lags.length > 0 ? round(median(lags)) : null;
}

function quantile5(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length * 0.05)]!;
}

// ---------------------------------------------------------------------------------------------
// The fake-mic file: its audio at 24 kHz, where speech is, and the captured audio's offset in it.

/** The fake-mic file's content at 24 kHz (the same layout buildFakeMic wrote at 48 kHz). */
function referenceAudio(mic: FakeMicFile): Int16Array {
  const parts: Int16Array[] = [silence(LEAD_MS, RATE)];
  mic.segments.forEach((segment, index) => {
    if (index > 0) parts.push(silence(GAP_MS, RATE));
    parts.push(loadClip(segment.clip, RATE));
  });
  parts.push(silence(TAIL_MS, RATE));
  return concatAudio(...parts);
}

/**
 * Where the speech is inside a clip placed at `clipStartMs` of the file: the first and last 10 ms
 * window at least 15 dB above the clip's noise floor (its 10th-percentile window level).
 */
export function speechBounds(clip: ClipId, clipStartMs: number): { startMs: number; endMs: number } {
  const samples = loadClip(clip, RATE);
  const window = RATE / 100;
  const levels: number[] = [];
  for (let offset = 0; offset + window <= samples.length; offset += window) {
    let energy = 0;
    for (let index = offset; index < offset + window; index++) energy += samples[index]! * samples[index]!;
    levels.push(10 * Math.log10(energy / window / 32768 / 32768 + 1e-12));
  }
  const floor = [...levels].sort((a, b) => a - b)[Math.floor(levels.length * 0.1)]!;
  const loud = levels.map((level) => level >= floor + 15);
  const first = loud.indexOf(true);
  const last = loud.lastIndexOf(true);
  return { startMs: clipStartMs + first * 10, endMs: clipStartMs + (last + 1) * 10 };
}

/** Envelope hop and window for the alignment, samples at 24 kHz (0.5 ms and 4 ms). */
const ENVELOPE_HOP = 12;
const ENVELOPE_WINDOW = 96;

/** Log energy (dB) of `window`-sample windows every `hop` samples, `count` of them, from `from`. */
function logEnvelope(samples: Int16Array, from: number, count: number): Float64Array {
  const out = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    const start = from + k * ENVELOPE_HOP;
    let energy = 0;
    for (let index = start; index < start + ENVELOPE_WINDOW; index++) {
      const value = samples[index] ?? 0;
      energy += value * value;
    }
    out[k] = 10 * Math.log10(energy / ENVELOPE_WINDOW + 1);
  }
  return out;
}

/**
 * The offset (in samples) of the captured audio in the file: reference index = captured index +
 * offset. A coarse guess from the first non-zero sample (the file is digital silence before the
 * first clip), then the best match of the log-energy envelopes (4 ms windows every 0.5 ms) over 1 s
 * of speech, searched within +-60 ms of the guess, at two anchors: the last second of the first
 * utterance's speech (used for its end) and the first second of the second's (used for its start).
 * Envelopes, not waveforms: Chromium's audio processing (noise suppression, gain control) changes
 * the waveform's phase but not where the energy is (waveform correlation peaks only ~0.4 and 1-2 ms
 * away; envelope correlation is ~0.85). The anchors' difference is the capture path's drift.
 */
function alignCapture(
  captured: Int16Array,
  reference: Int16Array,
  speech: { startMs: number; endMs: number }[],
): { endOffset: number; startOffset: number; correlation: number; driftSamples: number | null } {
  const firstCaptured = captured.findIndex((value) => value !== 0);
  const firstReference = reference.findIndex((value) => value !== 0);
  if (firstCaptured < 0) throw new Error('the captured audio is all silence (no fake microphone?)');
  const coarse = firstReference - firstCaptured;
  const count = RATE / ENVELOPE_HOP; // 1 s
  const search = Math.round((0.06 * RATE) / ENVELOPE_HOP);
  const match = (guess: number, fromMs: number): { offset: number; correlation: number } | null => {
    const start = Math.round((fromMs * RATE) / 1000);
    const referenceEnvelope = logEnvelope(reference, start, count);
    const capturedFrom = start - guess - search * ENVELOPE_HOP;
    if (capturedFrom < 0 || capturedFrom + (count + 2 * search) * ENVELOPE_HOP + ENVELOPE_WINDOW > captured.length) return null;
    const capturedEnvelope = logEnvelope(captured, capturedFrom, count + 2 * search);
    const mean = (values: Float64Array, from: number) => {
      let sum = 0;
      for (let k = 0; k < count; k++) sum += values[from + k]!;
      return sum / count;
    };
    const referenceMean = mean(referenceEnvelope, 0);
    let best = { offset: guess, correlation: -Infinity };
    for (let shift = 0; shift <= 2 * search; shift++) {
      const capturedMean = mean(capturedEnvelope, shift);
      let dot = 0;
      let a = 0;
      let b = 0;
      for (let k = 0; k < count; k++) {
        const x = referenceEnvelope[k]! - referenceMean;
        const y = capturedEnvelope[shift + k]! - capturedMean;
        dot += x * y;
        a += x * x;
        b += y * y;
      }
      const correlation = dot / Math.sqrt(a * b + 1e-12);
      // captured index (capturedFrom + shift * hop) <-> reference index start.
      if (correlation > best.correlation) best = { offset: start - (capturedFrom + shift * ENVELOPE_HOP), correlation };
    }
    return best;
  };
  const end = match(coarse, speech[0]!.endMs - 1100);
  if (!end) throw new Error('the capture stopped before the end of the first utterance');
  const start = match(end.offset, speech[1]!.startMs + 100);
  return {
    endOffset: end.offset,
    startOffset: start?.offset ?? end.offset,
    correlation: Math.min(end.correlation, start?.correlation ?? 1),
    driftSamples: start ? start.offset - end.offset : null,
  };
}

// ---------------------------------------------------------------------------------------------

function failedRun(thinkingTimeMs: number, problem: string): VoiceRun {
  return {
    thinking_time_ms: thinkingTimeMs,
    ok: false,
    problem,
    stages: null,
    voice_to_voice_ms: null,
    barge_in: null,
    commits_before_second_clip: 0,
    utterance_ms: null,
    vad_start_error_ms: null,
    alignment: { offset_ms: Number.NaN, correlation: Number.NaN, drift_ms: null, context_to_page_ms: Number.NaN, capture_rate: null },
    clock: { page_minus_node_ms: Number.NaN, uncertainty_ms: Number.NaN, change_during_run_ms: Number.NaN },
    playwright_frame_lag_ms: null,
    player_latency: null,
  };
}

function describeRun(run: VoiceRun): string {
  if (!run.stages) return `FAILED: ${run.problem}`;
  const s = run.stages;
  const b = run.barge_in;
  const f = (value: number | null) => (value === null ? 'n/a' : `${value.toFixed(0)}`);
  return (
    `voice-to-voice ${f(run.voice_to_voice_ms)} ms (decision ${f(s.turn_end_decision_ms)}, transcript ${f(s.transcript_received_ms)}, ` +
    `LLM 1st token ${f(s.llm_first_token_ms)}, 1st chunk ${f(s.first_llm_chunk_ms)}, TTS audio ${f(s.tts_first_audio_ms)}, delta in page ${f(s.first_audio_delta_received_ms)}, played ${f(s.first_sample_played_ms)}); ` +
    (b
      ? `barge-in: confirmed +${f(b.vad_confirmed_ms)}, stop +${f(b.playback_stop_called_ms)} (${f(b.stop_after_confirmation_ms)} after confirm), LLM stopped +${f(b.llm_stopped_ms)}, deltas after cancel ${b.audio_deltas_after_cancel_done}`
      : 'no barge-in') +
    `; align corr ${run.alignment.correlation.toFixed(2)}, drift ${run.alignment.drift_ms ?? 'n/a'} ms, clock ±${run.clock.uncertainty_ms} ms` +
    (run.problem ? ` [${run.problem}]` : '')
  );
}

function summarizeRuns(thinkingTimeMs: number, runs: VoiceRun[]): VoiceSummary {
  const stageKeys: (keyof VoiceStages)[] = [
    'turn_end_decision_ms', 'committed_received_ms', 'stt_started_ms', 'stt_done_ms', 'transcript_received_ms', 'llm_called_ms',
    'llm_first_token_ms', 'first_llm_chunk_ms', 'tts_first_audio_ms', 'first_audio_delta_received_ms', 'first_sample_played_ms',
  ];
  const pick = (get: (run: VoiceRun) => number | null | undefined) => runs.map(get).filter((value): value is number => typeof value === 'number' && Number.isFinite(value));
  const p50 = (values: number[]) => (values.length > 0 ? round(median(values)) : null);
  return {
    thinking_time_ms: thinkingTimeMs,
    runs: runs.length,
    voice_to_voice_ms: summarize(pick((run) => run.voice_to_voice_ms)),
    stages_p50_ms: Object.fromEntries(stageKeys.map((key) => [key, p50(pick((run) => run.stages?.[key]))])) as Record<keyof VoiceStages, number | null>,
    barge_in_stop_after_confirmation_ms: summarize(pick((run) => run.barge_in?.stop_after_confirmation_ms)),
    barge_in_vad_confirmed_ms: summarize(pick((run) => run.barge_in?.vad_confirmed_ms)),
    barge_in_playback_silent_ms: summarize(pick((run) => run.barge_in?.playback_silent_ms)),
    barge_in_llm_stopped_ms: summarize(pick((run) => run.barge_in?.llm_stopped_ms)),
    barge_in_llm_stopped_after_cancel_ms: summarize(pick((run) => run.barge_in?.llm_stopped_after_cancel_ms)),
    audio_deltas_after_cancel: runs.reduce((sum, run) => sum + (run.barge_in?.audio_deltas_after_cancel_done ?? 0), 0),
  };
}

// ---------------------------------------------------------------------------------------------
// STT real-time factor.

export interface SttRtf {
  engine: string;
  model: string;
  calls: number;
  audio_ms: number;
  /** transcribe() wall time per call, ms. */
  transcribe_ms: Summary;
  /** transcribe time / audio duration (median). */
  rtf: number;
  transcripts?: string[];
}

export interface SttResult {
  scripted: SttRtf;
  whisper: SttRtf | Absent;
}

/**
 * STT real-time factor: the test engine (ScriptedSTT, as the realtime path calls it, with no
 * delay: only the call's own overhead) and Whisper base.en when installed in the models directory.
 * Input: the two LibriVox clips at 24 kHz (what the server passes to STT), each `runs` times.
 */
export async function benchStt(options: { runs: number; log: (line: string) => void }): Promise<SttResult> {
  if (!existsSync(LIBRIVOX_DIR)) {
    const reason = `no LibriVox clips at ${LIBRIVOX_DIR}`;
    return { scripted: await rtf(new ScriptedSTT({ transcripts: ['x'] }), [new Int16Array(RATE * 3)], options.runs), whisper: { installed: false, reason } };
  }
  const clips = CLIPS.map((clip) => loadClip(clip, RATE));
  const scripted = await rtf(new ScriptedSTT({ transcripts: CLIPS.map((clip) => LIBRIVOX_CLIPS[clip]) }), clips, options.runs * 10);
  options.log(`  ScriptedSTT: ${scripted.transcribe_ms.p50} ms per call -> RTF ${scripted.rtf}`);
  const entry = findCatalogEntry('whisper-base.en');
  const modelsDir = resolveModelsDir();
  let whisper: SttRtf | Absent;
  if (!entry || !(await isInstalled(entry, modelsDir))) {
    whisper = { installed: false, reason: `whisper-base.en is not installed in ${modelsDir}` };
    options.log(`  Whisper: absent (${whisper.reason})`);
  } else {
    const { WhisperSTT } = await import('../src/engines/stt/whisper.js');
    const engine = await WhisperSTT.load({ modelDir: modelDirectory(entry, modelsDir) });
    await engine.transcribe({ samples: clips[0]!, sampleRate: RATE }, { signal: new AbortController().signal }); // warm-up
    whisper = await rtf(engine, clips, options.runs);
    options.log(`  Whisper base.en: ${whisper.transcribe_ms.p50} ms per call -> RTF ${whisper.rtf}`);
  }
  return { scripted, whisper };
}

async function rtf(stt: STT, clips: Int16Array[], runs: number): Promise<SttRtf> {
  const times: number[] = [];
  const ratios: number[] = [];
  const transcripts = new Set<string>();
  for (let run = 0; run < runs; run++) {
    for (const samples of clips) {
      const started = performance.now();
      const { text } = await stt.transcribe({ samples, sampleRate: RATE }, { signal: new AbortController().signal });
      const elapsed = performance.now() - started;
      times.push(elapsed);
      ratios.push(elapsed / ((samples.length / RATE) * 1000));
      transcripts.add(text.trim());
    }
  }
  return {
    engine: stt.provider,
    model: stt.modelId,
    calls: times.length,
    audio_ms: round(clips.reduce((sum, clip) => sum + (clip.length / RATE) * 1000, 0)),
    transcribe_ms: { ...summarize(times), values: [] },
    rtf: Number(median(ratios).toPrecision(3)),
    transcripts: [...transcripts],
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
