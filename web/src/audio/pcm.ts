/**
 * PCM16 helpers for the realtime protocol: audio deltas are base64 of little-endian 16-bit mono
 * samples (OpenAI Realtime API `audio/pcm`, 24 kHz).
 */

/**
 * Decodes one `response.output_audio.delta` payload.
 * @returns the samples; a trailing odd byte (never sent by a correct server) is dropped
 */
export function decodePcm16Base64(base64: string): Int16Array {
  const binary = atob(base64);
  const count = binary.length >> 1;
  const samples = new Int16Array(count);
  for (let index = 0; index < count; index++) {
    const low = binary.charCodeAt(2 * index);
    const high = binary.charCodeAt(2 * index + 1);
    samples[index] = ((high << 8) | low) << 16 >> 16;
  }
  return samples;
}

/** Encodes samples the way the server does (the inverse of `decodePcm16Base64`). */
export function encodePcm16Base64(samples: Int16Array): string {
  let binary = '';
  for (const sample of samples) binary += String.fromCharCode(sample & 0xff, (sample >> 8) & 0xff);
  return btoa(binary);
}
