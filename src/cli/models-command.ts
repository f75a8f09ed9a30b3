/**
 * `localchat models list` and `localchat models pull [name]`.
 */
import type { Config } from '../config.js';
import { DEFAULT_MODEL_IDS, MODEL_CATALOG, kokoroEntry } from '../models/catalog.js';
import { ModelManager } from '../models/model-manager.js';
import { listInstalled } from '../models/models-dir.js';
import { DownloadProgressBar, formatMegabytes } from '../models/progress-bar.js';

/** Prints the catalog (installed or not) and any other GGUF found in the models directory. */
export async function listModels(config: Config): Promise<void> {
  const installed = await listInstalled({ modelsDir: config.modelsDir });
  const installedIds = new Set(installed.map((model) => model.id));
  console.log(`Models directory: ${config.modelsDir}\n`);
  const rows = MODEL_CATALOG.map((entry) => {
    const size = entry.files.reduce((sum, file) => sum + (file.size ?? 0), 0);
    const isDefault = Object.values(DEFAULT_MODEL_IDS).includes(entry.id as never);
    return [installedIds.has(entry.id) ? 'installed' : '-', entry.kind, `${entry.id}${isDefault ? ' (default)' : ''}`, `${formatMegabytes(size)} MB`, entry.license];
  });
  for (const model of installed.filter((model) => !model.inCatalog)) {
    rows.push(['installed', model.kind, model.id, `${formatMegabytes(model.sizeBytes)} MB`, '?']);
  }
  const widths = [9, 4, 34, 10];
  for (const row of [['STATE', 'KIND', 'ID', 'SIZE', 'LICENSE'], ...rows]) {
    console.log(row.map((cell, index) => (index < widths.length ? cell.padEnd(widths[index]!) : cell)).join('  '));
  }
  console.log('\nDownload one with: localchat models pull <id>   (or hf:owner/repo/file.gguf)');
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
