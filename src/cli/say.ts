/**
 * `localchat say "text" -o out.wav [--voice --speed --engine]`: speaks a text into a WAV file
 * (PCM16 mono 24 kHz), through the same chunker and TTS engines as a live reply.
 */
import { writeFileSync } from 'node:fs';
import { REALTIME_SAMPLE_RATE, durationMs } from '../core/audio.js';
import { resample } from '../audio/resample.js';
import { encodeWav } from '../audio/wav.js';
import type { Config } from '../config.js';
import { createTts } from '../engines/registry.js';
import { ModelManager } from '../models/model-manager.js';
import { DownloadProgressBar } from '../models/progress-bar.js';
import { chunkText } from '../text/sentence-chunker.js';

export async function say(config: Config, text: string, output: string): Promise<void> {
  if (!text.trim()) throw new Error('Nothing to say: the text is empty.');
  const models = new ModelManager({ modelsDir: config.modelsDir });
  const bar = new DownloadProgressBar({ label: 'voice' });
  models.on('progress', (progress) => bar.update(progress));
  const controller = new AbortController();
  const tts = await createTts(config, models, controller.signal).finally(() => bar.stop());
  if (config.voice && !tts.voices().some((voice) => voice.id === config.voice)) {
    throw new Error(`Unknown voice "${config.voice}" for ${tts.provider}. Voices: ${tts.voices().map((voice) => voice.id).join(', ')}`);
  }
  const started = performance.now();
  const parts: Int16Array[] = [];
  for (const chunk of chunkText(text)) {
    for await (const audio of tts.synthesize(chunk, { signal: controller.signal, voice: config.voice, speed: config.speed })) {
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
  console.log(`${output}: ${seconds.toFixed(2)} s of audio (${tts.provider}, voice ${config.voice ?? tts.defaultVoice}) in ${elapsed.toFixed(2)} s, RTF ${(elapsed / Math.max(seconds, 1e-6)).toFixed(3)}`);
  await tts.dispose?.();
}
