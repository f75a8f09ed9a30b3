/**
 * docs/licenses.md is what scripts/licenses.ts generates from the installed production tree (run
 * `npx tsx scripts/licenses.ts` after changing dependencies), and it names the parts that put
 * conditions on redistribution.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LICENSES_PATH, installedLicenses, licensesMarkdown } from '../../scripts/licenses.js';

describe('docs/licenses.md', () => {
  it('matches the installed production dependencies and the model catalog', async () => {
    const expected = licensesMarkdown(await installedLicenses());
    expect(readFileSync(LICENSES_PATH, 'utf8'), 'docs/licenses.md is stale: run `npx tsx scripts/licenses.ts`').toBe(expected);
  }, 60_000);

  it('names eSpeak NG (also inside the phonemizer), lamejs, mediabunny and the model licenses', async () => {
    const packages = await installedLicenses();
    const license = (name: string) => packages.find((pkg) => pkg.name === name)?.license;
    expect(license('@echogarden/espeak-ng-emscripten')).toMatch(/GPL-3\.0/);
    expect(license('@breezystack/lamejs')).toMatch(/LGPL-3\.0/);
    expect(license('mediabunny')).toBe('MPL-2.0');
    const text = licensesMarkdown(packages);
    expect(text).toMatch(/\| phonemizer \| [^|]+ \| Apache-2\.0 \(declared\); contains eSpeak NG, GPL-3\.0-or-later \|/);
    expect(text).toMatch(/\| qwen2\.5-1\.5b-instruct \| .* \| Apache-2\.0 \|/);
    expect(text).toMatch(/\| supertonic-3 \| .* \| OpenRAIL-M \|/);
    expect(text).toMatch(/\| llama-3\.2-3b-instruct \| .* \| Llama-3\.2-Community \|/);
  });
});
