/**
 * A new user's first hour, from the README: clone, `npm install`, `npm start`, the `say` example,
 * `npm test`; then the package as users install it: `npm pack`, install the tarball into an empty
 * directory, `npx localchat serve`. Each step must work offline (the npm cache is warm, the Hub is
 * unreachable) and print no npm warning of the project's own making (unknown config keys,
 * unreviewed install scripts, engine mismatches, deprecations).
 *
 * Slow by nature (two installs, two builds): one file, one sequence, ~3-4 minutes on 2 cores.
 * The clone is of the committed HEAD: commit before expecting this test to see a change.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, type Started, freePort, npmWarnings, prepareNpmCache, run, start, userEnv, writeTarballProject } from './npm-sandbox.js';

const sandbox = mkdtempSync(join(tmpdir(), 'localchat-setup-'));
const clone = join(sandbox, 'localchat');
const env = userEnv(sandbox);
const servers: Started[] = [];
const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');

/** The commands of the README's first bash block after `heading`. */
function readmeCommands(heading: string): string[] {
  const section = readme.slice(readme.indexOf(heading));
  const block = /```bash\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  return block.split('\n').map((line) => line.replace(/#.*$/, '').trim()).filter(Boolean);
}

function expectNoNpmWarnings(step: string, output: string): void {
  expect(npmWarnings(output), `${step} printed npm warnings:\n${output}`).toEqual([]);
}

beforeAll(() => {
  prepareNpmCache(sandbox);
  mkdirSync(join(sandbox, 'data'), { recursive: true });
}, 60_000);

afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  rmSync(sandbox, { recursive: true, force: true });
}, 60_000);

describe('set-up as the README says, on a fresh clone', () => {
  it('the README starts with `npm install` and `npm start`', () => {
    expect(readmeCommands('## Quick start')).toEqual(['npm install', 'npm start']);
  });

  it('git clone, then `npm install` from the npm cache, quietly', () => {
    const cloned = run('git', ['clone', '--quiet', '--no-hardlinks', REPO_ROOT, clone], { cwd: sandbox, env });
    expect(cloned.status, cloned.output).toBe(0);
    const install = run('npm', ['install', '--prefer-offline'], { cwd: clone, env, timeoutMs: 480_000 });
    expect(install.status, install.output).toBe(0);
    expectNoNpmWarnings('npm install', install.output);
    // Every dependency install script is declared (allowed or denied) in package.json
    // (`npm install-scripts` exists from npm 11.16; older npm runs every script and has no list).
    const [major = 0, minor = 0] = run('npm', ['--version'], { cwd: clone, env }).output.trim().split('.').map(Number);
    if (major > 11 || (major === 11 && minor >= 16)) {
      const pending = run('npm', ['install-scripts', 'ls'], { cwd: clone, env });
      expect(pending.output).toMatch(/No packages with unreviewed install scripts/);
    } else {
      console.warn(`npm ${major}.${minor} has no allowScripts: not checking the install-script list.`);
    }
    // better-sqlite3's native binary is there (prebuilt or compiled); onnxruntime-node fetched no CUDA.
    expect(statSync(join(clone, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node')).size).toBeGreaterThan(100_000);
    const ortLinux = join(clone, 'node_modules/onnxruntime-node/bin/napi-v3/linux/x64');
    if (process.platform === 'linux' && process.arch === 'x64') expect(readdirSync(ortLinux).filter((file) => file.includes('cuda'))).toEqual([]);
  }, 600_000);

  it('`npm start` builds, serves /health and the UI, and prints no npm warning', async () => {
    const port = await freePort();
    const server = start('npm', ['start', '--', '--port', String(port)], { cwd: clone, env });
    servers.push(server);
    await server.waitFor(/LocalChat \S+ is running: open http:\/\/localhost:\d+/, 240_000);
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { version: string }).version).toMatch(/^\d+\.\d+\.\d+/);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toMatch(/<!doctype html>/i);
    // Offline: each missing model (the LLM, the Kokoro voice) is one line, printed once; no JSON, no stack trace.
    await server.waitFor(/Cannot reach the Hugging Face Hub[\s\S]*Cannot reach the Hugging Face Hub/, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const lines = server.output().split('\n');
    expect(lines.filter((line) => line.includes('Cannot reach the Hugging Face Hub'))).toHaveLength(2);
    expect(lines.filter((line) => line.startsWith('{'))).toEqual([]);
    expect(server.output()).not.toMatch(/^\s+at /m);
    await server.stop();
    expectNoNpmWarnings('npm start', server.output());

    // A second start rebuilds nothing: it is up in seconds.
    const again = start('npm', ['start', '--', '--port', String(port)], { cwd: clone, env });
    servers.push(again);
    await again.waitFor(/is running/, 30_000);
    expect(again.output()).not.toMatch(/building/);
    await again.stop();
  }, 360_000);

  it("the README's `say` example writes a WAV file offline (eSpeak NG)", () => {
    const line = readme.split('\n').find((text) => /^npm run localchat -- say /.test(text.trim()));
    expect(line, 'README has a `npm run localchat -- say ...` example').toBeDefined();
    const args = [...line!.replace(/#.*$/, '').trim().matchAll(/"([^"]*)"|(\S+)/g)].map((match) => match[1] ?? match[2]!);
    const result = run(args[0]!, args.slice(1), { cwd: clone, env, timeoutMs: 120_000 });
    expect(result.status, result.output).toBe(0);
    expect(result.output).toMatch(/speaking with eSpeak NG/);
    const output = args[args.indexOf('-o') + 1]!;
    expect(statSync(join(clone, output)).size).toBeGreaterThan(10_000);
    expectNoNpmWarnings('say', result.output);
  }, 180_000);

  it('`npm test` runs (one small test file here) without npm warnings', () => {
    const result = run('npm', ['test', '--', 'test/setup/env-example.test.ts'], { cwd: clone, env, timeoutMs: 300_000 });
    expect(result.status, result.output).toBe(0);
    expect(result.output).toMatch(/Tests\s+3 passed/);
    expectNoNpmWarnings('npm test', result.output);
  }, 360_000);
});

describe('the package: npm pack, install the tarball, npx localchat serve', () => {
  const app = join(sandbox, 'user-project');

  it('`npm pack` builds and packs the server and the UI', () => {
    const pack = run('npm', ['pack', '--pack-destination', sandbox], { cwd: clone, env, timeoutMs: 300_000 });
    expect(pack.status, pack.output).toBe(0);
    expectNoNpmWarnings('npm pack', pack.output);
    const tarball = readdirSync(sandbox).find((file) => /^localchat-\d+\.\d+\.\d+\.tgz$/.test(file));
    expect(tarball).toBeDefined();
    const files = run('tar', ['tzf', join(sandbox, tarball!)], { cwd: sandbox, env }).output.split('\n');
    for (const file of ['package/dist/cli/main.js', 'package/dist/server/start.js', 'package/dist/web/index.html', 'package/data/scenarios/ordering-food.json', 'package/.env.example']) {
      expect(files).toContain(file);
    }
    expect(files.filter((file) => /^package\/(src|test|web|bench|node_modules)\//.test(file) || file.endsWith('.map'))).toEqual([]);
    mkdirSync(app);
    run('cp', [join(sandbox, tarball!), app], { cwd: sandbox, env });
    writeTarballProject(app, tarball!);
  }, 360_000);

  it('installs into an empty directory from the npm cache and `npx localchat serve` answers /health', async () => {
    const install = run('npm', ['install', '--prefer-offline'], { cwd: app, env, timeoutMs: 480_000 });
    expect(install.status, install.output).toBe(0);
    expectNoNpmWarnings('npm install <tarball>', install.output);
    const port = await freePort();
    const server = start('npx', ['localchat', 'serve', '--port', String(port)], { cwd: app, env });
    servers.push(server);
    await server.waitFor(/is running: open http:\/\/localhost:\d+/, 60_000);
    const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { version: string; engines: { kind: string }[] };
    expect(health.version).toBe((JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version);
    expect(health.engines.map((engine) => engine.kind)).toContain('llm');
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toMatch(/<!doctype html>/i);
    expect(server.output()).not.toMatch(/database cannot be used/);
    await server.stop();
  }, 600_000);
});
