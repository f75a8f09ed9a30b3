/** The catalog's data invariants and the parsing of user model references. */
import { homedir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import {
  allCatalogEntries,
  DEFAULT_MODEL_IDS,
  findCatalogEntry,
  KOKORO_ONNX_FILES,
  kokoroEntry,
  MODEL_CATALOG,
  parseModelReference,
} from '../../src/models/catalog.js';
import { STT_CATALOG } from '../../src/models/stt-catalog.js';

describe('catalog data', () => {
  it('has unique ids, owner/name repos, pinned-or-main revisions and sane sizes', () => {
    const entries = allCatalogEntries();
    expect(new Set(entries.map((entry) => entry.id)).size).toBe(entries.length);
    for (const entry of entries) {
      expect(entry.repo).toMatch(/^[\w.-]+\/[\w.-]+$/);
      expect(entry.revision === 'main' || /^[0-9a-f]{40}$/.test(entry.revision)).toBe(true);
      expect(entry.files.length).toBeGreaterThan(0);
      expect(entry.description.length).toBeGreaterThan(20);
      expect(entry.license).not.toBe('');
      for (const file of entry.files) {
        if (file.sizeIsExact) expect(Number.isInteger(file.size) && file.size! > 0).toBe(true);
      }
      if (entry.kind === 'llm') expect(entry.files[0]!.path).toMatch(/\.gguf$/);
    }
  });

  it('pins the defaults to commits with a digest for every file; only the listed entries are unpinned', () => {
    const digest = /^[0-9a-f]{64}$|^[0-9a-f]{40}$/;
    const unpinned = allCatalogEntries()
      .filter((entry) => !/^[0-9a-f]{40}$/.test(entry.revision) || entry.files.some((file) => !digest.test(file.sha256 ?? file.gitSha1 ?? '')))
      .map((entry) => entry.id)
      .sort();
    // These download with a logged warning until their commit and SHA-256 are confirmed on the Hub.
    expect(unpinned).toEqual(['llama-3.2-3b-instruct', 'qwen2.5-0.5b-instruct', 'smollm2-1.7b-instruct', 'smart-turn-v3.2', 'supertonic-1', 'supertonic-2', ...STT_CATALOG.map((entry) => entry.id)].sort());
    for (const id of [DEFAULT_MODEL_IDS.llm, DEFAULT_MODEL_IDS.tts, 'supertonic-3', 'kokoro-82m-fp32', 'kokoro-82m-fp16', 'kokoro-82m-q4', 'kokoro-82m-q4f16']) expect(unpinned).not.toContain(id);
  });

  it('defaults exist: the 1.5B Qwen GGUF and Kokoro q8', () => {
    const llm = findCatalogEntry(DEFAULT_MODEL_IDS.llm)!;
    expect(llm.repo).toBe('Qwen/Qwen2.5-1.5B-Instruct-GGUF');
    expect(llm.revision).toBe('91cad51170dc346986eccefdc2dd33a9da36ead9');
    expect(llm.files).toEqual([{ path: 'qwen2.5-1.5b-instruct-q4_k_m.gguf', size: 1_117_320_736, sizeIsExact: true, sha256: '6a1a2eb6d15622bf3c96857206351ba97e1af16c30d7a74ee38970e434e9407e' }]);
    expect(MODEL_CATALOG[0]!.id).toBe(DEFAULT_MODEL_IDS.llm);

    const tts = findCatalogEntry(DEFAULT_MODEL_IDS.tts)!;
    expect(tts).toMatchObject({ repo: 'onnx-community/Kokoro-82M-v1.0-ONNX', revision: '1939ad2a8e416c0acfeecc08a694d14ef25f2231' });
    expect(tts.files.map((file) => [file.path, file.size])).toEqual([
      ['onnx/model_quantized.onnx', 92_361_116],
      ['config.json', 44],
      ['tokenizer.json', 3_497],
      ['tokenizer_config.json', 113],
    ]);
  });

  it('marks the approximate sizes as such', () => {
    expect(findCatalogEntry('qwen2.5-0.5b-instruct')!.files[0]!.sizeIsExact).toBe(false);
    expect(findCatalogEntry('llama-3.2-3b-instruct')!.files[0]).toMatchObject({ size: 2_019_377_696, sizeIsExact: true });
  });

  it('picks the Kokoro ONNX file by dtype', () => {
    expect(kokoroEntry('fp16')).toMatchObject({ id: 'kokoro-82m-fp16' });
    expect(kokoroEntry('fp16').files[0]).toEqual(KOKORO_ONNX_FILES.fp16);
    expect(kokoroEntry('fp32').files[0]!.path).toBe('onnx/model.onnx');
    expect(findCatalogEntry('kokoro-82m-q4f16')!.files[0]!.path).toBe('onnx/model_q4f16.onnx');
  });
});

describe('parseModelReference', () => {
  const noFiles = { fileExists: () => false, cwd: '/work' };

  it('resolves catalog ids', () => {
    expect(parseModelReference('llama-3.2-3b-instruct', noFiles)).toMatchObject({
      type: 'catalog',
      entry: { repo: 'bartowski/Llama-3.2-3B-Instruct-GGUF' },
    });
  });

  it('parses hf: references with and without a revision', () => {
    const plain = parseModelReference('hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q8_0.gguf', noFiles);
    expect(plain).toMatchObject({
      type: 'hub',
      entry: {
        id: 'hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q8_0.gguf',
        kind: 'llm',
        repo: 'Qwen/Qwen2.5-0.5B-Instruct-GGUF',
        revision: 'main',
        files: [{ path: 'qwen2.5-0.5b-instruct-q8_0.gguf', sizeIsExact: false }],
      },
    });
    const pinned = parseModelReference('hf:owner/repo/sub/dir/model.gguf#v1.0', noFiles);
    expect(pinned).toMatchObject({ type: 'hub', entry: { repo: 'owner/repo', revision: 'v1.0', files: [{ path: 'sub/dir/model.gguf' }] } });
    expect(pinned.type === 'hub' && pinned.entry.id).toBe('hf:owner/repo/sub/dir/model.gguf#v1.0');
  });

  it('parses owner/repo/file.gguf and Hub URLs', () => {
    expect(parseModelReference('bartowski/Llama-3.2-1B-Instruct-GGUF/Llama-3.2-1B-Instruct-Q4_K_M.gguf', noFiles)).toMatchObject({
      type: 'hub',
      entry: { repo: 'bartowski/Llama-3.2-1B-Instruct-GGUF', files: [{ path: 'Llama-3.2-1B-Instruct-Q4_K_M.gguf' }] },
    });
    expect(
      parseModelReference('https://huggingface.co/owner/repo/resolve/abc123/model.gguf?download=true', noFiles),
    ).toMatchObject({ type: 'hub', entry: { repo: 'owner/repo', revision: 'abc123', files: [{ path: 'model.gguf' }] } });
  });

  it('treats paths as local: absolute, ./, ~/ and existing relative files', () => {
    expect(parseModelReference('/models/x.gguf', noFiles)).toEqual({ type: 'local', path: '/models/x.gguf' });
    expect(parseModelReference('./x.gguf', noFiles)).toEqual({ type: 'local', path: '/work/x.gguf' });
    expect(parseModelReference('~/m/x.gguf', noFiles)).toEqual({ type: 'local', path: `${homedir()}/m/x.gguf` });
    expect(parseModelReference('a/b/c.gguf', { cwd: '/work', fileExists: (path) => path === '/work/a/b/c.gguf' })).toEqual({
      type: 'local',
      path: '/work/a/b/c.gguf',
    });
  });

  it('rejects unknown names, quantization tags and path traversal with a ConfigError', () => {
    expect(() => parseModelReference('no-such-model', noFiles)).toThrow(ConfigError);
    expect(() => parseModelReference('hf:owner/repo:Q4_K_M', noFiles)).toThrow(/name the file/i);
    expect(() => parseModelReference('hf:owner/repo/../../etc/passwd', noFiles)).toThrow(ConfigError);
    expect(() => parseModelReference('hf:owner/repo', noFiles)).toThrow(ConfigError);
    expect(() => parseModelReference('  ', noFiles)).toThrow(/empty/);
  });
});
