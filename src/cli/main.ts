#!/usr/bin/env node
/**
 * The `localchat` command: `serve` (default), `models list | pull [name]`, `doctor`, `say`.
 * `npm start -- <flags>` passes its flags to `serve`.
 */
import { existsSync } from 'node:fs';
import { Command, Option } from 'commander';
import { type ConfigKey, loadConfig } from '../config.js';
import { ConfigError, ModelLoadError, errorMessage } from '../core/errors.js';
import { VERSION } from '../version.js';

/** Every config flag: config key -> [flags, help]. `serve` and `doctor` take them all; other commands a subset. */
const CONFIG_FLAGS = {
  host: ['--host <address>', 'address to bind (default 127.0.0.1)'],
  port: ['--port <number>', 'port (default 8000)'],
  model: ['--model <path|id|hf:ref>', 'GGUF for the embedded LLM: a path, a catalog id or hf:owner/repo/file.gguf'],
  llm: ['--llm <engine>', 'LLM engine: llama-cpp | openai-compatible'],
  llmBaseUrl: ['--llm-base-url <url>', 'OpenAI-compatible server, e.g. http://localhost:1234/v1 (LM Studio)'],
  llmModel: ['--llm-model <name>', 'model name on that server'],
  llmApiKey: ['--llm-api-key <key>', 'API key for that server, if it needs one'],
  threads: ['--threads <n>', 'CPU threads for the embedded LLM (default: physical cores)'],
  contextSize: ['--context-size <tokens>', 'context size of each conversation in the embedded LLM (default 4096)'],
  conversations: ['--conversations <n>', 'conversations whose embedded-LLM cache is kept at once (default 2)'],
  llmWarmup: ['--llm-warmup <mode>', 'send an OpenAI-compatible server the system prompt ahead of the first turn: auto (local servers) | on | off'],
  tts: ['--tts <engine>', 'TTS engine: kokoro | espeak | supertonic | openai-compatible'],
  ttsModel: ['--tts-model <id>', 'supertonic-2 | supertonic-3, or the model name on the TTS server'],
  ttsBaseUrl: ['--tts-base-url <url>', 'OpenAI-compatible /v1/audio/speech server (Kokoro-FastAPI, LocalAI, openedai-speech)'],
  ttsApiKey: ['--tts-api-key <key>', 'API key for that server, if it needs one'],
  ttsVoices: ['--tts-voices <ids>', 'voices that server offers, comma-separated'],
  ttsSteps: ['--tts-steps <n>', 'Supertonic quality: denoising steps 1-50 (default 5)'],
  voice: ['--voice <id>', 'default voice'],
  speed: ['--speed <x>', 'default speaking speed 0.5-2.0'],
  stt: ['--stt <engine>', 'speech recognition: whisper | openai-compatible | none'],
  sttModel: ['--stt-model <id>', 'STT model: whisper-base.en (default), whisper-small.en, moonshine-tiny, … or the remote model name'],
  sttBaseUrl: ['--stt-base-url <url>', 'OpenAI-compatible /v1/audio/transcriptions server (speaches, LocalAI, whisper.cpp)'],
  sttApiKey: ['--stt-api-key <key>', 'API key for that server, if it needs one'],
  kokoroDtype: ['--kokoro-dtype <dtype>', 'Kokoro precision: fp32 | fp16 | q8 | q4 | q4f16'],
  modelsDir: ['--models-dir <dir>', 'models directory (default ~/.cache/localchat/models)'],
  dataDir: ['--data-dir <dir>', 'data directory (default ~/.local/share/localchat)'],
  token: ['--token <token>', 'access token clients must send (default: generated when --host is not loopback)'],
  tls: ['--tls', 'serve HTTPS/WSS with a self-signed certificate'],
  tlsCert: ['--tls-cert <file>', 'PEM certificate for HTTPS/WSS'],
  tlsKey: ['--tls-key <file>', 'PEM key for --tls-cert'],
  allowedHosts: ['--allowed-hosts <names>', 'extra Host names to accept, comma-separated'],
  allowedOrigins: ['--allowed-origins <origins>', 'extra WebSocket origins to accept, comma-separated'],
  download: ['--no-download', 'do not download missing models'],
  logLevel: ['--log-level <level>', 'fatal | error | warn | info | debug | trace | silent'],
} as const satisfies Record<ConfigKey, readonly [string, string]>;

/** The flags of `localchat say`: the voice and where its model comes from. */
const SAY_FLAGS: readonly ConfigKey[] = ['voice', 'speed', 'ttsModel', 'ttsBaseUrl', 'ttsApiKey', 'ttsVoices', 'ttsSteps', 'kokoroDtype', 'modelsDir', 'download'];
/** The flags of `localchat models list | pull`. */
const MODELS_FLAGS: readonly ConfigKey[] = ['modelsDir', 'kokoroDtype'];

/** Adds the config flags of `keys` (default: all) and `--config` to a command. */
function addConfigFlags(command: Command, keys: readonly ConfigKey[] = Object.keys(CONFIG_FLAGS) as ConfigKey[]): Command {
  for (const key of keys) {
    const [flags, help] = CONFIG_FLAGS[key];
    command.addOption(new Option(flags, help));
  }
  return command.option('--config <file>', 'config file (default ./localchat.config.json)');
}

function configFrom(options: Record<string, unknown>) {
  const flags: Partial<Record<ConfigKey, unknown>> = { ...options };
  delete (flags as Record<string, unknown>).config;
  // commander sets `download: true` by default for --no-download; only an explicit false counts.
  if (options.download !== false) delete flags.download;
  return loadConfig({ flags, configFile: options.config as string | undefined });
}

async function run(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    if (ConfigError.isInstance(error)) {
      console.error(`localchat: ${error.message}`);
    } else if (ModelLoadError.isInstance(error)) {
      console.error(`localchat: ${error.message}\n  path: ${error.path}\n  fix: ${error.fix}`);
    } else {
      console.error(`localchat: ${errorMessage(error)}`);
    }
    process.exitCode = 1;
  }
}

// Settings may live in ./.env (see .env.example); the shell's environment wins.
if (existsSync('.env')) process.loadEnvFile('.env');

const program = new Command('localchat')
  .description('LocalChat: a local, private English conversation partner that talks back')
  .version(VERSION);

addConfigFlags(program.command('serve', { isDefault: true }).description('start the server and web UI (default)')).action((options) =>
  run(async () => {
    const { serve } = await import('../server/start.js');
    await serve(configFrom(options));
  }),
);

const models = program.command('models').description('list or download models');
addConfigFlags(models.command('list').description('show the catalog and what is installed'), MODELS_FLAGS).action((options) =>
  run(async () => {
    const { listModels } = await import('./models-command.js');
    await listModels(configFrom(options));
  }),
);
addConfigFlags(models.command('pull').argument('[name]', 'catalog id or hf:owner/repo/file (default: the default LLM and voice)').description('download a model'), MODELS_FLAGS).action(
  (name: string | undefined, options) =>
    run(async () => {
      const { pullModel } = await import('./models-command.js');
      await pullModel(configFrom(options), name);
    }),
);

addConfigFlags(program.command('doctor').description('check this machine: Node, CPU, engines, models, port, Hub')).action((options) =>
  run(async () => {
    const { doctor } = await import('./doctor.js');
    process.exitCode = await doctor(configFrom(options));
  }),
);

addConfigFlags(
  program
    .command('say')
    .argument('<text>', 'what to say')
    .requiredOption('-o, --output <file>', 'WAV file to write')
    .option('--engine <tts>', 'TTS engine: kokoro | espeak | supertonic | openai-compatible (default kokoro; eSpeak NG when it cannot be had)')
    .description('speak a text into a WAV file'),
  SAY_FLAGS,
).action((text: string, options) =>
  run(async () => {
    const { say } = await import('./say.js');
    const { output, engine, ...rest } = options as { output: string; engine?: string } & Record<string, unknown>;
    await say(configFrom({ ...rest, ...(engine ? { tts: engine } : {}) }), text, output);
  }),
);

await program.parseAsync(process.argv);
