/**
 * Makes docs/screenshot.png: the real server and UI in headless Chromium, a short conversation
 * with a scripted tutor (so the picture shows what a real model says) spoken by eSpeak NG.
 *
 * Usage: npm run build && npx tsx web/scripts/readme-screenshot.ts
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { buildApp } from '../../src/server/app.js';
import { StaticEngineSet } from '../../src/engines/engine-set.js';
import { EspeakTTSEngine } from '../../src/engines/tts/espeak.js';
import { WEB_ROOT } from '../../src/server/start.js';
import { TutorService } from '../../src/server/tutor-service.js';
import { SafeStore } from '../../src/store/safe-store.js';
import { tutorLlm } from '../../test/helpers/tutor-llm.js';
import { launchChromium } from '../../test/helpers/chromium.js';

const replies = [
  "Oh, you went to the park yesterday! That sounds lovely. What did you do there?",
  "Playing football and then eating ice cream is a perfect Saturday. Which flavour did you choose?",
];
let turn = 0;
const llm = tutorLlm(() => replies[turn++ % replies.length]!, 40);
const engines = new StaticEngineSet({ llm, tts: new EspeakTTSEngine() });
const logger = pino({ level: 'silent' });
const store = SafeStore.open({ dataDir: mkdtempSync(join(tmpdir(), 'localchat-shot-')) });
const tutor = new TutorService({ store, engines, logger });
const { app } = await buildApp({ engines, logger, webRoot: WEB_ROOT, tutor });
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 760 }, deviceScaleFactor: 1 });
  await page.goto(url);
  await page.locator('.connection--connected').waitFor();
  for (const text of ['Yesterday I goed to the park.', 'We played football and after we eat ice cream.']) {
    const count = await page.locator('.message--tutor.message--completed').count();
    await page.locator('#composer-input').fill(text);
    await page.locator('#composer-input').press('Enter');
    await page.locator('.message--tutor.message--completed').nth(count).waitFor({ timeout: 30_000 });
  }
  await page.locator('.correction-card, [class*=correction]').first().waitFor({ timeout: 15_000 }).catch(() => undefined);
  await page.waitForTimeout(800);
  await page.screenshot({ path: 'docs/screenshot.png' });
  console.log('wrote docs/screenshot.png');
} finally {
  await browser.close();
  await app.close();
  store.close();
}
