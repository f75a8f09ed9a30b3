/**
 * The model manager: makes sure a model is on disk before an engine loads it, downloading it
 * once however many callers ask at the same time, and reports progress and state for the
 * server (`localchat.download.progress` events, `/health`) and the CLI (progress bar).
 */
import { EventEmitter } from 'node:events';
import { stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { CallOptions } from '../core/call-options.js';
import { errorMessage, isAbortError, ModelLoadError } from '../core/errors.js';
import { abortError } from './abort.js';
import { allCatalogEntries, parseModelReference, type CatalogEntry, type ModelKind } from './catalog.js';
import { downloadModel, ModelDownloadError, type DownloadTuning, type ModelDownloadProgress } from './download.js';
import { isInstalled, localPath, resolveModelsDir } from './models-dir.js';

/** Where a model stands: not on disk, being downloaded, ready to load, or failed to download. */
export type ModelState = 'missing' | 'downloading' | 'ready' | 'error';

/** The state of one model, as `status()` returns it and `status` events carry it. */
export interface ModelStatus {
  /** Catalog id, `hf:` reference id, or the local path for a local model. */
  id: string;
  kind: ModelKind;
  /** Hub repository, `owner/name`; undefined for a local path. */
  repo: string | undefined;
  state: ModelState;
  /** What an engine loads, once `ready`. */
  localPath?: string;
  /** 0-1 while `downloading`, when the total size is known. */
  progress?: number;
  downloadedBytes?: number;
  totalBytes?: number;
  bytesPerSecond?: number;
  etaSeconds?: number;
  /** While `error`: what went wrong and what to do. While `missing` after a cancel: a note. */
  message?: string;
}

/** Events of a `ModelManager` (Node EventEmitter). Listener errors are logged, never thrown into a download. */
export interface ModelManagerEvents {
  /** Throttled download progress (every ~100 ms per file, plus a final event per file). */
  progress: [progress: ModelDownloadProgress];
  /** A model changed state (missing, downloading, ready, error). */
  status: [status: ModelStatus];
}

/** Options of `ModelManager`: where models live, download tuning, and a logger. */
export interface ModelManagerOptions extends DownloadTuning {
  /** Models directory; default `resolveModelsDir()` (`LOCALCHAT_MODELS_DIR` or `~/.cache/localchat/models`). */
  modelsDir?: string;
  /** pino logger for one line per download event; silent when omitted. */
  logger?: Logger;
}

/** Options of `ModelManager.ensure`. */
export interface EnsureOptions extends CallOptions {
  /** Kind given to a user's `hf:` reference (default `llm`). */
  kind?: ModelKind;
}

interface DownloadJob {
  controller: AbortController;
  /** Callers still waiting; when the last one aborts, the download is aborted. */
  waiters: number;
  promise: Promise<string>;
}

/**
 * Ties the catalog, the models directory and the downloader together.
 *
 * @example
 * const models = new ModelManager({ logger });
 * models.on('progress', (progress) => bar.update(progress));
 * const ggufPath = await models.ensure('qwen2.5-1.5b-instruct', { signal });
 */
export class ModelManager extends EventEmitter<ModelManagerEvents> {
  /** Absolute models directory. */
  readonly modelsDir: string;
  private readonly tuning: DownloadTuning;
  private readonly logger: Logger | undefined;
  private readonly jobs = new Map<string, DownloadJob>();
  private readonly statuses = new Map<string, ModelStatus>();

  constructor(options: ModelManagerOptions = {}) {
    super();
    const { modelsDir, logger, ...tuning } = options;
    this.modelsDir = modelsDir ?? resolveModelsDir();
    this.logger = logger;
    this.tuning = tuning;
  }

  /**
   * Returns the local path of a model, downloading it first when it is not installed: the GGUF
   * file for a single-file model, the repository directory for a multi-file one (Kokoro), or
   * the path itself for a local reference.
   *
   * `model` is a catalog entry or a reference string (catalog id, `hf:owner/repo/file#rev`,
   * `owner/repo/file`, Hub URL, local path; see `parseModelReference`). Concurrent calls for
   * the same model share one download. Aborting `signal` rejects this call with an AbortError;
   * the download itself stops only when every caller waiting on it has aborted (its `.part`
   * file is kept, and the next `ensure` resumes it).
   *
   * @throws ModelDownloadError when the download fails; ModelLoadError when a local path does
   *   not exist; ConfigError for a reference that cannot be parsed; AbortError when aborted.
   */
  async ensure(model: CatalogEntry | string, options: EnsureOptions): Promise<string> {
    const { signal } = options;
    if (signal.aborted) throw abortError(signal);
    let entry: CatalogEntry;
    if (typeof model === 'string') {
      const reference = parseModelReference(model, { kind: options.kind });
      if (reference.type === 'local') return this.ensureLocal(reference.path, options.kind ?? 'llm');
      entry = reference.entry;
    } else {
      entry = model;
    }
    let job = this.jobs.get(entry.id);
    if (!job || job.controller.signal.aborted) job = this.startJob(entry, job?.promise);
    return this.join(job, signal);
  }

  /** The state of every model this manager has been asked for, in the order first asked. */
  status(): ModelStatus[] {
    return [...this.statuses.values()].map((status) => ({ ...status }));
  }

  /** The state of one model by id (catalog id, `hf:` id or local path), if it was asked for. */
  statusOf(id: string): ModelStatus | undefined {
    const status = this.statuses.get(id);
    return status ? { ...status } : undefined;
  }

  /** Whether a catalog entry (or catalog id) is fully on disk; does not download. */
  async isInstalled(model: CatalogEntry | string): Promise<boolean> {
    const entry = typeof model === 'string' ? allCatalogEntries().find((candidate) => candidate.id === model) : model;
    return entry ? isInstalled(entry, this.modelsDir) : false;
  }

  private async ensureLocal(path: string, kind: ModelKind): Promise<string> {
    try {
      await stat(path);
    } catch (error) {
      this.setStatus({ id: path, kind, repo: undefined, state: 'error', message: `Model file not found: ${path}` });
      throw new ModelLoadError(
        path,
        `Model file not found: ${path}`,
        'Check the path, or name a catalog model or an hf: reference to download it.',
        { cause: error },
      );
    }
    this.setStatus({ id: path, kind, repo: undefined, state: 'ready', localPath: path });
    return path;
  }

  private startJob(entry: CatalogEntry, previous: Promise<string> | undefined): DownloadJob {
    const controller = new AbortController();
    const run = async () => {
      // A cancelled download of the same files must stop writing its .part before a new one starts.
      await previous?.catch(() => {});
      return this.download(entry, controller.signal);
    };
    const job: DownloadJob = { controller, waiters: 0, promise: run() };
    const settled = job.promise.finally(() => {
      if (this.jobs.get(entry.id) === job) this.jobs.delete(entry.id);
    });
    settled.catch(() => {}); // callers get the outcome through join(); nobody may be waiting
    this.jobs.set(entry.id, job);
    return job;
  }

  private async download(entry: CatalogEntry, signal: AbortSignal): Promise<string> {
    const base = { id: entry.id, kind: entry.kind, repo: entry.repo };
    if (await isInstalled(entry, this.modelsDir)) {
      const path = localPath(entry, this.modelsDir);
      this.setStatus({ ...base, state: 'ready', localPath: path });
      return path;
    }
    const estimate = entry.files.every((file) => file.size !== undefined)
      ? entry.files.reduce((total, file) => total + (file.size ?? 0), 0)
      : undefined;
    this.setStatus({ ...base, state: 'downloading', progress: 0, downloadedBytes: 0, totalBytes: estimate });
    this.logger?.info({ model: entry.id, repo: entry.repo, revision: entry.revision }, 'model download started');
    try {
      const path = await downloadModel(entry, {
        ...this.tuning,
        modelsDir: this.modelsDir,
        signal,
        onProgress: (progress) => this.onProgress(progress),
      });
      this.setStatus({ ...base, state: 'ready', localPath: path });
      this.logger?.info({ model: entry.id, path }, 'model download finished');
      return path;
    } catch (error) {
      if (signal.aborted || isAbortError(error)) {
        this.setStatus({ ...base, state: 'missing', message: 'Download cancelled; it resumes on the next request.' });
        this.logger?.info({ model: entry.id }, 'model download cancelled');
      } else {
        const code = ModelDownloadError.isInstance(error) ? error.code : undefined;
        this.setStatus({ ...base, state: 'error', message: errorMessage(error) });
        // The engine that asked for the model reports the problem with its fix: one line, not two.
        this.logger?.debug({ model: entry.id, code, error: errorMessage(error) }, 'model download failed');
      }
      throw error;
    }
  }

  private join(job: DownloadJob, signal: AbortSignal): Promise<string> {
    job.waiters += 1;
    return new Promise<string>((resolve, reject) => {
      let left = false;
      const leave = (): boolean => {
        if (left) return false;
        left = true;
        job.waiters -= 1;
        signal.removeEventListener('abort', onAbort);
        return true;
      };
      const onAbort = () => {
        if (!leave()) return;
        reject(abortError(signal));
        if (job.waiters === 0) job.controller.abort();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      job.promise.then(
        (path) => leave() && resolve(path),
        (error: unknown) => leave() && reject(error),
      );
    });
  }

  private onProgress(progress: ModelDownloadProgress): void {
    const status = this.statuses.get(progress.modelId);
    if (status && status.state === 'downloading') {
      status.downloadedBytes = progress.modelDownloadedBytes;
      status.totalBytes = progress.modelTotalBytes;
      status.progress =
        progress.modelTotalBytes && progress.modelTotalBytes > 0
          ? Math.min(1, progress.modelDownloadedBytes / progress.modelTotalBytes)
          : undefined;
      status.bytesPerSecond = progress.bytesPerSecond;
      status.etaSeconds = progress.modelEtaSeconds;
    }
    this.publish('progress', progress);
  }

  private setStatus(status: ModelStatus): void {
    this.statuses.set(status.id, status);
    this.publish('status', { ...status });
  }

  private publish<K extends keyof ModelManagerEvents>(event: K, ...args: ModelManagerEvents[K]): void {
    try {
      (this.emit as (event: K, ...args: ModelManagerEvents[K]) => boolean)(event, ...args);
    } catch (error) {
      this.logger?.warn({ event, error: errorMessage(error) }, 'model manager listener failed');
    }
  }
}
