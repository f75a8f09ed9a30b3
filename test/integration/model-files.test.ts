/**
 * `GET /api/models/smart-turn.onnx`: the page's copy of the optional Smart Turn model, served from
 * the models directory once it is downloaded (404 before, and while only its `.part` exists), and
 * `GET /api/models/smart-turn` saying which; behind the Host and token checks of every route.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { StaticEngineSet } from '../../src/engines/engine-set.js';
import { findCatalogEntry } from '../../src/models/catalog.js';
import { PART_SUFFIX, modelFilePath } from '../../src/models/models-dir.js';
import { SMART_TURN_FILE, SMART_TURN_MODEL_ID } from '../../src/models/turn-catalog.js';
import { buildApp } from '../../src/server/app.js';
import { SMART_TURN_ROUTE, SMART_TURN_STATUS_ROUTE } from '../../src/server/routes/model-files.js';
import { ScriptedLLM } from '../../src/testing/scripted-llm.js';
import { ToneTTS } from '../../src/testing/tone-tts.js';
import { smartTurnStandInBytes } from '../fixtures/smart-turn-fixture.js';

const TOKEN = 'model-files-test-token-0123456789';

describe('GET /api/models/smart-turn.onnx', () => {
  let dir: string | null = null;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = null;
  });

  async function app(modelsDir: string, token?: string) {
    const engines = new StaticEngineSet({ llm: new ScriptedLLM({ reply: 'Hi.' }), tts: new ToneTTS() });
    const config = loadConfig({ env: {}, configFile: join(modelsDir, 'none.json'), flags: { modelsDir, dataDir: join(modelsDir, 'data') } });
    return (await buildApp({ engines, logger: pino({ level: 'silent' }), config, token })).app;
  }

  it('is 404 until the model is downloaded, then serves its bytes (304 when unchanged)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'localchat-model-files-'));
    const path = modelFilePath(findCatalogEntry(SMART_TURN_MODEL_ID)!, SMART_TURN_FILE, dir);
    const server = await app(dir);
    try {
      const status = () => server.inject({ method: 'GET', url: SMART_TURN_STATUS_ROUTE, headers: { host: 'localhost' } }).then((response) => response.json());
      expect(await status()).toEqual({ id: SMART_TURN_MODEL_ID, installed: false, url: null });
      const missing = await server.inject({ method: 'GET', url: SMART_TURN_ROUTE, headers: { host: 'localhost' } });
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toMatchObject({ error: { code: 'model_not_installed', message: expect.stringContaining(`localchat models pull ${SMART_TURN_MODEL_ID}`) } });

      const bytes = smartTurnStandInBytes({ weight: 0, bias: 2 });
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(`${path}${PART_SUFFIX}`, bytes);
      expect((await server.inject({ method: 'GET', url: SMART_TURN_ROUTE, headers: { host: 'localhost' } })).statusCode).toBe(404);

      writeFileSync(path, bytes);
      expect(await status()).toEqual({ id: SMART_TURN_MODEL_ID, installed: true, url: SMART_TURN_ROUTE });
      const served = await server.inject({ method: 'GET', url: SMART_TURN_ROUTE, headers: { host: 'localhost' } });
      expect(served.statusCode).toBe(200);
      expect(served.headers['content-type']).toBe('application/octet-stream');
      expect(Number(served.headers['content-length'])).toBe(bytes.length);
      expect(Buffer.compare(served.rawPayload, Buffer.from(bytes))).toBe(0);
      const etag = served.headers.etag;
      expect(etag).toMatch(/^".+"$/);

      const again = await server.inject({ method: 'GET', url: SMART_TURN_ROUTE, headers: { host: 'localhost', 'if-none-match': String(etag) } });
      expect(again.statusCode).toBe(304);
      expect(again.rawPayload.length).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('has no model on a server that knows no models directory', async () => {
    const engines = new StaticEngineSet({ llm: new ScriptedLLM({ reply: 'Hi.' }), tts: new ToneTTS() });
    const { app: server } = await buildApp({ engines, logger: pino({ level: 'silent' }) });
    try {
      expect((await server.inject({ method: 'GET', url: SMART_TURN_STATUS_ROUTE, headers: { host: 'localhost' } })).json()).toMatchObject({ installed: false });
      expect((await server.inject({ method: 'GET', url: SMART_TURN_ROUTE, headers: { host: 'localhost' } })).statusCode).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('refuses a foreign Host and a missing token like every route', async () => {
    dir = mkdtempSync(join(tmpdir(), 'localchat-model-files-'));
    const path = modelFilePath(findCatalogEntry(SMART_TURN_MODEL_ID)!, SMART_TURN_FILE, dir);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, smartTurnStandInBytes({ weight: 0, bias: 2 }));
    const server = await app(dir, TOKEN);
    try {
      expect((await server.inject({ method: 'GET', url: SMART_TURN_ROUTE, headers: { host: 'evil.example' } })).statusCode).toBe(403);
      expect((await server.inject({ method: 'GET', url: SMART_TURN_ROUTE, headers: { host: 'localhost' } })).statusCode).toBe(401);
      expect((await server.inject({ method: 'GET', url: SMART_TURN_STATUS_ROUTE, headers: { host: 'localhost' } })).statusCode).toBe(401);
      expect((await server.inject({ method: 'GET', url: SMART_TURN_ROUTE, headers: { host: 'localhost', origin: 'https://evil.example', authorization: `Bearer ${TOKEN}` } })).statusCode).toBe(403);
      expect((await server.inject({ method: 'GET', url: SMART_TURN_ROUTE, headers: { host: 'localhost', authorization: `Bearer ${TOKEN}` } })).statusCode).toBe(200);
    } finally {
      await server.close();
    }
  });
});
