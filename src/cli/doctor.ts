/**
 * `localchat doctor`: checks this machine and the configuration, and prints each problem with
 * its fix. Exit code 1 when something would stop LocalChat from talking.
 */
import { accessSync, constants, existsSync, mkdirSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, freemem, totalmem } from 'node:os';
import { type Config, llmProvider, ttsProvider } from '../config.js';
import { errorMessage } from '../core/errors.js';
import { physicalCoreCount } from '../engines/llm/threads.js';
import { HOW_TO_PROVIDE_AN_LLM, probeEspeak, probeRemoteLlm } from '../engines/registry.js';
import { DEFAULT_MODEL_IDS, kokoroEntry, parseModelReference } from '../models/catalog.js';
import { hubEndpoint } from '../models/download.js';
import { isInstalled, localPath } from '../models/models-dir.js';

type Level = 'ok' | 'warn' | 'fail';
interface Check {
  level: Level;
  name: string;
  detail: string;
  fix?: string;
}

const MARK: Record<Level, string> = { ok: '✔', warn: '!', fail: '✘' };

export async function doctor(config: Config): Promise<number> {
  const checks: Check[] = [];
  const add = (check: Check) => {
    checks.push(check);
    console.log(`${MARK[check.level]} ${check.name}: ${check.detail}${check.fix ? `\n    fix: ${check.fix}` : ''}`);
  };

  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  add(major > 20 || (major === 20 && minor >= 19)
    ? { level: 'ok', name: 'Node.js', detail: process.versions.node }
    : { level: 'fail', name: 'Node.js', detail: `${process.versions.node} is too old`, fix: 'Install Node.js 20.19 or newer (https://nodejs.org).' });

  const physical = physicalCoreCount();
  const threads = config.threads ?? physical;
  add({ level: 'ok', name: 'CPU', detail: `${availableParallelism()} logical / ${physical} physical cores; the embedded LLM uses ${threads} thread${threads === 1 ? '' : 's'}` });
  const gib = (bytes: number) => (bytes / 1024 ** 3).toFixed(1);
  add(totalmem() < 4 * 1024 ** 3
    ? { level: 'warn', name: 'Memory', detail: `${gib(totalmem())} GiB total`, fix: 'The default 1.5B model needs ~2 GiB; choose qwen2.5-0.5b-instruct with --model.' }
    : { level: 'ok', name: 'Memory', detail: `${gib(totalmem())} GiB total, ${gib(freemem())} GiB free` });

  for (const [name, dir] of [['Models directory', config.modelsDir], ['Data directory', config.dataDir]] as const) {
    try {
      mkdirSync(dir, { recursive: true });
      accessSync(dir, constants.W_OK);
      add({ level: 'ok', name, detail: dir });
    } catch (error) {
      add({ level: 'fail', name, detail: `${dir} is not writable (${errorMessage(error)})`, fix: `Choose another with --${name.startsWith('Models') ? 'models' : 'data'}-dir.` });
    }
  }

  if (llmProvider(config) === 'openai-compatible') {
    try {
      const models = await probeRemoteLlm(config, AbortSignal.timeout(5000));
      const chosen = config.llmModel ?? models[0];
      add(chosen && (!config.llmModel || models.includes(config.llmModel))
        ? { level: 'ok', name: 'LLM server', detail: `${config.llmBaseUrl} answers; model ${chosen}` }
        : { level: 'warn', name: 'LLM server', detail: `${config.llmBaseUrl} answers, models: ${models.join(', ') || 'none'}`, fix: 'Load a model in the server, or pick one of the listed with --llm-model.' });
    } catch (error) {
      add({ level: 'fail', name: 'LLM server', detail: errorMessage(error), fix: `Start LM Studio / Ollama / llama-server, or check --llm-base-url (${config.llmBaseUrl}).` });
    }
  } else {
    add(checkGguf(config));
  }

  try {
    const ms = await probeEspeak();
    add({ level: 'ok', name: 'eSpeak NG voice', detail: `speaks (${Math.round(ms)} ms to load and say a word)` });
  } catch (error) {
    add({ level: 'fail', name: 'eSpeak NG voice', detail: errorMessage(error), fix: 'Reinstall the packages: rm -rf node_modules && npm install.' });
  }
  if (ttsProvider(config) === 'kokoro') {
    const entry = kokoroEntry(config.kokoroDtype);
    add((await isInstalled(entry, config.modelsDir))
      ? { level: 'ok', name: 'Kokoro voice', detail: localPath(entry, config.modelsDir) }
      : { level: 'warn', name: 'Kokoro voice', detail: `not downloaded (${localPath(entry, config.modelsDir)})`, fix: `It downloads on first start, or now with \`localchat models pull ${entry.id}\`. eSpeak NG speaks meanwhile.` });
  }

  add(await checkPort(config.host, config.port));
  add(await checkHub());

  const failures = checks.filter((check) => check.level === 'fail').length;
  const warnings = checks.filter((check) => check.level === 'warn').length;
  console.log(`\n${failures ? `${failures} problem${failures === 1 ? '' : 's'}` : 'No problems'}${warnings ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : ''}.`);
  return failures ? 1 : 0;
}

function checkGguf(config: Config): Check {
  const name = 'Language model';
  let path: string;
  try {
    const reference = parseModelReference(config.model ?? DEFAULT_MODEL_IDS.llm, { kind: 'llm' });
    path = reference.type === 'local' ? reference.path : localPath(reference.entry, config.modelsDir);
  } catch (error) {
    return { level: 'fail', name, detail: errorMessage(error), fix: HOW_TO_PROVIDE_AN_LLM };
  }
  if (!existsSync(path)) {
    return config.model && !config.download
      ? { level: 'fail', name, detail: `${path} does not exist`, fix: HOW_TO_PROVIDE_AN_LLM }
      : { level: 'warn', name, detail: `${path} is not downloaded yet`, fix: `It downloads on first start (or run \`localchat models pull\`). Offline? ${HOW_TO_PROVIDE_AN_LLM}` };
  }
  const magic = Buffer.alloc(4);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, magic, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  if (magic.toString('latin1') !== 'GGUF') {
    return { level: 'fail', name, detail: `${path} is not a GGUF file (corrupt or wrong format)`, fix: 'Delete it and download it again, or give another file with --model.' };
  }
  return { level: 'ok', name, detail: `${path} (${(statSync(path).size / 1e6).toFixed(0)} MB)` };
}

function checkPort(host: string, port: number): Promise<Check> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      resolve({ level: 'fail', name: 'Port', detail: `${host}:${port} is ${error.code === 'EADDRINUSE' ? 'in use' : `unavailable (${error.code})`}`, fix: `Stop what uses it, or start with --port ${port + 1}.` }),
    );
    server.listen(port, host, () => server.close(() => resolve({ level: 'ok', name: 'Port', detail: `${host}:${port} is free` })));
  });
}

async function checkHub(): Promise<Check> {
  const endpoint = hubEndpoint();
  try {
    const response = await fetch(endpoint, { method: 'HEAD', signal: AbortSignal.timeout(5000) });
    return { level: 'ok', name: 'Model hub', detail: `${endpoint} reachable (HTTP ${response.status})` };
  } catch (error) {
    return { level: 'warn', name: 'Model hub', detail: `${endpoint} unreachable (${errorMessage(error)})`, fix: `Models cannot download: copy them into the models directory. ${HOW_TO_PROVIDE_AN_LLM}` };
  }
}
