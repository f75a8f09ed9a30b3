/**
 * The models directory: where downloaded model files live, and whether a model is installed.
 *
 * Layout: `<modelsDir>/<owner>/<repo>/<path in repo>`, e.g.
 * `~/.cache/localchat/models/Qwen/Qwen2.5-1.5B-Instruct-GGUF/qwen2.5-1.5b-instruct-q4_k_m.gguf`.
 * A file being downloaded is `<file>.part` until it is complete and checked, so a file at its
 * final name is always a whole one.
 */
import { readdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { allCatalogEntries, type CatalogEntry, type ModelFile, type ModelKind } from './catalog.js';

/** Suffix of a file being downloaded. */
export const PART_SUFFIX = '.part';

/**
 * The models directory, absolute: `LOCALCHAT_MODELS_DIR` (a leading `~` expanded) or
 * `~/.cache/localchat/models`.
 */
export function resolveModelsDir(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.LOCALCHAT_MODELS_DIR?.trim();
  if (!configured) return join(homedir(), '.cache', 'localchat', 'models');
  if (configured === '~') return homedir();
  if (configured.startsWith('~/')) return resolve(homedir(), configured.slice(2));
  return resolve(configured);
}

/**
 * The directory holding an entry's files: `<modelsDir>/<owner>/<repo>`.
 * @throws ConfigError when `entry.repo` is not `owner/name` with safe names.
 */
export function modelDirectory(entry: CatalogEntry, modelsDir: string = resolveModelsDir()): string {
  const segments = entry.repo.split('/');
  if (segments.length !== 2) {
    throw new ConfigError('model', `Model "${entry.id}": repository "${entry.repo}" is not owner/name.`);
  }
  return join(modelsDir, ...safeSegments(entry, segments));
}

/**
 * Where one file of an entry lives: `<modelsDir>/<owner>/<repo>/<filePath>`.
 * @throws ConfigError when `filePath` is empty, absolute or has `.`/`..` segments.
 */
export function modelFilePath(entry: CatalogEntry, filePath: string, modelsDir: string = resolveModelsDir()): string {
  return join(modelDirectory(entry, modelsDir), ...safeSegments(entry, filePath.split('/')));
}

/**
 * What an engine loads: the file itself for a single-file model (a GGUF), or the repository
 * directory for a multi-file model (Kokoro: kokoro-js loads the directory).
 */
export function localPath(entry: CatalogEntry, modelsDir: string = resolveModelsDir()): string {
  const [only, ...rest] = entry.files;
  return only && rest.length === 0 ? modelFilePath(entry, only.path, modelsDir) : modelDirectory(entry, modelsDir);
}

/**
 * True when `path` is a regular file of the right size: exactly `file.size` bytes when the
 * size is exact, otherwise any non-empty file.
 */
export async function isFileComplete(path: string, file: ModelFile): Promise<boolean> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return false;
    return file.sizeIsExact && file.size !== undefined ? info.size === file.size : info.size > 0;
  } catch {
    return false;
  }
}

/** True when every file of `entry` is present in `modelsDir` at the right size (where known). */
export async function isInstalled(entry: CatalogEntry, modelsDir: string = resolveModelsDir()): Promise<boolean> {
  for (const file of entry.files) {
    if (!(await isFileComplete(modelFilePath(entry, file.path, modelsDir), file))) return false;
  }
  return true;
}

/** An installed model, as `listInstalled()` reports it. */
export interface InstalledModel {
  /** Catalog id, or `hf:owner/repo/path` for a GGUF found in the directory but not in the catalog. */
  id: string;
  kind: ModelKind;
  repo: string;
  /** What an engine loads (see `localPath`). */
  localPath: string;
  /** Bytes on disk, over all the model's files. */
  sizeBytes: number;
  /** True for catalog entries; false for other GGUF files found in the directory. */
  inCatalog: boolean;
  entry: CatalogEntry;
}

/**
 * The models installed in `modelsDir`: every catalog entry (Kokoro dtypes included) whose files
 * are all complete, then every other `.gguf` file found under `<owner>/<repo>/` (for example one
 * downloaded from an `hf:` reference). `.part` files are never listed. A missing directory
 * gives an empty list.
 */
export async function listInstalled(
  options: { modelsDir?: string; catalog?: readonly CatalogEntry[] } = {},
): Promise<InstalledModel[]> {
  const modelsDir = options.modelsDir ?? resolveModelsDir();
  const catalog = options.catalog ?? allCatalogEntries();
  const installed: InstalledModel[] = [];
  const claimed = new Set<string>();
  for (const entry of catalog) {
    if (!(await isInstalled(entry, modelsDir))) continue;
    let sizeBytes = 0;
    for (const file of entry.files) {
      const path = modelFilePath(entry, file.path, modelsDir);
      claimed.add(path);
      sizeBytes += (await stat(path)).size;
    }
    installed.push({
      id: entry.id,
      kind: entry.kind,
      repo: entry.repo,
      localPath: localPath(entry, modelsDir),
      sizeBytes,
      inCatalog: true,
      entry,
    });
  }
  for (const found of await findGgufFiles(modelsDir)) {
    if (claimed.has(found.absolutePath)) continue;
    const entry: CatalogEntry = {
      id: `hf:${found.repo}/${found.path}`,
      kind: 'llm',
      description: `GGUF file found in the models directory (${found.repo}/${found.path}).`,
      repo: found.repo,
      revision: 'main',
      files: [{ path: found.path, sizeIsExact: false }],
      license: 'unknown (see the repository model card)',
    };
    installed.push({
      id: entry.id,
      kind: 'llm',
      repo: found.repo,
      localPath: found.absolutePath,
      sizeBytes: found.size,
      inCatalog: false,
      entry,
    });
  }
  return installed;
}

interface FoundFile {
  repo: string;
  path: string;
  absolutePath: string;
  size: number;
}

async function findGgufFiles(modelsDir: string): Promise<FoundFile[]> {
  const found: FoundFile[] = [];
  for (const owner of await directoryNames(modelsDir)) {
    for (const repo of await directoryNames(join(modelsDir, owner))) {
      const repoDir = join(modelsDir, owner, repo);
      const files = await readdir(repoDir, { recursive: true, withFileTypes: true }).catch(() => []);
      for (const file of files) {
        if (!file.isFile() || !file.name.toLowerCase().endsWith('.gguf')) continue;
        const absolutePath = join(file.parentPath, file.name);
        const relative = absolutePath.slice(repoDir.length + 1).split(/[\\/]/).join('/');
        const size = (await stat(absolutePath)).size;
        if (size > 0) found.push({ repo: `${owner}/${repo}`, path: relative, absolutePath, size });
      }
    }
  }
  return found.sort((a, b) => a.absolutePath.localeCompare(b.absolutePath));
}

async function directoryNames(path: string): Promise<string[]> {
  try {
    const entries = await readdir(path, { withFileTypes: true });
    return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
  } catch {
    return [];
  }
}

function safeSegments(entry: CatalogEntry, segments: string[]): string[] {
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..' || segment.includes('\\') || segment.includes('\0')) {
      throw new ConfigError('model', `Model "${entry.id}": unsafe path segment "${segment}" in ${segments.join('/')}.`);
    }
  }
  return segments;
}
