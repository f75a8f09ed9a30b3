#!/usr/bin/env node
/**
 * Builds only what changed since the last build (used by `npm start`):
 *
 * - the server (`tsc -p tsconfig.build.json`, incremental) when a file under src/, a tsconfig or
 *   the lock file is newer than the last server build;
 * - the web UI (`vite build`) when a file under web/ or src/ (the UI imports shared types and
 *   helpers from src/), the lock file or package.json is newer than the last UI build.
 *
 * "Newer" compares modification times, directories included (a deleted or renamed file changes its
 * directory's time). A build that fails leaves no stamp, so the next start tries again.
 *
 * Prints one line per part it builds, nothing when all is up to date (`--quiet`: not even that).
 * Usage: node scripts/build-changed.mjs [--quiet]   (exit status: that of the failing build)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const quiet = process.argv.includes('--quiet');

/** What each part is built from, the stamp written after it built, and the command. */
const PARTS = [
  {
    name: 'server',
    inputs: ['src', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'],
    stamp: 'dist/.server-built',
    output: 'dist/cli/main.js',
    command: [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
  },
  {
    name: 'web UI',
    inputs: ['web', 'src', 'package.json', 'package-lock.json'],
    stamp: 'dist/.web-built',
    output: 'dist/web/index.html',
    command: [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'],
  },
];

/**
 * Newest modification time (ms) under `path`, directories included; 0 when it does not exist.
 * Skips node_modules and dot-directories.
 */
export function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  let newest = stats.mtimeMs;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    newest = Math.max(newest, newestMtime(join(path, entry.name)));
  }
  return newest;
}

/** True when `part` has no build yet or an input is newer than its stamp. */
export function isStale(part, base = root) {
  const stamp = join(base, part.stamp);
  if (!existsSync(stamp) || !existsSync(join(base, part.output))) return true;
  const built = statSync(stamp).mtimeMs;
  return part.inputs.some((input) => newestMtime(join(base, input)) > built);
}

function main() {
  for (const part of PARTS) {
    if (!isStale(part)) continue;
    if (!quiet) console.log(`${part.name}: building (${relative(root, part.output)})…`);
    const startedAt = Date.now();
    const result = spawnSync(process.execPath, part.command, { cwd: root, stdio: 'inherit' });
    if (result.status !== 0) {
      console.error(`${part.name}: build failed`);
      process.exit(result.status ?? 1);
    }
    mkdirSync(join(root, 'dist'), { recursive: true });
    // The stamp takes the time the build started: a file saved during the build counts as newer.
    writeFileSync(join(root, part.stamp), '');
    utimesSync(join(root, part.stamp), startedAt / 1000, startedAt / 1000);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
