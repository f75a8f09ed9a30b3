import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_KEYS, configSchema, llmProvider, loadConfig, ttsProvider } from './config.js';
import { ConfigError } from './core/errors.js';

const noFile = join(tmpdir(), 'localchat-no-such-config.json');

describe('loadConfig', () => {
  it('uses the defaults: loopback, port 8000, kokoro, llama-cpp', () => {
    const config = loadConfig({ env: {}, configFile: noFile });
    expect(config.host).toBe('127.0.0.1');
    expect(config.port).toBe(8000);
    expect(ttsProvider(config)).toBe('kokoro');
    expect(llmProvider(config)).toBe('llama-cpp');
  });

  it('orders flags > env > file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'localchat-config-'));
    const file = join(dir, 'localchat.config.json');
    writeFileSync(file, JSON.stringify({ port: 9001, voice: 'bf_emma', speed: 1.2 }));
    const config = loadConfig({ env: { PORT: '9002', LOCALCHAT_VOICE: 'am_michael' }, flags: { port: 9003 }, configFile: file });
    expect(config.port).toBe(9003);
    expect(config.voice).toBe('am_michael');
    expect(config.speed).toBe(1.2);
  });

  it('names the key, the source and what is allowed on an invalid value', () => {
    expect(() => loadConfig({ env: { PORT: 'eighty' }, configFile: noFile })).toThrow(ConfigError);
    try {
      loadConfig({ env: { PORT: 'eighty' }, configFile: noFile });
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain('"port"');
      expect(message).toContain('PORT');
      expect(message.split('\n')).toHaveLength(1);
      expect((error as ConfigError).key).toBe('port');
    }
    expect(() => loadConfig({ flags: { tts: 'festival' }, env: {}, configFile: noFile })).toThrow(/"tts".*--tts/);
    expect(() => loadConfig({ flags: { speed: 3 }, env: {}, configFile: noFile })).toThrow(/"speed"/);
  });

  it('rejects unknown keys and bad JSON in the config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'localchat-config-'));
    const file = join(dir, 'localchat.config.json');
    writeFileSync(file, JSON.stringify({ prot: 1 }));
    expect(() => loadConfig({ env: {}, configFile: file })).toThrow(/Unknown key "prot"/);
    writeFileSync(file, '{ nope');
    expect(() => loadConfig({ env: {}, configFile: file })).toThrow(/not valid JSON/);
  });

  it('picks openai-compatible when a base URL is set, and needs one when asked for', () => {
    const config = loadConfig({ env: { LOCALCHAT_LLM_BASE_URL: 'http://localhost:1234/v1' }, configFile: noFile });
    expect(llmProvider(config)).toBe('openai-compatible');
    expect(() => loadConfig({ flags: { llm: 'openai-compatible' }, env: {}, configFile: noFile })).toThrow(/base URL/);
  });

  it('parses booleans and lists from the environment', () => {
    const config = loadConfig({ env: { LOCALCHAT_TLS: 'true', LOCALCHAT_ALLOWED_HOSTS: 'tutor.lan, box.local' }, configFile: noFile });
    expect(config.tls).toBe(true);
    expect(config.allowedHosts).toEqual(['tutor.lan', 'box.local']);
  });

  it('has an environment variable for every key', () => {
    expect(Object.keys(ENV_KEYS).sort()).toEqual(Object.keys(configSchema.shape).sort());
  });
});
