/**
 * The `localchat` command line as a user meets it: `say` speaks offline (eSpeak NG when the
 * configured voice cannot be downloaded), each command's --help lists its own flags, and
 * `models list` never shows a size it does not know as 0.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { catalogSizeText } from '../../src/cli/models-command.js';
import { findCatalogEntry } from '../../src/models/catalog.js';

const dir = mkdtempSync(join(tmpdir(), 'localchat-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `localchat <args>` from source; the Hub is a closed port so nothing is downloaded. */
function localchat(args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, HF_ENDPOINT: 'http://127.0.0.1:9', LOCALCHAT_MODELS_DIR: join(dir, 'models'), LOCALCHAT_DATA_DIR: join(dir, 'data') },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('localchat say', () => {
  it('speaks with eSpeak NG when the Kokoro voice cannot be downloaded, and says why on one line', () => {
    const output = join(dir, 'hello.wav');
    const result = localchat(['say', 'Hello there. How are you today?', '-o', output, '--voice', 'af_heart']);
    expect(result.stderr).toMatch(/kokoro voice is unavailable, speaking with eSpeak NG: Cannot reach the Hugging Face Hub/);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/hello\.wav: \d+\.\d\d s of audio \(espeak/);
    const wav = readFileSync(output);
    expect(wav.subarray(0, 4).toString('latin1')).toBe('RIFF');
    expect(wav.readUInt32LE(24)).toBe(24_000);
    const samples = new Int16Array(wav.buffer, wav.byteOffset + 44, (wav.length - 44) / 2);
    expect(samples.length).toBeGreaterThan(24_000); // more than a second of speech
    expect(Math.max(...samples.map(Math.abs))).toBeGreaterThan(1000); // not silence
  });

  it('refuses an empty text with a clear error', () => {
    const result = localchat(['say', '   ', '-o', join(dir, 'empty.wav'), '--engine', 'espeak']);
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe('localchat: Nothing to say: the text is empty.');
  });

  it('--help lists only the flags say uses', () => {
    const help = localchat(['say', '--help']).stdout;
    for (const flag of ['--output', '--engine', '--voice', '--speed', '--models-dir', '--no-download']) expect(help).toContain(flag);
    for (const flag of ['--port', '--host', '--tls', '--llm-base-url', '--stt-model', '--allowed-origins']) expect(help).not.toContain(flag);
    expect(help.match(/^ {2}-/gm)!.length).toBeLessThan(20);
    const serveHelp = localchat(['serve', '--help']).stdout;
    expect(serveHelp).toContain('--port');
    expect(serveHelp.match(/^ {2}-/gm)!.length).toBeGreaterThan(30);
  });
});

describe('localchat models list', () => {
  it('shows a size for every catalog model, "size unknown" where the catalog has none, never 0.0 MB', () => {
    const result = localchat(['models', 'list']);
    expect(result.status).toBe(0);
    expect(result.stdout).not.toContain(' 0.0 MB');
    expect(result.stdout).toMatch(/supertonic-1\s+size unknown/);
    expect(result.stdout).toMatch(/kokoro-82m \(default\)\s+92\.4 MB/);
  });

  it('sizes: exact, estimated (≈) when some files have no size, on-disk once installed', () => {
    expect(catalogSizeText({ files: [{ path: 'a', size: 1_500_000, sizeIsExact: true }] })).toBe('1.5 MB');
    expect(catalogSizeText({ files: [{ path: 'a', size: 1_500_000, sizeIsExact: true }, { path: 'b', sizeIsExact: false }] })).toBe('≈1.5 MB');
    expect(catalogSizeText({ files: [{ path: 'b', sizeIsExact: false }] })).toBe('size unknown');
    expect(catalogSizeText(findCatalogEntry('supertonic-1')!, 263_000_000)).toBe('263.0 MB');
  });
});
