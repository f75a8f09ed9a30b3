/**
 * The engine registry with real engines: an LLM named by a Hub reference downloads from a local
 * server in the Hub's URL layout (HF_ENDPOINT) and becomes ready; a missing or corrupt GGUF and a
 * missing Kokoro voice end in clear states naming the path and the fix, while eSpeak NG speaks.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { EngineStatus } from '../../src/core/engine-status.js';
import type { DownloadProgress } from '../../src/engines/engine-set.js';
import { EngineRegistry } from '../../src/engines/registry.js';
import { buildTinyGguf } from '../fixtures/gguf-builder.js';
import { type HubServer, startHubServer } from '../models/hub-server.js';

const noConfigFile = join(tmpdir(), 'localchat-no-config.json');
let hub: HubServer;
let savedEndpoint: string | undefined;
const registries: EngineRegistry[] = [];

function registry(flags: Record<string, unknown>): EngineRegistry {
  const modelsDir = mkdtempSync(join(tmpdir(), 'localchat-models-'));
  const config = loadConfig({ env: {}, flags: { modelsDir, threads: 1, contextSize: 512, ...flags }, configFile: noConfigFile });
  const engines = new EngineRegistry({ config, logger: pino({ level: 'silent' }) });
  registries.push(engines);
  return engines;
}

beforeAll(async () => {
  const gguf = readFileSync(await buildTinyGguf());
  hub = await startHubServer([{ repo: 'test-org/tiny-GGUF', revision: 'main', path: 'tiny-q8_0.gguf', content: gguf, redirect: true }]);
  savedEndpoint = process.env.HF_ENDPOINT;
  process.env.HF_ENDPOINT = hub.endpoint;
});
afterEach(async () => {
  await Promise.all(registries.splice(0).map((engines) => engines.dispose()));
});
afterAll(async () => {
  if (savedEndpoint === undefined) delete process.env.HF_ENDPOINT;
  else process.env.HF_ENDPOINT = savedEndpoint;
  await hub?.close();
});

describe('EngineRegistry', () => {
  it('downloads an LLM named by a Hub reference, reports progress, and gets ready', async () => {
    const engines = registry({ model: 'hf:test-org/tiny-GGUF/tiny-q8_0.gguf', tts: 'espeak' });
    const states: EngineStatus['state'][] = [];
    const downloads: DownloadProgress[] = [];
    engines.on('status', (status) => states.push(status[0]!.state));
    engines.on('download', (progress) => downloads.push(progress));
    expect(engines.status()[0]?.state).toBe('loading');
    await engines.start();
    expect(states).toContain('downloading');
    expect(states.at(-1)).toBe('ready');
    expect(downloads.length).toBeGreaterThan(0);
    expect(downloads.at(-1)?.downloadedBytes).toBe(downloads.at(-1)?.totalBytes);
    expect(engines.llm().provider).toBe('llama-cpp');
    const parts: string[] = [];
    for await (const part of engines.llm().stream({ messages: [{ role: 'user', content: 'hi' }], maxTokens: 8 }, { signal: AbortSignal.timeout(20_000) })) parts.push(part.type);
    expect(parts.at(-1)).toBe('finish');
    expect(engines.tts().provider).toBe('espeak');
  });

  it('names the missing GGUF path and the fix; replies explain it', async () => {
    const missing = join(tmpdir(), 'no-such-model.gguf');
    const engines = registry({ model: missing, tts: 'espeak' });
    await engines.start();
    const [llm] = engines.status();
    expect(llm?.state).toBe('error');
    expect(llm?.message).toContain(missing);
    expect(llm?.message).toMatch(/--model/);
    await expect(async () => {
      for await (const _ of engines.llm().stream({ messages: [] }, { signal: new AbortController().signal })) void _;
    }).rejects.toThrow(/no language model|does not exist/);
    expect(engines.llmHint()).toMatch(/GGUF|LM Studio/);
  });

  it('reports a corrupt GGUF as an error naming the file', async () => {
    const corrupt = join(mkdtempSync(join(tmpdir(), 'localchat-corrupt-')), 'broken.gguf');
    writeFileSync(corrupt, Buffer.concat([Buffer.from('GGUF'), Buffer.alloc(4096, 7)]));
    const engines = registry({ model: corrupt, tts: 'espeak' });
    await engines.start();
    const [llm] = engines.status();
    expect(llm?.state).toBe('error');
    expect(llm?.message).toContain(corrupt);
  });

  it('speaks with eSpeak NG when Kokoro is missing and downloads are off, saying how to get it', async () => {
    const engines = registry({ model: join(tmpdir(), 'none.gguf'), tts: 'kokoro', download: false });
    await engines.start();
    const tts = engines.status()[1]!;
    expect(tts).toMatchObject({ kind: 'tts', provider: 'kokoro', state: 'error' });
    expect(tts.message).toMatch(/models pull kokoro-82m/);
    expect(engines.tts().provider).toBe('espeak');
    expect(engines.fallbackTts()).toBeNull();
  });
});
