/**
 * Catalog entries of the Supertonic text-to-speech models (Supertone; weights OpenRAIL-M, example
 * code MIT), which the `supertonic` engine (src/engines/tts/supertonic.ts) loads from their
 * repository directory: four ONNX graphs, `onnx/tts.json`, `onnx/unicode_indexer.json` and the
 * voice styles `voice_styles/<F1..F5,M1..M5>.json`.
 *
 * Figures: ../shared/MODELS.md (Supertonic section). The ONNX and JSON files of v2 and v3 have
 * exact byte sizes there; the voice styles' sizes were not gathered (no size: any non-empty file
 * passes, the download is checked against Content-Length). v3 is pinned to a commit; no commit of
 * v2 is known, so it resolves `main` and relies on the exact sizes. v1 is listed with no sizes.
 *
 * Upstream announced the archival of these repositories (2026-07). Mirrors exist: build an entry
 * for one with `supertonicEntry(version, { repo, revision })`.
 */
import type { CatalogEntry, ModelFile } from './catalog.js';

/** Supertonic model generation: 1 = `Supertone/supertonic`, 2 = `-2`, 3 = `-3`. */
export type SupertonicCatalogVersion = 1 | 2 | 3;

/** Id of the default Supertonic entry. */
export const DEFAULT_SUPERTONIC_MODEL_ID = 'supertonic-2';

const ALL_VOICES = ['F1', 'F2', 'F3', 'F4', 'F5', 'M1', 'M2', 'M3', 'M4', 'M5'] as const;
/** The voices the first release certainly has; MODELS.md lists F1-F5/M1-M5 for all versions, unconfirmed for v1. */
const V1_VOICES = ['F1', 'F2', 'M1', 'M2'] as const;

function voiceFiles(voices: readonly string[]): ModelFile[] {
  return voices.map((voice) => ({ path: `voice_styles/${voice}.json`, sizeIsExact: false }));
}

/** Byte sizes of the ONNX and JSON files (MODELS.md); undefined where not gathered. */
interface SupertonicSizes {
  durationPredictor?: number;
  textEncoder?: number;
  vectorEstimator?: number;
  vocoder?: number;
  ttsJson?: number;
  unicodeIndexer?: number;
}

function modelFiles(sizes: SupertonicSizes): ModelFile[] {
  const file = (path: string, size: number | undefined): ModelFile =>
    size === undefined ? { path, sizeIsExact: false } : { path, size, sizeIsExact: true };
  return [
    file('onnx/duration_predictor.onnx', sizes.durationPredictor),
    file('onnx/text_encoder.onnx', sizes.textEncoder),
    file('onnx/vector_estimator.onnx', sizes.vectorEstimator),
    file('onnx/vocoder.onnx', sizes.vocoder),
    file('onnx/tts.json', sizes.ttsJson),
    file('onnx/unicode_indexer.json', sizes.unicodeIndexer),
  ];
}

const ARCHIVAL_NOTE = 'Upstream announced archival (2026-07); mirrors exist.';

const VERSIONS: Readonly<Record<SupertonicCatalogVersion, Omit<CatalogEntry, 'kind' | 'license'>>> = {
  1: {
    id: 'supertonic-1',
    description:
      'Supertonic v1 (Supertone): the first, English-only release of the fast flow-matching voice; ' +
      `44.1 kHz, 4 voices here. Sizes not gathered. ${ARCHIVAL_NOTE} OpenRAIL-M.`,
    repo: 'Supertone/supertonic',
    revision: 'main',
    files: [...modelFiles({}), ...voiceFiles(V1_VOICES)],
  },
  2: {
    id: 'supertonic-2',
    description:
      'Supertonic 2 (Supertone): a small flow-matching voice that Supertone reports as much faster ' +
      'than real time on a CPU; English (also ko, es, pt, fr), 10 voices, 44.1 kHz, ≈263 MB. ' +
      `${ARCHIVAL_NOTE} OpenRAIL-M.`,
    repo: 'Supertone/supertonic-2',
    // No commit of this repository is known: `main`, checked by the exact sizes below.
    revision: 'main',
    files: [
      ...modelFiles({
        durationPredictor: 1_521_526,
        textEncoder: 27_431_318,
        vectorEstimator: 132_471_364,
        vocoder: 101_405_066,
        ttsJson: 8_699,
        unicodeIndexer: 262_196,
      }),
      ...voiceFiles(ALL_VOICES),
    ],
  },
  3: {
    id: 'supertonic-3',
    description:
      'Supertonic 3 (Supertone): the multilingual successor (31 languages), larger vector ' +
      `estimator, 10 voices, 44.1 kHz, ≈398 MB. Pinned revision. ${ARCHIVAL_NOTE} OpenRAIL-M.`,
    repo: 'Supertone/supertonic-3',
    revision: '3cadd1ee6394adea1bd021217a0e650ede09a323',
    files: [
      ...modelFiles({
        durationPredictor: 3_700_147,
        textEncoder: 36_416_150,
        vectorEstimator: 256_534_781,
        vocoder: 101_424_195,
        ttsJson: 8_253,
        unicodeIndexer: 277_676,
      }),
      ...voiceFiles(ALL_VOICES),
    ],
  },
};

/**
 * The catalog entry of one Supertonic version, optionally from another repository (a mirror of
 * the archived upstream) or revision. A mirror's entry keeps the upstream sizes: pass a mirror
 * only of the same files.
 * @example supertonicEntry(2, { repo: 'my-org/supertonic-2-mirror', revision: '0123…' })
 */
export function supertonicEntry(
  version: SupertonicCatalogVersion = 2,
  source: { repo?: string; revision?: string } = {},
): CatalogEntry {
  const base = VERSIONS[version];
  return {
    ...base,
    kind: 'tts',
    repo: source.repo ?? base.repo,
    revision: source.revision ?? base.revision,
    license: 'OpenRAIL-M',
  };
}

/**
 * The Supertonic entries, the default (`supertonic-2`) first. Merge into `MODEL_CATALOG`
 * (src/models/catalog.ts) after the Kokoro entry, so Kokoro stays the default TTS.
 */
export const TTS_CATALOG: readonly CatalogEntry[] = [supertonicEntry(2), supertonicEntry(3), supertonicEntry(1)];
