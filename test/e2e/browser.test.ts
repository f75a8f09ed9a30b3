/**
 * End to end in a real browser: load the built UI from the real server, type a message, see the
 * reply stream in, and check that reply audio was played (`window.__localchat.playedSamples`).
 * Once with a scripted LLM (exact text) and eSpeak NG, once with every engine real: node-llama-cpp
 * on a tiny random-weight GGUF given by path, and eSpeak NG (assert on structure, not words).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { StaticEngineSet } from '../../src/engines/engine-set.js';
import { EngineRegistry } from '../../src/engines/registry.js';
import { EspeakTTSEngine } from '../../src/engines/tts/espeak.js';
import { WEB_ROOT } from '../../src/server/start.js';
import { ScriptedLLM } from '../../src/testing/scripted-llm.js';
import { buildTinyGguf } from '../fixtures/gguf-builder.js';
import { chromiumAvailable, launchChromium } from '../helpers/chromium.js';
import { type TestServer, startTestServer } from '../helpers/test-server.js';

const RESULTS = join(process.cwd(), 'test-results');
const REPLY = 'Oh, you went to the park on Saturday! That sounds like fun. What did you do there?';
const available = chromiumAvailable();

async function played(page: Page): Promise<number> {
  return page.evaluate(() => (window as unknown as { __localchat?: { playedSamples: number } }).__localchat?.playedSamples ?? 0);
}

async function send(page: Page, text: string): Promise<void> {
  await page.locator('#composer-input').fill(text);
  await page.locator('#composer-input').press('Enter');
}

describe.runIf(available)('browser end to end', () => {
  let browser: Browser;
  beforeAll(async () => {
    mkdirSync(RESULTS, { recursive: true });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('types a message, streams the reply text, plays its audio, and renders model output as text', async () => {
    const llm = new ScriptedLLM({ reply: (request) => (request.messages.at(-1)?.content.includes('html') ? '<img src=x onerror="window.__xss=1"> <b>bold</b> is shown as text.' : REPLY), tokensPerSecond: 30 });
    const server: TestServer = await startTestServer(new StaticEngineSet({ llm, tts: new EspeakTTSEngine() }), { webRoot: WEB_ROOT });
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    try {
      await page.goto(server.url);
      await page.locator('.connection--connected').waitFor({ timeout: 15_000 });
      await send(page, 'On saturday I goed to the park.');
      const tutor = page.locator('.message--tutor').last();
      // Streaming: some text shows before the reply is complete.
      await page.waitForFunction(() => {
        const bubbles = document.querySelectorAll('.message--tutor');
        const last = bubbles[bubbles.length - 1];
        return !!last && (last.textContent ?? '').length > 5 && last.classList.contains('message--streaming');
      }, undefined, { timeout: 15_000 });
      await page.locator('.message--tutor.message--completed').last().waitFor({ timeout: 20_000 });
      expect(await tutor.textContent()).toContain(REPLY);
      await page.waitForFunction(() => ((window as unknown as { __localchat?: { playedSamples: number } }).__localchat?.playedSamples ?? 0) > 24_000, undefined, { timeout: 20_000 });
      expect(await played(page)).toBeGreaterThan(24_000);
      await page.screenshot({ path: join(RESULTS, 'e2e-conversation.png') });

      await send(page, 'show me html');
      await page.locator('.message--tutor.message--completed').nth(1).waitFor({ timeout: 20_000 });
      expect(await page.locator('.message--tutor').last().textContent()).toContain('<img src=x');
      expect(await page.locator('.transcript img, .transcript b').count()).toBe(0);
      expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      await server.stop();
    }
  });

  it('talks with real engines: node-llama-cpp on a GGUF given by path, and eSpeak NG', async () => {
    const modelPath = await buildTinyGguf();
    const config = loadConfig({ env: {}, flags: { model: modelPath, tts: 'espeak', download: false, threads: 1, contextSize: 1024 }, configFile: join(RESULTS, 'none.json') });
    const engines = new EngineRegistry({ config, logger: pino({ level: 'silent' }) });
    await engines.start();
    expect(engines.status().filter((status) => status.kind !== 'stt').map((status) => status.state)).toEqual(['ready', 'ready']);
    const server = await startTestServer(engines, { webRoot: WEB_ROOT });
    const page = await browser.newPage();
    try {
      await page.goto(server.url);
      await page.locator('.connection--connected').waitFor({ timeout: 15_000 });
      await send(page, 'Hello! How are you today?');
      await page.locator('.message--tutor.message--completed, .message--tutor.message--failed').last().waitFor({ timeout: 60_000 });
      await page.waitForFunction(() => ((window as unknown as { __localchat?: { playedSamples: number } }).__localchat?.playedSamples ?? 0) > 0, undefined, { timeout: 30_000 });
      expect(await page.locator('.message--tutor.message--completed').count()).toBe(1);
      expect(await played(page)).toBeGreaterThan(0);
      await page.screenshot({ path: join(RESULTS, 'e2e-real-engines.png') });
    } finally {
      await page.close();
      await server.stop();
      await engines.dispose();
    }
  });
});
