/**
 * Downloads model files from the Hugging Face Hub (or the mirror `HF_ENDPOINT` names) into the
 * models directory: streamed to `<file>.part`, resumed with an HTTP Range request, checked
 * against the catalog size and Content-Length and the catalog SHA-256 (or Git blob id), then
 * renamed to the final name. A failed or cut
 * download therefore never leaves a file that passes for a model.
 *
 * URL layout (the Hub's, also what huggingface_hub and node-llama-cpp use):
 * `<endpoint>/<owner>/<repo>/resolve/<revision>/<path>`; the Hub answers large (LFS) files with a
 * redirect to its CDN, which fetch follows (a Range header survives the redirect).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat, statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { LocalChatError } from '../core/errors.js';
import type { CallOptions } from '../core/call-options.js';
import { abortError, throwIfAborted } from './abort.js';
import type { CatalogEntry, ModelFile } from './catalog.js';
import { isFileComplete, localPath, modelFilePath, PART_SUFFIX, resolveModelsDir } from './models-dir.js';

/** The Hub's default host. */
export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

/** Progress of one file. Sent at most every `progressIntervalMs`, and once with `done: true`. */
export interface DownloadProgress {
  /** Path of the file inside its repository. */
  file: string;
  /** Bytes of the file on disk so far (a resumed download starts at the `.part` size). */
  downloadedBytes: number;
  /** Size of the file in bytes: the server's, else the catalog's estimate; undefined if unknown. */
  totalBytes: number | undefined;
  /** Transfer rate over the last few seconds, bytes per second (0 until measured). */
  bytesPerSecond: number;
  /** Seconds left at the current rate; undefined while the rate or the total is unknown. */
  etaSeconds: number | undefined;
  /** True on the last event for this file: it is complete at its final path. */
  done: boolean;
}

/** Progress of a whole model (`downloadModel`): the current file's progress plus totals. */
export interface ModelDownloadProgress extends DownloadProgress {
  modelId: string;
  /** Index of the current file in `entry.files`, 0-based. */
  fileIndex: number;
  fileCount: number;
  /** Bytes on disk over all the model's files. */
  modelDownloadedBytes: number;
  /** Size of all the model's files in bytes; undefined while any file's size is unknown. */
  modelTotalBytes: number | undefined;
  /** Seconds left for the whole model at the current rate; undefined when unknown. */
  modelEtaSeconds: number | undefined;
  /** True on the very last event: every file of the model is complete. */
  modelDone: boolean;
}

/** Why a download failed. */
export type ModelDownloadErrorCode =
  /** HTTP 404: no such repository, revision or file. */
  | 'model_not_found'
  /** HTTP 401/403: private or gated repository (the Hub also answers 401 for unknown repositories). */
  | 'model_access_denied'
  /** No connection to the endpoint (DNS failure, refused, offline). */
  | 'hub_unreachable'
  /** Any other HTTP error status. */
  | 'download_http_error'
  /** The connection broke or stalled mid-file; the `.part` file is kept for a resume. */
  | 'download_interrupted'
  /** The server's file is not the size the catalog says (or sent more than it announced); discarded. */
  | 'model_size_mismatch'
  /** Not enough free disk space, or ENOSPC while writing. */
  | 'disk_full'
  /** Reading or writing the local file failed. */
  | 'download_io_error'
  /** The file's SHA-256 (or Git blob id) is not the catalog's: corrupted or replaced; discarded. */
  | 'model_checksum_mismatch';

/**
 * A model download failed. `message` says what happened and what to do; `fix` is the second
 * part alone. `retryable` is true when trying again soon may succeed (5xx, 408, 429, a cut or
 * stalled connection), in which case a `.part` file may be resumed.
 */
export class ModelDownloadError extends LocalChatError {
  declare readonly code: ModelDownloadErrorCode;
  /** Hub repository, `owner/name`. */
  readonly repo: string;
  /** Path of the file inside the repository. */
  readonly file: string;
  readonly url: string;
  /** HTTP status, when the server answered. */
  readonly status: number | undefined;
  readonly fix: string;
  readonly retryable: boolean;
  constructor(
    code: ModelDownloadErrorCode,
    problem: string,
    details: { repo: string; file: string; url: string; fix: string; status?: number; retryable?: boolean; cause?: unknown },
  ) {
    super(code, `${problem} ${details.fix}`, { cause: details.cause });
    this.name = 'ModelDownloadError';
    this.repo = details.repo;
    this.file = details.file;
    this.url = details.url;
    this.status = details.status;
    this.fix = details.fix;
    this.retryable = details.retryable ?? false;
  }
  static isInstance(error: unknown): error is ModelDownloadError {
    return error instanceof Error && error.name === 'ModelDownloadError';
  }
}

/** The Hub endpoint: `HF_ENDPOINT` (the Hub's standard variable) or https://huggingface.co, no trailing `/`. */
export function hubEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  return (env.HF_ENDPOINT?.trim() || DEFAULT_HUB_ENDPOINT).replace(/\/+$/, '');
}

/**
 * `<endpoint>/<repo>/resolve/<revision>/<path>`, with the revision and each path segment
 * URL-encoded (so `refs/pr/1` becomes `refs%2Fpr%2F1`, as the Hub expects).
 */
export function hubFileUrl(repo: string, revision: string, path: string, endpoint: string = hubEndpoint()): string {
  const encodedPath = path.split('/').map(encodeURIComponent).join('/');
  return `${endpoint.replace(/\/+$/, '')}/${repo}/resolve/${encodeURIComponent(revision)}/${encodedPath}`;
}

/** Options shared by `downloadHubFile` and `downloadModel`. */
export interface DownloadTuning {
  /** Hub host; default `hubEndpoint()` (reads `HF_ENDPOINT` at call time). */
  endpoint?: string;
  /** Bearer token for private or gated repositories; default `HF_TOKEN`. Not sent when empty. */
  token?: string;
  /** Extra attempts after a retryable failure, each resuming from the `.part`; default 2. */
  retries?: number;
  /** Wait before retry n (1-based) is `retryDelayMs * n`, in ms; default 1000. */
  retryDelayMs?: number;
  /** Minimum ms between progress events of a file; default 100. The final event is always sent. */
  progressIntervalMs?: number;
  /** A connection that delivers no byte for this many ms is dropped and retried; default 60000. */
  stallTimeoutMs?: number;
  /**
   * Told once per file when a download cannot be verified (no `sha256`/`gitSha1` in the catalog,
   * or a revision that is a branch rather than a commit). Default: `process.emitWarning`.
   */
  warn?: (message: string) => void;
}

/** Options of `downloadHubFile`. */
export interface DownloadHubFileOptions extends CallOptions, DownloadTuning {
  /** Hub repository, `owner/name`. */
  repo: string;
  /** Branch, tag or commit hash. */
  revision: string;
  /** The file, with its catalog size. */
  file: ModelFile;
  /** Final local path; the download goes to `<destination>.part` first. */
  destination: string;
  /** Called with throttled progress; errors it throws are ignored. */
  onProgress?: (progress: DownloadProgress) => void;
}

/** Result of `downloadHubFile`. */
export interface DownloadedFile {
  path: string;
  sizeBytes: number;
  /** False when the file was already complete and nothing was fetched. */
  downloaded: boolean;
}

/**
 * Downloads one Hub file to `destination`, unless a complete file is already there.
 *
 * - Streams to `<destination>.part`; resumes an existing `.part` with `Range: bytes=N-` (206
 *   appends; 200 means the server ignored the range, so the file restarts from byte 0; 416 with a
 *   matching size means the `.part` was already whole).
 * - Checks the size announced by the server (Content-Length / Content-Range) and the bytes
 *   received against the catalog size when `file.sizeIsExact`, and against the announced size
 *   always. A mismatch deletes the `.part`; a short, cut transfer keeps it for a resume.
 * - Renames `.part` to `destination` only after the checks (after an fsync), so a file at its
 *   final name is always complete.
 * - Retries retryable failures `retries` times, resuming each time.
 *
 * @throws ModelDownloadError (see `ModelDownloadErrorCode`) on failure; the signal's AbortError
 *   (a DOMException named `AbortError`) when aborted, keeping the `.part` for a later resume.
 */
export async function downloadHubFile(options: DownloadHubFileOptions): Promise<DownloadedFile> {
  const { signal, file, destination } = options;
  throwIfAborted(signal);
  const reporter = new ProgressReporter(file.path, options.progressIntervalMs ?? 100, options.onProgress);
  if (await isFileComplete(destination, file)) {
    const sizeBytes = (await stat(destination)).size;
    reporter.finish(sizeBytes);
    return { path: destination, sizeBytes, downloaded: false };
  }
  const endpoint = (options.endpoint ?? hubEndpoint()).replace(/\/+$/, '');
  const context: AttemptContext = {
    repo: options.repo,
    revision: options.revision,
    file,
    destination,
    part: destination + PART_SUFFIX,
    endpoint,
    url: hubFileUrl(options.repo, options.revision, file.path, endpoint),
    token: options.token ?? process.env.HF_TOKEN,
    warn: options.warn ?? ((message: string) => process.emitWarning(message, 'LocalChatModelWarning')),
    signal,
    stallTimeoutMs: options.stallTimeoutMs ?? 60_000,
    reporter,
  };
  await mkdir(dirname(destination), { recursive: true });
  const retries = options.retries ?? 2;
  const retryDelayMs = options.retryDelayMs ?? 1000;
  for (let attempt = 0; ; attempt++) {
    try {
      const sizeBytes = await attemptDownload(context);
      reporter.finish(sizeBytes);
      return { path: destination, sizeBytes, downloaded: true };
    } catch (error) {
      if (signal.aborted) throw abortError(signal);
      if (!ModelDownloadError.isInstance(error) || !error.retryable || attempt >= retries) throw error;
      await sleep(retryDelayMs * (attempt + 1), signal);
    }
  }
}

/** Options of `downloadModel`. */
export interface DownloadModelOptions extends CallOptions, DownloadTuning {
  /** Models directory; default `resolveModelsDir()`. */
  modelsDir?: string;
  /** Called with throttled progress; errors it throws are ignored. */
  onProgress?: (progress: ModelDownloadProgress) => void;
}

/**
 * Downloads every file of `entry` into `<modelsDir>/<owner>/<repo>/`, one after another,
 * skipping files already complete, and returns `localPath(entry, modelsDir)` (the file of a
 * single-file model, else the directory).
 *
 * @throws ModelDownloadError on the first file that fails (files already done stay); the
 *   signal's AbortError when aborted.
 * @example
 * const path = await downloadModel(findCatalogEntry('kokoro-82m')!, {
 *   signal, onProgress: (progress) => bar.update(progress),
 * });
 */
export async function downloadModel(entry: CatalogEntry, options: DownloadModelOptions): Promise<string> {
  const modelsDir = options.modelsDir ?? resolveModelsDir();
  const fileCount = entry.files.length;
  const destinations = entry.files.map((file) => modelFilePath(entry, file.path, modelsDir));
  const totals: (number | undefined)[] = entry.files.map((file) => file.size);
  const completed: number[] = entry.files.map(() => 0);
  for (const [index, file] of entry.files.entries()) {
    const destination = destinations[index]!;
    if (await isFileComplete(destination, file)) {
      const size = (await stat(destination)).size;
      completed[index] = size;
      totals[index] = size;
    }
  }
  const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);
  for (const [index, file] of entry.files.entries()) {
    const onProgress = (progress: DownloadProgress) => {
      totals[index] = progress.totalBytes ?? totals[index];
      const modelDownloadedBytes = sum(completed.filter((_, other) => other !== index)) + progress.downloadedBytes;
      const modelTotalBytes = totals.every((total) => total !== undefined) ? sum(totals as number[]) : undefined;
      const modelEtaSeconds =
        modelTotalBytes !== undefined && progress.bytesPerSecond > 0
          ? Math.max(0, modelTotalBytes - modelDownloadedBytes) / progress.bytesPerSecond
          : undefined;
      options.onProgress?.({
        ...progress,
        modelId: entry.id,
        fileIndex: index,
        fileCount,
        modelDownloadedBytes,
        modelTotalBytes,
        modelEtaSeconds: progress.done && index === fileCount - 1 ? 0 : modelEtaSeconds,
        modelDone: progress.done && index === fileCount - 1,
      });
    };
    const result = await downloadHubFile({
      ...options,
      repo: entry.repo,
      revision: entry.revision,
      file,
      destination: destinations[index]!,
      onProgress: options.onProgress ? onProgress : undefined,
    });
    completed[index] = result.sizeBytes;
    totals[index] = result.sizeBytes;
  }
  return localPath(entry, modelsDir);
}

interface AttemptContext {
  repo: string;
  revision: string;
  file: ModelFile;
  destination: string;
  part: string;
  endpoint: string;
  url: string;
  token: string | undefined;
  signal: AbortSignal;
  stallTimeoutMs: number;
  reporter: ProgressReporter;
  warn: (message: string) => void;
}

/** Files already warned about as unverifiable, by URL (one warning per file per process). */
const warnedUnverified = new Set<string>();

/** A full Git commit id: the only revision that names fixed content. */
const COMMIT_ID = /^[0-9a-f]{40}$/;

/**
 * Checks the `.part` against the catalog's digest, then renames it to its final name. Without a
 * digest (or with a branch as revision) the file is accepted with a warning.
 * @throws ModelDownloadError `model_checksum_mismatch` (the `.part` is deleted)
 */
async function finalize(context: AttemptContext): Promise<void> {
  const { file, part, destination } = context;
  const unverified: string[] = [];
  if (!COMMIT_ID.test(context.revision)) unverified.push(`revision "${context.revision}" is a branch or tag, not a commit`);
  if (file.sha256 || file.gitSha1) {
    const expected = (file.sha256 ?? file.gitSha1)!.toLowerCase();
    const actual = await fileDigest(part, file.sha256 ? 'sha256' : 'git-sha1');
    if (actual !== expected) {
      await rm(part, { force: true });
      throw new ModelDownloadError(
        'model_checksum_mismatch',
        `${context.repo}/${file.path} is corrupted or not the file LocalChat expects: its ${file.sha256 ? 'SHA-256' : 'Git blob id'} is ${actual}, but ${expected} was expected. It was deleted.`,
        {
          ...errorDetails(context),
          fix: `Download it again (a proxy or a broken connection may have damaged it). If it fails again, the repository changed at revision ${context.revision}: check the catalog entry.`,
        },
      );
    }
  } else {
    unverified.push('the catalog has no SHA-256 for it');
  }
  if (unverified.length > 0 && !warnedUnverified.has(context.url)) {
    warnedUnverified.add(context.url);
    context.warn(`${context.repo}/${file.path} was downloaded without an integrity check: ${unverified.join('; ')}.`);
  }
  await rename(part, destination);
}

/** SHA-256 of a file, or its Git blob id (`git-sha1`), lowercase hex, read as a stream. */
async function fileDigest(path: string, algorithm: 'sha256' | 'git-sha1'): Promise<string> {
  const hash = createHash(algorithm === 'sha256' ? 'sha256' : 'sha1');
  if (algorithm === 'git-sha1') hash.update(`blob ${(await stat(path)).size}\0`);
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** One HTTP transfer; returns the final size after renaming `.part` into place. */
async function attemptDownload(context: AttemptContext): Promise<number> {
  const { file, part, destination } = context;
  const exact = file.sizeIsExact ? file.size : undefined;
  let offset = await fileSize(part);
  if (exact !== undefined && offset > exact) {
    await rm(part, { force: true });
    offset = 0;
  }
  if (exact !== undefined && exact > 0 && offset === exact) {
    await finalize(context);
    return exact;
  }

  const controller = new AbortController();
  let stalled = false;
  let stallTimer: NodeJS.Timeout | undefined;
  const armStallTimer = () => {
    clearTimeout(stallTimer);
    stallTimer = setTimeout(() => {
      stalled = true;
      controller.abort();
    }, context.stallTimeoutMs);
  };
  const signal = AbortSignal.any([context.signal, controller.signal]);
  armStallTimer();
  try {
    const opened = await openResponse(context, offset, signal, () => stalled);
    if (opened.type === 'complete') {
      await finalize(context);
      return opened.size;
    }
    const { response, writeFrom, total } = opened;
    const discard = () => response.body?.cancel().catch(() => {});

    if (total !== undefined && exact !== undefined && total !== exact) {
      await discard();
      await rm(part, { force: true });
      throw sizeMismatch(context, `the server announces ${total} bytes (catalog size ${exact})`, exact);
    }
    const expected = total ?? exact;
    await checkFreeSpace(context, (expected ?? file.size ?? 0) - writeFrom, discard);

    context.reporter.start(writeFrom, total ?? file.size);
    const limit = expected;
    let written = writeFrom;
    let oversize = false;
    let writeFailure: unknown;
    const handle = await open(part, writeFrom === 0 ? 'w' : 'a');
    try {
      const reader = response.body?.getReader();
      for (;;) {
        if (!reader) break;
        const { done, value: chunk } = await reader.read();
        if (done) break;
        armStallTimer();
        if (limit !== undefined && written + chunk.byteLength > limit) oversize = true;
        else {
          try {
            await handle.write(chunk);
          } catch (error) {
            writeFailure = error;
          }
        }
        if (oversize || writeFailure !== undefined) {
          await reader.cancel().catch(() => {}); // closes the connection
          break;
        }
        written += chunk.byteLength;
        context.reporter.update(written, total ?? file.size, chunk.byteLength);
      }
      if (!oversize && writeFailure === undefined) {
        await handle.datasync().catch((error: unknown) => {
          writeFailure = error;
        });
      }
    } catch (error) {
      if (context.signal.aborted) throw abortError(context.signal);
      const reason = stalled ? `no data for ${context.stallTimeoutMs} ms` : causeText(error);
      throw interrupted(context, written, expected, reason, error);
    } finally {
      await handle.close();
    }

    if (writeFailure !== undefined) throw localWriteError(context, writeFailure);
    if (oversize) {
      await rm(part, { force: true });
      throw sizeMismatch(context, `the server sent more than ${limit} bytes`, limit ?? 0);
    }
    if (expected !== undefined && written < expected) {
      throw interrupted(context, written, expected, 'the server closed the connection early');
    }
    if (written === 0) {
      await rm(part, { force: true });
      throw sizeMismatch(context, 'the server sent an empty file', exact ?? 0);
    }
    await finalize(context);
    return written;
  } finally {
    clearTimeout(stallTimer);
  }
}

type OpenedResponse =
  | { type: 'complete'; size: number }
  | { type: 'stream'; response: Response; writeFrom: number; total: number | undefined };

/**
 * Sends the request (with Range when resuming) and interprets the status. Restarts once from
 * byte 0 when the server cannot continue the `.part` (416 with another size, or a 206 starting
 * elsewhere).
 */
async function openResponse(
  context: AttemptContext,
  initialOffset: number,
  signal: AbortSignal,
  isStalled: () => boolean,
): Promise<OpenedResponse> {
  let offset = initialOffset;
  for (let restarted = false; ; restarted = true) {
    const headers: Record<string, string> = {
      'accept-encoding': 'identity',
      'user-agent': 'localchat (model downloader)',
    };
    if (offset > 0) headers.range = `bytes=${offset}-`;
    if (context.token) headers.authorization = `Bearer ${context.token}`;
    let response: Response;
    try {
      response = await fetch(context.url, { headers, signal, redirect: 'follow' });
    } catch (error) {
      if (context.signal.aborted) throw abortError(context.signal);
      if (isStalled()) throw interrupted(context, offset, undefined, `no answer for ${context.stallTimeoutMs} ms`, error);
      throw unreachable(context, error);
    }

    if (response.status === 416 && offset > 0) {
      await response.body?.cancel().catch(() => {});
      const total = parseUnsatisfiedRange(response.headers.get('content-range'));
      const exact = context.file.sizeIsExact ? context.file.size : undefined;
      if (total === offset && (exact === undefined || exact === total)) return { type: 'complete', size: total };
    } else if (response.status === 206 && offset > 0) {
      const range = parseContentRange(response.headers.get('content-range'));
      if (range && range.start === offset) return { type: 'stream', response, writeFrom: offset, total: range.total };
      await response.body?.cancel().catch(() => {});
    } else if (response.ok) {
      // 200 (also the answer of a server that ignores Range): the whole file, from byte 0.
      return { type: 'stream', response, writeFrom: 0, total: announcedLength(response) };
    } else {
      await response.body?.cancel().catch(() => {});
      throw httpError(context, response.status);
    }
    if (restarted) throw httpError(context, response.status);
    await rm(context.part, { force: true });
    offset = 0;
  }
}

/** Content-Length, when it is the length of the file itself (no content coding applied). */
function announcedLength(response: Response): number | undefined {
  const encoding = response.headers.get('content-encoding');
  if (encoding && encoding.toLowerCase() !== 'identity') return undefined;
  const value = response.headers.get('content-length');
  return value !== null && /^\d+$/.test(value) ? Number(value) : undefined;
}

/** `bytes START-END/TOTAL` (RFC 9110 §14.4); TOTAL may be `*`. */
function parseContentRange(value: string | null): { start: number; total: number | undefined } | undefined {
  const match = value ? /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(value.trim()) : null;
  if (!match) return undefined;
  return { start: Number(match[1]), total: match[3] === '*' ? undefined : Number(match[3]) };
}

/** `bytes *\/TOTAL`, sent with 416. */
function parseUnsatisfiedRange(value: string | null): number | undefined {
  const match = value ? /^bytes \*\/(\d+)$/.exec(value.trim()) : null;
  return match ? Number(match[1]) : undefined;
}

async function checkFreeSpace(context: AttemptContext, neededBytes: number, discard: () => unknown): Promise<void> {
  if (neededBytes <= 0) return;
  let freeBytes: number;
  try {
    const info = await statfs(dirname(context.destination));
    freeBytes = info.bavail * info.bsize;
  } catch {
    return;
  }
  if (freeBytes >= neededBytes) return;
  await discard();
  throw new ModelDownloadError(
    'disk_full',
    `Not enough disk space for ${context.repo}/${context.file.path}: it needs ${megabytes(neededBytes)} MB more, ` +
      `${megabytes(freeBytes)} MB are free in ${dirname(context.destination)}.`,
    {
      ...errorDetails(context),
      fix: 'Free some space, or set LOCALCHAT_MODELS_DIR to a disk with room, then run again to resume.',
    },
  );
}

function errorDetails(context: AttemptContext): { repo: string; file: string; url: string } {
  return { repo: context.repo, file: context.file.path, url: context.url };
}

function offlineHint(context: AttemptContext): string {
  return (
    `To work offline, download ${context.file.path} from ${context.repo} elsewhere and copy it to ` +
    `${context.destination}, or give the model as a local file path.`
  );
}

function httpError(context: AttemptContext, status: number): ModelDownloadError {
  const where = `${context.repo}/${context.file.path} (revision ${context.revision}) at ${context.endpoint}`;
  if (status === 404) {
    return new ModelDownloadError('model_not_found', `${where} was not found (HTTP 404).`, {
      ...errorDetails(context),
      status,
      fix:
        `Check the repository, file name and revision, and HF_ENDPOINT (now ${context.endpoint}). ` +
        offlineHint(context),
    });
  }
  if (status === 401 || status === 403) {
    return new ModelDownloadError(
      'model_access_denied',
      `${where} was refused (HTTP ${status}): the repository does not exist, or it is private or gated.`,
      {
        ...errorDetails(context),
        status,
        fix:
          'Check the repository name; for a gated model accept its terms on the Hub and set HF_TOKEN. ' +
          offlineHint(context),
      },
    );
  }
  const retryable = status === 408 || status === 429 || status >= 500;
  return new ModelDownloadError('download_http_error', `${where} failed with HTTP ${status}.`, {
    ...errorDetails(context),
    status,
    retryable,
    fix: retryable ? 'The server is busy or failing: try again later. ' + offlineHint(context) : offlineHint(context),
  });
}

function unreachable(context: AttemptContext, error: unknown): ModelDownloadError {
  const code = networkCode(error);
  const transient = code === 'ECONNRESET' || code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'EPIPE';
  return new ModelDownloadError(
    'hub_unreachable',
    `Cannot reach the Hugging Face Hub at ${context.endpoint} (${code ?? causeText(error)}).`,
    {
      ...errorDetails(context),
      retryable: transient,
      cause: error,
      fix: 'Check the network connection, or set HF_ENDPOINT to a reachable mirror. ' + offlineHint(context),
    },
  );
}

function interrupted(
  context: AttemptContext,
  written: number,
  expected: number | undefined,
  reason: string,
  cause?: unknown,
): ModelDownloadError {
  const of = expected === undefined ? '' : ` of ${expected}`;
  return new ModelDownloadError(
    'download_interrupted',
    `The download of ${context.repo}/${context.file.path} was interrupted after ${written}${of} bytes (${reason}).`,
    {
      ...errorDetails(context),
      retryable: true,
      cause,
      fix: `Run again to resume from ${context.part}.`,
    },
  );
}

function sizeMismatch(context: AttemptContext, what: string, expected: number): ModelDownloadError {
  return new ModelDownloadError(
    'model_size_mismatch',
    `${context.repo}/${context.file.path} has the wrong size: ${what}, but ${expected} bytes were expected. ` +
      'Nothing was kept.',
    {
      ...errorDetails(context),
      fix:
        `The repository may have changed at revision ${context.revision}: check the revision and size in ` +
        'src/models/catalog.ts, or give the model as a local file path.',
    },
  );
}

function localWriteError(context: AttemptContext, error: unknown): ModelDownloadError {
  const code = networkCode(error);
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new ModelDownloadError('disk_full', `The disk filled up while writing ${context.part}.`, {
      ...errorDetails(context),
      cause: error,
      fix: 'Free some space, or set LOCALCHAT_MODELS_DIR to a disk with room, then run again to resume.',
    });
  }
  return new ModelDownloadError('download_io_error', `Writing ${context.part} failed (${causeText(error)}).`, {
    ...errorDetails(context),
    cause: error,
    fix: 'Check that the models directory (LOCALCHAT_MODELS_DIR) is writable.',
  });
}

/** The first `code` (ECONNREFUSED, ENOTFOUND, UND_ERR_SOCKET...) on an error, its causes or its aggregated errors. */
function networkCode(error: unknown, depth = 0): string | undefined {
  if (depth > 5 || typeof error !== 'object' || error === null) return undefined;
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string') return code;
  const fromCause = networkCode(cause, depth + 1);
  if (fromCause) return fromCause;
  if (Array.isArray(errors)) {
    for (const inner of errors) {
      const fromInner = networkCode(inner, depth + 1);
      if (fromInner) return fromInner;
    }
  }
  return undefined;
}

function causeText(error: unknown): string {
  const code = networkCode(error);
  const message = error instanceof Error ? error.message : String(error);
  return code ? `${message}: ${code}` : message;
}

async function fileSize(path: string): Promise<number> {
  try {
    const info = await stat(path);
    return info.isFile() ? info.size : 0;
  } catch {
    return 0;
  }
}

function megabytes(bytes: number): string {
  return (bytes / 1_000_000).toFixed(1);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Throttled progress for one file; the rate is measured over a sliding window of ~5 s. */
class ProgressReporter {
  private readonly samples: { time: number; bytes: number }[] = [];
  private sessionBytes = 0;
  private lastEmit = 0;
  private downloaded = 0;
  private total: number | undefined;

  constructor(
    private readonly file: string,
    private readonly intervalMs: number,
    private readonly listener: ((progress: DownloadProgress) => void) | undefined,
  ) {}

  /** A response arrived: report where the transfer starts, unthrottled. */
  start(downloaded: number, total: number | undefined): void {
    this.samples.length = 0;
    this.samples.push({ time: performance.now(), bytes: this.sessionBytes });
    this.downloaded = downloaded;
    this.total = total;
    this.emit(false);
  }

  update(downloaded: number, total: number | undefined, chunkBytes: number): void {
    const now = performance.now();
    this.sessionBytes += chunkBytes;
    this.samples.push({ time: now, bytes: this.sessionBytes });
    while (this.samples.length > 2 && now - this.samples[0]!.time > 5000) this.samples.shift();
    this.downloaded = downloaded;
    this.total = total;
    if (now - this.lastEmit >= this.intervalMs) this.emit(false);
  }

  finish(size: number): void {
    this.downloaded = size;
    this.total = size;
    this.emit(true);
  }

  private emit(done: boolean): void {
    if (!this.listener) return;
    this.lastEmit = performance.now();
    const bytesPerSecond = this.rate();
    const remaining = this.total === undefined ? undefined : Math.max(0, this.total - this.downloaded);
    const etaSeconds = done ? 0 : remaining !== undefined && bytesPerSecond > 0 ? remaining / bytesPerSecond : undefined;
    const progress: DownloadProgress = {
      file: this.file,
      downloadedBytes: this.downloaded,
      totalBytes: this.total,
      bytesPerSecond,
      etaSeconds,
      done,
    };
    try {
      this.listener(progress);
    } catch {
      // A failing progress display must not fail or restart the download.
    }
  }

  private rate(): number {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.time - first.time < 1) return 0;
    return ((last.bytes - first.bytes) * 1000) / (last.time - first.time);
  }
}
