/**
 * Renders the built client against the fake realtime server in headless Chromium and writes
 * screenshots (desktop and phone, light and dark) to test-results/preview/. It also checks that
 * audio played (`window.__localchat.playedSamples`) and that the page logged no errors (CSP
 * violations included).
 *
 * Voice screens (hands-free listening / hearing / tutor speaking, push to talk, a blocked
 * microphone) use a fake microphone playing LibriVox speech (Debian's pocketsphinx-testdata);
 * they are skipped when it is not installed.
 *
 * Usage: npx vite build --config web/vite.config.ts && npx tsx web/scripts/preview.ts
 * Needs Debian's `chromium` (CHROMIUM_PATH overrides /usr/bin/chromium).
 */
import { existsSync } from 'node:fs';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import type {} from '../src/audio/player.js';
import { buildFakeMic, fakeMicArgs } from '../../test/fixtures/fake-mic.js';
import { LIBRIVOX_DIR } from '../../test/fixtures/librivox.js';
import { startFakeServer, type Scenario } from './fake-realtime-server.js';

const root = fileURLToPath(new URL('../../dist/web/', import.meta.url));
const outDir = fileURLToPath(new URL('../../test-results/preview/', import.meta.url));
mkdirSync(outDir, { recursive: true });

const desktop = { width: 1280, height: 820 };
const phone = { width: 390, height: 844 };

interface Debug {
  playedSamples: number;
  state: string;
  contextSampleRate: number | null;
}

const problems: string[] = [];

function watch(page: Page, label: string): void {
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`[${label}] console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`[${label}] page error: ${error.message}`));
}

async function shot(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(250);
  await page.screenshot({ path: `${outDir}${name}.png` });
  console.log(`wrote test-results/preview/${name}.png`);
}

async function send(page: Page, text: string): Promise<void> {
  await page.locator('#composer-input').fill(text);
  await page.locator('#composer-input').press('Enter');
}

async function conversation(browser: Browser): Promise<void> {
  const fake = await startFakeServer({ root, scenario: 'ready' });
  try {
    const context = await browser.newContext({ viewport: desktop, colorScheme: 'light' });
    const page = await context.newPage();
    watch(page, 'conversation');
    await page.goto(fake.url);
    await page.locator('.connection--connected').waitFor();
    await shot(page, 'welcome-desktop-light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot(page, 'welcome-desktop-dark');
    await page.emulateMedia({ colorScheme: 'light' });

    await send(page, 'Hi! On saturday I goed to the park with my friends and we eat ice cream.');
    await page.locator('.message--tutor.message--streaming').first().waitFor();
    await page.waitForTimeout(700);
    await shot(page, 'streaming-desktop-light');
    await page.locator('.message--tutor.message--completed').first().waitFor();
    await page.waitForFunction(() => (window.__localchat?.playedSamples ?? 0) > 24_000, undefined, { timeout: 15_000 });
    const afterFirst = await page.evaluate(() => window.__localchat as Debug);
    console.log('after the first reply:', afterFirst);

    await send(page, 'What is the difference between "since" and "for"?');
    await page.locator('.message--tutor.message--streaming').first().waitFor();
    await page.waitForTimeout(900);
    await page.getByRole('button', { name: 'Stop the reply' }).click();
    await page.locator('.message--tutor.message--cancelled').first().waitFor();
    const stopped = await page.evaluate(() => window.__localchat as Debug);
    await page.waitForTimeout(300);
    const later = await page.evaluate(() => window.__localchat as Debug);
    console.log('after stop:', stopped, 'and 300 ms later:', later);
    if (later.playedSamples !== stopped.playedSamples || later.state === 'playing') problems.push('audio kept playing after Stop');

    await send(page, 'Please fail this one');
    await page.locator('.message--tutor.message--failed').first().waitFor();
    await send(page, 'Can you correct my sentences? I have went to a job interview yesterday.');
    await page.locator('.message--tutor.message--completed').nth(1).waitFor();
    await page.waitForTimeout(300);
    await shot(page, 'conversation-desktop-light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot(page, 'conversation-desktop-dark');

    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByRole('dialog', { name: 'Settings' }).waitFor();
    await shot(page, 'settings-desktop-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await shot(page, 'settings-desktop-light');
    await page.keyboard.press('Escape');

    // Replay the first tutor message.
    const before = await page.evaluate(() => window.__localchat?.playedSamples ?? 0);
    await page.getByRole('button', { name: 'Replay' }).first().click();
    await page.waitForFunction((start) => (window.__localchat?.playedSamples ?? 0) > start + 12_000, before, { timeout: 10_000 });
    console.log('replay played', (await page.evaluate(() => window.__localchat?.playedSamples ?? 0)) - before, 'samples');

    await page.setViewportSize(phone);
    await page.getByRole('button', { name: 'Stop' }).first().click().catch(() => undefined);
    await shot(page, 'conversation-phone-light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot(page, 'conversation-phone-dark');
    await page.getByRole('button', { name: 'Settings' }).click();
    await shot(page, 'settings-phone-dark');
    await page.keyboard.press('Escape');

    // Long text: the counter near the limit.
    await page.locator('#composer-input').fill('I would like to practise. '.repeat(150).slice(0, 3900));
    await shot(page, 'counter-phone-dark');

    // New chat returns to the welcome.
    await page.locator('#composer-input').fill('');
    await page.getByRole('button', { name: 'New chat' }).click();
    await page.locator('.welcome').waitFor();
    await page.emulateMedia({ colorScheme: 'light' });
    await shot(page, 'welcome-phone-light');
    await context.close();
  } finally {
    await fake.close();
  }
}

async function statusScreens(browser: Browser, scenario: Scenario): Promise<void> {
  const fake = await startFakeServer({ root, scenario });
  try {
    for (const [name, viewport] of [
      ['desktop', desktop],
      ['phone', phone],
    ] as const) {
      for (const colorScheme of ['light', 'dark'] as const) {
        const context = await browser.newContext({ viewport, colorScheme });
        const page = await context.newPage();
        watch(page, `status-${name}-${colorScheme}`);
        await page.goto(fake.url);
        await page.locator('.banner--download').waitFor();
        await page.waitForTimeout(600);
        await shot(page, `status-${name}-${colorScheme}`);
        await context.close();
      }
    }
  } finally {
    await fake.close();
  }
}

async function offlineScreen(browser: Browser): Promise<void> {
  const context = await browser.newContext({ viewport: desktop, colorScheme: 'light' });
  const page = await context.newPage();
  // Nothing listens on port 9: the client keeps retrying.
  const fake = await startFakeServer({ root, scenario: 'ready' });
  await page.goto(fake.url);
  await page.locator('.connection--connected').waitFor();
  await fake.close();
  await page.locator('.connection--reconnecting, .connection--offline').first().waitFor();
  await shot(page, 'reconnecting-desktop-light');
  await context.close();
}

/** Hands-free with a fake microphone: listening, hearing the learner, the tutor speaking; push to talk; errors. */
async function voiceScreens(): Promise<void> {
  if (!existsSync(LIBRIVOX_DIR)) {
    console.log(`skipped the voice screens: ${LIBRIVOX_DIR} is missing (Debian package pocketsphinx-testdata)`);
    return;
  }
  const mic = buildFakeMic({ clips: ['0880', '0930'] });
  const voiceBrowser = await launch(fakeMicArgs(mic.path));
  // Slow replies with long audio, so the tutor is still speaking when the learner talks again.
  const fake = await startFakeServer({ root, scenario: 'ready', secondsPerWord: 0.3, deltaMs: 120 });
  try {
    for (const [name, viewport, colorScheme] of [
      ['desktop-light', desktop, 'light'],
      ['phone-dark', phone, 'dark'],
    ] as const) {
      const context = await voiceBrowser.newContext({ viewport, colorScheme });
      const page = await context.newPage();
      watch(page, `voice-${name}`);
      await page.goto(fake.url);
      await page.locator('.connection--connected').waitFor();
      await page.locator('.voice-modes input[value="hands-free"]').check();
      await page.locator('.voice-bar--listening').waitFor();
      await shot(page, `voice-listening-${name}`);
      await page.locator('.voice-bar--hearing').waitFor();
      await page.waitForTimeout(800);
      await shot(page, `voice-hearing-${name}`);
      await page.locator('.voice-bar--tutor').waitFor({ timeout: 15_000 });
      await shot(page, `voice-tutor-speaking-${name}`);
      await page.locator('.message--interrupted').waitFor({ timeout: 15_000 });
      await page.locator('.message--spoken').nth(1).waitFor({ timeout: 15_000 });
      await shot(page, `voice-interrupted-${name}`);
      await page.locator('.voice-modes input[value="push-to-talk"]').check();
      await page.locator('.talk-button').waitFor();
      await page.locator('.talk-button').hover();
      await page.mouse.down();
      await page.waitForTimeout(400);
      await shot(page, `voice-push-to-talk-${name}`);
      await page.mouse.up();
      await page.getByRole('button', { name: /settings/i }).first().click();
      await page.locator('#thinking-time').scrollIntoViewIfNeeded();
      await shot(page, `voice-settings-${name}`);
      await context.close();
    }
    const context = await voiceBrowser.newContext({ viewport: desktop, colorScheme: 'dark' });
    await context.addInitScript(() => {
      navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('blocked', 'NotAllowedError'));
    });
    const page = await context.newPage();
    watch(page, 'voice-denied');
    await page.goto(fake.url);
    await page.locator('.connection--connected').waitFor();
    await page.locator('.voice-modes input[value="hands-free"]').check();
    await page.locator('.voice-alert').waitFor();
    await shot(page, 'voice-denied-desktop-dark');
    await context.close();
  } finally {
    await fake.close();
    await voiceBrowser.close();
  }
}

function launch(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', ...extraArgs],
  });
}

const browser = await launch();
try {
  await conversation(browser);
  await statusScreens(browser, 'status');
  await offlineScreen(browser);
} finally {
  await browser.close();
}
await voiceScreens();
if (problems.length > 0) {
  console.error(`problems:\n${problems.join('\n')}`);
  process.exitCode = 1;
} else {
  console.log('no console errors, no CSP violations');
}
