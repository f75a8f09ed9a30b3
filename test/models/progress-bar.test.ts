/** The terminal progress bar: a drawn bar on a TTY, one line per 10% elsewhere. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ModelDownloadProgress } from '../../src/models/download.js';
import { DownloadProgressBar, formatDuration, formatMegabytes } from '../../src/models/progress-bar.js';

class MemoryStream extends Writable {
  text = '';
  constructor(readonly isTTY: boolean) {
    super();
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

const TOTAL = 200_000_000;

function event(downloaded: number, done = false): ModelDownloadProgress {
  return {
    file: 'model.gguf',
    downloadedBytes: downloaded,
    totalBytes: TOTAL,
    bytesPerSecond: 5_000_000,
    etaSeconds: (TOTAL - downloaded) / 5_000_000,
    done,
    modelId: 'qwen2.5-1.5b-instruct',
    fileIndex: 0,
    fileCount: 1,
    modelDownloadedBytes: downloaded,
    modelTotalBytes: TOTAL,
    modelEtaSeconds: (TOTAL - downloaded) / 5_000_000,
    modelDone: done,
  };
}

describe('DownloadProgressBar', () => {
  it('prints one line per 10% and a final line when not a TTY', () => {
    const stream = new MemoryStream(false);
    const bar = new DownloadProgressBar({ stream });
    for (let percent = 0; percent < 100; percent += 1) bar.update(event((TOTAL * percent) / 100));
    bar.update(event(TOTAL, true));
    bar.stop();
    const lines = stream.text.trim().split('\n');
    expect(lines).toHaveLength(11);
    expect(lines[0]).toBe('qwen2.5-1.5b-instruct: 0% (0.0/200.0 MB, 5.0 MB/s, ETA 40s)');
    expect(lines[5]).toBe('qwen2.5-1.5b-instruct: 50% (100.0/200.0 MB, 5.0 MB/s, ETA 20s)');
    expect(lines.at(-1)).toBe('qwen2.5-1.5b-instruct: done (200.0/200.0 MB)');
  });

  it('draws a bar with MB, speed and ETA on a TTY', () => {
    const stream = new MemoryStream(true);
    const bar = new DownloadProgressBar({ stream, label: 'Qwen 1.5B' });
    bar.update(event(50_000_000));
    bar.update(event(TOTAL, true));
    bar.stop();
    expect(stream.text).toContain('Qwen 1.5B');
    expect(stream.text).toContain('200.0/200.0 MB');
    expect(stream.text).toContain('5.0 MB/s');
    expect(stream.text).toContain('100%');
  });

  it('ignores events after stop', () => {
    const stream = new MemoryStream(false);
    const bar = new DownloadProgressBar({ stream });
    bar.stop();
    bar.update(event(10));
    expect(stream.text).toBe('');
  });
});

describe('formatting', () => {
  it('formats megabytes and durations', () => {
    expect(formatMegabytes(1_117_320_736)).toBe('1117.3');
    expect(formatDuration(undefined)).toBe('?');
    expect(formatDuration(42.4)).toBe('42s');
    expect(formatDuration(185)).toBe('3m 05s');
    expect(formatDuration(3720)).toBe('1h 02m');
  });
});
