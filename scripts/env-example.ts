/**
 * Writes `.env.example` from the zod config schema (src/config.ts): every key, its environment
 * variable, its description, its allowed values and its default. `npm run env-example` rewrites
 * the file; test/setup/env-example.test.ts fails when the file is stale or misses a key.
 *
 * Usage: tsx scripts/env-example.ts [--check]
 *   --check  exit 1 (and say so) when .env.example differs from what the schema gives
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type ConfigKey, ENV_KEYS, configSchema } from '../src/config.js';

/** Path of the generated file, at the repository root. */
export const ENV_EXAMPLE_PATH = fileURLToPath(new URL('../.env.example', import.meta.url));

/** The part of a zod v4 schema definition this script reads. */
interface SchemaDef {
  type: string;
  innerType?: { def: SchemaDef };
  defaultValue?: unknown;
  entries?: Record<string, string>;
  options?: { def: SchemaDef }[];
}

/** The text of `.env.example` for the current schema. */
export function renderEnvExample(): string {
  const lines = [
    '# LocalChat configuration: every key, with its environment variable.',
    '# Generated from src/config.ts by `npm run env-example`; do not edit by hand.',
    '# LocalChat reads ./.env at start (copy this file to .env), or export these in your shell.',
    '# Precedence: command-line flags > environment variables > localchat.config.json (same keys, camelCase).',
  ];
  for (const [key, schema] of Object.entries(configSchema.shape) as [ConfigKey, (typeof configSchema.shape)[ConfigKey]][]) {
    const def = schema.def as unknown as SchemaDef;
    const allowed = enumValues(def);
    const fallback = defaultText(def);
    lines.push('', `# ${schema.description ?? key} (config key "${key}")`);
    if (allowed) lines.push(`# one of: ${allowed.join(', ')}`);
    // `~` is not expanded in .env: name a home-based default in the comment, not as a value.
    if (fallback.startsWith('~')) lines.push(`# default: ${fallback}`, `# ${ENV_KEYS[key]}=`);
    else lines.push(`# ${ENV_KEYS[key]}=${fallback}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The allowed values of an enum (under optional/default wrappers), or undefined. */
function enumValues(def: SchemaDef): string[] | undefined {
  if (def.type === 'enum' && def.entries) return Object.values(def.entries);
  if (def.innerType) return enumValues(def.innerType.def);
  if (def.type === 'union' && def.options) {
    for (const option of def.options) {
      const values = enumValues(option.def);
      if (values) return values;
    }
  }
  return undefined;
}

/** The default as it would be written in .env (home directory as `~`), or '' when none. */
function defaultText(def: SchemaDef): string {
  if (def.type !== 'default') return '';
  const value = def.defaultValue;
  if (Array.isArray(value)) return value.join(',');
  const text = String(value);
  const home = homedir();
  return text.startsWith(`${home}/`) ? `~${text.slice(home.length)}` : text;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = renderEnvExample();
  if (process.argv.includes('--check')) {
    if (readFileSync(ENV_EXAMPLE_PATH, 'utf8') !== text) {
      console.error('.env.example is out of date: run `npm run env-example`.');
      process.exitCode = 1;
    }
  } else {
    writeFileSync(ENV_EXAMPLE_PATH, text);
    console.log(`wrote ${ENV_EXAMPLE_PATH}`);
  }
}
