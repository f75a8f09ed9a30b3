/**
 * Voice input in a real browser: headless Chromium with a fake microphone playing real LibriVox
 * speech (test/fixtures/fake-mic.ts), Silero VAD running in the page on onnxruntime-web (served
 * by our server from dist/web/vad/), against the real LocalChat server with a scripted STT
 * (Whisper weights cannot be downloaded here), a scripted LLM and a tone TTS.
 *
 * Asserts on the WebSocket frames the page sends (playwright's `framesent`), on the server's
 * engines, and on what the learner sees. Needs `npx vite build --config web/vite.config.ts` first
 * (`npm test` builds).
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
import { librivoxAvailable } from '../fixtures/librivox.js';
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

/** Records every realtime event the page sends and receives. */
function recordFrames(page: Page): Frame[] {
  const frames: Frame[] = [];
  page.on('websocket', (socket) => {
    const record = (direction: Frame['direction'], payload: string | Buffer): void => {
      const text = String(payload);
      const event = JSON.parse(text) as Frame['event'];
      const audio = typeof event.audio === 'string' ? event.audio : undefined;
      frames.push({ direction, at: Date.now(), event, size: text.length, audioBytes: audio ? Buffer.from(audio, 'base64').length : undefined });
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

async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface PageDebug {
  playedSamples: number;
  lastStop?: { source: string | null; playedMs: number; at: number };
  voice?: { phase: string; lastSpeechConfirmedAt: number | null; misfires: number; utterances: { durationMs: number; kind: string }[] };
}

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

describe.runIf(available)('voice input in the browser', () => {
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
  });
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
    await page.locator('.connection--connected').waitFor({ timeout: 15_000 });
    return { page, frames, errors, context };
  }

  async function chooseMode(page: Page, mode: 'hands-free' | 'push-to-talk' | 'typing'): Promise<void> {
    await page.locator(`.voice-modes input[value="${mode}"]`).check();
  }

  it('hands-free: the browser VAD finds the two utterances of real speech and sends each as one turn', async () => {
    const llm = new ScriptedLLM({ reply: 'Good.', tokensPerSecond: 50 });
    const stt = new ScriptedSTT({ transcripts: mic.segments.map((segment) => segment.transcript), delayMs: 30 });
    const server = await startTestServer(new StaticEngineSet({ llm, tts: new ToneTTS(), stt }), { webRoot: WEB_ROOT });
    const { page, frames, errors, context } = await open(server);
    try {
      await chooseMode(page, 'hands-free');
      await until(() => sent(frames, 'input_audio_buffer.commit').length >= 2, 30_000, 'two commits');
      await page.locator('.message--spoken').nth(1).locator('.bubble', { hasText: mic.segments[1]!.transcript }).waitFor({ timeout: 10_000 });
      await page.locator('.message--tutor.message--completed').nth(1).waitFor({ timeout: 10_000 });

      // Browser VAD mode: the client decides turns.
      const update = sent(frames, 'session.update').find((frame) => {
        const session = frame.event.session as { audio?: { input?: { turn_detection?: unknown } } };
        return session.audio?.input && 'turn_detection' in session.audio.input;
      });
      expect((update?.event.session as { audio: { input: { turn_detection: unknown } } }).audio.input.turn_detection).toBeNull();

      // Two utterances, each about as long as its clip (+ 320 ms padding before, <= 256 ms after).
      const durations = committedUtterances(frames).slice(0, 2);
      mic.segments.forEach((segment, index) => {
        const clipMs = segment.endMs - segment.startMs;
        expect(durations[index]).toBeGreaterThan(clipMs - 400);
        expect(durations[index]).toBeLessThan(clipMs + 900);
      });
      // The server's STT got the same audio.
      expect(stt.calls.slice(0, 2).map((call) => Math.round(call.durationMs))).toEqual(durations.map(Math.round));
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
      expect(await spoken.locator('.bubble').allTextContents()).toEqual(mic.segments.map((segment) => segment.transcript));
      expect(await spoken.first().locator('.message__meta--heard').textContent()).toMatch(/What I heard · \d\.\d s/);
      expect(llm.calls.slice(0, 2).map((call) => call.request.messages.at(-1)?.content)).toEqual(mic.segments.map((segment) => segment.transcript));
      await until(async () => (await debug(page)).playedSamples > 0, 5000, 'reply audio to play');
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
    const llm = new ScriptedLLM({ reply: () => (call++ === 0 ? long : 'I see.'), tokensPerSecond: 8 });
    const stt = new ScriptedSTT({ transcripts: mic.segments.map((segment) => segment.transcript) });
    const server = await startTestServer(new StaticEngineSet({ llm, tts: new ToneTTS(), stt }), { webRoot: WEB_ROOT });
    const { page, frames, errors, context } = await open(server);
    try {
      await chooseMode(page, 'hands-free');
      await until(() => sent(frames, 'conversation.item.truncate').length > 0, 30_000, 'the barge-in truncation');
      await until(() => sent(frames, 'input_audio_buffer.commit').length >= 2, 15_000, 'the second turn');
      await page.locator('.message--tutor.message--completed').nth(1).waitFor({ timeout: 15_000 });

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
      await page.locator('.message--interrupted .tag--interrupted').waitFor({ timeout: 5000 });
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
    const stt = new ScriptedSTT({ transcripts: mic.segments.map((segment) => segment.transcript) });
    const server = await startTestServer(new StaticEngineSet({ llm, tts: new ToneTTS(), stt }), { webRoot: WEB_ROOT });
    const { page, frames, errors, context } = await open(server, async (context) => {
      await context.addInitScript(() => {
        localStorage.setItem('localchat.preferences', JSON.stringify({ voiceInput: { mode: 'hands-free', bargeIn: false } }));
      });
    });
    try {
      await until(() => sent(frames, 'input_audio_buffer.commit').length === 1, 20_000, 'the first turn');
      await page.locator('.voice-bar--paused').waitFor({ timeout: 10_000 });
      expect(await page.locator('.voice-bar__text').textContent()).toMatch(/paused while the tutor speaks/);
      const pausedAt = Date.now();
      await page.screenshot({ path: join(RESULTS, 'voice-paused.png') });
      // The second clip plays (6.5-9.8 s) while the ~9 s reply does: nothing is detected or sent.
      await page.locator('.voice-bar--paused').waitFor({ state: 'detached', timeout: 20_000 });
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
    const stt = new ScriptedSTT({ transcripts: mic.segments.map((segment) => segment.transcript) });
    const server = await startTestServer(new StaticEngineSet({ llm, tts: new ToneTTS(), stt, vad: (settings) => createSileroVad(settings) }), { webRoot: WEB_ROOT });
    // Saved preferences: hands-free, pauses detected on the server, 1.2 s of thinking time.
    const { page, frames, errors, context } = await open(server, async (context) => {
      await context.addInitScript(() => {
        localStorage.setItem('localchat.preferences', JSON.stringify({ voiceInput: { mode: 'hands-free', turnDetection: 'server', thinkingTimeMs: 1200 } }));
      });
    });
    try {
      await until(() => received(frames, 'input_audio_buffer.speech_stopped').length >= 2, 30_000, 'two turns found by the server');
      await page.locator('.message--spoken').nth(1).locator('.bubble', { hasText: mic.segments[1]!.transcript }).waitFor({ timeout: 10_000 });
      const update = sent(frames, 'session.update').find((frame) => (frame.event.session as { audio?: { input?: unknown } }).audio?.input);
      expect((update?.event.session as { audio: { input: unknown } }).audio.input).toEqual({
        turn_detection: { type: 'server_vad', threshold: 0.5, silence_duration_ms: 1200, prefix_padding_ms: 300, create_response: true, interrupt_response: true },
      });
      // The client never decides a turn itself in this mode.
      expect(sent(frames, 'input_audio_buffer.commit')).toHaveLength(0);
      expect(sent(frames, 'response.create')).toHaveLength(0);
      // It streams the microphone continuously, in ~96 ms appends.
      const appends = sent(frames, 'input_audio_buffer.append');
      const streamedMs = appends.reduce((sum, frame) => sum + (frame.audioBytes ?? 0), 0) / 48;
      const elapsedMs = appends.at(-1)!.at - appends[0]!.at;
      expect(streamedMs).toBeGreaterThan(elapsedMs - 1000);
      expect(streamedMs).toBeLessThan(elapsedMs + 1500);
      expect(await page.locator('.message--spoken .bubble').allTextContents()).toEqual(mic.segments.map((segment) => segment.transcript));
      expect(errors).toEqual([]);
    } finally {
      await context.close();
      await server.stop();
    }
  });

  it('push-to-talk: holding Space records, releasing sends the turn', async () => {
    const llm = new ScriptedLLM({ reply: 'Thank you.', tokensPerSecond: 50 });
    const stt = new ScriptedSTT({ transcripts: [mic.segments[0]!.transcript] });
    const server = await startTestServer(new StaticEngineSet({ llm, tts: new ToneTTS(), stt }), { webRoot: WEB_ROOT });
    const { page, frames, errors, context } = await open(server);
    try {
      await chooseMode(page, 'push-to-talk');
      await page.locator('.talk-button').waitFor();
      await until(async () => (await debug(page)).voice?.phase === 'listening', 10_000, 'the microphone');
      // The page's own clock for the key events.
      await page.evaluate(() => {
        const times: number[] = [];
        (window as unknown as { __spaceTimes: number[] }).__spaceTimes = times;
        for (const type of ['keydown', 'keyup']) window.addEventListener(type, (event) => times.push(event.timeStamp), { capture: true });
      });
      // The first clip plays from 1.0 s to 4.0 s after capture starts: hold Space over it.
      await page.waitForTimeout(800);
      await page.keyboard.down('Space');
      await page.locator('.talk-button--on').waitFor();
      await page.waitForTimeout(3000);
      await page.keyboard.up('Space');
      await until(() => sent(frames, 'input_audio_buffer.commit').length === 1, 5000, 'the commit');
      const [durationMs] = committedUtterances(frames);
      const [downAt, upAt] = await page.evaluate(() => (window as unknown as { __spaceTimes: number[] }).__spaceTimes);
      // What was held, + 200 ms before the press and 200 ms after the release (to a 32 ms frame).
      const heldMs = upAt! - downAt!;
      expect(heldMs).toBeGreaterThan(2900);
      expect(durationMs).toBeGreaterThan(heldMs + 400 - 70);
      expect(durationMs).toBeLessThan(heldMs + 400 + 70);
      await page.locator('.message--spoken .bubble', { hasText: mic.segments[0]!.transcript }).waitFor({ timeout: 10_000 });
      // Nothing is sent while the button is not held.
      const appendsAfter = sent(frames, 'input_audio_buffer.append').length;
      await page.waitForTimeout(1500);
      expect(sent(frames, 'input_audio_buffer.append').length).toBe(appendsAfter);
      // Typing still works in push-to-talk mode, and gets a spoken reply.
      await page.locator('#composer-input').fill('And this one I typed.');
      await page.locator('#composer-input').press('Enter');
      await page.locator('.message--tutor.message--completed').nth(1).waitFor({ timeout: 10_000 });
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
      await failed.waitFor({ timeout: 20_000 });
      expect(await failed.locator('.message__meta--error').textContent()).toMatch(/couldn't hear any words.*type/i);
      await until(() => received(frames, 'response.done').length > 0, 5000, 'the failed response');
      expect(await page.locator('.message--tutor').count()).toBe(0);
      await chooseMode(page, 'typing');
      await page.locator('#composer-input').fill('Let me type it then.');
      await page.locator('#composer-input').press('Enter');
      await page.locator('.message--tutor.message--completed').waitFor({ timeout: 10_000 });
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
          await bar.waitFor({ timeout: 10_000 });
          expect(await bar.textContent()).toMatch(message);
          await bar.getByRole('button', { name: 'Try again' }).waitFor();
          if (name === 'NotAllowedError') await page.screenshot({ path: join(RESULTS, 'voice-permission-denied.png') });
          await bar.getByRole('button', { name: 'Type instead' }).click();
          await page.locator('.voice-bar--off').waitFor();
          await page.locator('#composer-input').fill('Typing instead.');
          await page.locator('#composer-input').press('Enter');
          await page.locator('.message--tutor.message--completed').waitFor({ timeout: 10_000 });
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
        await until(async () => (await debug(page)).voice?.phase === 'hearing', 15_000, 'speech');
        await until(() => sent(frames, 'input_audio_buffer.append').length > 0, 5000, 'audio to be sent');
        await page.evaluate(() => {
          const track = (window as unknown as { __streams: MediaStream[] }).__streams[0]!.getAudioTracks()[0]!;
          track.stop();
          track.dispatchEvent(new Event('ended'));
        });
        const bar = page.locator('.voice-bar--error');
        await bar.waitFor({ timeout: 5000 });
        expect(await bar.textContent()).toMatch(/disconnected while you were speaking/);
        await until(() => sent(frames, 'input_audio_buffer.clear').length === 1, 5000, 'the clear');
        expect(sent(frames, 'input_audio_buffer.commit')).toHaveLength(0);
        await page.screenshot({ path: join(RESULTS, 'voice-unplugged.png') });
        await page.locator('#composer-input').fill('Still here.');
        await page.locator('#composer-input').press('Enter');
        await page.locator('.message--tutor.message--completed').waitFor({ timeout: 10_000 });
      } finally {
        await context.close();
      }
    } finally {
      await server.stop();
    }
  });
});
