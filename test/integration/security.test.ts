/**
 * Security of the HTTP server: access token (bearer, cookie, WebSocket query), Origin checks on
 * every route, security headers and CSP, no path traversal, event rate and session limits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticEngineSet } from '../../src/engines/engine-set.js';
import { WEB_ROOT } from '../../src/server/start.js';
import { ScriptedLLM } from '../../src/testing/scripted-llm.js';
import { ToneTTS } from '../../src/testing/tone-tts.js';
import { TestRealtimeClient } from '../helpers/realtime-client.js';
import { type TestServer, startTestServer } from '../helpers/test-server.js';

const TOKEN = 'test-token-0123456789abcdef';
const engines = () => new StaticEngineSet({ llm: new ScriptedLLM({ reply: 'Hello there!' }), tts: new ToneTTS() });

describe('access token', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(engines(), { token: TOKEN, webRoot: WEB_ROOT });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('refuses REST calls without the token (401, OpenAI error shape) and accepts a Bearer token', async () => {
    const refused = await fetch(`${server.url}/v1/models`);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: { code: 'invalid_api_key' } });
    expect((await fetch(`${server.url}/v1/models`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    const accepted = await fetch(`${server.url}/v1/models`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(accepted.status).toBe(200);
  });

  it('asks for the token on the UI, and ?token= sets an HttpOnly cookie that then opens the UI', async () => {
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(401);
    expect(await page.text()).toContain('?token=');
    const login = await fetch(`${server.url}/?token=${TOKEN}`, { redirect: 'manual' });
    expect(login.status).toBe(302);
    const cookie = login.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/localchat_token=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    const ui = await fetch(`${server.url}/`, { headers: { cookie: cookie.split(';')[0]! } });
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('<div id="root">');
  });

  it('refuses a WebSocket without the token and accepts it by header or query', async () => {
    await expect(TestRealtimeClient.connect(server.wsUrl)).rejects.toThrow(/401/);
    const byHeader = await TestRealtimeClient.connect(server.wsUrl, { headers: { authorization: `Bearer ${TOKEN}` } });
    await byHeader.waitFor('session.created');
    await byHeader.close();
    const byQuery = await TestRealtimeClient.connect(`${server.wsUrl}?token=${TOKEN}`);
    await byQuery.waitFor('session.created');
    await byQuery.close();
  });
});

describe('origins, headers, static files, limits', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(engines(), { webRoot: WEB_ROOT });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('refuses requests from another origin on every route, allows its own', async () => {
    for (const path of ['/v1/models', '/health', '/']) {
      expect((await fetch(`${server.url}${path}`, { headers: { origin: 'http://evil.example' } })).status, path).toBe(403);
    }
    const post = await fetch(`${server.url}/v1/models`, { method: 'POST', headers: { origin: 'http://localhost:1', 'content-type': 'text/plain' }, body: 'x' });
    expect(post.status).toBe(403);
    expect((await fetch(`${server.url}/health`, { headers: { origin: server.url } })).status).toBe(200);
  });

  it('sends security headers and a strict Content-Security-Policy with the UI', async () => {
    const response = await fetch(`${server.url}/`);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toMatch(/script-src 'self' 'wasm-unsafe-eval'(;|$)/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await response.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });

  it('never serves files outside the web root (path traversal)', async () => {
    for (const path of ['/../package.json', '/%2e%2e/package.json', '/assets/../../package.json', '/..%2f..%2fpackage.json', '/%2e%2e%2f%2e%2e%2fsrc/config.ts']) {
      const response = await fetch(`${server.url}${path}`);
      const body = await response.text();
      expect([400, 403, 404], path).toContain(response.status);
      expect(body, path).not.toContain('"name": "localchat"');
    }
  });

  it('limits events per second with an error event, and the session still works after', async () => {
    const client = await TestRealtimeClient.connect(server.wsUrl);
    await client.waitFor('session.created');
    for (let i = 0; i < 400; i++) client.send({ type: 'session.update', session: {} });
    const limited = await client.waitFor('error', (event) => event.error.code === 'rate_limit_exceeded');
    expect(limited.error.message).toMatch(/a second/);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const from = client.events.length;
    client.sendText('still there?');
    const done = await client.waitFor('response.done', () => true, from);
    expect(done.response.status).toBe('completed');
    await client.close();
  });

  it('limits open sessions per client', async () => {
    const clients: TestRealtimeClient[] = [];
    try {
      for (let i = 0; i < 8; i++) clients.push(await TestRealtimeClient.connect(server.wsUrl));
      await expect(TestRealtimeClient.connect(server.wsUrl)).rejects.toThrow(/429/);
    } finally {
      await Promise.all(clients.map((client) => client.close()));
    }
  });
});
