/**
 * `localchat say "text" -o out.wav [--voice --speed --engine]`: speaks a text into a WAV file
 * (PCM16 mono 24 kHz), through the same chunker and TTS engines as a live reply.
 *
 * Like the server, `say` always talks: when the chosen voice cannot be had (no network for the
 * download, downloads off, a broken model, an unreachable TTS server) it says why on stderr and
 * speaks with the built-in eSpeak NG instead.
 */
import { writeFileSync } from 'node:fs';
import { REALTIME_SAMPLE_RATE, durationMs } from '../core/audio.js';
import { resample } from '../audio/resample.js';
import { encodeWav } from '../audio/wav.js';
import { type Config, ttsProvider } from '../config.js';
import { ModelLoadError, errorMessage, isAbortError } from '../core/errors.js';
import type { TTS } from '../core/tts.js';
import { createTts } from '../engines/registry.js';
import { ModelManager } from '../models/model-manager.js';
import { DownloadProgressBar } from '../models/progress-bar.js';
import { chunkText } from '../text/sentence-chunker.js';

/** Where `say` reports a fallback (stderr by default, so stdout keeps only the result line). */
export interface SayOptions {
  warn?: (line: string) => void;
}

/**
 * Speaks `text` into the WAV file `output`.
 * @throws Error when the text is empty or the voice is unknown to the chosen engine; never for a
 *   missing model (eSpeak NG speaks instead)
 */
export async function say(config: Config, text: string, output: string, options: SayOptions = {}): Promise<void> {
  if (!text.trim()) throw new Error('Nothing to say: the text is empty.');
  const warn = options.warn ?? ((line: string) => console.error(line));
  const controller = new AbortController();
  const { tts, fellBack } = await loadVoice(config, controller.signal, warn);
  // A voice of the chosen engine (e.g. Kokoro's af_heart) means nothing to the fallback: use its default.
  let voice = config.voice;
  if (voice && !tts.voices().some((known) => known.id === voice)) {
    if (!fellBack) throw new Error(`Unknown voice "${voice}" for ${tts.provider}. Voices: ${tts.voices().map((known) => known.id).join(', ')}`);
    warn(`localchat: "${voice}" is not an eSpeak NG voice; using ${tts.defaultVoice}.`);
    voice = undefined;
  }
  const started = performance.now();
  const parts: Int16Array[] = [];
  for (const chunk of chunkText(text)) {
    for await (const audio of tts.synthesize(chunk, { signal: controller.signal, voice, speed: config.speed })) {
      parts.push(resample(audio.samples, audio.sampleRate, REALTIME_SAMPLE_RATE));
    }
  }
  const samples = new Int16Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    samples.set(part, offset);
    offset += part.length;
  }
  writeFileSync(output, encodeWav(samples, REALTIME_SAMPLE_RATE));
  const seconds = durationMs(samples.length, REALTIME_SAMPLE_RATE) / 1000;
  const elapsed = (performance.now() - started) / 1000;
  console.log(`${output}: ${seconds.toFixed(2)} s of audio (${tts.provider}, voice ${voice ?? tts.defaultVoice}) in ${elapsed.toFixed(2)} s, RTF ${(elapsed / Math.max(seconds, 1e-6)).toFixed(3)}`);
  await tts.dispose?.();
}

/** The configured voice, or eSpeak NG (with one line saying why) when it cannot be had. */
async function loadVoice(config: Config, signal: AbortSignal, warn: (line: string) => void): Promise<{ tts: TTS; fellBack: boolean }> {
  const models = new ModelManager({ modelsDir: config.modelsDir });
  if (ttsProvider(config) !== 'espeak') {
    const bar = new DownloadProgressBar({ label: 'voice' });
    models.on('progress', (progress) => bar.update(progress));
    try {
      return { tts: await createTts(config, models, signal), fellBack: false };
    } catch (error) {
      if (isAbortError(error)) throw error;
      const fix = ModelLoadError.isInstance(error) ? ` ${error.fix}` : '';
      warn(`localchat: the ${ttsProvider(config)} voice is unavailable, speaking with eSpeak NG: ${errorMessage(error)}${fix}`);
    } finally {
      bar.stop();
    }
  }
  return { tts: await createTts({ ...config, tts: 'espeak' }, models, signal), fellBack: ttsProvider(config) !== 'espeak' };
}
