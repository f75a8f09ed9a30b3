/**
 * Helpers for the set-up tests: run npm, git and LocalChat as a new user would, in a temporary
 * directory, without the network.
 *
 * - npm runs with a clean environment (none of the `npm_*` variables of the `npm test` that runs
 *   us, none of CI's install switches) and a cache directory of its own whose `_cacache` is the
 *   machine's warm npm cache, so packages come from the cache (`--prefer-offline`).
 * - better-sqlite3's install script (prebuild-install) looks for its prebuilt binary in
 *   `<npm cache>/_prebuilds` before downloading it from GitHub
 *   (https://github.com/prebuild/prebuild-install, util.js `cachedPrebuild`). The sandbox puts the
 *   binary this checkout already has there, under the name prebuild-install would download, so a
 *   test install takes seconds instead of a 4-minute compile from source. The install script
 *   itself still runs: it is what the test checks.
 * - The Hugging Face Hub is a closed local port: LocalChat starts offline, as on a machine without
 *   internet.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createHash } from 'node:crypto';

/** The repository under test. */
export const REPO_ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');

/** Output of one command. */
export interface RunResult {
  status: number | null;
  output: string;
}

/** Environment of a user's shell: ours without npm's per-run variables and CI's install switches. */
export function userEnv(sandbox: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) || key === 'ONNXRUNTIME_NODE_INSTALL_CUDA' || key === 'NODE_LLAMA_CPP_SKIP_DOWNLOAD' || key === 'INIT_CWD') continue;
    env[key] = value;
  }
  return {
    ...env,
    npm_config_cache: join(sandbox, 'npm-cache'),
    HF_ENDPOINT: 'http://127.0.0.1:9',
    LOCALCHAT_DATA_DIR: join(sandbox, 'data'),
    LOCALCHAT_MODELS_DIR: join(sandbox, 'models'),
    NO_COLOR: '1',
    ...extra,
  };
}

/**
 * Makes `<sandbox>/npm-cache`: the machine's npm cache (linked) plus better-sqlite3's prebuilt
 * binary where prebuild-install looks for it.
 */
export function prepareNpmCache(sandbox: string): void {
  const cache = join(sandbox, 'npm-cache');
  mkdirSync(join(cache, '_prebuilds'), { recursive: true });
  // Under `npm test`, npm tells its scripts the cache it uses; otherwise ask it.
  const machineCache = process.env.npm_config_cache ?? execFileSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8', env: userEnv(sandbox, { npm_config_cache: undefined }) }).trim();
  symlinkSync(join(machineCache, '_cacache'), join(cache, '_cacache'));

  const sqlite = join(REPO_ROOT, 'node_modules', 'better-sqlite3');
  const binary = join(sqlite, 'build', 'Release', 'better_sqlite3.node');
  if (!existsSync(binary)) return; // the install will build it from source (slow, but it works)
  const { version } = JSON.parse(readFileSync(join(sqlite, 'package.json'), 'utf8')) as { version: string };
  // prebuild-install's asset name and URL for this Node ABI and platform (util.js getDownloadUrl).
  const asset = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  const url = `https://github.com/WiseLibs/better-sqlite3/releases/download/v${version}/${asset}`;
  const digest = createHash('sha512').update(url).digest('hex').slice(0, 6);
  const staging = join(sandbox, 'prebuild', 'build', 'Release');
  mkdirSync(staging, { recursive: true });
  copyFileSync(binary, join(staging, 'better_sqlite3.node'));
  execFileSync('tar', ['czf', join(cache, '_prebuilds', `${digest}-${asset.replace(/[^a-zA-Z0-9.]+/g, '-')}`), '-C', join(sandbox, 'prebuild'), 'build']);
}

/** Runs a command to completion; output is stdout and stderr interleaved. */
export function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): RunResult {
  const result = spawnSync(command, args, { cwd: options.cwd, env: options.env, encoding: 'utf8', timeout: options.timeoutMs ?? 300_000, stdio: ['ignore', 'pipe', 'pipe'] });
  return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? `\n${result.error.message}` : ''}` };
}

/** The `npm warn …` / `npm WARN …` lines of an output. */
export function npmWarnings(output: string): string[] {
  return output.split('\n').filter((line) => /^npm warn/i.test(line.trim()) || /not yet covered by allowScripts|Unknown (project|user|env|builtin|cli) config/i.test(line));
}

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return address.port;
}

/** A long-running command (a server) in its own process group, with its output so far. */
export interface Started {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the first match of `pattern` in the output; rejects on exit or timeout. */
  waitFor: (pattern: RegExp, timeoutMs: number) => Promise<RegExpMatchArray>;
  stop: () => Promise<void>;
}

export function start(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Started {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    text += chunk.toString('utf8');
    for (const listener of listeners) listener();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => text,
    waitFor: (pattern, timeoutMs) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(text);
          if (match) {
            cleanup();
            resolve(match);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}; output:\n${text}`));
        }, timeoutMs);
        const onExit = () => {
          cleanup();
          reject(new Error(`${command} exited before printing ${pattern}; output:\n${text}`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off('exit', onExit);
        };
        listeners.add(check);
        child.once('exit', onExit);
        check();
      }),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid!, 'SIGTERM');
        } catch {
          // already gone
        }
        const killer = setTimeout(() => {
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            // already gone
          }
        }, 8000);
        await exited;
        clearTimeout(killer);
      }
    },
  };
}

/**
 * package.json and package-lock.json for an empty project that installs `tarball`: the lock
 * lists the tarball and, for its dependencies, this repository's lock entries (so every
 * dependency resolves from the npm cache without asking the registry which versions exist).
 */
export function writeTarballProject(dir: string, tarball: string): void {
  const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, Record<string, unknown>> };
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  const integrity = `sha512-${createHash('sha512').update(readFileSync(join(dir, tarball))).digest('base64')}`;
  const packages: Record<string, Record<string, unknown>> = {
    '': { name: 'localchat-user', dependencies: { localchat: `file:${tarball}` } },
    'node_modules/localchat': { version: pkg.version, resolved: `file:${tarball}`, integrity, license: pkg.license, dependencies: pkg.dependencies, bin: pkg.bin, engines: pkg.engines },
  };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (!path || entry.dev) continue;
    const copy = { ...entry };
    if (copy.devOptional) {
      delete copy.devOptional;
      copy.optional = true;
    }
    packages[path] = copy;
  }
  const project = { name: 'localchat-user', private: true, dependencies: { localchat: `file:${tarball}` }, allowScripts: pkg.allowScripts, overrides: pkg.overrides };
  writeFileSyncJson(join(dir, 'package.json'), project);
  writeFileSyncJson(join(dir, 'package-lock.json'), { name: 'localchat-user', lockfileVersion: 3, requires: true, packages });
}

function writeFileSyncJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}
