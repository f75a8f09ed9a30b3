/**
 * Makes docs/screenshot.png: the real server and UI in headless Chromium, a short conversation
 * with a scripted tutor (so the picture shows what a real model says) spoken by eSpeak NG.
 *
 * Usage: npm run build && npx tsx web/scripts/readme-screenshot.ts
 */
import pino from 'pino';
import { buildApp } from '../../src/server/app.js';
import { StaticEngineSet } from '../../src/engines/engine-set.js';
import { EspeakTTSEngine } from '../../src/engines/tts/espeak.js';
import { WEB_ROOT } from '../../src/server/start.js';
import { ScriptedLLM } from '../../src/testing/scripted-llm.js';
import { launchChromium } from '../../test/helpers/chromium.js';

const replies = [
  "Oh, you went to the park with your friends on Saturday! That sounds lovely. What did you do there?",
  "Playing football and then eating ice cream is a perfect Saturday. Which flavour did you choose?",
];
let turn = 0;
const llm = new ScriptedLLM({ reply: () => replies[turn++ % replies.length]!, tokensPerSecond: 40 });
const { app } = await buildApp({ engines: new StaticEngineSet({ llm, tts: new EspeakTTSEngine() }), logger: pino({ level: 'silent' }), webRoot: WEB_ROOT });
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 700 }, deviceScaleFactor: 1 });
  await page.goto(url);
  await page.locator('.connection--connected').waitFor();
  for (const text of ['On saturday I goed to the park with my friends.', 'We played football and after we eat ice cream.']) {
    const count = await page.locator('.message--tutor.message--completed').count();
    await page.locator('#composer-input').fill(text);
    await page.locator('#composer-input').press('Enter');
    await page.locator('.message--tutor.message--completed').nth(count).waitFor({ timeout: 30_000 });
  }
  await page.waitForTimeout(500);
  await page.screenshot({ path: 'docs/screenshot.png' });
  console.log('wrote docs/screenshot.png');
} finally {
  await browser.close();
  await app.close();
}
