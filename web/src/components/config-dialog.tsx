/**
 * The configuration in effect, readable: the server's (`GET /api/config`: version, engines and
 * models, voice, speed, data and models directories) and this page's (voice, speed, volume,
 * thinking time, voice input). "Copy" puts it all on the clipboard as JSON, for a bug report.
 */
import { useEffect, useState } from 'react';
import { api, errorText, type PublicConfig } from '../api/client.js';
import type { VoiceSettings } from '../voice/voice-controller.js';
import { providerName } from '../session/status-summary.js';
import { Dialog } from './dialog.js';

/** What this page runs with (not the server's: the browser keeps these). */
export interface PageConfig {
  voice: string | null;
  voiceEngine: string | null;
  speed: number;
  volume: number;
  voiceInput: VoiceSettings;
  /** The thinking time in use, ms (the learned one with `voiceInput.thinkingTime: 'learned'`). */
  thinkingTimeInUseMs?: number;
}

interface ConfigDialogProps {
  page: PageConfig;
  onClose(): void;
  onCopied(ok: boolean): void;
}

type Load = { status: 'loading' } | { status: 'ready'; config: PublicConfig } | { status: 'failed'; message: string };

/** The report copied to the clipboard. */
export function configReport(server: PublicConfig | null, page: PageConfig): string {
  return JSON.stringify({ server, page: { ...page, userAgent: navigator.userAgent } }, null, 2);
}

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // No clipboard permission (or an insecure origin): select and copy the old way.
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.className = 'visually-hidden';
    document.body.append(area);
    area.select();
    const ok = document.execCommand('copy');
    area.remove();
    return ok;
  }
}

function setting(config: PublicConfig, key: string): string | null {
  const value = config.settings?.[key];
  if (value === undefined || value === null || value === '') return null;
  return Array.isArray(value) ? value.join(', ') : String(value);
}

export function ConfigDialog({ page, onClose, onCopied }: ConfigDialogProps) {
  const [load, setLoad] = useState<Load>({ status: 'loading' });

  useEffect(() => {
    const controller = new AbortController();
    api.config(controller.signal).then(
      (config) => setLoad({ status: 'ready', config }),
      (error: unknown) => {
        if (!controller.signal.aborted) setLoad({ status: 'failed', message: errorText(error) });
      },
    );
    return () => controller.abort();
  }, []);

  const config = load.status === 'ready' ? load.config : null;
  const engine = (kind: string) => config?.engines.filter((entry) => entry.kind === kind) ?? [];
  const rows: [string, string | null][] = config
    ? [
        ['Version', `LocalChat ${config.version} · Node.js ${config.runtime}`],
        ...engine('llm').map((entry): [string, string] => ['Language model', `${providerName(entry.provider)} · ${entry.modelId} · ${entry.state}`]),
        ...engine('tts').map((entry): [string, string] => ['Voice engine', `${providerName(entry.provider)} · ${entry.modelId} · ${entry.state}`]),
        ...engine('stt').map((entry): [string, string] => ['Speech recognition', `${providerName(entry.provider)} · ${entry.modelId} · ${entry.state === 'idle' ? 'loads when you first speak' : entry.state}`]),
        ['LLM server', setting(config, 'llmBaseUrl')],
        ['Context size', setting(config, 'contextSize') && `${setting(config, 'contextSize')} tokens`],
        ['Threads', setting(config, 'threads')],
        ['Data directory', setting(config, 'dataDir')],
        ['Models directory', setting(config, 'modelsDir')],
        ['Downloads', setting(config, 'download') === 'false' ? 'off' : config.settings ? 'on' : null],
        ['Address', config.listening ? `${config.listening}${setting(config, 'tls') === 'true' ? ' (HTTPS)' : ''}` : null],
      ]
    : [];
  const pageRows: [string, string][] = [
    ['Speaking now', page.voiceEngine ? providerName(page.voiceEngine) : '–'],
    ['Voice', page.voice ?? 'default'],
    ['Speed', `${page.speed.toFixed(2)}×`],
    ['Volume', `${Math.round(page.volume * 100)}%`],
    ['How you talk', page.voiceInput.mode === 'hands-free' ? 'hands-free' : page.voiceInput.mode === 'push-to-talk' ? 'push to talk' : 'typing'],
    [
      'Thinking time',
      page.voiceInput.thinkingTime === 'learned'
        ? `learned, ${((page.thinkingTimeInUseMs ?? page.voiceInput.thinkingTimeMs) / 1000).toFixed(1)} s now`
        : `${(page.voiceInput.thinkingTimeMs / 1000).toFixed(1)} s`,
    ],
    ['Turn detection', page.voiceInput.turnDetection === 'server' ? 'on the server' : 'in the browser'],
  ];

  return (
    <Dialog
      title="Configuration"
      onClose={onClose}
      className="config-dialog"
      footer={
        <>
          <button
            type="button"
            className="button button--secondary"
            onClick={() => void copyText(configReport(config, page)).then(onCopied)}
            disabled={load.status === 'loading'}
          >
            Copy for a bug report
          </button>
          <button type="button" className="button button--primary" onClick={onClose}>
            Close
          </button>
        </>
      }
    >
      {load.status === 'loading' ? <p role="status">Loading…</p> : null}
      {load.status === 'failed' ? <p role="alert">The server's configuration could not be read: {load.message}</p> : null}
      {config ? (
        <section aria-label="Server">
          <h3 className="config__heading">Server</h3>
          <dl className="config__list">
            {rows
              .filter((row): row is [string, string] => row[1] !== null)
              .map(([name, value], index) => (
                <div key={`${name}-${index}`} className="config__row">
                  <dt>{name}</dt>
                  <dd>{value}</dd>
                </div>
              ))}
          </dl>
        </section>
      ) : null}
      <section aria-label="This page">
        <h3 className="config__heading">This page</h3>
        <dl className="config__list">
          {pageRows.map(([name, value]) => (
            <div key={name} className="config__row">
              <dt>{name}</dt>
              <dd>{value}</dd>
            </div>
          ))}
        </dl>
      </section>
      <p className="config__note">
        Also at <a href="/api/config">/api/config</a> as JSON. Secrets (the access token, API keys) are never shown.
      </p>
    </Dialog>
  );
}
