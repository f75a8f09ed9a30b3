/**
 * What the server says about itself: `/health` is ok with a working LLM and a speaking fallback
 * voice (and while speech recognition waits for first use), `GET /api/config` shows the
 * configuration in effect without secrets, and `/api/progress` leaves out sessions in which no
 * reply came.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { EngineStatus } from '../../src/core/engine-status.js';
import { StaticEngineSet } from '../../src/engines/engine-set.js';
import { buildApp, healthOf } from '../../src/server/app.js';
import { redactConfig, withoutCredentials } from '../../src/server/public-config.js';
import { TutorService } from '../../src/server/tutor-service.js';
import { SafeStore } from '../../src/store/safe-store.js';
import { ScriptedLLM } from '../../src/testing/scripted-llm.js';
import { ToneTTS } from '../../src/testing/tone-tts.js';

const llm: EngineStatus = { kind: 'llm', provider: 'llama-cpp', modelId: 'qwen', state: 'ready' };
const kokoroMissing: EngineStatus = { kind: 'tts', provider: 'kokoro', modelId: 'kokoro-82m', state: 'error', message: 'not downloaded' };
const espeak: EngineStatus = { kind: 'tts', provider: 'espeak', modelId: 'espeak-ng', state: 'ready' };
const stt = (state: EngineStatus['state']): EngineStatus => ({ kind: 'stt', provider: 'whisper', modelId: 'whisper-base.en', state });

describe('healthOf', () => {
  it('is ok with a working LLM and a fallback voice, while speech recognition is idle, loading or downloading', () => {
    expect(healthOf([llm, kokoroMissing, espeak, stt('idle')])).toBe('ok');
    expect(healthOf([llm, espeak, stt('loading')])).toBe('ok');
    expect(healthOf([llm, espeak, stt('downloading')])).toBe('ok');
  });

  it('is degraded without a ready LLM, without any voice, or when speech recognition failed', () => {
    expect(healthOf([{ ...llm, state: 'error' }, espeak])).toBe('degraded');
    expect(healthOf([{ ...llm, state: 'loading' }, espeak])).toBe('degraded');
    expect(healthOf([llm, kokoroMissing, { ...espeak, state: 'loading' }])).toBe('degraded');
    expect(healthOf([llm, espeak, stt('error')])).toBe('degraded');
    expect(healthOf([espeak])).toBe('degraded');
  });
});

describe('redactConfig', () => {
  it('replaces secrets with "(set)", drops unset ones, and removes credentials from URLs', () => {
    const config = loadConfig({ env: {}, configFile: '/nonexistent/localchat.config.json', flags: { token: 'x'.repeat(20), sttApiKey: 'sk-1', ttsBaseUrl: 'https://me:pw@tts.example/v1' } });
    const settings = redactConfig(config);
    expect(settings).toMatchObject({ token: '(set)', sttApiKey: '(set)', ttsBaseUrl: 'https://tts.example/v1' });
    expect('llmApiKey' in settings).toBe(false);
    expect(JSON.stringify(settings)).not.toMatch(/x{20}|sk-1|pw@/);
    expect(withoutCredentials('not a url')).toBe('not a url');
    expect(withoutCredentials('http://127.0.0.1:1234/v1')).toBe('http://127.0.0.1:1234/v1');
  });
});

describe('the status API', () => {
  let dir: string | null = null;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = null;
  });

  it('serves /api/config without a tutor, and /api/progress without sessions that got no reply', async () => {
    dir = mkdtempSync(join(tmpdir(), 'localchat-status-api-'));
    const logger = pino({ level: 'silent' });
    const engines = new StaticEngineSet({ llm: new ScriptedLLM({ reply: 'Hi.' }), tts: new ToneTTS() });
    const config = loadConfig({ env: {}, configFile: join(dir, 'none.json'), flags: { dataDir: dir, llmApiKey: 'sk-secret-value' } });

    const bare = await buildApp({ engines, logger, config, version: '1.2.3' });
    const response = await bare.app.inject({ method: 'GET', url: '/api/config', headers: { host: 'localhost' } });
    expect(response.statusCode).toBe(200);
    expect(response.body).not.toContain('sk-secret-value');
    expect(response.json()).toMatchObject({ version: '1.2.3', engines: [{ kind: 'llm' }, { kind: 'tts' }], settings: { dataDir: dir, llmApiKey: '(set)' }, speed: 1 });
    await bare.app.close();

    const store = SafeStore.open({ dataDir: dir });
    const db = store.store!;
    const answered = db.createConversation({ title: 'Answered' });
    db.appendTurn({ conversationId: answered.id, id: 'u1', role: 'user', text: 'I goed to the park.', source: 'typed' });
    db.appendTurn({ conversationId: answered.id, id: 'a1', role: 'assistant', text: 'Oh, you went to the park!' });
    const failed = db.createConversation({ title: 'No LLM' });
    db.appendTurn({ conversationId: failed.id, id: 'u1', role: 'user', text: 'Hello, can you hear me?', source: 'typed' });
    db.appendTurn({ conversationId: failed.id, id: 'a1', role: 'assistant', text: '' });
    const unanswered = db.createConversation({ title: 'Still waiting' });
    db.appendTurn({ conversationId: unanswered.id, id: 'u1', role: 'user', text: 'Hello?', source: 'typed' });
    store.flush();
    expect(db.progress().sessions).toHaveLength(3);

    const tutor = new TutorService({ store, engines, logger });
    const { app } = await buildApp({ engines, logger, tutor });
    try {
      const progress = (await app.inject({ method: 'GET', url: '/api/progress', headers: { host: 'localhost' } })).json() as { sessions: { title: string }[] };
      expect(progress.sessions.map((session) => session.title)).toEqual(['Answered']);
      const withoutConfig = (await app.inject({ method: 'GET', url: '/api/config', headers: { host: 'localhost' } })).json() as { settings: unknown };
      expect(withoutConfig.settings).toBeNull();
    } finally {
      await app.close();
      store.close();
    }
  });
});
