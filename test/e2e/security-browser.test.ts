/**
 * In a real browser, a page from another local origin cannot use LocalChat: its WebSocket is
 * refused, its API reads are blocked, and its blind POSTs (no-cors) never reach an engine.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticEngineSet } from '../../src/engines/engine-set.js';
import { ScriptedLLM } from '../../src/testing/scripted-llm.js';
import { ToneTTS } from '../../src/testing/tone-tts.js';
import { chromiumAvailable, launchChromium } from '../helpers/chromium.js';
import { type TestServer, startTestServer } from '../helpers/test-server.js';

const available = chromiumAvailable();

describe.runIf(available)('a page from another origin', () => {
  let browser: Browser;
  let localchat: TestServer;
  let evil: Server;
  let evilUrl: string;
  const llm = new ScriptedLLM({ reply: 'should never be generated' });

  beforeAll(async () => {
    localchat = await startTestServer(new StaticEngineSet({ llm, tts: new ToneTTS() }));
    evil = createServer((_request, response) => {
      response.setHeader('content-type', 'text/html');
      response.end('<!doctype html><title>evil</title><p>hello</p>');
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    evilUrl = `http://localhost:${(evil.address() as AddressInfo).port}/`;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await localchat?.stop();
    await new Promise((resolve) => evil?.close(resolve));
  });

  it('cannot open the realtime WebSocket, read the API, or make the LLM work', { timeout: 180_000 }, async () => {
    // The server's answers to the chat completions endpoint, as it sends them.
    const answered: number[] = [];
    const onRequest = (request: IncomingMessage, response: ServerResponse): void => {
      if (request.method === 'POST' && request.url?.startsWith('/v1/chat/completions')) response.on('finish', () => answered.push(response.statusCode));
    };
    localchat.app.server.on('request', onRequest);
    const page = await browser.newPage();
    await page.goto(evilUrl);
    const result = await page.evaluate(async (target) => {
      const socket = await new Promise<string>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${target}/v1/realtime`);
        ws.onopen = () => resolve('open');
        ws.onerror = () => resolve('error');
        // Only a guard: the answer (refused) comes at once; generous for a busy machine.
        setTimeout(() => resolve('timeout'), 60_000);
      });
      const read = await fetch(`http://127.0.0.1:${target}/v1/models`).then(
        (response) => `status ${response.status}`,
        () => 'blocked',
      );
      const blind = await fetch(`http://127.0.0.1:${target}/v1/chat/completions`, {
        method: 'POST',
        mode: 'no-cors',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ model: 'localchat-tutor', messages: [{ role: 'user', content: 'hi' }] }),
      }).then(
        () => 'sent',
        () => 'blocked',
      );
      return { socket, read, blind };
    }, String(localchat.port));
    expect(result.socket).toBe('error');
    expect(result.read).toBe('blocked');
    // The no-cors POST leaves the browser, but the server refuses it by its Origin: once it has
    // answered, no engine was called.
    await expect.poll(() => answered.length, { timeout: 60_000 }).toBe(1);
    localchat.app.server.off('request', onRequest);
    expect(answered[0]).toBeGreaterThanOrEqual(400);
    expect(llm.calls).toHaveLength(0);
    await page.close();
  });
});
