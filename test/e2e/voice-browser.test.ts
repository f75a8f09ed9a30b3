/**
 * Voice input in a real browser: headless Chromium with a microphone speaking real LibriVox
 * speech, Silero VAD running in the page on onnxruntime-web (served by our server from
 * dist/web/vad/), against the real LocalChat server with a scripted STT (Whisper weights cannot be
 * downloaded here), a scripted LLM and a tone TTS.
 *
 * Most tests speak through a scripted microphone (test/fixtures/scripted-mic.ts) when the event
 * they are about has happened (the page listens, the tutor's reply plays): no test depends on how
 * fast a busy machine runs. Chromium's own fake capture device (test/fixtures/fake-mic.ts, a file
 * played on a fixed timeline) serves the tests that only need some speech at some point.
 *
 * Asserts on the WebSocket frames the page sends (playwright's `framesent`), on the server's
 * engines, and on what the learner sees. Every wait is for an event, with a generous timeout.
 * Needs `npx vite build --config web/vite.config.ts` first (`npm test` builds).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticEngineSet } from '../../src/engines/engine-set.js';
import { createSileroVad } from '../../src/engines/vad/silero-vad.js';
import { WEB_ROOT } from '../../src/server/start.js';
import { ScriptedLLM } from '../../src/testing/scripted-llm.js';
import { ScriptedSTT } from '../../src/testing/scripted-stt.js';
import { ToneTTS } from '../../src/testing/tone-tts.js';
import { buildFakeMic, fakeMicArgs, type FakeMicFile } from '../fixtures/fake-mic.js';
import { type ClipId, LIBRIVOX_CLIPS, librivoxAvailable } from '../fixtures/librivox.js';
import { clipDurationMs, installScriptedMic, speak, transcribeClips } from '../fixtures/scripted-mic.js';
import { chromiumAvailable, launchChromium } from '../helpers/chromium.js';
import { type TestServer, startTestServer } from '../helpers/test-server.js';

const RESULTS = join(process.cwd(), 'test-results');
const available = chromiumAvailable() && librivoxAvailable();

interface Frame {
  direction: 'sent' | 'received';
  at: number;
  event: Record<string, unknown> & { type: string };
  /** Decoded PCM16 bytes of an `input_audio_buffer.append`. */
  audioBytes?: number;
  size: number;
}

/** Called after every frame recorded into a `recordFrames` list. */
const frameListeners = new WeakMap<Frame[], Set<() => void>>();

/** Records every realtime event the page sends and receives. */
function recordFrames(page: Page): Frame[] {
  const frames: Frame[] = [];
  const listeners = new Set<() => void>();
  frameListeners.set(frames, listeners);
  page.on('websocket', (socket) => {
    const record = (direction: Frame['direction'], payload: string | Buffer): void => {
      const text = String(payload);
      const event = JSON.parse(text) as Frame['event'];
      const audio = typeof event.audio === 'string' ? event.audio : undefined;
      frames.push({ direction, at: Date.now(), event, size: text.length, audioBytes: audio ? Buffer.from(audio, 'base64').length : undefined });
      for (const listener of [...listeners]) listener();
    };
    socket.on('framesent', (frame) => record('sent', frame.payload));
    socket.on('framereceived', (frame) => record('received', frame.payload));
  });
  return frames;
}

const sent = (frames: Frame[], type?: string): Frame[] => frames.filter((frame) => frame.direction === 'sent' && (!type || frame.event.type === type));
const received = (frames: Frame[], type: string): Frame[] => frames.filter((frame) => frame.direction === 'received' && frame.event.type === type);

/** Audio of each committed utterance, ms: the appends since the previous commit or clear. */
function committedUtterances(frames: Frame[]): number[] {
  const durations: number[] = [];
  let bytes = 0;
  for (const frame of sent(frames)) {
    if (frame.event.type === 'input_audio_buffer.append') bytes += frame.audioBytes ?? 0;
    else if (frame.event.type === 'input_audio_buffer.clear') bytes = 0;
    else if (frame.event.type === 'input_audio_buffer.commit') {
      durations.push(bytes / 48);
      bytes = 0;
    }
  }
  return durations;
}

/**
 * What the server's STT is given for each committed utterance, ms. At a "maybe done" pause
 * (`localchat.input_audio_buffer.maybe_done`: the speech so far appended, the trailing silence
 * held back) the server transcribes what it has; if the learner goes on
 * (`localchat.input_audio_buffer.resumed`) that is dropped (`dropped`: its call may or may not
 * have started), else it is adopted at the commit (`final`). With no live "maybe done" at the
 * commit, the whole utterance is transcribed (`final`).
 */
function transcriptions(frames: Frame[]): { dropped: number[]; final: number }[] {
  const utterances: { dropped: number[]; final: number }[] = [];
  let bytes = 0;
  let dropped: number[] = [];
  let atMaybeDone: number | null = null;
  for (const frame of sent(frames)) {
    const type = frame.event.type;
    if (type === 'input_audio_buffer.append') bytes += frame.audioBytes ?? 0;
    else if (type === 'localchat.input_audio_buffer.maybe_done') atMaybeDone = bytes;
    else if (type === 'localchat.input_audio_buffer.resumed') {
      if (atMaybeDone !== null) dropped.push(atMaybeDone / 48);
      atMaybeDone = null;
    } else if (type === 'input_audio_buffer.clear' || type === 'input_audio_buffer.commit') {
      if (type === 'input_audio_buffer.commit') utterances.push({ dropped, final: (atMaybeDone ?? bytes) / 48 });
      bytes = 0;
      dropped = [];
      atMaybeDone = null;
    }
  }
  return utterances;
}

/**
 * Checks the STT calls (durations, ms, in order) against `transcriptions`: each utterance's
 * dropped "maybe done" transcriptions may appear, its final one must, and nothing else.
 */
function expectTranscribed(calls: number[], utterances: { dropped: number[]; final: number }[]): void {
  const round = (ms: number): number => Math.round(ms);
  let next = 0;
  utterances.forEach((utterance, index) => {
    for (const ms of utterance.dropped) if (calls[next] !== undefined && round(calls[next]!) === round(ms)) next++;
    expect(calls[next] === undefined ? undefined : round(calls[next]!), `the transcription of utterance ${index + 1}`).toBe(round(utterance.final));
    next++;
  });
  expect(calls.slice(next).map(round), 'STT calls for no utterance').toEqual([]);
}

/** Resolves once `condition` (on the recorded frames) holds: checked now and on every new frame. */
function until(frames: Frame[], condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  if (condition()) return Promise.resolve();
  const listeners = frameListeners.get(frames)!;
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (!condition()) return;
      listeners.delete(check);
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      listeners.delete(check);
      reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    listeners.add(check);
  });
}

interface PageDebug {
  playedSamples: number;
  state: string;
  lastStop?: { source: string | null; playedMs: number; at: number };
  voice?: {
    phase: string;
    vadReady: boolean;
    frames: number;
    lastSpeechConfirmedAt: number | null;
    misfires: number;
    utterances: { durationMs: number; kind: string }[];
  };
}

type DebugWindow = { __localchat?: PageDebug };

/**
 * Waits until `condition` (run in the page, where `window.__localchat` holds the player's and the
 * voice input's state) holds; on a timeout the error shows that state.
 */
async function inPage(page: Page, condition: (arg: number) => boolean, arg: number, what: string, timeoutMs = 60_000): Promise<void> {
  try {
    await page.waitForFunction(condition, arg, { timeout: timeoutMs, polling: 50 });
  } catch (error) {
    throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what} (page state: ${JSON.stringify(await debug(page).catch(() => null))})`, { cause: error });
  }
}

/** The voice input is listening, with Silero VAD loaded (push-to-talk uses it to judge a recording). */
function listening(page: Page): Promise<void> {
  return inPage(
    page,
    () => {
      const voice = (window as unknown as DebugWindow).__localchat?.voice;
      return voice?.phase === 'listening' && voice.vadReady;
    },
    0,
    'the microphone and the VAD',
  );
}

/** Every sample of the tutor's voice received so far has played, and the player is idle. */
async function repliesHeard(page: Page, frames: Frame[]): Promise<void> {
  const samples = received(frames, 'response.output_audio.delta').reduce((sum, frame) => sum + Buffer.from(String(frame.event.delta), 'base64').length / 2, 0);
  await inPage(
    page,
    (total) => {
      const state = (window as unknown as DebugWindow).__localchat;
      return state !== undefined && state.playedSamples >= total && state.state === 'idle';
    },
    samples,
    `${samples} samples of the tutor's voice to play`,
  );
}

/** The clips the scripted microphone speaks, in order, with what the scripted STT hears. */
const CLIPS: ClipId[] = ['0880', '0930'];
const TRANSCRIPTS = CLIPS.map((clip) => LIBRIVOX_CLIPS[clip]);
const scriptedMic = (context: BrowserContext): Promise<void> => installScriptedMic(context, CLIPS);

function debug(page: Page): Promise<PageDebug> {
  return page.evaluate(() => JSON.parse(JSON.stringify((window as unknown as { __localchat: PageDebug }).__localchat)) as PageDebug);
}

/** Console errors and page errors (CSP violations show as console errors). */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  return errors;
}

// Generous: every wait ends as soon as its event happens, so a long limit costs nothing when the machine is idle.
describe.runIf(available)('voice input in the browser', { timeout: 240_000 }, () => {
  let mic: FakeMicFile;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(join(WEB_ROOT, 'vad', 'silero_vad_v5.onnx'))) {
      throw new Error(`${WEB_ROOT} has no vad/ files: build the web client first (npx vite build --config web/vite.config.ts).`);
    }
    // 1 s of silence, "he was not an ill disposed young man" (3.0 s), 2.5 s of silence,
    // "he might even have been made amiable himself" (3.3 s), 6 s of silence; then it loops.
    mic = buildFakeMic({ clips: ['0880', '0930'], leadMs: 1000, gapMs: 2500, tailMs: 6000 });
    browser = await launchChromium(fakeMicArgs(mic.path));
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
  });

  async function open(server: TestServer, init?: (context: BrowserContext) => Promise<void>): Promise<{ page: Page; frames: Frame[]; errors: string[]; context: BrowserContext }> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
    await init?.(context);
    const page = await context.newPage();
    const frames = recordFrames(page);
    const errors = watchErrors(page);
    await page.goto(server.url);
    await page.locator('.connection--connected').waitFor({ timeout: 60_000 });
    return { page, frames, errors, context };
  }

  async function chooseMode(page: Page, mode: 'hands-free' | 'push-to-talk' | 'typing'): Promise<void> {
    await page.locator(`.voice-modes input[value="${mode}"]`).check();
  }

  it('hands-free: the browser VAD finds the two utterances of real speech and sends each as one turn', async () => {
    const llm = new ScriptedLLM({ reply: 'Good.', tokensPerSecond: 50 });
    const stt = new ScriptedSTT({ transcripts: transcribeClips(CLIPS), delayMs: 30 });
    const server = await startTestServer(new StaticEngineSet({ llm, tts: new ToneTTS(), stt }), { webRoot: WEB_ROOT });
    const { page, frames, errors, context } = await open(server, scriptedMic);
    try {
      await chooseMode(page, 'hands-free');
      await listening(page);
      // Two turns, each spoken once the tutor's previous reply has been heard in full.
      for (const [index, clip] of CLIPS.entries()) {
        await speak(page, clip);
        await until(frames, () => sent(frames, 'input_audio_buffer.commit').length >= index + 1, 60_000, `commit ${index + 1}`);
        await until(frames, () => received(frames, 'response.done').length >= index + 1, 60_000, `reply ${index + 1}`);
        await repliesHeard(page, frames);
      }
      await page.locator('.message--spoken').nth(1).locator('.bubble', { hasText: TRANSCRIPTS[1]! }).waitFor({ timeout: 60_000 });
      await page.locator('.message--tutor.message--completed').nth(1).waitFor({ timeout: 60_000 });

      // Browser VAD mode: the client decides turns.
      const update = sent(frames, 'session.update').find((frame) => {
        const session = frame.event.session as { audio?: { input?: { turn_detection?: unknown } } };
        return session.audio?.input && 'turn_detection' in session.audio.input;
      });
      expect((update?.event.session as { audio: { input: { turn_detection: unknown } } }).audio.input.turn_detection).toBeNull();

      // Two utterances, each about as long as its clip (+ 320 ms padding before, <= 256 ms after).
      const durations = committedUtterances(frames).slice(0, 2);
      expect(durations).toHaveLength(2);
      CLIPS.forEach((clip, index) => {
        const clipMs = clipDurationMs(clip);
        expect(durations[index]).toBeGreaterThan(clipMs - 400);
        expect(durations[index]).toBeLessThan(clipMs + 900);
      });
      // The server's STT got the same audio (as far as the "maybe done" pause it transcribed at).
      const heard = transcriptions(frames);
      expect(heard).toHaveLength(2);
      expectTranscribed(
        stt.calls.map((call) => call.durationMs),
        heard,
      );
      // Appends are small (<= ~100 ms, far under the 256 KiB frame limit); each commit is followed by response.create.
      for (const frame of sent(frames, 'input_audio_buffer.append')) {
        expect(frame.audioBytes).toBeLessThanOrEqual(4800);
        expect(frame.size).toBeLessThan(256 * 1024);
      }
      const order = sent(frames).map((frame) => frame.event.type).filter((type) => type !== 'input_audio_buffer.append');
      const commits = order.flatMap((type, index) => (type === 'input_audio_buffer.commit' ? [index] : []));
      for (const index of commits.slice(0, 2)) expect(order[index + 1]).toBe('response.create');
      // No barge-in happened, nothing was cleared.
      expect(sent(frames, 'input_audio_buffer.clear')).toHaveLength(0);
      expect(sent(frames, 'conversation.item.truncate')).toHaveLength(0);

      // What the learner sees: "what I heard" for each turn, the tutor's replies, heard.
      const spoken = page.locator('.message--spoken');
      expect(await spoken.locator('.bubble').allTextContents()).toEqual(TRANSCRIPTS);
      expect(await spoken.first().locator('.message__meta--heard').textContent()).toMatch(/What I heard · \d\.\d s/);
      expect(llm.calls.slice(0, 2).map((call) => call.request.messages.at(-1)?.content)).toEqual(TRANSCRIPTS);
      // Both replies were heard (repliesHeard above), so sound came out.
      expect((await debug(page)).playedSamples).toBeGreaterThan(0);
      await page.screenshot({ path: join(RESULTS, 'voice-hands-free.png') });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
      await server.stop();
    }
  });

  it('barge-in: speaking over the reply stops it at once, cancels it, and truncates it to what was heard', async () => {
    const long = 'Well, that is a very interesting sentence. It reminds me of a famous novel by Jane Austen about two sisters, their money and their marriages. Have you read it?';
    let call = 0;
    // Slow enough that the reply is still being made when the learner talks over it.
    const llm = new ScriptedLLM({ reply: () => (call++ === 0 ? long : 'I see.'), tokensPerSecond: 4 });
    const stt = new ScriptedSTT({ transcripts: transcribeClips(CLIPS) });
    const server = await startTestServer(new StaticEngineSet({ llm, tts: new ToneTTS(), stt }), { webRoot: WEB_ROOT });
    const { page, frames, errors, context } = await open(server, scriptedMic);
    try {
      await chooseMode(page, 'hands-free');
      await listening(page);
      await speak(page, CLIPS[0]!);
      await until(frames, () => sent(frames, 'input_audio_buffer.commit').length === 1, 60_000, 'the first turn');
      // The learner speaks once a second of the reply has been heard.
      await inPage(page, () => ((window as unknown as DebugWindow).__localchat?.playedSamples ?? 0) >= 24_000, 0, "a second of the tutor's reply");
      expect(received(frames, 'response.done')).toHaveLength(0);
      await speak(page, CLIPS[1]!);
      await until(frames, () => sent(frames, 'conversation.item.truncate').length > 0, 60_000, 'the barge-in truncation');
      await until(frames, () => sent(frames, 'input_audio_buffer.commit').length >= 2, 60_000, 'the second turn');
      // The reply to the second turn (the first one was cancelled).
      await page.locator('.message--tutor.message--completed', { hasText: 'I see.' }).waitFor({ timeout: 60_000 });

      const firstItem = received(frames, 'response.output_item.added')[0]!.event.item as { id: string };
      const truncate = sent(frames, 'conversation.item.truncate')[0]!;
      const audioEndMs = truncate.event.audio_end_ms as number;
      expect(truncate.event).toMatchObject({ item_id: firstItem.id, content_index: 0 });
      // Some of the reply was heard, not all of it (~9 s of tone audio).
      const receivedMs =
        received(frames, 'response.output_audio.delta')
          .filter((frame) => frame.event.item_id === firstItem.id)
          .reduce((sum, frame) => sum + Buffer.from(String(frame.event.delta), 'base64').length, 0) / 48;
      expect(audioEndMs).toBeGreaterThan(300);
      expect(audioEndMs).toBeLessThan(receivedMs);

      const state = await debug(page);
      // Playback stopped within 100 ms of the moment the VAD confirmed speech (the same task, in practice).
      expect(state.lastStop?.source).toBe(firstItem.id);
      expect(state.lastStop!.at - state.voice!.lastSpeechConfirmedAt!).toBeLessThan(100);
      expect(Math.abs(state.lastStop!.playedMs - audioEndMs)).toBeLessThanOrEqual(1);

      // The reply was still being made: it was cancelled, before the learner's turn was sent.
      const types = sent(frames).map((frame) => frame.event.type);
      expect(types.indexOf('response.cancel')).toBeGreaterThan(-1);
      expect(types.indexOf('response.cancel')).toBeLessThan(types.lastIndexOf('input_audio_buffer.commit'));
      const firstDone = received(frames, 'response.done')[0]!.event.response as { status: string };
      expect(firstDone.status).toBe('cancelled');
      expect(received(frames, 'conversation.item.truncated')[0]?.event).toMatchObject({ item_id: firstItem.id, audio_end_ms: audioEndMs });

      // The tutor remembers only what was heard (ToneTTS: 60 ms a character).
      const history = llm.calls[1]!.request.messages;
      const assistant = history.find((message) => message.role === 'assistant')!;
      expect(long.startsWith(assistant.content)).toBe(true);
      expect(assistant.content.length).toBeLessThan(long.length);

      // The learner sees the interrupted reply marked.
      await page.locator('.message--interrupted .tag--interrupted').waitFor({ timeout: 60_000 });
      await page.screenshot({ path: join(RESULTS, 'voice-barge-in.png') });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
      await server.stop();
    }
  });

  it('barge-in off: the microphone is gated while the tutor speaks, so speech then neither interrupts nor is sent', async () => {
    const long = 'Well, that is a very interesting sentence. It reminds me of a famous novel by Jane Austen about two sisters, their money and their marriages. Have you read it?';
    const llm = new ScriptedLLM({ reply: long, tokensPerSecond: 40 });
    const stt = new ScriptedSTT({ transcripts: transcribeClips(CLIPS) });
    const server = await startTestServer(new StaticEngineSet({ llm, tts: new ToneTTS(), stt }), { webRoot: WEB_ROOT });
    const { page, frames, errors, context } = await open(server, async (context) => {
      await scriptedMic(context);
      await context.addInitScript(() => {
        localStorage.setItem('localchat.preferences', JSON.stringify({ voiceInput: { mode: 'hands-free', bargeIn: false } }));
      });
    });
    try {
      await listening(page);
      await speak(page, CLIPS[0]!);
      await until(frames, () => sent(frames, 'input_audio_buffer.commit').length === 1, 60_000, 'the first turn');
      await page.locator('.voice-bar--paused').waitFor({ timeout: 60_000 });
      expect(await page.locator('.voice-bar__text').textContent()).toMatch(/paused while the tutor speaks/);
      const pausedAt = Date.now();
      await page.screenshot({ path: join(RESULTS, 'voice-paused.png') });
      // The learner speaks while the ~9 s reply plays: nothing is detected or sent.
      await speak(page, CLIPS[1]!);
      expect((await debug(page)).voice?.phase).toBe('paused');
      await page.locator('.voice-bar--paused').waitFor({ state: 'detached', timeout: 60_000 });
      const resumedAt = Date.now();
      expect(resumedAt - pausedAt).toBeGreaterThan(4000);
      const during = sent(frames).filter((frame) => frame.at > pausedAt && frame.at < resumedAt);
      expect(during.filter((frame) => frame.event.type.startsWith('input_audio_buffer'))).toEqual([]);
      expect(sent(frames, 'conversation.item.truncate')).toHaveLength(0);
      expect(sent(frames, 'response.cancel')).toHaveLength(0);
      expect(received(frames, 'response.done')[0]?.event.response).toMatchObject({ status: 'completed' });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
      await server.stop();
    }
  });

  it('hands-free with server turn detection: the page streams the microphone, the server finds the turns', async () => {
    const llm = new ScriptedLLM({ reply: 'Right.', tokensPerSecond: 50 });
    const stt = new ScriptedSTT({ transcripts: transcribeClips(CLIPS) });
    const server = await startTestServer(new StaticEngineSet({ llm, tts: new ToneTTS(), stt, vad: (settings) => createSileroVad(settings) }), { webRoot: WEB_ROOT });
    // Saved preferences: hands-free, pauses detected on the server, 1.2 s of thinking time.
    const { page, frames, errors, context } = await open(server, async (context) => {
      await scriptedMic(context);
      await context.addInitScript(() => {
        localStorage.setItem('localchat.preferences', JSON.stringify({ voiceInput: { mode: 'hands-free', turnDetection: 'server', thinkingTimeMs: 1200 } }));
      });
    });
    try {
      // The server has the settings (its VAD on), and the page streams the microphone.
      await until(frames, () => received(frames, 'session.updated').length > 0 && sent(frames, 'input_audio_buffer.append').length > 0, 60_000, 'the server VAD on, and audio streaming');
      await inPage(page, () => (window as unknown as DebugWindow).__localchat?.voice?.phase === 'listening', 0, 'the microphone');
      // Two turns, each spoken once the tutor's previous reply has been heard in full.
      const spoken = [];
      for (const [index, clip] of CLIPS.entries()) {
        spoken.push(await speak(page, clip));
        await until(frames, () => received(frames, 'input_audio_buffer.speech_stopped').length >= index + 1, 60_000, `turn ${index + 1} found by the server`);
        await until(frames, () => received(frames, 'response.done').length >= index + 1, 60_000, `reply ${index + 1}`);
        await repliesHeard(page, frames);
      }
      await page.locator('.message--spoken').nth(1).locator('.bubble', { hasText: TRANSCRIPTS[1]! }).waitFor({ timeout: 60_000 });
      const update = sent(frames, 'session.update').find((frame) => (frame.event.session as { audio?: { input?: unknown } }).audio?.input);
      expect((update?.event.session as { audio: { input: unknown } }).audio.input).toEqual({
        turn_detection: { type: 'server_vad', threshold: 0.5, silence_duration_ms: 1200, prefix_padding_ms: 300, create_response: true, interrupt_response: true },
      });
      // The client never decides a turn itself in this mode.
      expect(sent(frames, 'input_audio_buffer.commit')).toHaveLength(0);
      expect(sent(frames, 'response.create')).toHaveLength(0);
      // It streams the microphone continuously, in 96 ms appends: the server hears the two
      // clips as far apart in its stream as they were spoken (the microphone's clock), so no audio
      // was lost or sent twice between them, however busy the page was.
      const appends = sent(frames, 'input_audio_buffer.append');
      expect(appends.length).toBeGreaterThan(20);
      for (const frame of appends) expect(frame.audioBytes).toBe(96 * 48);
      const starts = received(frames, 'input_audio_buffer.speech_started').map((frame) => frame.event.audio_start_ms as number);
      expect(starts).toHaveLength(2);
      expect(Math.abs(starts[1]! - starts[0]! - (spoken[1]!.startMs - spoken[0]!.startMs))).toBeLessThan(250);
      const streamedMs = appends.reduce((sum, frame) => sum + (frame.audioBytes ?? 0), 0) / 48;
      const stops = received(frames, 'input_audio_buffer.speech_stopped').map((frame) => frame.event.audio_end_ms as number);
      expect(streamedMs).toBeGreaterThan(stops[1]!);
      expect(await page.locator('.message--spoken .bubble').allTextContents()).toEqual(TRANSCRIPTS);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
      await server.stop();
    }
  });

  it('push-to-talk: holding Space records, releasing sends the turn', async () => {
    const llm = new ScriptedLLM({ reply: 'Thank you.', tokensPerSecond: 50 });
    const stt = new ScriptedSTT({ transcripts: transcribeClips(CLIPS) });
    const server = await startTestServer(new StaticEngineSet({ llm, tts: new ToneTTS(), stt }), { webRoot: WEB_ROOT });
    const { page, frames, errors, context } = await open(server, async (context) => {
      await scriptedMic(context);
      // Every realtime event the page sends, counted in the page itself (nothing in flight).
      await context.addInitScript(() => {
        const counts: Record<string, number> = {};
        (window as unknown as { __sentCounts: Record<string, number> }).__sentCounts = counts;
        const send = WebSocket.prototype.send;
        WebSocket.prototype.send = function (this: WebSocket, data) {
          if (typeof data === 'string') {
            const type = (JSON.parse(data) as { type: string }).type;
            counts[type] = (counts[type] ?? 0) + 1;
          }
          send.call(this, data);
        };
      });
    });
    const sentInPage = (type: string): Promise<number> => page.evaluate((name) => (window as unknown as { __sentCounts: Record<string, number> }).__sentCounts[name] ?? 0, type);
    try {
      await chooseMode(page, 'push-to-talk');
      await page.locator('.talk-button').waitFor();
      await listening(page);
      // The page's own clock for the key events.
      await page.evaluate(() => {
        const times: number[] = [];
        (window as unknown as { __spaceTimes: number[] }).__spaceTimes = times;
        for (const type of ['keydown', 'keyup']) window.addEventListener(type, (event) => times.push(event.timeStamp), { capture: true });
      });
      // Hold Space while the learner says the first clip (2.99 s), let go once it has been said.
      await page.keyboard.down('Space');
      await page.locator('.talk-button--on').waitFor();
      await speak(page, CLIPS[0]!);
      await page.keyboard.up('Space');
      await until(frames, () => sent(frames, 'input_audio_buffer.commit').length === 1, 60_000, 'the commit');
      const [durationMs] = committedUtterances(frames);
      const [downAt, upAt] = await page.evaluate(() => (window as unknown as { __spaceTimes: number[] }).__spaceTimes);
      // What was held, + 200 ms before the press and 200 ms after the release (to a 32 ms frame).
      const heldMs = upAt! - downAt!;
      expect(heldMs).toBeGreaterThan(2900);
      expect(durationMs).toBeGreaterThan(heldMs + 400 - 70);
      expect(durationMs).toBeLessThan(heldMs + 400 + 70);
      await page.locator('.message--spoken .bubble', { hasText: TRANSCRIPTS[0]! }).waitFor({ timeout: 60_000 });
      // Nothing is sent while the button is not held, even while the learner speaks: the page
      // takes in every frame of the second clip, and sends no audio.
      const appendsAfter = sent(frames, 'input_audio_buffer.append').length;
      expect(await sentInPage('input_audio_buffer.append')).toBe(appendsAfter);
      const framesBefore = (await debug(page)).voice!.frames;
      const second = await speak(page, CLIPS[1]!);
      await inPage(
        page,
        (count) => ((window as unknown as DebugWindow).__localchat?.voice?.frames ?? 0) >= count,
        framesBefore + Math.ceil(second.durationMs / 32) + 1,
        'the page to take in the second clip',
      );
      expect(await sentInPage('input_audio_buffer.append')).toBe(appendsAfter);
      expect(sent(frames, 'input_audio_buffer.append').length).toBe(appendsAfter);
      expect(await sentInPage('input_audio_buffer.commit')).toBe(1);
      // Typing still works in push-to-talk mode, and gets a spoken reply.
      await page.locator('#composer-input').fill('And this one I typed.');
      await page.locator('#composer-input').press('Enter');
      await page.locator('.message--tutor.message--completed').nth(1).waitFor({ timeout: 60_000 });
      expect(llm.calls.at(-1)?.request.messages.at(-1)?.content).toBe('And this one I typed.');
      await page.screenshot({ path: join(RESULTS, 'voice-push-to-talk.png') });
      // The browser's own speech recognition stays available, as an opt-in button.
      expect(await page.locator('.composer .mic').count()).toBe(0);
      await page.getByRole('button', { name: /settings/i }).first().click();
      // Offered exactly where the browser has the Web Speech API.
      const option = page.getByLabel('Browser speech recognition (Google in Chrome)');
      const webSpeech = await page.evaluate(() => 'SpeechRecognition' in window || 'webkitSpeechRecognition' in window);
      await expect.poll(() => option.count()).toBe(webSpeech ? 1 : 0);
      if (webSpeech) {
        await option.check();
        await page.keyboard.press('Escape');
        await page.locator('.composer .mic').waitFor();
      } else {
        await page.keyboard.press('Escape');
      }
      expect(errors).toEqual([]);
    } finally {
      await context.close();
      await server.stop();
    }
  });

  it('a failed transcription is shown on the learner’s turn, with no empty reply, and typing goes on', async () => {
    const llm = new ScriptedLLM({ reply: 'Typed and answered.', tokensPerSecond: 50 });
    const stt = new ScriptedSTT({ transcripts: [''] });
    const server = await startTestServer(new StaticEngineSet({ llm, tts: new ToneTTS(), stt }), { webRoot: WEB_ROOT });
    const { page, frames, errors, context } = await open(server);
    try {
      await chooseMode(page, 'hands-free');
      const failed = page.locator('.message--spoken.message--failed');
      await failed.waitFor({ timeout: 60_000 });
      expect(await failed.locator('.message__meta--error').textContent()).toMatch(/couldn't hear any words.*type/i);
      await until(frames, () => received(frames, 'response.done').length > 0, 60_000, 'the failed response');
      expect(await page.locator('.message--tutor').count()).toBe(0);
      await chooseMode(page, 'typing');
      await page.locator('#composer-input').fill('Let me type it then.');
      await page.locator('#composer-input').press('Enter');
      await page.locator('.message--tutor.message--completed').waitFor({ timeout: 60_000 });
      await page.screenshot({ path: join(RESULTS, 'voice-transcription-failed.png') });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
      await server.stop();
    }
  });

  it('no microphone, permission denied, and a microphone unplugged mid-turn: a clear message, and typing goes on', async () => {
    const llm = new ScriptedLLM({ reply: 'Answered.', tokensPerSecond: 50 });
    const server = await startTestServer(new StaticEngineSet({ llm, tts: new ToneTTS(), stt: new ScriptedSTT({ transcripts: ['x'] }) }), { webRoot: WEB_ROOT });
    const failWith = (name: string) => async (context: BrowserContext) => {
      await context.addInitScript((errorName) => {
        navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('refused by the test', errorName));
      }, name);
    };
    try {
      for (const [name, message] of [
        ['NotAllowedError', /Microphone access is blocked/],
        ['NotFoundError', /No microphone was found/],
      ] as const) {
        const { page, errors, context } = await open(server, failWith(name));
        try {
          await chooseMode(page, 'hands-free');
          const bar = page.locator('.voice-bar--error');
          await bar.waitFor({ timeout: 60_000 });
          expect(await bar.textContent()).toMatch(message);
          await bar.getByRole('button', { name: 'Try again' }).waitFor();
          if (name === 'NotAllowedError') await page.screenshot({ path: join(RESULTS, 'voice-permission-denied.png') });
          await bar.getByRole('button', { name: 'Type instead' }).click();
          await page.locator('.voice-bar--off').waitFor();
          await page.locator('#composer-input').fill('Typing instead.');
          await page.locator('#composer-input').press('Enter');
          await page.locator('.message--tutor.message--completed').waitFor({ timeout: 60_000 });
          expect(errors).toEqual([]);
        } finally {
          await context.close();
        }
      }

      // Unplugged while speaking: the partial turn is dropped (cleared on the server), not sent.
      const { page, frames, context } = await open(server, async (context) => {
        await context.addInitScript(() => {
          const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
          navigator.mediaDevices.getUserMedia = async (constraints) => {
            const stream = await original(constraints);
            (window as unknown as { __streams: MediaStream[] }).__streams = [stream];
            return stream;
          };
        });
      });
      try {
        await chooseMode(page, 'hands-free');
        // Unplugged as soon as the page hears the learner (checked in the page, so the turn is
        // surely still going on however slow the test's side is).
        await page.evaluate(
          () =>
            new Promise<void>((resolve, reject) => {
              const deadline = performance.now() + 60_000;
              const check = (): void => {
                if ((window as unknown as DebugWindow).__localchat?.voice?.phase === 'hearing') {
                  const track = (window as unknown as { __streams: MediaStream[] }).__streams[0]!.getAudioTracks()[0]!;
                  track.stop();
                  track.dispatchEvent(new Event('ended'));
                  resolve();
                } else if (performance.now() > deadline) {
                  reject(new Error('Timed out after 60000 ms waiting for speech'));
                } else {
                  setTimeout(check, 10);
                }
              };
              check();
            }),
        );
        // The turn had started: its first audio was sent.
        expect(sent(frames, 'input_audio_buffer.append').length).toBeGreaterThan(0);
        const bar = page.locator('.voice-bar--error');
        await bar.waitFor({ timeout: 60_000 });
        expect(await bar.textContent()).toMatch(/disconnected while you were speaking/);
        await until(frames, () => sent(frames, 'input_audio_buffer.clear').length === 1, 60_000, 'the clear');
        expect(sent(frames, 'input_audio_buffer.commit')).toHaveLength(0);
        await page.screenshot({ path: join(RESULTS, 'voice-unplugged.png') });
        await page.locator('#composer-input').fill('Still here.');
        await page.locator('#composer-input').press('Enter');
        await page.locator('.message--tutor.message--completed').waitFor({ timeout: 60_000 });
      } finally {
        await context.close();
      }
    } finally {
      await server.stop();
    }
  });
});
