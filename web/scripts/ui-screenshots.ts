/**
 * Makes the screenshots in docs/screenshots/ (desktop 1280x800 and phone 390x844, light and
 * dark): the chat, the status details, the configuration, the progress page and the diagnostics
 * page with reply timelines — from the real server and UI in headless Chromium.
 *
 * The engines are real where they can be on a machine without model weights: the voice is a real
 * `EngineRegistry` configured for Kokoro with downloads off, so Kokoro is "not downloaded" and
 * eSpeak NG (WASM) really speaks, and speech recognition waits for first use; the tutor's replies
 * and corrections are scripted (a `ScriptedLLM`: a random-weight test GGUF would only produce
 * noise), and so is the transcript of the spoken turn (`ScriptedSTT`; the microphone is
 * Chromium's fake device playing a LibriVox recording, and Silero VAD runs in the page). The
 * captions in docs/screenshots/README.md say so.
 *
 * Usage: npm run build:web && npx tsx web/scripts/ui-screenshots.ts
 * Needs Debian's `chromium` and `pocketsphinx-testdata` (for the spoken turn).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { loadConfig } from '../../src/config.js';
import type { EngineStatus } from '../../src/core/engine-status.js';
import type { LLM } from '../../src/core/llm.js';
import type { STT } from '../../src/core/stt.js';
import { EngineRegistry } from '../../src/engines/registry.js';
import { buildApp } from '../../src/server/app.js';
import { WEB_ROOT } from '../../src/server/start.js';
import { TutorService } from '../../src/server/tutor-service.js';
import { SafeStore } from '../../src/store/safe-store.js';
import { ScriptedSTT } from '../../src/testing/scripted-stt.js';
import { buildFakeMic, fakeMicArgs } from '../../test/fixtures/fake-mic.js';
import { launchChromium } from '../../test/helpers/chromium.js';
import { tutorLlm } from '../../test/helpers/tutor-llm.js';

const OUT = join(process.cwd(), 'docs', 'screenshots');
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

const REPLIES: [RegExp, string][] = [
  [/park/i, 'Oh, you went to the park with your friends! That sounds lovely. What did you do there?'],
  [/football|ice cream/i, 'Football and then ice cream is a perfect Saturday. Which flavour did you choose?'],
  [/seaside/i, 'The seaside sounds wonderful! What would you like to do there?'],
  [/swim|beach/i, 'Swimming and reading on the beach: a perfect plan. Is the sea warm enough in June?'],
  [/disposed|young man/i, 'That sounds like a line from a novel! Who was the young man?'],
];

/** The registry's voice and speech recognition (real), with a scripted LLM in place of a GGUF. */
class ScriptedLlmEngines extends EngineRegistry {
  constructor(
    options: ConstructorParameters<typeof EngineRegistry>[0],
    private readonly scripted: LLM,
    private readonly scriptedStt: STT,
  ) {
    super(options);
  }
  override llm(): LLM {
    return this.scripted;
  }
  override stt(): STT | null {
    return this.scriptedStt;
  }
  override async prepareStt(): Promise<STT | null> {
    return this.scriptedStt;
  }
  override status(): EngineStatus[] {
    return super.status().map((status) => (status.kind === 'llm' ? { kind: 'llm', provider: this.scripted.provider, modelId: this.scripted.modelId, state: 'ready' } : status));
  }
}

function seedHistory(safe: SafeStore): void {
  const store = safe.store!;
  const day = 86_400_000;
  const sessions = [
    { title: 'My job', daysAgo: 6, wpm: 62, errors: ['tense', 'article', 'article', 'preposition'] },
    { title: 'A trip to Lisbon', daysAgo: 4, wpm: 71, errors: ['tense', 'article', 'word order'] },
    { title: 'Cooking at home', daysAgo: 2, wpm: 78, errors: ['article'] },
  ];
  for (const [index, session] of sessions.entries()) {
    const createdAt = Date.now() - session.daysAgo * day;
    const id = `seed-${index}`;
    store.createConversation({ id, title: session.title, createdAt });
    const sentences = ['I work in a office near the river every day', 'My colleagues is very friendly and we eat lunch together', 'On friday we go to the cinema after work usually'];
    sentences.forEach((text, turn) => {
      const words = text.split(' ').length;
      store.appendTurn({ conversationId: id, id: `u${turn}`, role: 'user', text, source: 'spoken', speechMs: Math.round((words / session.wpm) * 60_000), createdAt: createdAt + turn * 20_000 });
      store.appendTurn({ conversationId: id, id: `a${turn}`, role: 'assistant', text: 'That is interesting! Tell me more.', source: 'spoken', createdAt: createdAt + turn * 20_000 + 5000 });
    });
    store.saveCorrection({
      conversationId: id,
      turnId: 'u0',
      original: sentences[0]!,
      corrected: sentences[0]!.replace('a office', 'an office'),
      errors: session.errors.map((category) => ({ start: 10, end: 18, category, original: 'a office', correction: 'an office', rule: 'Use "an" before a vowel sound.', example: 'an apple' })),
    });
  }
  safe.flush();
}

async function send(page: Page, text: string): Promise<void> {
  const done = await page.locator('.message--tutor.message--completed').count();
  await page.locator('#composer-input').fill(text);
  await page.locator('#composer-input').press('Enter');
  await page.locator('.message--tutor.message--completed').nth(done).waitFor({ timeout: 60_000 });
}

async function shoot(page: Page, name: string): Promise<void> {
  // Let animations and the level meter settle; no caret blinking into the picture.
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.waitForTimeout(700);
  await page.screenshot({ path: join(OUT, `${name}.png`) });
  console.log(`wrote docs/screenshots/${name}.png`);
}

async function open(browser: Browser, url: string, viewport: { width: number; height: number }, colorScheme: 'light' | 'dark'): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport, colorScheme, deviceScaleFactor: 1, reducedMotion: 'reduce' });
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
  await page.goto(url);
  await page.locator('.connection--connected').waitFor({ timeout: 20_000 });
  return { context, page };
}

mkdirSync(OUT, { recursive: true });
const dataDir = mkdtempSync(join(tmpdir(), 'localchat-shots-'));
const logger = pino({ level: 'silent' });
const mic = buildFakeMic({ clips: ['0880'], leadMs: 1500, tailMs: 30_000, name: 'ui-screenshots-mic.wav' });
const llm = tutorLlm((request) => {
  const last = request.messages.at(-1)?.content ?? '';
  return REPLIES.find(([pattern]) => pattern.test(last))?.[1] ?? 'Tell me more about that!';
}, 40);
const config = loadConfig({
  env: {},
  configFile: join(dataDir, 'none.json'),
  flags: { dataDir, modelsDir: join(dataDir, 'models'), tts: 'kokoro', download: false, model: join(dataDir, 'scripted.gguf') },
});
const engines = new ScriptedLlmEngines({ config, logger }, llm, new ScriptedSTT({ transcripts: [mic.segments[0]!.transcript], delayMs: 150 }));
await engines.start();
const store = SafeStore.open({ dataDir });
seedHistory(store);
const tutor = new TutorService({ store, engines, logger });
const { app } = await buildApp({ engines, logger, webRoot: WEB_ROOT, tutor, config, version: (await import('../../src/version.js')).VERSION });
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
const browser = await launchChromium(fakeMicArgs(mic.path));
try {
  // Desktop, light: a conversation with a correction card, the status line above it.
  const desktop = await open(browser, url, DESKTOP, 'light');
  await send(desktop.page, 'Yesterday I goed to the park with my friends.');
  await desktop.page.locator('.correction').first().waitFor({ timeout: 20_000 });
  await send(desktop.page, 'We played football and after we eat ice cream.');
  await shoot(desktop.page, 'chat-desktop-light');
  await desktop.page.emulateMedia({ colorScheme: 'dark' });
  await shoot(desktop.page, 'chat-desktop-dark');
  await desktop.page.emulateMedia({ colorScheme: 'light' });

  // The status details and the configuration.
  await desktop.page.locator('.status-line__more').click();
  await shoot(desktop.page, 'status-details-desktop-light');
  await desktop.page.locator('.status-details button', { hasText: 'Configuration' }).click();
  await desktop.page.locator('.config-dialog dd', { hasText: 'Node.js' }).waitFor();
  await shoot(desktop.page, 'configuration-desktop-light');
  await desktop.page.keyboard.press('Escape');

  // Progress.
  await desktop.page.evaluate(() => (window.location.hash = '#progress'));
  await desktop.page.locator('.chart-card canvas').first().waitFor();
  await desktop.page.waitForTimeout(1200);
  await shoot(desktop.page, 'progress-desktop-light');

  // A spoken turn (hands-free, the fake microphone), then its timeline on the diagnostics page.
  await desktop.page.evaluate(() => (window.location.hash = '#chat'));
  await desktop.page.locator('.voice-modes input[value="hands-free"]').check();
  await desktop.page.locator('.message--spoken').first().waitFor({ timeout: 60_000 });
  await desktop.page.locator('.message--tutor.message--completed').nth(2).waitFor({ timeout: 60_000 });
  await desktop.page.waitForTimeout(2500);
  await desktop.page.locator('.voice-modes input[value="typing"]').check();
  await desktop.page.evaluate(() => (window.location.hash = '#diagnostics'));
  await desktop.page.locator('[data-testid="reply-timeline"]').first().waitFor();
  await desktop.page.emulateMedia({ colorScheme: 'dark' });
  await shoot(desktop.page, 'diagnostics-desktop-dark');
  await desktop.context.close();

  // Phone, light and dark.
  const phone = await open(browser, url, PHONE, 'light');
  await send(phone.page, 'Next weekend I go to the seaside with my sister, I think.');
  await send(phone.page, 'I want to swim and read a book on the beach.');
  await shoot(phone.page, 'chat-phone-light');
  await phone.page.emulateMedia({ colorScheme: 'dark' });
  await shoot(phone.page, 'chat-phone-dark');
  await phone.page.emulateMedia({ colorScheme: 'light' });
  await phone.page.evaluate(() => (window.location.hash = '#diagnostics'));
  await phone.page.locator('[data-testid="reply-timeline"]').first().waitFor();
  await phone.page.locator('.diag-timelines').evaluate((element) => element.scrollIntoView({ block: 'start' }));
  await shoot(phone.page, 'diagnostics-phone-light');
  await phone.context.close();
} finally {
  await browser.close();
  await app.close();
  await engines.dispose();
  store.close();
  rmSync(dataDir, { recursive: true, force: true });
}
