/**
 * The tutor in a real browser, against the real server and a real SQLite store: a correction card
 * under the learner's message (with its diff), a word looked up and saved, the session report, a
 * role-play started from the library (its opening line shown and spoken), the vocabulary page
 * (review, and a CSV export Anki can import), the progress page's charts (drawn on canvas), the
 * conversation list (resume with the cards, rename, delete) — under the strict CSP, with no page
 * errors. Screenshots of the main views go to test-results/ (desktop and phone, light and dark).
 *
 * The LLM is scripted: it answers the side tasks by their JSON schema's name (`correction`,
 * `word`, `session_report`) and the conversation with fixed text; the voice is a tone.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../src/core/llm.js';
import { StaticEngineSet } from '../../src/engines/engine-set.js';
import { WEB_ROOT } from '../../src/server/start.js';
import { TutorService } from '../../src/server/tutor-service.js';
import { SafeStore } from '../../src/store/safe-store.js';
import { ScriptedLLM } from '../../src/testing/scripted-llm.js';
import { ToneTTS } from '../../src/testing/tone-tts.js';
import { chromiumAvailable, launchChromium } from '../helpers/chromium.js';
import { type TestServer, startTestServer } from '../helpers/test-server.js';

const RESULTS = join(process.cwd(), 'test-results');
const available = chromiumAvailable();

const MISTAKE = 'Yesterday I go to the park with my friend.';
const REPLY = 'Oh, you went to the park yesterday! That sounds lovely. What did you do there?';
const SCENE = JSON.parse(readFileSync(join(process.cwd(), 'data/scenarios/ordering-food.json'), 'utf8')) as { title: string; openingLine: string };

function lastUser(request: ChatRequest): string {
  return [...request.messages].reverse().find((message) => message.role === 'user')?.content ?? '';
}

/** The scripted model: side tasks by schema name, the conversation by its last message. */
function reply(request: ChatRequest): string {
  switch (request.jsonSchema?.name) {
    case 'correction': {
      const text = lastUser(request);
      if (text.includes('Yesterday I go')) {
        return JSON.stringify({
          corrected: 'Yesterday I went to the park with my friend.',
          errors: [{ original: 'go', correction: 'went', category: 'tense', rule: 'Use the past simple for finished actions in the past.', example: 'Last week I went to the cinema.' }],
        });
      }
      const sentence = text.replace(/^[\s\S]*Learner: /, '');
      return JSON.stringify({ corrected: sentence, errors: [] });
    }
    case 'word':
      return JSON.stringify({ meaning: 'a large public garden in a town, where people walk and play', example: 'We had a picnic in the park.' });
    case 'session_report':
      return JSON.stringify({
        levelEstimate: 'B1',
        reason: 'You tell a simple story clearly, but the past simple is not yet automatic.',
        practiseNext: 'Tell a short story about last weekend using the past simple.',
        highlights: ['You kept the conversation going with details.'],
      });
    default:
      return lastUser(request).includes('weekend') ? 'I had a quiet weekend. I read a book and cooked a big dinner. And you?' : REPLY;
  }
}

async function send(page: Page, text: string): Promise<void> {
  await page.locator('#composer-input').fill(text);
  await page.locator('#composer-input').press('Enter');
}

/** Pixels drawn on a canvas (alpha > 0). */
/**
 * Waits until the page's finite animations and transitions have finished and two frames have been
 * drawn since: what a screenshot should show.
 */
async function settled(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const finite = document.getAnimations().filter((animation) => animation.effect?.getComputedTiming().endTime !== Infinity);
    await Promise.all(finite.map((animation) => animation.finished.catch(() => undefined)));
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  });
}

async function drawnPixels(page: Page, index: number): Promise<number> {
  return page.evaluate((at) => {
    const canvas = document.querySelectorAll('canvas')[at];
    if (!canvas) return 0;
    const context = canvas.getContext('2d');
    if (!context || canvas.width === 0) return 0;
    const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
    let drawn = 0;
    for (let offset = 3; offset < data.length; offset += 4) if ((data[offset] ?? 0) > 0) drawn++;
    return drawn;
  }, index);
}

/** Fields of one CSV line (RFC 4180 quotes). */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let index = 0; index < line.length; index++) {
    const char = line[index];
    if (quoted) {
      if (char === '"' && line[index + 1] === '"') {
        field += '"';
        index++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      fields.push(field);
      field = '';
    } else field += char;
  }
  fields.push(field);
  return fields;
}

/** Three earlier spoken sessions, so the progress page has a history to chart. */
function seedHistory(safe: SafeStore): void {
  const store = safe.store;
  if (!store) throw new Error('the test database did not open');
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

// Generous: every wait ends as soon as its event happens, so a long limit costs nothing when the machine is idle.
describe.runIf(available)('the tutor in the browser', { timeout: 300_000 }, () => {
  let browser: Browser;
  let server: TestServer;
  let store: SafeStore;
  let dataDir: string;
  let llm: ScriptedLLM;
  const problems: string[] = [];

  /** A page that records page errors and CSP violations. */
  async function open(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) problems.push(`csp: ${message.text()}`);
    });
    await page.goto(server.url);
    await page.locator('.connection--connected').waitFor({ timeout: 60_000 });
    await page.locator('.sidebar').waitFor({ state: 'attached', timeout: 60_000 });
    return page;
  }

  beforeAll(async () => {
    mkdirSync(RESULTS, { recursive: true });
    dataDir = mkdtempSync(join(tmpdir(), 'localchat-tutor-ui-'));
    const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
    store = SafeStore.open({ dataDir });
    seedHistory(store);
    llm = new ScriptedLLM({ reply, tokensPerSecond: 60 });
    const engines = new StaticEngineSet({ llm, tts: new ToneTTS() });
    const tutor = new TutorService({ store, engines, logger });
    server = await startTestServer(engines, { webRoot: WEB_ROOT, tutor });
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    store?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows a correction card, saves a word, writes the report, starts a scene, reviews and exports words, charts progress', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 820 }, colorScheme: 'light', reducedMotion: 'reduce' });
    const page = await open(context);
    try {
      // The correction card arrives after the reply, under the learner's message, with the diff.
      await send(page, MISTAKE);
      await page.locator('.message--tutor.message--completed').first().waitFor({ timeout: 60_000 });
      const card = page.locator('.message--user').first().locator('.correction');
      await card.waitFor({ timeout: 60_000 });
      expect(await card.locator('del').allTextContents()).toEqual(['go']);
      expect(await card.locator('ins').allTextContents()).toEqual(['went']);
      await card.locator('summary').first().click();
      await expect.poll(() => card.locator('.correction__rule').textContent()).toContain('past simple');
      expect(await card.locator('.chip--category').textContent()).toBe('tense');

      // A correct sentence gets no card.
      await send(page, 'What did you do at the weekend?');
      await page.locator('.message--tutor.message--completed').nth(1).waitFor({ timeout: 60_000 });
      // The server has checked it (its correction call has ended): no card came.
      await expect
        .poll(() => llm.calls.some((call) => call.request.jsonSchema?.name === 'correction' && lastUser(call.request).includes('What did you do at the weekend?') && call.endedAt !== undefined), { timeout: 60_000 })
        .toBe(true);
      expect(await page.locator('.message--user').nth(1).locator('.correction').count()).toBe(0);

      // Click a word: its meaning, then save it.
      await page.locator('.message--tutor').first().locator('.word', { hasText: /^park$/ }).click();
      const popover = page.locator('.word-popover');
      await popover.locator('.word-popover__english').waitFor({ timeout: 60_000 });
      expect(await popover.locator('.word-popover__english').textContent()).toContain('public garden');
      // Still no card for the correct sentence, a while after its check.
      expect(await page.locator('.message--user').nth(1).locator('.correction').count()).toBe(0);
      await page.screenshot({ path: join(RESULTS, 'tutor-chat-desktop-light.png') });
      await popover.getByRole('button', { name: 'Save word' }).click();
      await popover.locator('.word-popover__saved').waitFor();
      await page.keyboard.press('Escape');
      await popover.waitFor({ state: 'detached' });

      // Listening aids: slower replay and one sentence (the audio is kept in the page).
      const tutor = page.locator('.message--tutor').first();
      await tutor.getByRole('button', { name: 'Slower' }).click();
      await expect.poll(() => tutor.getByRole('button', { name: 'Stop' }).count()).toBeGreaterThan(0);
      await tutor.getByRole('button', { name: 'Stop' }).click();
      await tutor.getByRole('button', { name: 'Sentences' }).click();
      expect(await tutor.locator('.sentence').count()).toBe(3);
      await page.getByRole('button', { name: 'Hide text' }).click();
      await page.locator('.bubble--hidden').first().waitFor();
      await page.screenshot({ path: join(RESULTS, 'tutor-listening-desktop-light.png') });
      expect(await page.getByRole('button', { name: 'Hide text' }).getAttribute('aria-pressed')).toBe('true');
      await page.getByRole('button', { name: 'Hide text' }).click();
      await expect.poll(() => page.locator('.bubble--hidden').count()).toBe(0);

      // End the session: the report.
      await page.getByRole('button', { name: 'End session' }).click();
      const report = page.locator('.dialog.report');
      await report.locator('.report__level-badge').waitFor({ timeout: 60_000 });
      expect(await report.locator('.report__level-badge').textContent()).toBe('B1');
      expect(await report.locator('.report__categories').textContent()).toContain('tense');
      expect(await report.locator('.word-chips').textContent()).toContain('park');
      expect(await report.locator('.report__next').textContent()).toContain('past simple');
      await page.screenshot({ path: join(RESULTS, 'tutor-report-desktop-light.png') });
      await report.getByRole('button', { name: 'Keep talking' }).click();
      await report.waitFor({ state: 'detached' });

      // A scene from the library: the tutor opens it (text and voice), the strip shows the goal.
      await page.locator('.sidebar').getByRole('button', { name: 'New chat' }).click();
      await page.getByRole('menuitem', { name: /Role-play a scene/ }).click();
      const picker = page.locator('.scenario-picker');
      await picker.locator('.scenario-card').first().waitFor();
      expect(await picker.locator('.scenario-card').count()).toBeGreaterThanOrEqual(12);
      await page.screenshot({ path: join(RESULTS, 'tutor-scenes-desktop-light.png') });
      await picker.locator('.scenario-card', { hasText: SCENE.title }).click();
      await page.locator('.message--tutor.message--completed').first().waitFor({ timeout: 60_000 });
      expect(await page.locator('.message--tutor').first().textContent()).toContain(SCENE.openingLine);
      expect(await page.locator('.conversation-bar').textContent()).toContain(SCENE.title);
      await page.getByRole('button', { name: 'Useful phrases' }).click();
      await page.locator('.phrase').first().click();
      expect(await page.locator('#composer-input').inputValue()).not.toBe('');
      await page.locator('#composer-input').fill('');
      await expect.poll(() => page.evaluate(() => (window as unknown as { __localchat?: { playedSamples: number } }).__localchat?.playedSamples ?? 0), { timeout: 60_000 }).toBeGreaterThan(0);
      await send(page, 'Could I have the soup, please?');
      await page.locator('.message--tutor.message--completed').nth(1).waitFor({ timeout: 60_000 });
      await page.screenshot({ path: join(RESULTS, 'tutor-scene-desktop-light.png') });

      // End the scene: the tutor steps out of role (one more reply), then the report.
      await page.getByRole('button', { name: 'End scene' }).click();
      await page.locator('.message--tutor.message--completed').nth(2).waitFor({ timeout: 60_000 });
      await page.locator('.dialog.report .report__level-badge').waitFor({ timeout: 60_000 });
      await page.locator('.dialog.report').getByRole('button', { name: 'Keep talking' }).click();

      // The vocabulary page: the saved word, a review, the CSV export.
      await page.getByRole('link', { name: 'Vocabulary' }).click();
      const word = page.locator('.word-card', { hasText: 'park' });
      await word.waitFor();
      expect(await word.textContent()).toContain('public garden');
      await page.screenshot({ path: join(RESULTS, 'tutor-vocabulary-desktop-light.png') });
      const csv = await page.evaluate(() => fetch('/api/vocabulary/export.csv').then((response) => response.text()));
      // One Anki note per saved word, no header line: here the one word saved, with its meaning.
      const lines = csv.split(/\r?\n/).filter((line) => line.trim());
      expect(lines).toHaveLength(1);
      const [front, back, ...rest] = csvFields(lines[0]!);
      expect(front).toBe('park');
      expect(back).toContain('public garden');
      expect(rest).toHaveLength(2);
      expect(await page.getByRole('link', { name: 'Export for Anki (CSV)' }).getAttribute('href')).toBe('/api/vocabulary/export.csv');
      await page.getByRole('button', { name: /Review 1 word/ }).click();
      expect(await page.locator('.flashcard__word').textContent()).toBe('park');
      await page.getByRole('button', { name: 'Show the answer' }).click();
      await page.screenshot({ path: join(RESULTS, 'tutor-review-desktop-light.png') });
      await page.getByRole('button', { name: /^Good/ }).click();
      await page.getByText('All done for now').waitFor();
      await page.getByRole('button', { name: 'Back to the list' }).click();

      // The progress page: charts drawn on canvas.
      await page.getByRole('link', { name: 'Progress' }).click();
      await page.locator('.chart-card canvas').first().waitFor({ timeout: 60_000 });
      expect(await page.locator('.chart-card canvas').count()).toBe(4);
      await expect.poll(async () => Math.min(...(await Promise.all([0, 1, 2, 3].map((index) => drawnPixels(page, index))))), { timeout: 60_000 }).toBeGreaterThan(100);
      await settled(page);
      await page.screenshot({ path: join(RESULTS, 'tutor-progress-desktop-light.png') });

      // The conversation list: resume the first conversation, its correction card comes back.
      await page.getByRole('link', { name: 'Chat' }).click();
      const first = page.locator('.conversation', { hasText: 'Yesterday I go' });
      await first.waitFor();
      await first.locator('.conversation__open').click();
      await page.locator('.message--user .correction').first().waitFor({ timeout: 60_000 });
      expect(await page.locator('.message--user .correction del').first().textContent()).toBe('go');
      expect(await page.locator('.message').count()).toBe(4);

      // Rename in place.
      await first.getByRole('button', { name: /Actions for/ }).click();
      await page.getByRole('menuitem', { name: 'Rename' }).click();
      const rename = page.locator('.conversation__rename input');
      await rename.fill('At the park');
      await rename.press('Enter');
      await page.locator('.conversation', { hasText: 'At the park' }).waitFor();

      // Search.
      await page.locator('#conversation-search').fill('soup');
      await expect.poll(() => page.locator('.conversation').count()).toBe(1);
      expect(await page.locator('.conversation').textContent()).toContain(SCENE.title);
      await page.locator('#conversation-search').fill('');
      await expect.poll(() => page.locator('.conversation').count()).toBe(5);
      await page.screenshot({ path: join(RESULTS, 'tutor-resumed-desktop-light.png') });

      // A saved report from the list.
      const scene = page.locator('.conversation', { hasText: SCENE.title });
      await scene.getByRole('button', { name: /Actions for/ }).click();
      await page.getByRole('menuitem', { name: 'Session report' }).click();
      await page.locator('.dialog.report .report__level-badge').waitFor({ timeout: 60_000 });
      await page.locator('.dialog.report').getByRole('button', { name: 'Close' }).last().click();

      // Delete, after a confirmation.
      await scene.getByRole('button', { name: /Actions for/ }).click();
      await page.getByRole('menuitem', { name: 'Delete…' }).click();
      await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
      await expect.poll(() => page.locator('.conversation').count()).toBe(4);

      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('looks finished on a phone and in dark mode', async () => {
    for (const [name, options] of [
      ['desktop-dark', { viewport: { width: 1280, height: 820 }, colorScheme: 'dark' as const }],
      ['tablet-light', { viewport: { width: 820, height: 1000 }, colorScheme: 'light' as const }],
      ['phone-light', { viewport: { width: 390, height: 844 }, colorScheme: 'light' as const, isMobile: true, hasTouch: true, deviceScaleFactor: 2 }],
      ['phone-dark', { viewport: { width: 390, height: 844 }, colorScheme: 'dark' as const, isMobile: true, hasTouch: true, deviceScaleFactor: 2 }],
    ] as const) {
      const context = await browser.newContext({ ...options, reducedMotion: 'reduce' });
      const page = await open(context);
      const phone = name.startsWith('phone') || name.startsWith('tablet');
      try {
        await page.screenshot({ path: join(RESULTS, `tutor-welcome-${name}.png`) });
        // The conversation list (the drawer on a phone), then the saved conversation with its card.
        if (phone) {
          await page.getByRole('button', { name: 'Conversations' }).click();
          await page.locator('.sidebar--open').waitFor();
          await settled(page);
          await page.screenshot({ path: join(RESULTS, `tutor-drawer-${name}.png`) });
        }
        await page.locator('.conversation__open').first().click();
        await page.locator('.message--user .correction').first().waitFor({ timeout: 60_000 });
        await page.locator('.message--user .correction summary').first().click();
        await settled(page);
        await page.screenshot({ path: join(RESULTS, `tutor-chat-${name}.png`) });
        await page.locator('.message--tutor').first().locator('.word', { hasText: /^lovely$/ }).click();
        await page.locator('.word-popover__english').waitFor({ timeout: 60_000 });
        await page.screenshot({ path: join(RESULTS, `tutor-word-${name}.png`) });
        await page.keyboard.press('Escape');

        if (phone) {
          await page.getByRole('button', { name: 'New chat' }).first().click();
        } else {
          await page.locator('.sidebar').getByRole('button', { name: 'New chat' }).click();
        }
        await page.getByRole('menuitem', { name: /Role-play a scene/ }).click();
        await page.locator('.scenario-card').first().waitFor();
        await page.screenshot({ path: join(RESULTS, `tutor-scenes-${name}.png`) });
        await page.keyboard.press('Escape');

        // A saved report, from the list.
        if (phone) {
          await page.getByRole('button', { name: 'Conversations' }).click();
          await page.locator('.sidebar--open').waitFor();
        }
        await page.locator('.conversation', { hasText: 'Cooking at home' }).getByRole('button', { name: /Actions for/ }).click();
        await page.getByRole('menuitem', { name: 'Session report' }).click();
        // The first time there is no saved report: the dialog says so and offers to write one; later
        // it shows the saved one (the server is the judge of which).
        const reportStatus = await page.evaluate(() => fetch('/api/conversations/seed-2/report').then((response) => response.status));
        expect([200, 404]).toContain(reportStatus);
        if (reportStatus === 404) {
          await page.locator('.dialog.report .report__missing').waitFor({ timeout: 60_000 });
          await page.getByRole('button', { name: 'Write the report' }).click();
        }
        await page.locator('.dialog.report .report__level-badge').waitFor({ timeout: 60_000 });
        expect(await page.locator('.dialog.report .report__missing').count()).toBe(0);
        await page.screenshot({ path: join(RESULTS, `tutor-report-${name}.png`) });
        await page.keyboard.press('Escape');

        await page.getByRole('link', { name: 'Vocabulary' }).click();
        await page.locator('.word-card').first().waitFor();
        await page.screenshot({ path: join(RESULTS, `tutor-vocabulary-${name}.png`) });
        await page.getByRole('link', { name: 'Progress' }).click();
        await page.locator('.chart-card canvas').first().waitFor({ timeout: 60_000 });
        await expect.poll(() => drawnPixels(page, 0), { timeout: 60_000 }).toBeGreaterThan(100);
        await settled(page);
        await page.screenshot({ path: join(RESULTS, `tutor-progress-${name}.png`) });
        await page.locator('.chart-card').last().scrollIntoViewIfNeeded();
        await settled(page);
        await page.screenshot({ path: join(RESULTS, `tutor-progress-${name}-charts.png`) });

        await page.getByRole('link', { name: 'Chat' }).click();
        await page.getByRole('button', { name: 'Settings' }).click();
        await page.locator('.profile-form').waitFor();
        await page.screenshot({ path: join(RESULTS, `tutor-settings-${name}.png`) });
        await page.keyboard.press('Escape');
      } finally {
        await context.close();
      }
    }
    expect(problems).toEqual([]);
  });

  it('works from the keyboard: the New chat menu, word look-up, and the profile', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 820 }, reducedMotion: 'reduce' });
    const page = await open(context);
    try {
      // The New chat menu: open, move, choose; Escape closes the library and focus comes back.
      const trigger = page.locator('.sidebar').getByRole('button', { name: 'New chat' });
      await trigger.focus();
      await page.keyboard.press('Enter');
      await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('role'))).toBe('menuitem');
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('Enter');
      await page.locator('.scenario-picker').waitFor();
      await page.keyboard.press('Escape');
      await page.locator('.scenario-picker').waitFor({ state: 'detached' });
      expect(await trigger.evaluate((element) => element === document.activeElement)).toBe(true);

      // A word: Enter steps into the text, arrows move, Enter looks it up, Escape goes back.
      await page.locator('.conversation__open').first().click();
      const text = page.locator('.message--tutor .word-text').first();
      await text.waitFor();
      await text.focus();
      await page.keyboard.press('Enter');
      await page.keyboard.press('ArrowRight');
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('you');
      await page.keyboard.press('Enter');
      await page.locator('.word-popover__english').waitFor({ timeout: 60_000 });
      expect(await page.locator('.word-popover__word').textContent()).toBe('you');
      await page.keyboard.press('Escape');
      await page.locator('.word-popover').waitFor({ state: 'detached' });
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('you');

      await page.getByRole('button', { name: 'Settings' }).click();
      await page.locator('#profile-name').fill('Ana');
      await page.locator('#profile-level').selectOption('A2');
      await page.locator('#profile-language').fill('Spanish');
      await page.locator('.profile-form').getByText('Explicit').click();
      await page.getByRole('button', { name: 'Save profile' }).click();
      await page.getByText('It applies from your next new chat.').waitFor();
      const profile = await page.evaluate(() => fetch('/api/profile').then((response) => response.json()));
      expect(profile).toMatchObject({ name: 'Ana', level: 'A2', nativeLanguage: 'Spanish', correctionStyle: 'explicit' });
      // The speed: by level, or the learner's own.
      await page.getByLabel('Match my level (slower for beginners)').uncheck();
      // Unticked: the speed heard now becomes the learner's own.
      await expect.poll(() => page.evaluate(() => fetch('/api/profile').then((response) => response.json()).then((body: { speakingSpeed: unknown }) => typeof body.speakingSpeed))).toBe('number');
      expect(await page.locator('#speed-range').isDisabled()).toBe(false);
      await page.getByLabel('Match my level (slower for beginners)').check();
      await expect.poll(() => page.evaluate(() => fetch('/api/profile').then((response) => response.json()).then((body: { speakingSpeed: unknown }) => body.speakingSpeed))).toBe('auto');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
