/**
 * A terminal progress bar for model downloads (cli-progress): size in MB, speed and ETA. On a
 * stream that is not a TTY (a log file, CI) it prints one plain line per 10% instead.
 */
import cliProgress from 'cli-progress';
import type { DownloadProgress, ModelDownloadProgress } from './download.js';

/** Options of `DownloadProgressBar`. */
export interface DownloadProgressBarOptions {
  /** Where to draw; default `process.stderr`. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Text before the bar, e.g. the model id; default the model id of the first event, or the file. */
  label?: string;
  /** Override TTY detection (default `stream.isTTY`). */
  isTTY?: boolean;
}

/**
 * Draws download progress. Feed it every progress event; call `stop()` when the download
 * ends (also after an error). Accepts `ModelDownloadProgress` (whole-model totals) or a plain
 * `DownloadProgress` (one file).
 *
 * @example
 * const bar = new DownloadProgressBar();
 * try { await downloadModel(entry, { signal, onProgress: (progress) => bar.update(progress) }); }
 * finally { bar.stop(); }
 */
export class DownloadProgressBar {
  private readonly stream: NodeJS.WritableStream;
  private readonly tty: boolean;
  private label: string | undefined;
  private bar: cliProgress.SingleBar | undefined;
  private lastStep = -1;
  private finished = false;

  constructor(options: DownloadProgressBarOptions = {}) {
    const stream = options.stream ?? process.stderr;
    this.stream = stream;
    this.tty = options.isTTY ?? stream.isTTY === true;
    this.label = options.label;
  }

  /** Shows one progress event. */
  update(progress: DownloadProgress | ModelDownloadProgress): void {
    if (this.finished) return;
    const view = toView(progress);
    this.label ??= 'modelId' in progress ? progress.modelId : progress.file;
    if (this.tty) this.draw(view);
    else this.printLine(view);
    if (view.done) this.stop();
  }

  /** Ends the bar (moves to a new line on a TTY). Safe to call more than once. */
  stop(): void {
    this.finished = true;
    this.bar?.stop();
    this.bar = undefined;
  }

  private draw(view: View): void {
    const total = view.total ?? Math.max(view.downloaded, 1);
    const payload = {
      label: this.label,
      downloadedMB: formatMegabytes(view.downloaded),
      totalMB: view.total === undefined ? '?' : formatMegabytes(view.total),
      speed: formatMegabytes(view.bytesPerSecond),
      etaText: formatDuration(view.etaSeconds),
    };
    if (!this.bar) {
      this.bar = new cliProgress.SingleBar(
        {
          stream: this.stream,
          format: '{label} [{bar}] {percentage}% | {downloadedMB}/{totalMB} MB | {speed} MB/s | ETA {etaText}',
          hideCursor: true,
          clearOnComplete: false,
          barsize: 30,
          fps: 10,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, view.downloaded, payload);
      return;
    }
    if (this.bar.getTotal() !== total) this.bar.setTotal(total);
    this.bar.update(view.downloaded, payload);
  }

  /** One line per 10% (per 100 MB when the total is unknown), and one when done. */
  private printLine(view: View): void {
    const step = view.total ? Math.floor((view.downloaded / view.total) * 10) : Math.floor(view.downloaded / 100_000_000);
    if (!view.done && step === this.lastStep) return;
    this.lastStep = step;
    const size = `${formatMegabytes(view.downloaded)}${view.total === undefined ? '' : `/${formatMegabytes(view.total)}`} MB`;
    if (view.done) {
      this.stream.write(`${this.label}: done (${size})\n`);
      return;
    }
    const percent = view.total ? `${Math.min(100, step * 10)}% ` : '';
    const speed = view.bytesPerSecond > 0 ? `, ${formatMegabytes(view.bytesPerSecond)} MB/s` : '';
    const eta = view.etaSeconds === undefined ? '' : `, ETA ${formatDuration(view.etaSeconds)}`;
    this.stream.write(`${this.label}: ${percent}(${size}${speed}${eta})\n`);
  }
}

interface View {
  downloaded: number;
  total: number | undefined;
  bytesPerSecond: number;
  etaSeconds: number | undefined;
  done: boolean;
}

function toView(progress: DownloadProgress | ModelDownloadProgress): View {
  if ('modelId' in progress) {
    return {
      downloaded: progress.modelDownloadedBytes,
      total: progress.modelTotalBytes,
      bytesPerSecond: progress.bytesPerSecond,
      etaSeconds: progress.modelEtaSeconds,
      done: progress.modelDone,
    };
  }
  return {
    downloaded: progress.downloadedBytes,
    total: progress.totalBytes,
    bytesPerSecond: progress.bytesPerSecond,
    etaSeconds: progress.etaSeconds,
    done: progress.done,
  };
}

/** Bytes as decimal megabytes (10^6, as the Hub shows sizes), one decimal. */
export function formatMegabytes(bytes: number): string {
  return (bytes / 1_000_000).toFixed(1);
}

/** Seconds as `45s`, `3m 05s` or `1h 02m`; `?` when unknown. */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '?';
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole}s`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes}m ${String(whole % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}
