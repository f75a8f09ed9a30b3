/**
 * ModelManager: one shared download for concurrent ensure() calls, abort semantics per caller,
 * status and events, local paths.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isAbortError, ModelLoadError } from '../../src/core/errors.js';
import type { CatalogEntry } from '../../src/models/catalog.js';
import type { ModelDownloadProgress } from '../../src/models/download.js';
import { ModelManager, type ModelStatus } from '../../src/models/model-manager.js';
import { startHubServer, type HubServer } from './hub-server.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const REPO = 'test-org/Voice-ONNX';
const REVISION = 'main';
const weights = randomBytes(700_000);
const config = Buffer.from('{"sample_rate":24000}');

const voice: CatalogEntry = {
  id: 'test-voice',
  kind: 'tts',
  description: 'test voice',
  repo: REPO,
  revision: REVISION,
  files: [
    { path: 'onnx/model_quantized.onnx', size: weights.length, sizeIsExact: true },
    { path: 'config.json', size: config.length, sizeIsExact: true },
  ],
  license: 'Apache-2.0',
};

let server: HubServer;
let modelsDir: string;

beforeAll(async () => {
  server = await startHubServer([
    { repo: REPO, revision: REVISION, path: 'onnx/model_quantized.onnx', content: weights, redirect: true },
    { repo: REPO, revision: REVISION, path: 'config.json', content: config },
  ]);
});

afterAll(async () => {
  await server.close();
});

beforeEach(async () => {
  modelsDir = await mkdtemp(join(tmpdir(), 'localchat-manager-'));
  server.requests.length = 0;
  server.behave('onnx/model_quantized.onnx', () => ({ chunkSize: 32 * 1024, chunkDelayMs: 5 }));
});

afterEach(async () => {
  await rm(modelsDir, { recursive: true, force: true });
});

function manager(): ModelManager {
  return new ModelManager({ modelsDir, endpoint: server.endpoint, retries: 0, progressIntervalMs: 50 });
}

describe('ModelManager.ensure', () => {
  it('downloads once for concurrent callers and reports status and progress', async () => {
    const models = manager();
    const statuses: ModelStatus[] = [];
    const progress: ModelDownloadProgress[] = [];
    models.on('status', (status) => statuses.push(status));
    models.on('progress', (event) => progress.push(event));

    const signal = new AbortController().signal;
    const paths = await Promise.all([models.ensure(voice, { signal }), models.ensure(voice, { signal }), models.ensure(voice, { signal })]);

    const directory = join(modelsDir, 'test-org', 'Voice-ONNX');
    expect(paths).toEqual([directory, directory, directory]);
    expect(server.contentRequests('onnx/model_quantized.onnx')).toHaveLength(1);
    expect(server.contentRequests('config.json')).toHaveLength(1);
    expect(sha256(await readFile(join(directory, 'onnx', 'model_quantized.onnx')))).toBe(sha256(weights));

    expect(statuses.map((status) => status.state)).toEqual(['downloading', 'ready']);
    expect(models.status()).toEqual([
      { id: 'test-voice', kind: 'tts', repo: REPO, state: 'ready', localPath: directory },
    ]);
    expect(progress.at(-1)).toMatchObject({ modelId: 'test-voice', modelDone: true });

    // Installed now: a later call neither downloads nor reports a download.
    server.requests.length = 0;
    expect(await models.ensure(voice, { signal })).toBe(directory);
    expect(server.requests).toEqual([]);
  });

  it('one caller aborting does not stop the download for the others', async () => {
    const models = manager();
    const leaving = new AbortController();
    const first = models.ensure(voice, { signal: leaving.signal });
    const second = models.ensure(voice, { signal: new AbortController().signal });
    setTimeout(() => leaving.abort(), 30);

    const [firstResult, secondResult] = await Promise.allSettled([first, second]);
    expect(firstResult.status).toBe('rejected');
    expect(isAbortError((firstResult as PromiseRejectedResult).reason)).toBe(true);
    expect(secondResult).toEqual({ status: 'fulfilled', value: join(modelsDir, 'test-org', 'Voice-ONNX') });
    expect(server.contentRequests('onnx/model_quantized.onnx')).toHaveLength(1);
  });

  it('stops when every caller aborts, keeps the .part, and resumes on the next ensure', async () => {
    const models = manager();
    const controller = new AbortController();
    models.on('progress', (event) => {
      if (event.downloadedBytes > 100_000) controller.abort();
    });
    // The caller's rejection is immediate; the shared download reports 'missing' once it stopped.
    const stopped = new Promise<ModelStatus>((resolve) =>
      models.on('status', (status) => status.state === 'missing' && resolve(status)),
    );
    const failure = await models.ensure(voice, { signal: controller.signal }).catch((error: unknown) => error);
    expect(isAbortError(failure)).toBe(true);
    expect((await stopped).message).toContain('resumes');
    const part = join(modelsDir, 'test-org', 'Voice-ONNX', 'onnx', 'model_quantized.onnx.part');
    const partSize = (await stat(part)).size;
    expect(partSize).toBeGreaterThan(0);

    models.removeAllListeners('progress');
    const path = await models.ensure(voice, { signal: new AbortController().signal });
    expect(server.contentRequests('onnx/model_quantized.onnx').at(-1)?.range).toMatch(/^bytes=\d+-$/);
    expect(sha256(await readFile(join(path, 'onnx', 'model_quantized.onnx')))).toBe(sha256(weights));
  });

  it('a new caller after a full abort gets a fresh download, not the cancelled one', async () => {
    const models = manager();
    const controller = new AbortController();
    const cancelled = models.ensure(voice, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(cancelled).rejects.toSatisfy(isAbortError);
    const path = await models.ensure(voice, { signal: new AbortController().signal });
    expect(sha256(await readFile(join(path, 'onnx', 'model_quantized.onnx')))).toBe(sha256(weights));
  });

  it('reports a failed download as an error status with the message', async () => {
    const models = manager();
    const missing: CatalogEntry = { ...voice, id: 'missing', files: [{ path: 'nope.onnx', sizeIsExact: false }] };
    await expect(models.ensure(missing, { signal: new AbortController().signal })).rejects.toMatchObject({
      code: 'model_not_found',
    });
    const status = models.statusOf('missing');
    expect(status?.state).toBe('error');
    expect(status?.message).toContain('HTTP 404');
  });

  it('a throwing listener does not break the download', async () => {
    const models = manager();
    models.on('progress', () => {
      throw new Error('listener bug');
    });
    await expect(models.ensure(voice, { signal: new AbortController().signal })).resolves.toContain('Voice-ONNX');
  });

  it('accepts references: a local path is returned as is, a missing one is a ModelLoadError', async () => {
    const models = manager();
    const local = join(modelsDir, 'my.gguf');
    await writeFile(local, 'GGUF');
    const signal = new AbortController().signal;
    expect(await models.ensure(local, { signal })).toBe(local);
    const failure = await models.ensure(join(modelsDir, 'absent.gguf'), { signal }).catch((error: unknown) => error);
    expect(ModelLoadError.isInstance(failure)).toBe(true);
  });

  it('downloads an hf: reference into the models directory', async () => {
    const models = manager();
    const path = await models.ensure(`hf:${REPO}/config.json`, { signal: new AbortController().signal });
    expect(path).toBe(join(modelsDir, 'test-org', 'Voice-ONNX', 'config.json'));
    expect((await readFile(path)).equals(config)).toBe(true);
  });
});
