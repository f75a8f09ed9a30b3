/**
 * The role-play library: one JSON file a scenario in `data/scenarios/` (file name = `<id>.json`),
 * validated with zod when loaded. A scenario gives the tutor a role, a setting and the learner's
 * goal with its success criteria; the UI shows the useful phrases.
 *
 * @example
 * const scenarios = await loadScenarios();           // every file, validated
 * const scene = await findScenario('ordering-food');
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { LocalChatError } from '../core/errors.js';
import { type CefrLevel, cefrLevelSchema, levelIndex } from './profile.js';

export { TOPICS, findTopic, topicOfTheDay, type Topic } from './topics.js';

/**
 * The scenario directory shipped with the app: `<package root>/data/scenarios` (this file is
 * `src/tutor/scenarios.ts`, or `dist/tutor/scenarios.js` once built: two levels down either way).
 */
export const DEFAULT_SCENARIOS_DIR = fileURLToPath(new URL('../../data/scenarios/', import.meta.url));

const line = (maxLength: number) => z.string().trim().min(1).max(maxLength);

/** Zod schema of a scenario file. Unknown keys are an error (they are usually typos). */
export const scenarioSchema = z
  .strictObject({
    /** Kebab-case id, equal to the file name without `.json`. */
    id: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be kebab-case (a-z, 0-9, -)'),
    title: line(60),
    /** The CEFR levels the scene suits, inclusive. */
    level: z
      .strictObject({ min: cefrLevelSchema, max: cefrLevelSchema })
      .refine((range) => levelIndex(range.min) <= levelIndex(range.max), { message: 'min must not be above max' }),
    /** Where the scene takes place, one sentence (goes into the prompt). */
    setting: line(200),
    /** Who the tutor plays, a noun phrase: `'a waiter at a busy Italian restaurant'` (goes into the prompt). */
    tutorRole: line(120),
    /** What the learner must achieve, one sentence (goes into the prompt). */
    learnerGoal: line(200),
    /** What counts as meeting the goal: 1-5 short checks (goes into the prompt). */
    successCriteria: z.array(line(120)).min(1).max(5),
    /** Phrases the UI offers as help: 2-10. */
    usefulPhrases: z.array(line(120)).min(2).max(10),
    /** The tutor's first line, in role (spoken without an LLM call). */
    openingLine: line(200),
  });

/** A validated scenario. */
export type Scenario = z.output<typeof scenarioSchema>;

/** A scenario file could not be read, parsed or validated. `file` is its path, `field` the bad field's dotted path (when one is to blame). */
export class ScenarioError extends LocalChatError {
  readonly file: string;
  readonly field: string | undefined;
  constructor(file: string, message: string, options?: { field?: string; cause?: unknown }) {
    super('scenario_invalid', message, options);
    this.name = 'ScenarioError';
    this.file = file;
    this.field = options?.field;
  }
  static isInstance(error: unknown): error is ScenarioError {
    return error instanceof Error && error.name === 'ScenarioError';
  }
}

/**
 * Validates one scenario's parsed JSON.
 * @param file the file it came from, for the error message
 * @throws ScenarioError naming `file` and the first bad field, e.g.
 *   `ordering-food.json: level.min: Invalid option: expected one of "A1"|"A2"|...`
 */
export function parseScenario(value: unknown, file: string): Scenario {
  const result = scenarioSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue?.path.join('.') ?? '';
    // An unknown key is reported on the object; name the key itself.
    const field = issue?.code === 'unrecognized_keys' ? [path, ...issue.keys].filter(Boolean).join('.') : path;
    throw new ScenarioError(file, `${file}: ${field || '(root)'}: ${issue?.message ?? 'invalid scenario'}`, { field: field || undefined });
  }
  const expectedId = basename(file, '.json');
  if (result.data.id !== expectedId) {
    throw new ScenarioError(file, `${file}: id: "${result.data.id}" must equal the file name "${expectedId}"`, { field: 'id' });
  }
  return result.data;
}

/**
 * Reads and validates every `*.json` file of `dir`, sorted by lowest level, then title. Ids are
 * unique because each must equal its file name.
 * @param dir default {@link DEFAULT_SCENARIOS_DIR}
 * @throws ScenarioError for the first file that cannot be read, is not JSON, or does not fit
 *   {@link scenarioSchema} (the message names the file and the field)
 */
export async function loadScenarios(dir: string = DEFAULT_SCENARIOS_DIR): Promise<Scenario[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith('.json')).sort();
  } catch (error) {
    throw new ScenarioError(dir, `Cannot read the scenario directory ${dir}: ${(error as Error).message}`, { cause: error });
  }
  const scenarios: Scenario[] = [];
  for (const name of names) {
    const path = join(dir, name);
    let value: unknown;
    try {
      value = JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      throw new ScenarioError(path, `${path}: not valid JSON: ${(error as Error).message}`, { cause: error });
    }
    scenarios.push(parseScenario(value, path));
  }
  return scenarios.sort(
    (a, b) => levelIndex(a.level.min) - levelIndex(b.level.min) || a.title.localeCompare(b.title, 'en'),
  );
}

const libraries = new Map<string, Promise<Scenario[]>>();

/**
 * The scenarios of `dir`, loaded once per process and kept (the library is read-only data).
 * A failed load is not kept, so the next call tries again.
 * @throws ScenarioError as {@link loadScenarios}
 */
export function scenarioLibrary(dir: string = DEFAULT_SCENARIOS_DIR): Promise<Scenario[]> {
  const key = resolve(dir);
  let library = libraries.get(key);
  if (!library) {
    library = loadScenarios(key);
    library.catch(() => libraries.delete(key));
    libraries.set(key, library);
  }
  return library;
}

/**
 * The scenario with this id from {@link scenarioLibrary}, or `undefined`.
 * @throws ScenarioError when the library does not load
 */
export async function findScenario(id: string, dir?: string): Promise<Scenario | undefined> {
  return (await scenarioLibrary(dir)).find((scenario) => scenario.id === id);
}

/** True when `level` lies in the scenario's level range. */
export function suitsLevel(scenario: Scenario, level: CefrLevel): boolean {
  const index = levelIndex(level);
  return levelIndex(scenario.level.min) <= index && index <= levelIndex(scenario.level.max);
}
