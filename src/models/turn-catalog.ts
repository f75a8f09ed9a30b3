/**
 * The optional semantic end-of-turn model: Smart Turn v3.2 (pipecat-ai/smart-turn-v3,
 * https://huggingface.co/pipecat-ai/smart-turn-v3), the CPU build: int8, 23 languages, input the
 * last 8 s of 16 kHz audio as Whisper log-mel features, output P(turn complete)
 * (src/engines/end-of-turn/smart-turn.ts).
 *
 * Size: 8.68 MB as published (the Hub's rounded figure; `sizeIsExact: false`, so the download is
 * checked against Content-Length). No commit id or SHA-256 of the file could be confirmed offline:
 * `main`, downloaded with a logged warning (see download.ts). Pin it when the Hub can be reached.
 */
import type { CatalogEntry } from './catalog.js';

/** Id of the Smart Turn entry. */
export const SMART_TURN_MODEL_ID = 'smart-turn-v3.2';
/** Its ONNX file in the repository. */
export const SMART_TURN_FILE = 'smart-turn-v3.2-cpu.onnx';

export const TURN_CATALOG: readonly CatalogEntry[] = [
  {
    id: SMART_TURN_MODEL_ID,
    kind: 'turn',
    description:
      'Optional semantic end of turn: tells a thinking pause from a finished sentence by the sound of ' +
      'the last 8 s of speech (Smart Turn v3.2, int8 CPU build, 23 languages), so the tutor answers ' +
      'sooner when you are done and waits longer when you are not; ≈8.7 MB. BSD-2-Clause.',
    repo: 'pipecat-ai/smart-turn-v3',
    revision: 'main',
    files: [{ path: SMART_TURN_FILE, size: 8_680_000, sizeIsExact: false }],
    license: 'BSD-2-Clause',
  },
];
