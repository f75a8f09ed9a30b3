/**
 * The downloader against a local server in the Hub's URL layout: success with a CDN redirect,
 * resume after a cut, a server that ignores Range, 404, unreachable host, wrong sizes, abort,
 * HF_ENDPOINT, progress.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { mkdtemp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { isAbortError } from '../../src/core/errors.js';
import type { CatalogEntry } from '../../src/models/catalog.js';
import {
  downloadHubFile,
  downloadModel,
  hubEndpoint,
  hubFileUrl,
  ModelDownloadError,
  type ModelDownloadProgress,
} from '../../src/models/download.js';
import { isInstalled, modelFilePath } from '../../src/models/models-dir.js';
import { startHubServer, type HubServer } from './hub-server.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

const weights = randomBytes(1_500_000);
const tokenizer = Buffer.from(JSON.stringify({ model: { vocab: { a: 0, b: 1 } } }));
const slowFile = randomBytes(800_000);
const biggerThanCatalog = randomBytes(300_100);
const chunkedBig = randomBytes(300_100);
const approximate = randomBytes(200_000);
const verified = randomBytes(400_000);
/** Served with one byte changed in the middle: same size, another SHA-256. */
const corrupted = Buffer.from(verified);
corrupted[200_000] = corrupted[200_000]! ^ 0x01;
const smallConfig = Buffer.from('{"sample_rate": 24000}\n');
const gitBlobId = (data: Buffer) => createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');

const REPO = 'test-org/Tiny-Model-GGUF';
const REVISION = '0123456789abcdef0123456789abcdef01234567';

function entry(id: string, files: CatalogEntry['files'], repo = REPO): CatalogEntry {
  return { id, kind: 'llm', description: 'test model', repo, revision: REVISION, files, license: 'MIT' };
}

const multiFile = entry('multi', [
  { path: 'onnx/model.onnx', size: weights.length, sizeIsExact: true },
  { path: 'tokenizer.json', size: tokenizer.length, sizeIsExact: true },
]);

let server: HubServer;
let modelsDir: string;
const fastRetry = { retries: 0, retryDelayMs: 10, progressIntervalMs: 0 };

beforeAll(async () => {
  server = await startHubServer([
    { repo: REPO, revision: REVISION, path: 'onnx/model.onnx', content: weights, redirect: true },
    { repo: REPO, revision: REVISION, path: 'tokenizer.json', content: tokenizer },
    { repo: REPO, revision: REVISION, path: 'slow.gguf', content: slowFile, redirect: true },
    { repo: REPO, revision: REVISION, path: 'bigger.gguf', content: biggerThanCatalog },
    { repo: REPO, revision: REVISION, path: 'chunked.gguf', content: chunkedBig },
    { repo: REPO, revision: REVISION, path: 'approximate.gguf', content: approximate, redirect: true },
    { repo: REPO, revision: REVISION, path: 'verified.gguf', content: verified, redirect: true },
    { repo: REPO, revision: REVISION, path: 'corrupted.gguf', content: corrupted, redirect: true },
    { repo: REPO, revision: REVISION, path: 'config.json', content: smallConfig },
  ]);
  server.behave('chunked.gguf', () => ({ omitContentLength: true }));
});

afterAll(async () => {
  await server.close();
});

beforeEach(async () => {
  modelsDir = await mkdtemp(join(tmpdir(), 'localchat-models-'));
  server.requests.length = 0;
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await rm(modelsDir, { recursive: true, force: true });
});

describe('hubFileUrl / hubEndpoint', () => {
  it('builds the resolve URL with an encoded revision and path', () => {
    expect(hubFileUrl('Qwen/Repo-GGUF', 'refs/pr/1', 'sub dir/file.gguf', 'https://hub.example/')).toBe(
      'https://hub.example/Qwen/Repo-GGUF/resolve/refs%2Fpr%2F1/sub%20dir/file.gguf',
    );
  });

  it('reads HF_ENDPOINT, defaulting to huggingface.co', () => {
    expect(hubEndpoint({})).toBe('https://huggingface.co');
    expect(hubEndpoint({ HF_ENDPOINT: 'https://mirror.example/' })).toBe('https://mirror.example');
  });
});

describe('integrity (SHA-256 / Git blob id)', () => {
  const signal = () => new AbortController().signal;

  it('accepts a file whose SHA-256 and Git blob id match, with no warning', async () => {
    const warn = vi.fn();
    const checked = entry('checked', [
      { path: 'verified.gguf', size: verified.length, sizeIsExact: true, sha256: sha256(verified) },
      { path: 'config.json', size: smallConfig.length, sizeIsExact: true, gitSha1: gitBlobId(smallConfig) },
    ]);
    const path = await downloadModel(checked, { modelsDir, endpoint: server.endpoint, signal: signal(), warn });
    expect((await readFile(join(path, 'verified.gguf'))).equals(verified)).toBe(true);
    expect(warn).not.toHaveBeenCalled();
  });

  it('catches one corrupted byte: refuses the file, deletes it, and says what to do', async () => {
    const model = entry('corrupt', [{ path: 'corrupted.gguf', size: corrupted.length, sizeIsExact: true, sha256: sha256(verified) }]);
    const error = await downloadModel(model, { ...fastRetry, modelsDir, endpoint: server.endpoint, signal: signal() }).catch((caught: unknown) => caught);
    expect(ModelDownloadError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'model_checksum_mismatch', retryable: false, file: 'corrupted.gguf' });
    expect((error as Error).message).toContain(sha256(verified));
    expect((error as Error).message).toContain(sha256(corrupted));
    const destination = modelFilePath(model, 'corrupted.gguf', modelsDir);
    expect(await exists(destination)).toBe(false);
    expect(await exists(`${destination}.part`)).toBe(false);
    expect(await isInstalled(model, modelsDir)).toBe(false);
  });

  it('catches a wrong Git blob id on a small file', async () => {
    const model = entry('bad-blob', [{ path: 'config.json', size: smallConfig.length, sizeIsExact: true, gitSha1: gitBlobId(Buffer.from('something else')) }]);
    await expect(downloadModel(model, { ...fastRetry, modelsDir, endpoint: server.endpoint, signal: signal() })).rejects.toMatchObject({ code: 'model_checksum_mismatch' });
  });

  it('accepts a file without a digest, or at a branch, only with a warning', async () => {
    const warn = vi.fn();
    const unpinned = { ...entry('unpinned', [{ path: 'config.json', size: smallConfig.length, sizeIsExact: true }]), repo: 'test-org/Unpinned', revision: 'main' };
    const server2 = await startHubServer([{ repo: 'test-org/Unpinned', revision: 'main', path: 'config.json', content: smallConfig }]);
    try {
      await downloadModel(unpinned, { modelsDir, endpoint: server2.endpoint, signal: signal(), warn });
    } finally {
      await server2.close();
    }
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toMatch(/without an integrity check.*revision "main" is a branch.*no SHA-256/);
  });
});

describe('downloadModel', () => {
  it('downloads every file, following the CDN redirect, with a final progress event', async () => {
    const events: ModelDownloadProgress[] = [];
    const path = await downloadModel(multiFile, {
      modelsDir,
      endpoint: server.endpoint,
      signal: new AbortController().signal,
      onProgress: (progress) => events.push(progress),
    });

    expect(path).toBe(join(modelsDir, 'test-org', 'Tiny-Model-GGUF'));
    expect(sha256(await readFile(join(path, 'onnx', 'model.onnx')))).toBe(sha256(weights));
    expect((await readFile(join(path, 'tokenizer.json'))).equals(tokenizer)).toBe(true);
    expect(await exists(join(path, 'onnx', 'model.onnx.part'))).toBe(false);
    expect(await isInstalled(multiFile, modelsDir)).toBe(true);
    expect(server.requests.map((request) => request.status)).toEqual([302, 200, 200]);

    const last = events.at(-1)!;
    expect(last).toMatchObject({ modelId: 'multi', fileIndex: 1, fileCount: 2, done: true, modelDone: true });
    expect(last.modelDownloadedBytes).toBe(weights.length + tokenizer.length);
    expect(last.modelTotalBytes).toBe(weights.length + tokenizer.length);
    expect(events.filter((event) => event.modelDone)).toHaveLength(1);
    for (const event of events) {
      expect(event.downloadedBytes).toBeLessThanOrEqual(event.totalBytes!);
      expect(event.bytesPerSecond).toBeGreaterThanOrEqual(0);
    }
  });

  it('skips files that are already complete', async () => {
    const options = { modelsDir, endpoint: server.endpoint, signal: new AbortController().signal };
    await downloadModel(multiFile, options);
    server.requests.length = 0;
    await downloadModel(multiFile, options);
    expect(server.requests).toEqual([]);
  });

  it('honours HF_ENDPOINT when no endpoint is given', async () => {
    vi.stubEnv('HF_ENDPOINT', `${server.endpoint}/`);
    const path = await downloadModel(entry('env', [{ path: 'tokenizer.json', size: tokenizer.length, sizeIsExact: true }]), {
      modelsDir,
      signal: new AbortController().signal,
    });
    expect((await readFile(path)).equals(tokenizer)).toBe(true);
    expect(server.requests).toHaveLength(1);
  });

  it('checks an approximate size only against Content-Length', async () => {
    const approx = entry('approx', [{ path: 'approximate.gguf', size: 190_000, sizeIsExact: false }]);
    const path = await downloadModel(approx, { modelsDir, endpoint: server.endpoint, signal: new AbortController().signal });
    expect(sha256(await readFile(path))).toBe(sha256(approximate));
  });

  it('ignores errors thrown by the progress callback', async () => {
    const path = await downloadModel(multiFile, {
      modelsDir,
      endpoint: server.endpoint,
      signal: new AbortController().signal,
      progressIntervalMs: 0,
      onProgress: () => {
        throw new Error('display bug');
      },
    });
    expect(sha256(await readFile(join(path, 'onnx', 'model.onnx')))).toBe(sha256(weights));
  });

  it('sends a bearer token when one is given', async () => {
    const single = entry('token', [{ path: 'tokenizer.json', size: tokenizer.length, sizeIsExact: true }]);
    await downloadModel(single, { modelsDir, endpoint: server.endpoint, token: 'hf_test', signal: new AbortController().signal });
    expect(server.requests[0]!.authorization).toBe('Bearer hf_test');
  });
});

describe('downloadHubFile resume', () => {
  const file = { path: 'onnx/model.onnx', size: weights.length, sizeIsExact: true };
  const destination = () => join(modelsDir, 'model.onnx');
  const options = () => ({
    ...fastRetry,
    repo: REPO,
    revision: REVISION,
    file,
    destination: destination(),
    endpoint: server.endpoint,
    signal: new AbortController().signal,
  });

  afterEach(() => server.behave('onnx/model.onnx', () => undefined));

  it('keeps a short .part after a cut and resumes it with Range on the next call', async () => {
    server.behave('onnx/model.onnx', (attempt) => (attempt === 0 ? { cutAfterBytes: 600_000 } : undefined));

    const failure = await downloadHubFile(options()).catch((error: unknown) => error);
    expect(ModelDownloadError.isInstance(failure)).toBe(true);
    expect(failure).toMatchObject({ code: 'download_interrupted', retryable: true });
    expect(await exists(destination())).toBe(false);
    const partSize = (await stat(`${destination()}.part`)).size;
    expect(partSize).toBeGreaterThan(0);
    expect(partSize).toBeLessThan(weights.length);

    const result = await downloadHubFile(options());
    expect(result).toMatchObject({ downloaded: true, sizeBytes: weights.length });
    const contentRequests = server.contentRequests('onnx/model.onnx');
    expect(contentRequests).toHaveLength(2);
    expect(contentRequests[1]).toMatchObject({ range: `bytes=${partSize}-`, status: 206 });
    expect(sha256(await readFile(destination()))).toBe(sha256(weights));
    expect(await exists(`${destination()}.part`)).toBe(false);
  });

  it('retries a cut transfer by itself, resuming', async () => {
    server.behave('onnx/model.onnx', (attempt) => (attempt === 0 ? { cutAfterBytes: 300_000 } : undefined));
    await downloadHubFile({ ...options(), retries: 1 });
    const contentRequests = server.contentRequests('onnx/model.onnx');
    expect(contentRequests.map((request) => request.status)).toEqual([200, 206]);
    expect(sha256(await readFile(destination()))).toBe(sha256(weights));
  });

  it('starts again from byte 0 when the server ignores Range', async () => {
    server.behave('onnx/model.onnx', () => ({ ignoreRange: true }));
    await mkdir(modelsDir, { recursive: true });
    await writeFile(`${destination()}.part`, randomBytes(1000)); // wrong bytes: must not survive
    await downloadHubFile(options());
    expect(server.contentRequests('onnx/model.onnx')[0]).toMatchObject({ range: 'bytes=1000-', status: 200 });
    expect(sha256(await readFile(destination()))).toBe(sha256(weights));
  });

  it('finishes a whole .part when the server answers 416', async () => {
    await writeFile(`${destination()}.part`, weights);
    const unknownSize = { path: 'onnx/model.onnx', sizeIsExact: false };
    await downloadHubFile({ ...options(), file: unknownSize });
    expect(server.contentRequests('onnx/model.onnx')[0]).toMatchObject({ status: 416 });
    expect(sha256(await readFile(destination()))).toBe(sha256(weights));
  });

  it('deletes a .part larger than the catalog size and downloads afresh', async () => {
    await writeFile(`${destination()}.part`, randomBytes(weights.length + 10));
    await downloadHubFile(options());
    expect(server.contentRequests('onnx/model.onnx')[0]).toMatchObject({ range: undefined, status: 200 });
    expect(sha256(await readFile(destination()))).toBe(sha256(weights));
  });
});

describe('downloadHubFile failures', () => {
  const signal = () => new AbortController().signal;

  it('404: names the repository and file and says what to do', async () => {
    const destination = join(modelsDir, 'missing.gguf');
    const failure = await downloadHubFile({
      ...fastRetry,
      repo: REPO,
      revision: REVISION,
      file: { path: 'missing.gguf', sizeIsExact: false },
      destination,
      endpoint: server.endpoint,
      signal: signal(),
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ModelDownloadError);
    const error = failure as ModelDownloadError;
    expect(error).toMatchObject({ code: 'model_not_found', status: 404, retryable: false, repo: REPO, file: 'missing.gguf' });
    expect(error.message).toContain(`${REPO}/missing.gguf`);
    expect(error.message).toContain('HF_ENDPOINT');
    expect(error.message).toContain('local file path');
    expect(await exists(destination)).toBe(false);
    expect(await exists(`${destination}.part`)).toBe(false);
  });

  it('unreachable host: says the Hub cannot be reached and how to work offline', async () => {
    const port = await closedPort();
    const failure = await downloadHubFile({
      ...fastRetry,
      repo: REPO,
      revision: REVISION,
      file: { path: 'tokenizer.json', sizeIsExact: false },
      destination: join(modelsDir, 'tokenizer.json'),
      endpoint: `http://127.0.0.1:${port}`,
      signal: signal(),
    }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'hub_unreachable', retryable: false });
    expect((failure as Error).message).toMatch(/Cannot reach the Hugging Face Hub at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    expect((failure as Error).message).toContain('offline');
  });

  it('wrong announced size: rejects, leaves no final file and no .part', async () => {
    const wrongEntry = entry('wrong', [{ path: 'bigger.gguf', size: 300_000, sizeIsExact: true }]);
    const failure = await downloadModel(wrongEntry, {
      ...fastRetry,
      modelsDir,
      endpoint: server.endpoint,
      signal: signal(),
    }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'model_size_mismatch', retryable: false });
    expect((failure as Error).message).toContain('300100');
    const finalPath = modelFilePath(wrongEntry, 'bigger.gguf', modelsDir);
    expect(await exists(finalPath)).toBe(false);
    expect(await exists(`${finalPath}.part`)).toBe(false);
    expect(await isInstalled(wrongEntry, modelsDir)).toBe(false);
  });

  it('wrong size without Content-Length: stops at the catalog size and deletes the .part', async () => {
    const wrongEntry = entry('chunked', [{ path: 'chunked.gguf', size: 300_000, sizeIsExact: true }]);
    const failure = await downloadModel(wrongEntry, {
      ...fastRetry,
      modelsDir,
      endpoint: server.endpoint,
      signal: signal(),
    }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'model_size_mismatch' });
    const finalPath = modelFilePath(wrongEntry, 'chunked.gguf', modelsDir);
    expect(await exists(finalPath)).toBe(false);
    expect(await exists(`${finalPath}.part`)).toBe(false);
  });

  it('a catalog size larger than the file: rejects on the announced size', async () => {
    const wrongEntry = entry('short', [{ path: 'bigger.gguf', size: 400_000, sizeIsExact: true }]);
    const failure = await downloadModel(wrongEntry, { ...fastRetry, modelsDir, endpoint: server.endpoint, signal: signal() }).catch(
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({ code: 'model_size_mismatch' });
    expect(await exists(`${modelFilePath(wrongEntry, 'bigger.gguf', modelsDir)}.part`)).toBe(false);
  });
});

describe('transient failures', () => {
  const file = { path: 'slow.gguf', size: slowFile.length, sizeIsExact: true };
  afterEach(() => server.behave('slow.gguf', () => undefined));

  it('drops a stalled connection as an interrupted, retryable download', async () => {
    server.behave('slow.gguf', () => ({ chunkSize: 64 * 1024, chunkDelayMs: 2000 }));
    const destination = join(modelsDir, 'slow.gguf');
    const failure = await downloadHubFile({
      ...fastRetry,
      repo: REPO,
      revision: REVISION,
      file,
      destination,
      endpoint: server.endpoint,
      stallTimeoutMs: 200,
      signal: new AbortController().signal,
    }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'download_interrupted', retryable: true });
    expect((failure as Error).message).toContain('no data for 200 ms');
    expect(await exists(destination)).toBe(false);
  });

  it('retries a 503 and succeeds', async () => {
    server.behave('slow.gguf', (attempt) => (attempt === 0 ? { errorStatus: 503 } : undefined));
    const destination = join(modelsDir, 'slow.gguf');
    await downloadHubFile({
      ...fastRetry,
      retries: 1,
      repo: REPO,
      revision: REVISION,
      file,
      destination,
      endpoint: server.endpoint,
      signal: new AbortController().signal,
    });
    expect(server.contentRequests('slow.gguf').map((request) => request.status)).toEqual([503, 200]);
    expect(sha256(await readFile(destination))).toBe(sha256(slowFile));
  });
});

describe('abort', () => {
  afterEach(() => server.behave('slow.gguf', () => undefined));

  it('stops mid-download with an AbortError, keeps the .part, and a later call resumes', async () => {
    server.behave('slow.gguf', () => ({ chunkSize: 16 * 1024, chunkDelayMs: 15 }));
    const slow = entry('slow', [{ path: 'slow.gguf', size: slowFile.length, sizeIsExact: true }]);
    const controller = new AbortController();
    const failure = await downloadModel(slow, {
      ...fastRetry,
      modelsDir,
      endpoint: server.endpoint,
      signal: controller.signal,
      onProgress: (progress) => {
        if (progress.downloadedBytes >= 100_000) controller.abort();
      },
    }).catch((error: unknown) => error);
    expect(isAbortError(failure)).toBe(true);
    const finalPath = modelFilePath(slow, 'slow.gguf', modelsDir);
    expect(await exists(finalPath)).toBe(false);
    const partSize = (await stat(`${finalPath}.part`)).size;
    expect(partSize).toBeGreaterThan(0);
    expect(partSize).toBeLessThan(slowFile.length);

    server.behave('slow.gguf', () => undefined);
    await downloadModel(slow, { ...fastRetry, modelsDir, endpoint: server.endpoint, signal: new AbortController().signal });
    expect(server.contentRequests('slow.gguf').at(-1)).toMatchObject({ range: `bytes=${partSize}-`, status: 206 });
    expect(sha256(await readFile(finalPath))).toBe(sha256(slowFile));
  });

  it('rejects at once when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const failure = await downloadModel(multiFile, { modelsDir, endpoint: server.endpoint, signal: controller.signal }).catch(
      (error: unknown) => error,
    );
    expect(isAbortError(failure)).toBe(true);
    expect(server.requests).toEqual([]);
  });
});

describe('progress', () => {
  afterEach(() => server.behave('slow.gguf', () => undefined));

  it('is throttled to the interval, with one final event', async () => {
    server.behave('slow.gguf', () => ({ chunkSize: 8 * 1024, chunkDelayMs: 5 }));
    const slow = entry('slow', [{ path: 'slow.gguf', size: slowFile.length, sizeIsExact: true }]);
    const events: ModelDownloadProgress[] = [];
    await downloadModel(slow, {
      modelsDir,
      endpoint: server.endpoint,
      signal: new AbortController().signal,
      progressIntervalMs: 100,
      onProgress: (progress) => events.push(progress),
    });
    const chunks = Math.ceil(slowFile.length / (8 * 1024));
    expect(events.length).toBeGreaterThan(2);
    expect(events.length).toBeLessThan(chunks / 2);
    const last = events.at(-1)!;
    expect(last).toMatchObject({ done: true, downloadedBytes: slowFile.length, totalBytes: slowFile.length, etaSeconds: 0 });
    expect(last.bytesPerSecond).toBeGreaterThan(0);
    const middle = events.find((event) => !event.done && event.bytesPerSecond > 0);
    expect(middle?.etaSeconds).toBeGreaterThan(0);
  });
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
