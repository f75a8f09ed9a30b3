/**
 * The TTS engines present on this machine: eSpeak NG always; Kokoro and Supertonic when their
 * models are installed in the models directory (else "absent", with the reason).
 */
import type { TTS } from '../src/core/tts.js';
import { kokoroEntry } from '../src/models/catalog.js';
import { isInstalled, modelDirectory, resolveModelsDir } from '../src/models/models-dir.js';
import { supertonicEntry } from '../src/models/tts-catalog.js';

export type TtsEngineName = 'espeak' | 'kokoro' | 'supertonic';
export const TTS_ENGINE_NAMES: readonly TtsEngineName[] = ['espeak', 'kokoro', 'supertonic'];

export interface Absent {
  installed: false;
  reason: string;
}

/** Why `name` cannot be loaded here, or null when it can. */
export async function ttsAbsence(name: TtsEngineName): Promise<Absent | null> {
  if (name === 'espeak') return null;
  const modelsDir = resolveModelsDir();
  const entry = name === 'kokoro' ? kokoroEntry() : supertonicEntry(2);
  return (await isInstalled(entry, modelsDir)) ? null : { installed: false, reason: `${entry.id} is not installed in ${modelsDir}` };
}

/** Loads and warms up an engine (check `ttsAbsence` first). */
export async function loadTts(name: TtsEngineName): Promise<TTS> {
  const modelsDir = resolveModelsDir();
  let tts: TTS;
  if (name === 'espeak') {
    const { EspeakTTSEngine } = await import('../src/engines/tts/espeak.js');
    tts = new EspeakTTSEngine();
  } else if (name === 'kokoro') {
    const { KokoroTTSEngine } = await import('../src/engines/tts/kokoro.js');
    tts = await KokoroTTSEngine.load({ modelDir: modelDirectory(kokoroEntry(), modelsDir) });
  } else {
    const entry = supertonicEntry(2);
    const { SupertonicTTSEngine } = await import('../src/engines/tts/supertonic.js');
    tts = await SupertonicTTSEngine.load({ modelDir: modelDirectory(entry, modelsDir), version: 2, catalogId: entry.id, modelId: entry.repo });
  }
  await tts.prepare?.();
  return tts;
}
