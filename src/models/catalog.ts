/**
 * The model catalog, as data: which Hugging Face Hub repository, revision and files each model
 * LocalChat knows comes from, with byte sizes for the size check and why it was chosen. Also
 * parses the model references users give (`hf:owner/repo/file.gguf#rev`, `owner/repo/file.gguf`,
 * a Hub URL, a catalog id, or a local path).
 *
 * Sizes, revisions and digests come from the Hub's file listings (each file's page,
 * https://huggingface.co/<repo>/blob/<revision>/<path>, shows its size and, for LFS files, its
 * SHA-256), gathered offline; a revision is pinned only where a full commit id and the file's
 * digest at that commit were found. Sizes the Hub shows rounded are marked `sizeIsExact: false`;
 * those are only used for progress until the server's Content-Length is known, and the download
 * is then checked against that instead. A file without `sha256`/`gitSha1` downloads with a
 * logged warning (see download.ts).
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { DEFAULT_STT_MODEL_ID, STT_CATALOG } from './stt-catalog.js';
import { TTS_CATALOG } from './tts-catalog.js';
import { TURN_CATALOG } from './turn-catalog.js';

/** What a model is for. */
export type ModelKind = 'llm' | 'tts' | 'stt' | 'turn';

/** One file of a model, as stored in its Hub repository. */
export interface ModelFile {
  /** Path inside the repository, `/`-separated, e.g. `onnx/model_quantized.onnx`. */
  readonly path: string;
  /** Size in bytes; exact when `sizeIsExact`, otherwise an estimate used only for progress. */
  readonly size?: number;
  /** True when `size` is the exact byte count: a download of another size is rejected. */
  readonly sizeIsExact: boolean;
  /**
   * SHA-256 of the file, lowercase hex (the Hub shows it as the Git LFS / Xet pointer's
   * "SHA256"): a download with another digest is deleted and refused.
   */
  readonly sha256?: string;
  /**
   * For a small file the Hub keeps in plain Git (no LFS pointer, so no SHA-256 shown): its Git
   * blob id, SHA-1 of `blob <size>\0<bytes>` (https://git-scm.com/book/en/v2/Git-Internals-Git-Objects).
   */
  readonly gitSha1?: string;
}

/** A model LocalChat can download: one Hub repository at one revision, and the files it needs. */
export interface CatalogEntry {
  /** Stable id used in config and the CLI, e.g. `qwen2.5-1.5b-instruct`. */
  readonly id: string;
  readonly kind: ModelKind;
  /** Why this model: English quality, speed on a laptop CPU, size, license. */
  readonly description: string;
  /** Hub repository, `owner/name`. */
  readonly repo: string;
  /** Branch, tag or full 40-hex commit hash, used as `/resolve/<revision>/`. */
  readonly revision: string;
  readonly files: readonly ModelFile[];
  /** SPDX id or license name, as the repository's model card gives it. */
  readonly license: string;
}

const MB = 1_000_000;
const MiB = 1024 * 1024;

/** Id of the default model of each kind. */
export const DEFAULT_MODEL_IDS = {
  llm: 'qwen2.5-1.5b-instruct',
  tts: 'kokoro-82m',
  stt: DEFAULT_STT_MODEL_ID,
} as const satisfies Partial<Record<ModelKind, string>>;

/** kokoro-js `dtype` values (kokoro-js 1.2 `from_pretrained(id, { dtype })`). */
export type KokoroDtype = 'fp32' | 'fp16' | 'q8' | 'q4' | 'q4f16';

/** dtype -> ONNX file kokoro-js loads for it, with the Hub's byte size. */
export const KOKORO_ONNX_FILES: Readonly<Record<KokoroDtype, ModelFile>> = {
  fp32: { path: 'onnx/model.onnx', size: 325_532_232, sizeIsExact: true, sha256: '8fbea51ea711f2af382e88c833d9e288c6dc82ce5e98421ea61c058ce21a34cb' },
  fp16: { path: 'onnx/model_fp16.onnx', size: 163_234_740, sizeIsExact: true, sha256: 'ba4527a874b42b21e35f468c10d326fdff3c7fc8cac1f85e9eb6c0dfc35c334a' },
  q8: { path: 'onnx/model_quantized.onnx', size: 92_361_116, sizeIsExact: true, sha256: 'fbae9257e1e05ffc727e951ef9b9c98418e6d79f1c9b6b13bd59f5c9028a1478' },
  q4: { path: 'onnx/model_q4.onnx', size: 305_215_966, sizeIsExact: true, sha256: '04cf570cf9c4153694f76347ed4b9a48c1b59ff1de0999e6605d123966b197c7' },
  q4f16: { path: 'onnx/model_q4f16.onnx', size: 154_586_422, sizeIsExact: true, sha256: 'd1a508a6a29671ead84fac99c7401fbd3c21a583fc6ed1406d1ec974d53bf45f' },
};

/** The dtype LocalChat uses unless told otherwise: the smallest file, fast on CPU. */
export const DEFAULT_KOKORO_DTYPE: KokoroDtype = 'q8';

/** Small files kept in plain Git on the Hub: checked by their Git blob id. */
const KOKORO_SHARED_FILES: readonly ModelFile[] = [
  { path: 'config.json', size: 44, sizeIsExact: true, gitSha1: '790faf216e7e3f490e71e8bc80df79ed8941101c' },
  { path: 'tokenizer.json', size: 3_497, sizeIsExact: true, gitSha1: '4280f55fc1c32211bc9bb4d55545759a00054ecd' },
  { path: 'tokenizer_config.json', size: 113, sizeIsExact: true, gitSha1: '5c81e9a3a06db9139900d6ee5b60e8bb701ccb0b' },
];

/**
 * The Kokoro-82M entry for one kokoro-js dtype: the dtype's ONNX file plus the config and
 * tokenizer. Voices ship inside the kokoro-js npm package, so none are downloaded.
 * The id is `kokoro-82m` for the default dtype (q8) and `kokoro-82m-<dtype>` otherwise.
 */
export function kokoroEntry(dtype: KokoroDtype = DEFAULT_KOKORO_DTYPE): CatalogEntry {
  return {
    id: dtype === DEFAULT_KOKORO_DTYPE ? 'kokoro-82m' : `kokoro-82m-${dtype}`,
    kind: 'tts',
    description:
      `Kokoro-82M (${dtype}): natural English voices from an 82M-parameter model, faster than ` +
      'real time on a laptop CPU; 28 English voices ship inside kokoro-js. 24 kHz. Apache-2.0.',
    repo: 'onnx-community/Kokoro-82M-v1.0-ONNX',
    revision: '1939ad2a8e416c0acfeecc08a694d14ef25f2231',
    files: [KOKORO_ONNX_FILES[dtype], ...KOKORO_SHARED_FILES],
    license: 'Apache-2.0',
  };
}

/**
 * Every model LocalChat offers by id. The first entry of each kind is its default.
 * Entries are plain data: correct a revision or size here and nothing else changes.
 */
export const MODEL_CATALOG: readonly CatalogEntry[] = [
  {
    id: 'qwen2.5-1.5b-instruct',
    kind: 'llm',
    description:
      'Default tutor. Fluent, grammatical English and reliable instruction following for its ' +
      'size; ~19 tokens/s generation on a 2-core CPU (faster on 4 cores), 1.1 GB. Apache-2.0.',
    repo: 'Qwen/Qwen2.5-1.5B-Instruct-GGUF',
    revision: '91cad51170dc346986eccefdc2dd33a9da36ead9',
    files: [{ path: 'qwen2.5-1.5b-instruct-q4_k_m.gguf', size: 1_117_320_736, sizeIsExact: true, sha256: '6a1a2eb6d15622bf3c96857206351ba97e1af16c30d7a74ee38970e434e9407e' }],
    license: 'Apache-2.0',
  },
  {
    id: 'qwen2.5-0.5b-instruct',
    kind: 'llm',
    description:
      'Fastest choice for slow machines: ~37 tokens/s on a 2-core CPU and under 0.5 GB, at the ' +
      'cost of plainer English and weaker corrections. Apache-2.0.',
    repo: 'Qwen/Qwen2.5-0.5B-Instruct-GGUF',
    // No commit or SHA-256 of this file could be confirmed offline: `main`, downloaded with a
    // warning (see download.ts) and checked by size only. Pin it when the Hub can be reached.
    revision: 'main',
    // The Hub shows ≈469 MiB: checked against Content-Length only.
    files: [{ path: 'qwen2.5-0.5b-instruct-q4_k_m.gguf', size: 469 * MiB, sizeIsExact: false }],
    license: 'Apache-2.0',
  },
  {
    id: 'llama-3.2-3b-instruct',
    kind: 'llm',
    description:
      'Better English and more natural conversation than the 1.5B default, about half its ' +
      'speed (~9 tokens/s on 2 cores), 2.0 GB. Ungated bartowski mirror. Llama 3.2 Community License.',
    repo: 'bartowski/Llama-3.2-3B-Instruct-GGUF',
    // No commit or SHA-256 of this file could be confirmed offline: `main`, downloaded with a
    // warning (see download.ts) and checked by size only. Pin it when the Hub can be reached.
    revision: 'main',
    files: [{ path: 'Llama-3.2-3B-Instruct-Q4_K_M.gguf', size: 2_019_377_696, sizeIsExact: true }],
    license: 'Llama-3.2-Community',
  },
  {
    id: 'smollm2-1.7b-instruct',
    kind: 'llm',
    description:
      'Alternative to the default of the same speed class, trained mostly on English; ' +
      'about 1.06 GB. Apache-2.0.',
    repo: 'HuggingFaceTB/SmolLM2-1.7B-Instruct-GGUF',
    // No commit or SHA-256 of this file could be confirmed offline: `main`, downloaded with a
    // warning (see download.ts) and checked by size only. Pin it when the Hub can be reached.
    revision: 'main',
    // The Hub shows ≈1.06 GB: checked against Content-Length only.
    files: [{ path: 'smollm2-1.7b-instruct-q4_k_m.gguf', size: 1_060 * MB, sizeIsExact: false }],
    license: 'Apache-2.0',
  },
  kokoroEntry(DEFAULT_KOKORO_DTYPE),
  ...TTS_CATALOG,
  ...STT_CATALOG,
  ...TURN_CATALOG,
];

/** Every downloadable entry: the catalog plus the Kokoro entries of the other dtypes. */
export function allCatalogEntries(): CatalogEntry[] {
  const kokoroVariants = (Object.keys(KOKORO_ONNX_FILES) as KokoroDtype[])
    .filter((dtype) => dtype !== DEFAULT_KOKORO_DTYPE)
    .map((dtype) => kokoroEntry(dtype));
  return [...MODEL_CATALOG, ...kokoroVariants];
}

/** The catalog entry with this id (Kokoro dtype variants included), or undefined. */
export function findCatalogEntry(id: string): CatalogEntry | undefined {
  return allCatalogEntries().find((entry) => entry.id === id);
}

/** A parsed model reference: a catalog entry, a Hub file, or a file on this machine. */
export type ModelReference =
  | { type: 'catalog'; entry: CatalogEntry }
  /** A Hub file named by the user; `entry` is synthesised (no size known, checked against Content-Length). */
  | { type: 'hub'; entry: CatalogEntry }
  /** An absolute local path (`~` expanded, relative paths resolved against `cwd`). */
  | { type: 'local'; path: string };

export interface ParseModelReferenceOptions {
  /** Kind given to a Hub reference's synthesised entry. Default `llm`. */
  kind?: ModelKind;
  /** Base for relative local paths. Default `process.cwd()`. */
  cwd?: string;
  /** Config key named in errors. Default `model`. */
  key?: string;
  /**
   * Whether a local file exists; decides `owner/repo/file.gguf` (a Hub reference) against a
   * relative path of the same shape. Default `fs.existsSync`.
   */
  fileExists?: (path: string) => boolean;
}

const HUB_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const HUB_URL = /^https?:\/\/[^/]+\/([^/]+)\/([^/]+)\/(?:resolve|blob)\/([^/]+)\/([^?#]+)/;

/**
 * Parses what a user wrote to name a model:
 * - a catalog id: `qwen2.5-1.5b-instruct`, `kokoro-82m-fp16`;
 * - `hf:owner/repo/path/file.gguf`, optionally `#revision` (node-llama-cpp's URI form);
 * - `owner/repo/path/file.gguf` (unless a local file by that relative path exists);
 * - a Hub file URL `https://<host>/owner/repo/resolve|blob/<revision>/<path>`;
 * - a local path: absolute, `./`, `../`, `~/`, `file://`, or any existing file.
 *
 * @throws ConfigError for a reference of none of these shapes, a path with `..` inside a Hub
 *   reference, or node-llama-cpp's quantization form `hf:owner/repo:Q4_K_M` (it needs the
 *   Hub's manifest API: name the file instead).
 * @example parseModelReference('hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q8_0.gguf#main')
 */
export function parseModelReference(reference: string, options: ParseModelReferenceOptions = {}): ModelReference {
  const key = options.key ?? 'model';
  const cwd = options.cwd ?? process.cwd();
  const fileExists = options.fileExists ?? existsSync;
  const text = reference.trim();
  if (text === '') throw new ConfigError(key, 'The model reference is empty.');

  const catalogEntry = findCatalogEntry(text);
  if (catalogEntry) return { type: 'catalog', entry: catalogEntry };

  if (text.startsWith('file://')) return { type: 'local', path: new URL(text).pathname };
  if (text.startsWith('hf:')) return hubReference(text.slice(3), text, options.kind, key);
  const url = HUB_URL.exec(text);
  if (url) {
    const [, owner = '', repo = '', revision = '', path = ''] = url;
    return hubReference(`${owner}/${repo}/${path}#${decodeURIComponent(revision)}`, text, options.kind, key);
  }
  if (looksLikeLocalPath(text)) return { type: 'local', path: expandPath(text, cwd) };
  const segments = text.split('#')[0]!.split('/');
  const isHubShaped =
    segments.length >= 3 &&
    HUB_NAME.test(segments[0]!) &&
    HUB_NAME.test(segments[1]!) &&
    /\.[A-Za-z0-9]+$/.test(segments[segments.length - 1]!);
  if (isHubShaped && !fileExists(resolve(cwd, text))) return hubReference(text, text, options.kind, key);
  if (fileExists(resolve(cwd, text))) return { type: 'local', path: resolve(cwd, text) };
  throw new ConfigError(
    key,
    `"${reference}" is not a known model id, a Hub file (hf:owner/repo/file.gguf) or an existing ` +
      `local file. Known ids: ${allCatalogEntries().map((entry) => entry.id).join(', ')}.`,
  );
}

function looksLikeLocalPath(text: string): boolean {
  return (
    isAbsolute(text) ||
    text.startsWith('./') ||
    text.startsWith('../') ||
    text === '~' ||
    text.startsWith('~/') ||
    /^[A-Za-z]:[\\/]/.test(text) ||
    text.includes('\\')
  );
}

function expandPath(text: string, cwd: string): string {
  if (text === '~') return homedir();
  if (text.startsWith('~/')) return resolve(homedir(), text.slice(2));
  return resolve(cwd, text);
}

function hubReference(body: string, original: string, kind: ModelKind | undefined, key: string): ModelReference {
  const hashIndex = body.indexOf('#');
  const location = hashIndex === -1 ? body : body.slice(0, hashIndex);
  const revision = hashIndex === -1 ? 'main' : body.slice(hashIndex + 1);
  const [owner = '', repo = '', ...pathSegments] = location.split('/');
  if (/:[^/]*$/.test(repo) && pathSegments.length === 0) {
    throw new ConfigError(
      key,
      `"${original}" names a quantization tag, which needs the Hub's manifest API. Name the file ` +
        'instead: hf:owner/repo/file.gguf (see the repository file list).',
    );
  }
  const badSegment = pathSegments.some((segment) => segment === '' || segment === '.' || segment === '..');
  if (!HUB_NAME.test(owner) || !HUB_NAME.test(repo) || pathSegments.length === 0 || badSegment || revision === '') {
    throw new ConfigError(
      key,
      `"${original}" is not a valid Hub file reference: expected hf:owner/repo/path/file.gguf, ` +
        'optionally followed by #revision.',
    );
  }
  const path = pathSegments.join('/');
  const suffix = revision === 'main' ? '' : `#${revision}`;
  return {
    type: 'hub',
    entry: {
      id: `hf:${owner}/${repo}/${path}${suffix}`,
      kind: kind ?? 'llm',
      description: `Hub file ${owner}/${repo}/${path} at ${revision}, named by the user.`,
      repo: `${owner}/${repo}`,
      revision,
      files: [{ path, sizeIsExact: false }],
      license: 'unknown (see the repository model card)',
    },
  };
}
