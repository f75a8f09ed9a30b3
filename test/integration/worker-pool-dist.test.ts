/**
 * The worker pool from the built server (`dist/`, tsc output, what `npm start` runs): the pool
 * must find `dist/workers/audio-worker.js` and run eSpeak NG, decoding and encoding there, with
 * no TypeScript loader. `npm test` builds `dist/` first; run `npm run build:server` before running
 * this file alone.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const DIST = join(process.cwd(), 'dist');
const built = existsSync(join(DIST, 'workers', 'audio-worker.js'));
if (!built && process.env.CI) throw new Error('dist/ is not built: `npm test` runs `npm run build` first.');
if (!built) console.warn('Skipping the dist/ worker-pool test: run `npm run build:server` first.');

const SCRIPT = `
const { EspeakTTSEngine } = await import('./dist/engines/tts/espeak.js');
const { decodeAudio } = await import('./dist/audio/decode-audio.js');
const { encodeWav } = await import('./dist/audio/wav.js');
const { WorkerStreamEncoder } = await import('./dist/workers/encoder-session.js');
const { closeWorkers } = await import('./dist/workers/pool.js');
const parts = [];
for await (const chunk of new EspeakTTSEngine().synthesize('Hello from the built worker.', { signal: new AbortController().signal })) parts.push(chunk.samples);
const length = parts.reduce((sum, part) => sum + part.length, 0);
const all = new Int16Array(length);
let offset = 0;
for (const part of parts) { all.set(part, offset); offset += part.length; }
const decoded = await decodeAudio(encodeWav(all, 24000));
const encoder = WorkerStreamEncoder.open('mp3', 24000);
const mp3 = Buffer.concat([await encoder.push(all, 24000), await encoder.end()]);
await closeWorkers();
console.log(JSON.stringify({ synthesized: length, decoded: decoded.samples.length, mp3: mp3.length, header: mp3.subarray(0, 2).toString('hex') }));
`;

describe.runIf(built)('worker pool from dist/', () => {
  it('synthesizes, decodes and encodes in dist/workers/audio-worker.js', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', SCRIPT], { cwd: process.cwd(), timeout: 60_000 });
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as { synthesized: number; decoded: number; mp3: number; header: string };
    expect(result.synthesized).toBeGreaterThan(24_000);
    expect(result.decoded).toBe(result.synthesized);
    expect(result.mp3).toBeGreaterThan(1000);
    expect(result.header.startsWith('fff')).toBe(true);
  }, 90_000);
});
