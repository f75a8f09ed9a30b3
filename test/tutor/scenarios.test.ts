/**
 * The scenario library: every shipped file loads and validates, and a bad file is reported by
 * name and field. Also the topic of the day.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_SCENARIOS_DIR, ScenarioError, TOPICS, findScenario, loadScenarios, suitsLevel, topicOfTheDay,
} from '../../src/tutor/scenarios.js';

const REQUIRED_SCENES = [
  'ordering-food', 'job-interview', 'doctors-appointment', 'hotel-check-in', 'small-talk-neighbour',
  'asking-directions', 'returning-an-item', 'booking-a-table',
];

describe('scenario library', () => {
  const temporary: string[] = [];
  afterEach(async () => {
    for (const dir of temporary.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  /** A copy of the shipped library to break. */
  async function copyLibrary(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'localchat-scenarios-'));
    temporary.push(dir);
    await cp(DEFAULT_SCENARIOS_DIR, dir, { recursive: true });
    return dir;
  }

  it('loads at least 12 valid scenarios with unique ids, including the ones issue 4 names', async () => {
    const scenarios = await loadScenarios();
    expect(scenarios.length).toBeGreaterThanOrEqual(12);
    const ids = scenarios.map((scenario) => scenario.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of REQUIRED_SCENES) expect(ids).toContain(id);
    for (const scenario of scenarios) {
      expect(scenario.successCriteria.length).toBeGreaterThan(0);
      expect(scenario.usefulPhrases.length).toBeGreaterThanOrEqual(2);
      // Goal and role go into the tutor's prompt: "you" there would mean the tutor.
      expect(scenario.learnerGoal).not.toMatch(/\byou(r|rself)?\b/i);
    }
  });

  it('sorts by lowest level and finds a scenario by id', async () => {
    const scenarios = await loadScenarios();
    const levels = scenarios.map((scenario) => scenario.level.min);
    expect([...levels].sort()).toEqual(levels);
    const scene = await findScenario('hotel-check-in');
    expect(scene?.title).toBe('Hotel check-in');
    expect(await findScenario('no-such-scene')).toBeUndefined();
    expect(suitsLevel(scene!, 'A2')).toBe(true);
    expect(suitsLevel(scene!, 'C1')).toBe(false);
  });

  it('names the file and the field of an invalid scenario', async () => {
    const dir = await copyLibrary();
    const file = join(dir, 'hotel-check-in.json');
    const value = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    await writeFile(file, JSON.stringify({ ...value, level: { min: 'B1', max: 'D9' } }));
    const error: unknown = await loadScenarios(dir).catch((caught: unknown) => caught);
    expect(ScenarioError.isInstance(error)).toBe(true);
    const scenarioError = error as ScenarioError;
    expect(scenarioError.file).toBe(file);
    expect(scenarioError.field).toBe('level.max');
    expect(scenarioError.message).toContain('hotel-check-in.json');
    expect(scenarioError.message).toContain('level.max');
  });

  it('reports a missing field, an unknown key, bad JSON, and an id that is not the file name', async () => {
    const cases: Array<[string, (value: Record<string, unknown>) => unknown, RegExp]> = [
      ['missing', ({ openingLine: _omitted, ...rest }) => rest, /openingLine/],
      ['unknown key', (value) => ({ ...value, tutorRol: 'typo' }), /tutorRol/],
      ['empty list', (value) => ({ ...value, successCriteria: [] }), /successCriteria/],
      ['id', (value) => ({ ...value, id: 'other-name' }), /id: "other-name" must equal the file name/],
    ];
    for (const [, change, message] of cases) {
      const dir = await copyLibrary();
      const file = join(dir, 'ordering-food.json');
      await writeFile(file, JSON.stringify(change(JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>)));
      await expect(loadScenarios(dir)).rejects.toThrow(message);
      await expect(loadScenarios(dir)).rejects.toThrow(/ordering-food\.json/);
    }

    const broken = await copyLibrary();
    await writeFile(join(broken, 'job-interview.json'), '{ "id": "job-interview", ');
    await expect(loadScenarios(broken)).rejects.toThrow(/job-interview\.json: not valid JSON/);
  });
});

describe('topic of the day', () => {
  it('is the same all day and changes the next day, cycling through every topic', () => {
    const morning = topicOfTheDay(new Date(2025, 2, 14, 0, 5));
    const evening = topicOfTheDay(new Date(2025, 2, 14, 23, 55));
    const tomorrow = topicOfTheDay(new Date(2025, 2, 15, 9, 0));
    expect(evening).toBe(morning);
    expect(tomorrow).not.toBe(morning);
    const seen = new Set<string>();
    for (let day = 0; day < TOPICS.length; day++) seen.add(topicOfTheDay(new Date(2025, 0, 1 + day, 12)).id);
    expect(seen.size).toBe(TOPICS.length);
    expect(new Set(TOPICS.map((topic) => topic.id)).size).toBe(TOPICS.length);
  });
});
