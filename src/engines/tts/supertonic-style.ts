/**
 * Supertonic voice styles: the `voice_styles/<id>.json` files of the Hub repositories, each
 * `{ "style_ttl": { "dims": [1, 50, 256], "data": [...] }, "style_dp": { "dims": [1, 8, 16], "data": [...] } }`
 * with `data` nested as `dims` says. `style_ttl` conditions the text encoder and the vector
 * estimator, `style_dp` the duration predictor. Parsed as Supertone's `loadVoiceStyle`
 * (nodejs/helper.js, github.com/supertone-inc/supertonic, MIT) does: `data` flattened into
 * float32, shaped `[1, dims[1], dims[2]]`.
 */
import { readFile } from 'node:fs/promises';

import { ModelLoadError, errorMessage } from '../../core/errors.js';
import type { Voice } from '../../core/tts.js';

/** The voices Supertone publishes: five female (F1-F5) and five male (M1-M5). */
export const SUPERTONIC_VOICE_IDS = ['F1', 'F2', 'F3', 'F4', 'F5', 'M1', 'M2', 'M3', 'M4', 'M5'] as const;

/** The voices a model directory must have by default (the v1 catalog entry downloads only these four). */
export const SUPERTONIC_CORE_VOICE_IDS = ['F1', 'F2', 'M1', 'M2'] as const;

const DEFAULT_FIX = 'Delete the file and run `localchat models pull supertonic-2` again.';

/** One style tensor: float32 values in row-major order and its shape. */
export interface StyleTensor {
  data: Float32Array;
  /** `[1, rows, columns]`: `[1, 50, 256]` for `style_ttl`, `[1, 8, 16]` for `style_dp` in v1-v3. */
  dims: [number, number, number];
}

/** A parsed voice style. */
export interface SupertonicVoiceStyle {
  /** Text-to-latent style, float32 [1, 50, 256]. */
  ttl: StyleTensor;
  /** Duration-predictor style, float32 [1, 8, 16]. */
  dp: StyleTensor;
}

/**
 * Parses one voice style JSON document.
 * @param json the file's text
 * @param source the file's path, named in errors
 * @param fix what the error tells the user to do; default: pull `supertonic-2` again
 * @throws ModelLoadError when the text is not JSON, a field is missing, `dims` is not three
 *   positive integers with batch 1, or `data` does not hold exactly `dims` finite numbers
 */
export function parseVoiceStyle(json: string, source: string, fix: string = DEFAULT_FIX): SupertonicVoiceStyle {
  let document: unknown;
  try {
    document = JSON.parse(json);
  } catch (error) {
    throw invalid(source, `not valid JSON (${errorMessage(error)})`, fix, error);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw invalid(source, 'not a JSON object', fix);
  }
  const record = document as Record<string, unknown>;
  return {
    ttl: styleTensor(record.style_ttl, 'style_ttl', source, fix),
    dp: styleTensor(record.style_dp, 'style_dp', source, fix),
  };
}

/**
 * Reads and parses a voice style file.
 * @param fix what an error tells the user to do
 * @throws ModelLoadError when the file cannot be read or is not a valid style (see `parseVoiceStyle`)
 */
export async function loadVoiceStyle(file: string, fix: string = DEFAULT_FIX): Promise<SupertonicVoiceStyle> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ModelLoadError(file, `Supertonic voice style not readable: ${file} (${errorMessage(error)})`, fix, {
      cause: error,
    });
  }
  return parseVoiceStyle(text, file, fix);
}

/** How a voice id reads in the UI: `F1` -> `{ name: 'Female 1', gender: 'female' }`. */
export function supertonicVoice(id: string, language: string): Voice {
  const match = /^([FM])(\d+)$/.exec(id);
  if (!match) return { id, name: id, language };
  const female = match[1] === 'F';
  return { id, name: `${female ? 'Female' : 'Male'} ${match[2]}`, language, gender: female ? 'female' : 'male' };
}

function styleTensor(value: unknown, field: string, source: string, fix: string): StyleTensor {
  if (typeof value !== 'object' || value === null) throw invalid(source, `"${field}" is missing or not an object`, fix);
  const { dims, data } = value as { dims?: unknown; data?: unknown };
  if (
    !Array.isArray(dims) ||
    dims.length !== 3 ||
    !dims.every((dim) => Number.isInteger(dim) && (dim as number) > 0) ||
    dims[0] !== 1
  ) {
    throw invalid(source, `"${field}.dims" must be [1, rows, columns], got ${JSON.stringify(dims)}`, fix);
  }
  if (!Array.isArray(data)) throw invalid(source, `"${field}.data" is missing or not an array`, fix);
  const flat = (data as unknown[]).flat(Infinity);
  const [, rows, columns] = dims as [number, number, number];
  if (flat.length !== rows * columns) {
    throw invalid(source, `"${field}.data" holds ${flat.length} values, dims ${JSON.stringify(dims)} need ${rows * columns}`, fix);
  }
  const floats = new Float32Array(flat.length);
  for (let i = 0; i < flat.length; i++) {
    const number = flat[i];
    if (typeof number !== 'number' || !Number.isFinite(number)) {
      throw invalid(source, `"${field}.data" holds a value that is not a finite number at index ${i}`, fix);
    }
    floats[i] = number;
  }
  return { data: floats, dims: [1, rows, columns] };
}

function invalid(source: string, detail: string, fix: string, cause?: unknown): ModelLoadError {
  return new ModelLoadError(source, `Invalid Supertonic voice style ${source}: ${detail}.`, fix, cause ? { cause } : undefined);
}
