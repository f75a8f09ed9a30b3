/**
 * `.env.example` is generated from the zod config schema (scripts/env-example.ts): it must be up
 * to date, name every key's environment variable, and its defaults must load as the defaults.
 */
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ENV_KEYS, configSchema, loadConfig } from '../../src/config.js';
import { ENV_EXAMPLE_PATH, renderEnvExample } from '../../scripts/env-example.js';

const text = readFileSync(ENV_EXAMPLE_PATH, 'utf8');

describe('.env.example', () => {
  it('is what the config schema gives (run `npm run env-example` after changing src/config.ts)', () => {
    expect(text).toBe(renderEnvExample());
  });

  it('names the environment variable of every config key, once', () => {
    const assigned = [...text.matchAll(/^# ([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]);
    const expected = Object.keys(configSchema.shape).map((key) => ENV_KEYS[key as keyof typeof ENV_KEYS]);
    expect(assigned.sort()).toEqual([...expected].sort());
    for (const name of ['LOCALCHAT_TOKEN', 'LOCALCHAT_TTS_BASE_URL', 'LOCALCHAT_STT_MODEL']) expect(assigned).toContain(name);
  });

  it('gives, uncommented, exactly the defaults', () => {
    const uncommented = text.replace(/^# ([A-Z][A-Z0-9_]*=.*)$/gm, '$1');
    const env = parseEnv(uncommented) as NodeJS.ProcessEnv;
    expect(env.PORT).toBe('8000');
    expect(loadConfig({ env, configFile: '/nonexistent/localchat.config.json' })).toEqual(loadConfig({ env: {}, configFile: '/nonexistent/localchat.config.json' }));
  });
});
