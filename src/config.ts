/**
 * Configuration: command-line flags > environment variables > `localchat.config.json`, validated
 * with one zod schema. An invalid value stops start-up with one line naming the key and what is
 * allowed (`ConfigError`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from './core/errors.js';

const booleanish = z.union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => ['true', '1', 'yes'].includes(v))]);
const list = z.union([z.array(z.string()), z.string().transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))]);

export const configSchema = z.object({
  host: z.string().min(1).default('127.0.0.1').describe('address to bind'),
  port: z.coerce.number().int().min(0).max(65535).default(8000).describe('port to listen on (0 = any free port)'),
  allowedHosts: list.default([]).describe('extra Host names accepted besides localhost, 127.0.0.1 and [::1]'),
  allowedOrigins: list.default([]).describe('extra Origins allowed to open the WebSocket'),
  token: z.string().min(16).optional().describe('access token clients must send (generated and printed when binding beyond loopback)'),
  tls: booleanish.default(false).describe('serve HTTPS/WSS with a self-signed certificate made in the data directory'),
  tlsCert: z.string().optional().describe('path of a PEM certificate for HTTPS/WSS'),
  tlsKey: z.string().optional().describe('path of the PEM private key for --tls-cert'),
  dataDir: z.string().default(join(homedir(), '.local', 'share', 'localchat')).describe('where LocalChat keeps its data'),
  modelsDir: z.string().default(join(homedir(), '.cache', 'localchat', 'models')).describe('where downloaded models live'),
  llm: z.enum(['llama-cpp', 'openai-compatible']).optional().describe('LLM engine (default llama-cpp; openai-compatible when llmBaseUrl is set)'),
  model: z.string().optional().describe('GGUF for llama-cpp: a path, a catalog id or a Hub reference (hf:owner/repo/file.gguf)'),
  llmBaseUrl: z.string().url().optional().describe('base URL of an OpenAI-compatible server, e.g. http://localhost:1234/v1'),
  llmModel: z.string().optional().describe('model name on the OpenAI-compatible server'),
  llmApiKey: z.string().optional().describe('API key for the OpenAI-compatible server, if it needs one'),
  llmWarmup: z
    .enum(['auto', 'on', 'off'])
    .default('auto')
    .describe('send the OpenAI-compatible server each session\'s system prompt ahead of the first turn (max_tokens 1) so its prompt cache holds it: auto = only for loopback and private-network servers (per-token billing elsewhere)'),
  threads: z.coerce.number().int().min(1).max(256).optional().describe('CPU threads for llama-cpp (default: physical cores)'),
  contextSize: z.coerce.number().int().min(512).max(131072).default(4096).describe('llama-cpp context size of each conversation in tokens (older turns are summarized)'),
  conversations: z.coerce.number().int().min(1).max(64).default(2).describe('conversations whose llama-cpp KV cache is kept at once (one more sequence serves side tasks such as correction cards)'),
  tts: z.enum(['kokoro', 'espeak', 'supertonic', 'openai-compatible']).optional().describe('TTS engine: kokoro (default), espeak, supertonic, or openai-compatible (when ttsBaseUrl is set); eSpeak NG is the fallback'),
  ttsModel: z.string().optional().describe('TTS model: supertonic-2 (default for supertonic) or supertonic-3, or the model name on the TTS server (e.g. kokoro, tts-1)'),
  ttsBaseUrl: z.string().url().optional().describe('base URL of an OpenAI-compatible /v1/audio/speech server (Kokoro-FastAPI, LocalAI, openedai-speech)'),
  ttsApiKey: z.string().optional().describe('API key for the TTS server, if it needs one'),
  ttsVoices: list.optional().describe('voices the TTS server offers, comma-separated (default: OpenAI\'s)'),
  ttsSteps: z.coerce.number().int().min(1).max(50).default(5).describe('Supertonic quality: denoising steps, 1-50'),
  voice: z.string().optional().describe('default voice id'),
  speed: z.coerce.number().min(0.5).max(2).default(1).describe('default speaking speed, 0.5-2.0'),
  stt: z.enum(['whisper', 'openai-compatible', 'none']).optional().describe('speech recognition engine (default whisper; openai-compatible when sttBaseUrl is set)'),
  sttModel: z.string().optional().describe('STT model: a catalog id for whisper (whisper-base.en, whisper-small.en, moonshine-tiny, moonshine-base) or the model name on the STT server'),
  sttBaseUrl: z.string().url().optional().describe('base URL of an OpenAI-compatible /v1/audio/transcriptions server, e.g. http://localhost:8001/v1'),
  sttApiKey: z.string().optional().describe('API key for the STT server, if it needs one'),
  kokoroDtype: z.enum(['fp32', 'fp16', 'q8', 'q4', 'q4f16']).default('q8').describe('Kokoro weights precision'),
  download: booleanish.default(true).describe('download missing default models on start'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('log level'),
});

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
/** Config keys; each has a command-line flag (src/cli/main.ts lists one for each). */
export type ConfigKey = keyof Config;

/** Environment variable for each key. `HOST` and `PORT` are the usual names; the rest are prefixed. */
export const ENV_KEYS: Record<keyof Config, string> = {
  host: 'HOST',
  port: 'PORT',
  allowedHosts: 'LOCALCHAT_ALLOWED_HOSTS',
  allowedOrigins: 'LOCALCHAT_ALLOWED_ORIGINS',
  token: 'LOCALCHAT_TOKEN',
  tls: 'LOCALCHAT_TLS',
  tlsCert: 'LOCALCHAT_TLS_CERT',
  tlsKey: 'LOCALCHAT_TLS_KEY',
  dataDir: 'LOCALCHAT_DATA_DIR',
  modelsDir: 'LOCALCHAT_MODELS_DIR',
  llm: 'LOCALCHAT_LLM',
  model: 'LOCALCHAT_LLM_MODEL',
  llmBaseUrl: 'LOCALCHAT_LLM_BASE_URL',
  llmModel: 'LOCALCHAT_LLM_SERVER_MODEL',
  llmApiKey: 'LOCALCHAT_LLM_API_KEY',
  llmWarmup: 'LOCALCHAT_LLM_WARMUP',
  threads: 'LOCALCHAT_THREADS',
  contextSize: 'LOCALCHAT_CONTEXT_SIZE',
  conversations: 'LOCALCHAT_CONVERSATIONS',
  tts: 'LOCALCHAT_TTS',
  ttsModel: 'LOCALCHAT_TTS_MODEL',
  ttsBaseUrl: 'LOCALCHAT_TTS_BASE_URL',
  ttsApiKey: 'LOCALCHAT_TTS_API_KEY',
  ttsVoices: 'LOCALCHAT_TTS_VOICES',
  ttsSteps: 'LOCALCHAT_TTS_STEPS',
  voice: 'LOCALCHAT_VOICE',
  speed: 'LOCALCHAT_SPEED',
  stt: 'LOCALCHAT_STT',
  sttModel: 'LOCALCHAT_STT_MODEL',
  sttBaseUrl: 'LOCALCHAT_STT_BASE_URL',
  sttApiKey: 'LOCALCHAT_STT_API_KEY',
  kokoroDtype: 'LOCALCHAT_KOKORO_DTYPE',
  download: 'LOCALCHAT_DOWNLOAD',
  logLevel: 'LOCALCHAT_LOG_LEVEL',
};

/** Name of the optional config file, looked up in the working directory. */
export const CONFIG_FILE = 'localchat.config.json';

export interface LoadConfigOptions {
  /** Values from command-line flags (undefined = not given). */
  flags?: Partial<Record<ConfigKey, unknown>>;
  env?: NodeJS.ProcessEnv;
  /** Path of the config file; defaults to `./localchat.config.json` when it exists. */
  configFile?: string;
}

/**
 * Merges flags > env > config file > defaults and validates the result.
 * @throws ConfigError naming the first invalid key, where it came from and what is allowed
 */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const sources: Partial<Record<keyof Config, string>> = {};
  const merged: Record<string, unknown> = {};

  const file = options.configFile ?? resolve(CONFIG_FILE);
  if (existsSync(file)) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new ConfigError('config', `${file} is not valid JSON: ${(error as Error).message}`);
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ConfigError('config', `${file} must hold a JSON object.`);
    for (const [key, value] of Object.entries(json)) {
      if (!(key in configSchema.shape)) throw new ConfigError(key, `Unknown key "${key}" in ${file}; allowed: ${Object.keys(configSchema.shape).join(', ')}.`);
      merged[key] = value;
      sources[key as keyof Config] = file;
    }
  }
  for (const [key, name] of Object.entries(ENV_KEYS) as [keyof Config, string][]) {
    const value = env[name];
    if (value !== undefined && value !== '') {
      merged[key] = value;
      sources[key] = `environment variable ${name}`;
    }
  }
  for (const [key, value] of Object.entries(options.flags ?? {}) as [ConfigKey, unknown][]) {
    if (value !== undefined) {
      merged[key] = value;
      sources[key] = `flag --${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    }
  }

  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0] ?? 'config') as keyof Config;
    const description = configSchema.shape[key]?.description;
    const source = sources[key] ? ` (from ${sources[key]})` : '';
    throw new ConfigError(key, `Invalid config "${key}"${source}: ${issue.message}${description ? ` — expected ${description}` : ''}.`);
  }
  const config = parsed.data;
  if ((config.tlsCert === undefined) !== (config.tlsKey === undefined)) {
    throw new ConfigError('tlsCert', 'Invalid config "tlsCert"/"tlsKey": give both a certificate and its key, or neither.');
  }
  if (config.tts === 'openai-compatible' && !config.ttsBaseUrl) {
    throw new ConfigError('ttsBaseUrl', 'Invalid config "ttsBaseUrl": the openai-compatible TTS needs a base URL, e.g. http://localhost:8880/v1.');
  }
  if (config.stt === 'openai-compatible' && !config.sttBaseUrl) {
    throw new ConfigError('sttBaseUrl', 'Invalid config "sttBaseUrl": the openai-compatible STT needs a base URL, e.g. http://localhost:8001/v1.');
  }
  if (config.llm === 'openai-compatible' && !config.llmBaseUrl) {
    throw new ConfigError('llmBaseUrl', 'Invalid config "llmBaseUrl": the openai-compatible LLM needs a base URL, e.g. http://localhost:1234/v1.');
  }
  return config;
}

/** The TTS engine to use: explicit, else openai-compatible when a base URL is set, else kokoro. */
export function ttsProvider(config: Config): 'kokoro' | 'espeak' | 'supertonic' | 'openai-compatible' {
  return config.tts ?? (config.ttsBaseUrl ? 'openai-compatible' : 'kokoro');
}

/** The STT engine to use: explicit, else openai-compatible when a base URL is set, else whisper. */
export function sttProvider(config: Config): 'whisper' | 'openai-compatible' | 'none' {
  return config.stt ?? (config.sttBaseUrl ? 'openai-compatible' : 'whisper');
}

/** The LLM engine to use: explicit, else openai-compatible when a base URL is set, else llama-cpp. */
export function llmProvider(config: Config): 'llama-cpp' | 'openai-compatible' {
  return config.llm ?? (config.llmBaseUrl ? 'openai-compatible' : 'llama-cpp');
}
