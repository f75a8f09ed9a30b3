/**
 * Catalog entries of the Supertonic text-to-speech models (Supertone; weights OpenRAIL-M, example
 * code MIT), which the `supertonic` engine (src/engines/tts/supertonic.ts) loads from their
 * repository directory: four ONNX graphs, `onnx/tts.json`, `onnx/unicode_indexer.json` and the
 * voice styles `voice_styles/<F1..F5,M1..M5>.json`.
 *
 * Figures: the Hub repositories' file listings (https://huggingface.co/Supertone). The ONNX and JSON files of v2 and v3 have
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
/** The voices the first release certainly has; the Hub lists F1-F5/M1-M5 for v2 and v3; unconfirmed for v1. */
const V1_VOICES = ['F1', 'F2', 'M1', 'M2'] as const;

function voiceFiles(voices: readonly string[]): ModelFile[] {
  return voices.map((voice) => ({ path: `voice_styles/${voice}.json`, sizeIsExact: false }));
}

/** Byte sizes of the ONNX and JSON files (the Hub's file listings); undefined where not gathered. */
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
    // Sizes and SHA-256 at this commit, as the Hub lists them
    // (https://huggingface.co/Supertone/supertonic-3/tree/3cadd1ee6394adea1bd021217a0e650ede09a323).
    files: [
      { path: 'onnx/duration_predictor.onnx', size: 3_700_147, sizeIsExact: true, sha256: 'c3eb91414d5ff8a7a239b7fe9e34e7e2bf8a8140d8375ffb14718b1c639325db' },
      { path: 'onnx/text_encoder.onnx', size: 36_416_150, sizeIsExact: true, sha256: 'c7befd5ea8c3119769e8a6c1486c4edc6a3bc8365c67621c881bbb774b9902ff' },
      { path: 'onnx/vector_estimator.onnx', size: 256_534_781, sizeIsExact: true, sha256: '883ac868ea0275ef0e991524dc64f16b3c0376efd7c320af6b53f5b780d7c61c' },
      { path: 'onnx/vocoder.onnx', size: 101_424_195, sizeIsExact: true, sha256: '085de76dd8e8d5836d6ca66826601f615939218f90e519f70ee8a36ed2a4c4ba' },
      { path: 'onnx/tts.json', size: 8_253, sizeIsExact: true, sha256: '42078d3aef1cd43ab43021f3c54f47d2d75ceb4e75f627f118890128b06a0d09' },
      { path: 'onnx/unicode_indexer.json', size: 277_676, sizeIsExact: true, sha256: '9bf7346e43883a81f8645c81224f786d43c5b57f3641f6e7671a7d6c493cb24f' },
      { path: 'voice_styles/F1.json', size: 292_046, sizeIsExact: true, sha256: 'bbdec6ee00231c2c742ad05483df5334cab3b52fda3ba38e6a07059c4563dbc2' },
      { path: 'voice_styles/F2.json', size: 292_423, sizeIsExact: true, sha256: '7c722c6a72707b1a77f035d67f0d1351ba187738e06f7683e8c72b1df3477fc6' },
      { path: 'voice_styles/F3.json', size: 290_794, sizeIsExact: true, sha256: '12f6ef2573baa2defa1128069cb59f203e3ab67c92af77b42df8a0e3a2f7c6ab' },
      { path: 'voice_styles/F4.json', size: 291_808, sizeIsExact: true, sha256: 'c2fa764c1225a76dfc3e2c73e8aa4f70d9ee48793860eb34c295fff01c2e032b' },
      { path: 'voice_styles/F5.json', size: 291_479, sizeIsExact: true, sha256: '45966e73316415626cf41a7d1c6f3b4c70dbc1ba2bee5c1978ef0ce33244fc8d' },
      { path: 'voice_styles/M1.json', size: 291_748, sizeIsExact: true, sha256: 'e35604687f5d23694b8e91593a93eec0e4eca6c0b02bb8ed69139ab2ea6b0a5b' },
      { path: 'voice_styles/M2.json', size: 292_055, sizeIsExact: true, sha256: 'b76cbf62bac707c710cf0ae5aba5e31eea1a6339a9734bfae33ab98499534a50' },
      { path: 'voice_styles/M3.json', size: 290_198, sizeIsExact: true, sha256: 'ea1ac35ccb91b0d7ecad533a2fbd0eec10c91513d8951e3b25fbba99954e159b' },
      { path: 'voice_styles/M4.json', size: 291_522, sizeIsExact: true, sha256: 'ca8eefad4fcd989c9379032ff3e50738adc547eeb5e221b82593a6d7b3bac303' },
      { path: 'voice_styles/M5.json', size: 291_469, sizeIsExact: true, sha256: 'dd22b92740314321f8ae11c5e87f8dd60d060f15dd3a632b5adf77f471f77af2' },
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
