/** The models directory: location, layout, installed checks and listing. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { findCatalogEntry, type CatalogEntry } from '../../src/models/catalog.js';
import {
  isInstalled,
  listInstalled,
  localPath,
  modelDirectory,
  modelFilePath,
  resolveModelsDir,
} from '../../src/models/models-dir.js';

let modelsDir: string;

beforeEach(async () => {
  modelsDir = await mkdtemp(join(tmpdir(), 'localchat-dir-'));
});

afterEach(async () => {
  await rm(modelsDir, { recursive: true, force: true });
});

const tiny: CatalogEntry = {
  id: 'tiny',
  kind: 'tts',
  description: 'two files',
  repo: 'org/Tiny',
  revision: 'main',
  files: [
    { path: 'onnx/model.onnx', size: 10, sizeIsExact: true },
    { path: 'config.json', size: 3, sizeIsExact: false },
  ],
  license: 'MIT',
};

async function put(path: string, bytes: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, Buffer.alloc(bytes, 1));
}

describe('resolveModelsDir', () => {
  it('uses LOCALCHAT_MODELS_DIR, else ~/.cache/localchat/models', () => {
    expect(resolveModelsDir({})).toBe(join(homedir(), '.cache', 'localchat', 'models'));
    expect(resolveModelsDir({ LOCALCHAT_MODELS_DIR: '/data/models' })).toBe('/data/models');
    expect(resolveModelsDir({ LOCALCHAT_MODELS_DIR: '~/m' })).toBe(join(homedir(), 'm'));
  });
});

describe('layout', () => {
  it('is <dir>/<owner>/<repo>/<path>; localPath is the file of a single-file model, else the directory', () => {
    const qwen = findCatalogEntry('qwen2.5-1.5b-instruct')!;
    expect(localPath(qwen, '/m')).toBe('/m/Qwen/Qwen2.5-1.5B-Instruct-GGUF/qwen2.5-1.5b-instruct-q4_k_m.gguf');
    expect(localPath(findCatalogEntry('kokoro-82m')!, '/m')).toBe('/m/onnx-community/Kokoro-82M-v1.0-ONNX');
    expect(modelFilePath(tiny, 'onnx/model.onnx', '/m')).toBe('/m/org/Tiny/onnx/model.onnx');
  });

  it('refuses paths that would leave the models directory', () => {
    expect(() => modelFilePath(tiny, '../../etc/passwd', '/m')).toThrow(ConfigError);
    expect(() => modelDirectory({ ...tiny, repo: '../x' }, '/m')).toThrow(ConfigError);
    expect(() => modelDirectory({ ...tiny, repo: 'a/b/c' }, '/m')).toThrow(ConfigError);
  });
});

describe('isInstalled / listInstalled', () => {
  it('needs every file, at the exact size where it is known', async () => {
    expect(await isInstalled(tiny, modelsDir)).toBe(false);
    await put(modelFilePath(tiny, 'onnx/model.onnx', modelsDir), 9);
    await put(modelFilePath(tiny, 'config.json', modelsDir), 5); // approximate size: any non-empty file
    expect(await isInstalled(tiny, modelsDir)).toBe(false);
    await put(modelFilePath(tiny, 'onnx/model.onnx', modelsDir), 10);
    expect(await isInstalled(tiny, modelsDir)).toBe(true);
  });

  it('a .part file never counts as installed', async () => {
    const single: CatalogEntry = { ...tiny, files: [{ path: 'model.gguf', size: 10, sizeIsExact: true }] };
    await put(`${modelFilePath(single, 'model.gguf', modelsDir)}.part`, 10);
    expect(await isInstalled(single, modelsDir)).toBe(false);
    expect(await listInstalled({ modelsDir, catalog: [single] })).toEqual([]);
  });

  it('lists installed catalog entries and other GGUF files, not .part files', async () => {
    await put(modelFilePath(tiny, 'onnx/model.onnx', modelsDir), 10);
    await put(modelFilePath(tiny, 'config.json', modelsDir), 3);
    await put(join(modelsDir, 'someone', 'Other-GGUF', 'other-q4.gguf'), 7);
    await put(join(modelsDir, 'someone', 'Other-GGUF', 'half.gguf.part'), 7);

    const installed = await listInstalled({ modelsDir, catalog: [tiny] });
    expect(installed.map(({ entry: _entry, ...rest }) => rest)).toEqual([
      { id: 'tiny', kind: 'tts', repo: 'org/Tiny', localPath: join(modelsDir, 'org', 'Tiny'), sizeBytes: 13, inCatalog: true },
      {
        id: 'hf:someone/Other-GGUF/other-q4.gguf',
        kind: 'llm',
        repo: 'someone/Other-GGUF',
        localPath: join(modelsDir, 'someone', 'Other-GGUF', 'other-q4.gguf'),
        sizeBytes: 7,
        inCatalog: false,
      },
    ]);
  });

  it('an absent models directory lists nothing', async () => {
    expect(await listInstalled({ modelsDir: join(modelsDir, 'absent') })).toEqual([]);
  });
});
