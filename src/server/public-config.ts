/**
 * The configuration in effect, without secrets, for `GET /api/config` and the page's
 * "Configuration" panel (copied into bug reports): the version, the engines and their state, the
 * models, voice, speed, directories and network settings.
 *
 * Secrets never leave: the access token and API keys become `"(set)"` (or are absent when unset),
 * and user names or passwords inside URLs are removed.
 */
import type { Config } from '../config.js';
import type { EngineStatus } from '../core/engine-status.js';

/** Config keys whose values are secrets: shown as "(set)" when present. */
export const SECRET_KEYS = ['token', 'llmApiKey', 'ttsApiKey', 'sttApiKey'] as const satisfies readonly (keyof Config)[];

/** Config keys that hold URLs (credentials inside them are removed). */
const URL_KEYS = ['llmBaseUrl', 'ttsBaseUrl', 'sttBaseUrl'] as const satisfies readonly (keyof Config)[];

export interface PublicConfig {
  version: string;
  /** Where the server listens now, e.g. "127.0.0.1:8000" (null before it listens). */
  listening: string | null;
  /** Node.js version and platform of the server, e.g. "v20.19.0 linux x64". */
  runtime: string;
  engines: EngineStatus[];
  /** Session defaults: the voice (null: the engine's default) and speaking speed (0.5-2). */
  voice: string | null;
  speed: number;
  /** Every configuration key in effect (flags > env > localchat.config.json > defaults); null when the server was built without one (tests, embedding). */
  settings: Record<string, unknown> | null;
}

/** A URL without user name and password (a string that is not a URL is returned as is). */
export function withoutCredentials(value: string): string {
  try {
    const url = new URL(value);
    if (!url.username && !url.password) return value;
    url.username = '';
    url.password = '';
    return url.toString();
  } catch {
    return value;
  }
}

/** The settings of a config with secrets replaced by "(set)" and credentials removed from URLs. */
export function redactConfig(config: Config): Record<string, unknown> {
  const settings: Record<string, unknown> = { ...config };
  for (const key of SECRET_KEYS) {
    if (settings[key] === undefined) delete settings[key];
    else settings[key] = '(set)';
  }
  for (const key of URL_KEYS) {
    const value = settings[key];
    if (typeof value === 'string') settings[key] = withoutCredentials(value);
  }
  return settings;
}

export function publicConfig(options: { version: string; engines: EngineStatus[]; config?: Config; voice?: string; speed?: number; listening?: string | null }): PublicConfig {
  const { config } = options;
  return {
    version: options.version,
    listening: options.listening ?? null,
    runtime: `${process.version} ${process.platform} ${process.arch}`,
    engines: options.engines,
    voice: options.voice ?? config?.voice ?? null,
    speed: options.speed ?? config?.speed ?? 1,
    settings: config ? redactConfig(config) : null,
  };
}
