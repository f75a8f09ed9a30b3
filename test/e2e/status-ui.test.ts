/**
 * The first hour of a new user, in Chromium at 1280x800 and 390x844, against the real server and
 * a real SQLite store: the status says what is true (a working fallback voice is a note, not a
 * red error; speech recognition "loads when you first speak"), in one compact line whose
 * dismissal survives a reload until the problem changes; the learner's message stays in view
 * after sending; the volume is kept; the configuration shows (and copies, and is JSON at
 * /api/config without secrets); the diagnostics page tests the microphone, speakers and
 * connection and draws every stage of a spoken turn (fake microphone with real LibriVox speech,
 * Silero VAD in the page, a scripted STT and LLM); a conversation started in a second tab shows in
 * the first tab's list within 2 s; the page never scrolls into a blank area.
 *
 * Needs the built web UI (`npm run build:web`; `npm test` builds).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { EngineStatus } from '../../src/core/engine-status.js';
import { StaticEngineSet } from '../../src/engines/engine-set.js';
import { WEB_ROOT } from '../../src/server/start.js';
import { TutorService } from '../../src/server/tutor-service.js';
import { SafeStore } from '../../src/store/safe-store.js';
import { ScriptedSTT } from '../../src/testing/scripted-stt.js';
import { ToneTTS } from '../../src/testing/tone-tts.js';
import { buildFakeMic, fakeMicArgs, type FakeMicFile } from '../fixtures/fake-mic.js';
import { librivoxAvailable } from '../fixtures/librivox.js';
import { chromiumAvailable, launchChromium } from '../helpers/chromium.js';
import { type TestServer, startTestServer } from '../helpers/test-server.js';
import { tutorLlm } from '../helpers/tutor-llm.js';

const available = chromiumAvailable();
const RESULTS = join(process.cwd(), 'test-results');
const REPLY = 'That sounds lovely! What did you do there, and who did you go with?';
const SECRET_TOKEN = 'a-very-secret-token-0123456789';
const SECRET_KEY = 'sk-secret-api-key-do-not-show';

const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;

/** The engines as the registry reports them when Kokoro cannot be had and eSpeak NG speaks. */
function fallbackStatuses(kokoroMessage: string): EngineStatus[] {
  return [
    { kind: 'llm', provider: 'scripted', modelId: 'scripted-llm', state: 'ready' },
    { kind: 'tts', provider: 'kokoro', modelId: 'kokoro-82m', state: 'error', message: kokoroMessage },
    { kind: 'tts', provider: 'espeak', modelId: 'espeak-ng', state: 'ready', message: 'Built-in voice, speaking until the configured voice is ready.' },
    { kind: 'stt', provider: 'whisper', modelId: 'whisper-base.en', state: 'idle', message: 'Speech recognition loads when you first speak.' },
  ];
}

const TYPING_ONLY = fallbackStatuses('The model kokoro-82m is not downloaded and downloads are off. Run `localchat models pull kokoro-82m`. Speaking with eSpeak NG instead.');
const OFFLINE = fallbackStatuses('Kokoro is unavailable: Cannot reach the Hugging Face Hub (fetch failed). Speaking with eSpeak NG instead.');

/** A StaticEngineSet whose reported status a test sets (and announces, as the registry does). */
class StatusEngines extends StaticEngineSet {
  statuses: EngineStatus[] | null = null;
  override status(): EngineStatus[] {
    return this.statuses ? this.statuses.map((status) => ({ ...status })) : super.status();
  }
  set(statuses: EngineStatus[] | null): void {
    this.statuses = statuses;
    this.emit('status', this.status());
  }
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Visible elements that show an error in red (or announce one). */
async function visibleErrors(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('.status-line--error, .engine-chip--error, .banner--error, .voice-bar--error, [role="alert"]')]
      .filter((element) => element.offsetParent !== null && element.getBoundingClientRect().height > 0)
      .map((element) => `${element.className}: ${element.textContent ?? ''}`),
  );
}

/** How far the page itself can scroll past the window (0: not at all). */
async function pageOverflow(page: Page): Promise<number> {
  return page.evaluate(() => {
    const root = document.scrollingElement ?? document.documentElement;
    return Math.max(root.scrollHeight - window.innerHeight, root.scrollWidth - window.innerWidth);
  });
}

// Generous: every wait ends as soon as its event happens, so a long limit costs nothing when the machine is idle.
describe.runIf(available)('status, configuration and diagnostics in the browser', { timeout: 240_000 }, () => {
  let browser: Browser;
  let server: TestServer;
  let engines: StatusEngines;
  let store: SafeStore;
  let dataDir: string;
  const problems: string[] = [];

  async function open(context: BrowserContext, url = server.url): Promise<Page> {
    const page = await context.newPage();
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    await page.goto(url);
    await page.locator('.connection--connected').waitFor({ timeout: 60_000 });
    return page;
  }

  beforeAll(async () => {
    mkdirSync(RESULTS, { recursive: true });
    dataDir = mkdtempSync(join(tmpdir(), 'localchat-status-ui-'));
    const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
    store = SafeStore.open({ dataDir });
    engines = new StatusEngines({ llm: tutorLlm(REPLY, 80), tts: new ToneTTS() });
    const tutor = new TutorService({ store, engines, logger });
    const config = loadConfig({ env: {}, configFile: join(dataDir, 'none.json'), flags: { dataDir, modelsDir: join(dataDir, 'models'), token: SECRET_TOKEN, llmApiKey: SECRET_KEY, llmBaseUrl: 'http://user:hunter2@127.0.0.1:1234/v1' } });
    // The token is configured only to show that /api/config hides it: the server runs without one.
    server = await startTestServer(engines, { webRoot: WEB_ROOT, tutor, config, version: '9.9.9' });
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    store?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    expect(problems).toEqual([]);
  });

  for (const viewport of VIEWPORTS) {
    it(`${viewport.name}: typing-only and offline states show the fallback voice as a note, in one line, dismissed until it changes`, async () => {
      const context = await browser.newContext({ viewport, reducedMotion: 'reduce' });
      try {
        for (const [name, statuses] of [
          ['typing-only', TYPING_ONLY],
          ['offline', OFFLINE],
        ] as const) {
          engines.set(statuses);
          const health = (await (await fetch(`${server.url}/health`)).json()) as { status: string };
          expect(health.status, name).toBe('ok');
          const page = await open(context);
          const line = page.locator('.status-line__row');
          await expect.poll(() => line.textContent(), { message: name }).toContain('Kokoro not downloaded — speaking with eSpeak NG');
          expect(await visibleErrors(page), name).toEqual([]);
          expect(await page.locator('.engine-chip--error').count()).toBe(0);
          expect(await page.locator('.engine-chips').textContent()).toContain('Voice · eSpeak NG');
          // One compact line, not a stack of banners.
          const box = (await page.locator('.status-line').boundingBox())!;
          expect(box.height, name).toBeLessThanOrEqual(48);
          // Nothing says speech input is "loading": the details say when it loads.
          expect(await page.locator('body').textContent()).not.toMatch(/Speech input\s*·?\s*:?\s*loading/i);
          await page.locator('.status-line__more').click();
          await expect.poll(() => page.locator('.status-details').textContent()).toContain('Speech recognition loads when you first speak');
          expect(await page.locator('.status-details').textContent()).toContain(name === 'offline' ? 'Cannot reach the Hugging Face Hub' : 'not downloaded and downloads are off');
          await page.screenshot({ path: join(RESULTS, `status-${name}-${viewport.name}.png`) });

          // Dismissed: gone, and still gone after a reload.
          await page.locator('.status-line__row button[aria-label^="Dismiss"]').click();
          await page.locator('.status-line__row').waitFor({ state: 'detached' });
          await page.reload();
          await page.locator('.connection--connected').waitFor();
          // Once the page knows the engines' state (the chips show the fallback voice), the
          // dismissed line would be on screen if it came back.
          await expect.poll(() => page.locator('.engine-chips').textContent(), { timeout: 60_000 }).toContain('Voice · eSpeak NG');
          expect(await page.locator('.status-line__row').count(), name).toBe(0);
          await page.close();
        }
        // The problem changes (a different reason): it shows again.
        const page = await open(context);
        engines.set(fallbackStatuses('Kokoro is unavailable: the ONNX file is damaged. Speaking with eSpeak NG instead.'));
        await expect.poll(() => page.locator('.status-line__row').textContent()).toContain('Kokoro unavailable — speaking with eSpeak NG');
        // A real error is red and says so.
        engines.set([{ kind: 'llm', provider: 'llama-cpp', modelId: 'qwen', state: 'error', message: 'No model file.' }, ...TYPING_ONLY.slice(1)]);
        await expect.poll(() => page.locator('.status-line--error').count()).toBe(1);
        await page.close();
      } finally {
        engines.set(null);
        await context.close();
      }
    });

    it(`${viewport.name}: the learner's message stays in view after sending, and the page never scrolls into a blank area`, async () => {
      engines.set(TYPING_ONLY);
      const context = await browser.newContext({ viewport, reducedMotion: 'reduce' });
      const page = await open(context);
      try {
        await page.locator('.status-line__row').waitFor();
        for (let turn = 0; turn < 4; turn++) {
          const text = `Message number ${turn + 1}: yesterday I went to the park with my sister and we played football.`;
          await page.locator('#composer-input').fill(text);
          await page.locator('#composer-input').press('Enter');
          const bubble = page.locator('.message--user').nth(turn);
          await bubble.waitFor();
          // In view at once: between the top of the transcript and the top of the dock.
          await until(
            async () => {
              const [box, dock, list] = await Promise.all([bubble.boundingBox(), page.locator('.dock').boundingBox(), page.locator('.transcript').boundingBox()]);
              return box !== null && dock !== null && list !== null && box.y >= list.y - 1 && box.y + Math.min(box.height, 40) <= dock.y + 1;
            },
            3000,
            `message ${turn + 1} in view`,
          );
          await page.locator('.message--tutor.message--completed').nth(turn).waitFor({ timeout: 60_000 });
        }
        expect(await pageOverflow(page)).toBeLessThanOrEqual(1);
        await page.screenshot({ path: join(RESULTS, `status-sent-${viewport.name}.png`) });
        for (const hash of ['#vocabulary', '#progress', '#diagnostics']) {
          await page.evaluate((target) => (window.location.hash = target), hash);
          // Charts size themselves after they load.
          await expect.poll(() => pageOverflow(page), { message: hash, timeout: 30_000 }).toBeLessThanOrEqual(1);
        }
      } finally {
        engines.set(null);
        await context.close();
      }
    });
  }

  it('keeps the volume, shows and copies the configuration, and serves it without secrets', async () => {
    const response = await fetch(`${server.url}/api/config`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).not.toContain(SECRET_TOKEN);
    expect(text).not.toContain(SECRET_KEY);
    expect(text).not.toContain('hunter2');
    const json = JSON.parse(text) as { version: string; engines: unknown[]; settings: Record<string, unknown> };
    expect(json.version).toBe('9.9.9');
    expect(json.engines.length).toBeGreaterThan(0);
    expect(json.settings).toMatchObject({ dataDir, modelsDir: join(dataDir, 'models'), token: '(set)', llmApiKey: '(set)', llmBaseUrl: 'http://127.0.0.1:1234/v1' });

    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, permissions: ['clipboard-read', 'clipboard-write'] });
    const page = await open(context);
    try {
      await page.locator('button[aria-label="Settings"]').click();
      const range = page.locator('#volume-range');
      await range.fill('0.3');
      await expect.poll(() => page.evaluate(() => (window as unknown as { __localchat: { volume?: number } }).__localchat.volume)).toBeCloseTo(0.3);
      await page.reload();
      await page.locator('.connection--connected').waitFor();
      await page.locator('button[aria-label="Settings"]').click();
      expect(await page.locator('#volume-range').inputValue()).toBe('0.3');
      expect(await page.evaluate(() => (window as unknown as { __localchat: { volume?: number } }).__localchat.volume)).toBeCloseTo(0.3);

      await page.locator('.settings button', { hasText: 'Configuration' }).click();
      const dialog = page.locator('.config-dialog');
      await expect.poll(() => dialog.textContent()).toContain('LocalChat 9.9.9');
      const shown = (await dialog.textContent()) ?? '';
      for (const expected of ['Data directory', dataDir, 'Models directory', 'Thinking time', 'Volume30%', 'Speed']) expect(shown).toContain(expected);
      expect(shown).not.toContain(SECRET_KEY);
      await dialog.locator('button', { hasText: 'Copy' }).click();
      const copied = await page.evaluate(() => navigator.clipboard.readText());
      expect(JSON.parse(copied)).toMatchObject({ server: { version: '9.9.9', settings: { dataDir } }, page: { volume: 0.3 } });
      await page.screenshot({ path: join(RESULTS, 'status-config.png') });
    } finally {
      await context.close();
    }
  });

  it("shows a conversation started in a second tab in the first tab's list within 2 s, with distinct titles", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const first = await open(context);
    const second = await open(context);
    try {
      const same = 'Hello there! I would like to practise talking about my weekend plans';
      const items = (page: Page) => page.locator('.conversations .conversation').count();
      // Earlier tests saved conversations in the same store: wait for the list to show them all.
      const stored = ((await (await fetch(`${server.url}/api/conversations?limit=100`)).json()) as { data: unknown[] }).data.length;
      await expect.poll(() => items(first), { timeout: 60_000 }).toBe(stored);
      const before = await items(first);
      await first.locator('#composer-input').fill(`${same} with my family.`);
      await first.locator('#composer-input').press('Enter');
      await until(async () => (await items(first)) === before + 1, 60_000, "the first tab's own conversation in its list");
      await second.bringToFront();
      await second.locator('#composer-input').fill(`${same} with my friends.`);
      await second.locator('#composer-input').press('Enter');
      await second.locator('.message--user .bubble').first().waitFor();
      const sentAt = Date.now();
      await until(async () => (await items(first)) === before + 2, 2000, "the second tab's conversation in the first tab's list");
      expect(Date.now() - sentAt).toBeLessThan(2000);
      await first.bringToFront();
      // The two titles begin alike: each shows a visible tag that tells them apart.
      const rows = first.locator('.conversations .conversation', { hasText: 'Hello there! I would like' });
      expect(await rows.count()).toBe(2);
      const tags = await rows.locator('.conversation__title-tag').allTextContents();
      expect(tags).toHaveLength(2);
      expect(tags[0]).not.toBe(tags[1]);
      const sidebar = (await first.locator('.sidebar').boundingBox())!;
      for (const tag of await rows.locator('.conversation__title-tag').all()) {
        const box = (await tag.boundingBox())!;
        expect(box.width).toBeGreaterThan(10);
        expect(box.x + box.width).toBeLessThanOrEqual(sidebar.x + sidebar.width);
      }
    } finally {
      await context.close();
    }
  });

  it('diagnostics: the microphone meter, record and play back, the speakers, the connection', async () => {
    if (!librivoxAvailable()) throw new Error('pocketsphinx-testdata is missing');
    const mic: FakeMicFile = buildFakeMic({ clips: ['0880'], leadMs: 500, tailMs: 3000, name: 'status-ui-mic.wav' });
    const micBrowser = await launchChromium(fakeMicArgs(mic.path));
    try {
      const context = await micBrowser.newContext({ viewport: { width: 390, height: 844 } });
      const page = await context.newPage();
      await page.goto(`${server.url}/#diagnostics`);
      await page.locator('.connection--connected').waitFor({ timeout: 60_000 });
      await page.locator('button', { hasText: 'Test the microphone' }).click();
      const meter = page.locator('[role="meter"]');
      await expect.poll(async () => Number(await meter.getAttribute('aria-valuenow')), { timeout: 60_000 }).toBeGreaterThan(20);
      await page.locator('button', { hasText: 'Record 3 s' }).click();
      await page.locator('audio[aria-label="Your recording"]').waitFor({ timeout: 60_000 });
      const duration = await page.locator('audio[aria-label="Your recording"]').evaluate(
        (audio: HTMLAudioElement) =>
          new Promise<number>((resolve) => {
            if (audio.readyState >= 1) resolve(audio.duration);
            else audio.addEventListener('loadedmetadata', () => resolve(audio.duration), { once: true });
          }),
      );
      // MediaRecorder's WebM has no duration header (Infinity) or about 3 s.
      expect(duration === Infinity || duration > 2).toBe(true);
      await page.locator('button', { hasText: 'Play a test sound' }).click();
      await expect.poll(() => page.locator('.diag-card', { hasText: 'Speakers' }).textContent()).toContain('Played');
      await page.locator('button', { hasText: 'Test the connection' }).click();
      await expect.poll(() => page.locator('[data-testid="diag-ping"]').textContent()).toMatch(/Server ready \(LocalChat 9\.9\.9\) · round trip \d+ ms/);
      expect(await pageOverflow(page)).toBeLessThanOrEqual(1);
      await context.close();
    } finally {
      await micBrowser.close();
    }
  });

  it("hands-free with speech recognition unavailable says so and offers typing, instead of 'Hearing you'", async () => {
    if (!librivoxAvailable()) throw new Error('pocketsphinx-testdata is missing');
    const mic = buildFakeMic({ clips: ['0880'], leadMs: 500, tailMs: 3000, name: 'status-ui-nostt.wav' });
    const micBrowser = await launchChromium(fakeMicArgs(mic.path));
    engines.set([
      ...TYPING_ONLY.slice(0, 3),
      { kind: 'stt', provider: 'whisper', modelId: 'whisper-base.en', state: 'error', message: 'The speech recognition model whisper-base.en is not downloaded and downloads are off.' },
    ]);
    try {
      const context = await micBrowser.newContext({ viewport: { width: 390, height: 844 } });
      // Every text the voice bar shows, from the start.
      await context.addInitScript(() => {
        const seen: string[] = [];
        (window as unknown as { __barTexts: string[] }).__barTexts = seen;
        new MutationObserver(() => {
          const text = document.querySelector('.voice-bar__text')?.textContent;
          if (text && seen.at(-1) !== text) seen.push(text);
        }).observe(document, { subtree: true, childList: true, characterData: true });
      });
      const page = await open(context);
      await page.locator('.voice-modes input[value="hands-free"]').check();
      const bar = page.locator('.voice-bar');
      await expect.poll(() => bar.locator('.voice-bar__text').textContent(), { timeout: 60_000 }).toBe("Speech can't be recognised — please type");
      // While the learner speaks too: the page takes in the whole clip (to 3.5 s of the
      // microphone's audio, 32 ms frames), and never says it hears them.
      const clipEndFrames = Math.ceil(mic.segments[0]!.endMs / 32) + 8;
      await page.waitForFunction(
        (frames) => ((window as unknown as { __localchat?: { voice?: { frames: number } } }).__localchat?.voice?.frames ?? 0) >= frames,
        clipEndFrames,
        { timeout: 60_000, polling: 50 },
      );
      const barTexts = await page.evaluate(() => (window as unknown as { __barTexts: string[] }).__barTexts);
      expect(barTexts).toContain("Speech can't be recognised — please type");
      expect(barTexts.filter((text) => text.includes('Hearing you'))).toEqual([]);
      expect(await bar.locator('.voice-bar__text').textContent()).not.toContain('Hearing you');
      expect(await bar.locator('.voice-alert').textContent()).toContain('not downloaded and downloads are off');
      await bar.locator('button', { hasText: 'Type instead' }).click();
      await expect.poll(() => page.locator('.voice-modes input[value="typing"]').isChecked()).toBe(true);
      await context.close();
    } finally {
      engines.set(null);
      await micBrowser.close();
    }
  });

  it('diagnostics: the timeline of a spoken turn shows every stage, with the server figures', async () => {
    if (!librivoxAvailable()) throw new Error('pocketsphinx-testdata is missing');
    if (!existsSync(join(WEB_ROOT, 'vad', 'silero_vad_v5.onnx'))) throw new Error(`${WEB_ROOT} has no vad/ files: build the web client first.`);
    const mic = buildFakeMic({ clips: ['0880'], leadMs: 1000, tailMs: 20_000, name: 'status-ui-turn.wav' });
    const stt = new ScriptedSTT({ transcripts: [mic.segments[0]!.transcript], delayMs: 40 });
    const voiceEngines = new StaticEngineSet({ llm: tutorLlm(REPLY, 60), tts: new ToneTTS(), stt });
    const voiceServer = await startTestServer(voiceEngines, { webRoot: WEB_ROOT });
    const micBrowser = await launchChromium(fakeMicArgs(mic.path));
    try {
      const context = await micBrowser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
      // The server's reply metrics, as the page receives them.
      let metrics = 0;
      page.on('websocket', (socket) =>
        socket.on('framereceived', (frame) => {
          if (String(frame.payload).includes('"type":"localchat.response.metrics"')) metrics++;
        }),
      );
      await page.goto(voiceServer.url);
      await page.locator('.connection--connected').waitFor({ timeout: 60_000 });
      await page.locator('.voice-modes input[value="hands-free"]').check();
      await page.locator('.message--tutor.message--completed').first().waitFor({ timeout: 60_000 });
      // Playback has started and the metrics have arrived.
      await page.waitForFunction(() => ((window as unknown as { __localchat?: { playedSamples: number } }).__localchat?.playedSamples ?? 0) > 0, null, { timeout: 60_000, polling: 50 });
      await expect.poll(() => metrics, { timeout: 60_000 }).toBeGreaterThan(0);
      await page.locator('.voice-modes input[value="typing"]').check();
      await page.evaluate(() => (window.location.hash = '#diagnostics'));
      const figure = page.locator('[data-testid="reply-timeline"]').first();
      await figure.waitFor({ timeout: 60_000 });
      const stages = ((await figure.getAttribute('data-stages')) ?? '').split(' ');
      expect(stages).toEqual(['stopped', 'decided', 'transcript', 'firstToken', 'firstClause', 'firstAudio', 'playback']);
      expect(await figure.locator('.diag-timeline__stage--missing').count()).toBe(0);
      expect(await figure.locator('.diag-timeline__server').textContent()).toMatch(/first token [\d.]+ m?s · first clause to the voice [\d.]+ m?s · first audio [\d.]+ m?s/);
      // Stages in order on the page's clock.
      const times = await figure.locator('.diag-timeline__time').allTextContents();
      const ms = times.map((value) => (value.endsWith(' s') ? Number.parseFloat(value.slice(1)) * 1000 : Number.parseFloat(value.slice(1))));
      for (let index = 1; index < ms.length; index++) expect(ms[index]!).toBeGreaterThanOrEqual(ms[index - 1]! - 1);
      await page.screenshot({ path: join(RESULTS, 'status-timeline.png'), fullPage: true });
      await context.close();
    } finally {
      await micBrowser.close();
      await voiceServer.stop();
    }
  });
});
