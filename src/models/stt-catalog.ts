/**
 * Catalog entries of the speech-to-text models LocalChat can download: transformers.js ONNX
 * exports of Whisper and Moonshine, at dtype q8 (the `_quantized` files; the Hub repositories' file listings).
 * The Whisper engine (src/engines/stt/whisper.ts) loads any of them from its directory.
 *
 * Sizes: the Hub shows rounded figures for the two ONNX files (`sizeIsExact: false`:
 * progress only, the download is checked against Content-Length); the JSON files' sizes were not
 * gathered, so they have none. No revision is pinned: `main`.
 */
import type { CatalogEntry, ModelFile } from './catalog.js';

const MB = 1_000_000;

/** The config, tokenizer and feature-extractor files every transformers.js speech model needs. */
const SHARED_FILES: readonly ModelFile[] = [
  'config.json',
  'generation_config.json',
  'preprocessor_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
].map((path) => ({ path, sizeIsExact: false }));

function onnxFiles(encoderMB: number, decoderMB: number): ModelFile[] {
  return [
    { path: 'onnx/encoder_model_quantized.onnx', size: Math.round(encoderMB * MB), sizeIsExact: false },
    { path: 'onnx/decoder_model_merged_quantized.onnx', size: Math.round(decoderMB * MB), sizeIsExact: false },
  ];
}

/** Id of the default STT model. */
export const DEFAULT_STT_MODEL_ID = 'whisper-base.en';

/** The STT models, the default first. Merge into `MODEL_CATALOG` (src/models/catalog.ts). */
export const STT_CATALOG: readonly CatalogEntry[] = [
  {
    id: 'whisper-base.en',
    kind: 'stt',
    description:
      'Default speech recognition: Whisper base (74M parameters), English-only, which suits ' +
      'learners of English; 8-bit, ≈77 MB. MIT.',
    repo: 'onnx-community/whisper-base.en',
    revision: 'main',
    files: [...onnxFiles(23.2, 53.7), ...SHARED_FILES],
    license: 'MIT',
  },
  {
    id: 'whisper-small.en',
    kind: 'stt',
    description:
      'More accurate English recognition (Whisper small, 244M parameters, ~3x the compute of ' +
      'base); 8-bit, ≈250 MB. MIT.',
    repo: 'Xenova/whisper-small.en',
    revision: 'main',
    files: [...onnxFiles(92.3, 157), ...SHARED_FILES],
    license: 'MIT',
  },
  {
    id: 'moonshine-tiny',
    kind: 'stt',
    description:
      'Smallest English recognition (Useful Sensors Moonshine tiny, 27M parameters): its compute ' +
      'grows with the audio length instead of a fixed 30 s window; 8-bit, ≈28 MB. MIT.',
    repo: 'onnx-community/moonshine-tiny-ONNX',
    revision: 'main',
    files: [...onnxFiles(7.9, 20.2), ...SHARED_FILES],
    license: 'MIT',
  },
  {
    id: 'moonshine-base',
    kind: 'stt',
    description:
      'Moonshine base (61M parameters): English, more accurate than tiny; 8-bit, ≈63 MB. MIT.',
    repo: 'onnx-community/moonshine-base-ONNX',
    revision: 'main',
    files: [...onnxFiles(20.5, 42.5), ...SHARED_FILES],
    license: 'MIT',
  },
];
