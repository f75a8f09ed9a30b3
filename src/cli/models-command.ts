/**
 * `localchat models list` and `localchat models pull [name]`.
 */
import type { Config } from '../config.js';
import { type CatalogEntry, DEFAULT_MODEL_IDS, MODEL_CATALOG, kokoroEntry } from '../models/catalog.js';
import { ModelManager } from '../models/model-manager.js';
import { listInstalled } from '../models/models-dir.js';
import { DownloadProgressBar, formatMegabytes } from '../models/progress-bar.js';

/** Prints the catalog (installed or not) and any other GGUF found in the models directory. */
export async function listModels(config: Config): Promise<void> {
  const installed = await listInstalled({ modelsDir: config.modelsDir });
  const installedSizes = new Map(installed.map((model) => [model.id, model.sizeBytes]));
  console.log(`Models directory: ${config.modelsDir}\n`);
  const rows = MODEL_CATALOG.map((entry) => {
    const isDefault = Object.values(DEFAULT_MODEL_IDS).includes(entry.id as never);
    return [installedSizes.has(entry.id) ? 'installed' : '-', entry.kind, `${entry.id}${isDefault ? ' (default)' : ''}`, catalogSizeText(entry, installedSizes.get(entry.id)), entry.license];
  });
  for (const model of installed.filter((model) => !model.inCatalog)) {
    rows.push(['installed', model.kind, model.id, `${formatMegabytes(model.sizeBytes)} MB`, '?']);
  }
  const widths = [9, 4, 34, 12];
  for (const row of [['STATE', 'KIND', 'ID', 'SIZE', 'LICENSE'], ...rows]) {
    console.log(row.map((cell, index) => (index < widths.length ? cell.padEnd(widths[index]!) : cell)).join('  '));
  }
  console.log('\nDownload one with: localchat models pull <id>   (or hf:owner/repo/file.gguf)');
}

/**
 * The SIZE column of `models list`: the bytes on disk once installed; before that the catalog's
 * sizes: `92.4 MB` when every file's size is known, `≈263.1 MB` when some files (e.g. small voice
 * styles) have none, `size unknown` when no file has one (the download is then checked against
 * the server's Content-Length instead).
 */
export function catalogSizeText(entry: Pick<CatalogEntry, 'files'>, installedBytes?: number): string {
  if (installedBytes !== undefined) return `${formatMegabytes(installedBytes)} MB`;
  const known = entry.files.filter((file) => file.size !== undefined);
  if (known.length === 0) return 'size unknown';
  const bytes = known.reduce((sum, file) => sum + file.size!, 0);
  return `${known.length < entry.files.length ? '≈' : ''}${formatMegabytes(bytes)} MB`;
}

/** Downloads a model (default: the default LLM and voice) with a terminal progress bar. */
export async function pullModel(config: Config, name?: string): Promise<void> {
  const manager = new ModelManager({ modelsDir: config.modelsDir });
  const targets = name ? [name] : [DEFAULT_MODEL_IDS.llm, kokoroEntry(config.kokoroDtype).id];
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  try {
    for (const target of targets) {
      const bar = new DownloadProgressBar({ label: target });
      const listener = (progress: Parameters<DownloadProgressBar['update']>[0]) => bar.update(progress);
      manager.on('progress', listener);
      try {
        const path = await manager.ensure(target, { signal: controller.signal });
        bar.stop();
        console.log(`${target}: ${path}`);
      } finally {
        bar.stop();
        manager.off('progress', listener);
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
  }
}
