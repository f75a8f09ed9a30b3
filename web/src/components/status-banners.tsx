/**
 * Banners under the header: server notices (e.g. "no LLM configured: here is how"), engines in
 * error with their message, and model downloads with a progress bar.
 */
import { useState } from 'react';
import type { DownloadProgressEvent } from '../../../src/server/realtime/server-events.js';
import { formatBytes, formatDuration } from '../format.js';
import type { EngineStatus, Notice } from '../session/state.js';
import { CloseIcon, DownloadIcon, InfoIcon, WarningIcon } from './icons.js';

interface StatusBannersProps {
  notices: Notice[];
  engines: EngineStatus[];
  downloads: Record<string, DownloadProgressEvent>;
  onDismissNotice(id: string): void;
}

const engineNames: Record<EngineStatus['kind'], string> = { llm: 'Language model', tts: 'Voice', stt: 'Speech input' };

export function StatusBanners({ notices, engines, downloads, onDismissNotice }: StatusBannersProps) {
  const [dismissedErrors, setDismissedErrors] = useState<ReadonlySet<string>>(new Set());
  const engineErrors = engines.filter((engine) => engine.state === 'error' && !dismissedErrors.has(errorKey(engine)));
  const downloadList = Object.values(downloads);
  // Engines downloading without progress events yet still get a bar.
  const silentDownloads = engines.filter((engine) => engine.state === 'downloading' && !downloads[engine.modelId]);
  if (notices.length + engineErrors.length + downloadList.length + silentDownloads.length === 0) return null;

  return (
    <section className="banners" aria-label="Status">
      {downloadList.map((download) => (
        <DownloadBanner key={download.model} download={download} />
      ))}
      {silentDownloads.map((engine) => (
        <DownloadBanner
          key={engine.modelId}
          download={{
            model: engine.modelId,
            file: '',
            downloaded_bytes: engine.downloadedBytes ?? 0,
            total_bytes: engine.totalBytes ?? null,
            bytes_per_second: 0,
            eta_seconds: null,
          }}
          progress={engine.progress}
        />
      ))}
      {notices.map((notice) => (
        <div key={notice.id} className={`banner banner--${notice.level}`} role={notice.level === 'error' ? 'alert' : 'status'}>
          {notice.level === 'info' ? <InfoIcon className="banner__icon" /> : <WarningIcon className="banner__icon" />}
          <p className="banner__text">{notice.message}</p>
          <button type="button" className="icon-button icon-button--small" onClick={() => onDismissNotice(notice.id)} aria-label="Dismiss">
            <CloseIcon />
          </button>
        </div>
      ))}
      {engineErrors.map((engine) => (
        <div key={errorKey(engine)} className="banner banner--error" role="alert">
          <WarningIcon className="banner__icon" />
          <p className="banner__text">
            <strong>{engineNames[engine.kind]} unavailable</strong> ({engine.provider} · {engine.modelId})
            {engine.message ? <span className="banner__detail">{engine.message}</span> : null}
          </p>
          <button
            type="button"
            className="icon-button icon-button--small"
            onClick={() => setDismissedErrors((previous) => new Set(previous).add(errorKey(engine)))}
            aria-label="Dismiss"
          >
            <CloseIcon />
          </button>
        </div>
      ))}
    </section>
  );
}

function errorKey(engine: EngineStatus): string {
  return `${engine.kind}:${engine.modelId}:${engine.message ?? ''}`;
}

type DownloadInfo = Pick<DownloadProgressEvent, 'model' | 'file' | 'downloaded_bytes' | 'total_bytes' | 'bytes_per_second' | 'eta_seconds'>;

function DownloadBanner({ download, progress }: { download: DownloadInfo; progress?: number }) {
  const fraction = download.total_bytes ? download.downloaded_bytes / download.total_bytes : progress;
  const percent = fraction === undefined ? null : Math.round(Math.min(1, Math.max(0, fraction)) * 100);
  const parts = [
    download.total_bytes
      ? `${formatBytes(download.downloaded_bytes)} of ${formatBytes(download.total_bytes)}`
      : download.downloaded_bytes > 0
        ? formatBytes(download.downloaded_bytes)
        : null,
    download.bytes_per_second > 0 ? `${formatBytes(download.bytes_per_second)}/s` : null,
    download.eta_seconds !== null && download.eta_seconds > 0 ? `about ${formatDuration(download.eta_seconds)} left` : null,
  ].filter((part): part is string => part !== null);
  return (
    <div className="banner banner--download">
      <DownloadIcon className="banner__icon" />
      <div className="banner__text">
        <div className="download__title">
          <span>
            Downloading <strong>{download.model}</strong>
            {download.file ? <span className="download__file"> · {download.file}</span> : null}
          </span>
          {percent !== null ? <span className="download__percent">{percent}%</span> : null}
        </div>
        <div
          className="progress"
          role="progressbar"
          aria-label={`Download of ${download.model}`}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={percent ?? undefined}
          aria-valuetext={parts.join(', ') || undefined}
        >
          <span className={percent === null ? 'bar-fill bar-fill--indeterminate' : 'bar-fill'} style={percent === null ? undefined : { width: `${percent}%` }} />
        </div>
        {parts.length > 0 ? <div className="download__meta">{parts.join(' · ')}</div> : null}
      </div>
    </div>
  );
}
