/**
 * Listening aids on a reply's stored audio (PCM16 mono 24 kHz, audio-store.ts), all client-side:
 *
 * - `timeStretch`: the reply slower (0.75x) at the same pitch. A plain rate change (playing the
 *   samples slower, or resampling) would also lower the voice by a fifth; WSOLA — waveform
 *   similarity overlap-add (Verhelst & Roelands, ICASSP 1993) — instead cuts the signal into
 *   overlapping 30 ms frames, takes them from the input at 0.75x the pace they are laid down, and
 *   shifts each one (within ±10 ms) to where it best continues the previous one, so the pitch
 *   periods line up and nothing is resampled.
 * - `splitSentences` and `sentenceRanges`: one sentence of a reply. The server sends no chunk
 *   boundaries, so each sentence gets a share of the audio proportional to its letters, and each
 *   cut is then moved to the quietest 20 ms within ±300 ms (the pause between two sentences).
 */

export const SAMPLE_RATE = 24_000;

/** Samples of one chunk list as one array. */
export function concatChunks(chunks: readonly Int16Array[]): Int16Array {
  const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  const all = new Int16Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  return all;
}

const FRAME = Math.round(0.03 * SAMPLE_RATE);
const HOP_OUT = FRAME / 2;
const TOLERANCE = Math.round(0.01 * SAMPLE_RATE);

/**
 * `samples` played at `speed` (0.75 = slower) with the pitch unchanged (WSOLA).
 * @returns PCM16 of about `samples.length / speed` samples
 */
export function timeStretch(samples: Int16Array, speed: number): Int16Array {
  if (!(speed > 0) || Math.abs(speed - 1) < 1e-3 || samples.length < FRAME * 2) return samples.slice();
  const input = new Float32Array(samples.length + FRAME + 2 * TOLERANCE);
  for (let index = 0; index < samples.length; index++) input[index + TOLERANCE] = (samples[index] ?? 0) / 32768;
  const hopIn = HOP_OUT * speed;
  const outLength = Math.ceil(samples.length / speed);
  const output = new Float32Array(outLength + FRAME);
  const weight = new Float32Array(outLength + FRAME);
  const window = new Float32Array(FRAME);
  for (let index = 0; index < FRAME; index++) window[index] = 0.5 - 0.5 * Math.cos((2 * Math.PI * (index + 0.5)) / FRAME);

  const overlap = FRAME - HOP_OUT;
  let previous = TOLERANCE; // Start of the last frame copied, in `input`.
  for (let frame = 0; frame * HOP_OUT < outLength; frame++) {
    const nominal = Math.round(TOLERANCE + frame * hopIn);
    let best = nominal;
    if (frame > 0) {
      // The natural continuation of the previous frame, which the new one should resemble.
      const target = previous + HOP_OUT;
      let bestScore = -Infinity;
      const low = Math.max(0, nominal - TOLERANCE);
      const high = Math.min(input.length - FRAME, nominal + TOLERANCE);
      for (let candidate = low; candidate <= high; candidate += 2) {
        let score = 0;
        for (let index = 0; index < overlap; index += 3) score += (input[candidate + index] ?? 0) * (input[target + index] ?? 0);
        if (score > bestScore) {
          bestScore = score;
          best = candidate;
        }
      }
    }
    const at = frame * HOP_OUT;
    for (let index = 0; index < FRAME; index++) {
      const gain = window[index] ?? 0;
      output[at + index] = (output[at + index] ?? 0) + (input[best + index] ?? 0) * gain;
      weight[at + index] = (weight[at + index] ?? 0) + gain;
    }
    previous = best;
  }

  const result = new Int16Array(outLength);
  for (let index = 0; index < outLength; index++) {
    const w = weight[index] ?? 0;
    const value = w > 1e-3 ? (output[index] ?? 0) / w : 0;
    result[index] = Math.max(-32768, Math.min(32767, Math.round(value * 32768)));
  }
  return result;
}

/** One sentence of a text, with its place in the text. */
export interface Sentence {
  text: string;
  start: number;
  end: number;
}

/** Sentences of a reply: ends at `.`, `!`, `?` or `…` (with closing quotes), or the end of the text. */
export function splitSentences(text: string): Sentence[] {
  const sentences: Sentence[] = [];
  const pattern = /[^.!?…]+(?:[.!?…]+["'”’)\]]*|$)/g;
  for (const match of text.matchAll(pattern)) {
    const raw = match[0];
    const lead = raw.length - raw.trimStart().length;
    const trimmed = raw.trim();
    if (!/[\p{L}\p{N}]/u.test(trimmed)) {
      // Stray punctuation: part of the sentence before.
      const last = sentences.at(-1);
      if (last && trimmed) {
        last.end = match.index + lead + trimmed.length;
        last.text = text.slice(last.start, last.end);
      }
      continue;
    }
    const start = match.index + lead;
    sentences.push({ text: trimmed, start, end: start + trimmed.length });
  }
  return sentences;
}

const SNAP_RADIUS = Math.round(0.3 * SAMPLE_RATE);
const QUIET_WINDOW = Math.round(0.02 * SAMPLE_RATE);
const PAD = Math.round(0.04 * SAMPLE_RATE);

/** Letters and digits: what takes time to say. */
function weightOf(text: string): number {
  return Math.max(1, (text.match(/[\p{L}\p{N}]/gu) ?? []).length);
}

/** The start of the quietest `QUIET_WINDOW` around `around` (its middle), within `low..high`. */
function quietest(samples: Int16Array, around: number, low: number, high: number): number {
  const from = Math.max(low, around - SNAP_RADIUS);
  const to = Math.min(high - QUIET_WINDOW, around + SNAP_RADIUS);
  if (to <= from) return around;
  let best = around;
  let bestEnergy = Infinity;
  const step = Math.round(QUIET_WINDOW / 4);
  for (let start = from; start <= to; start += step) {
    let energy = 0;
    for (let index = start; index < start + QUIET_WINDOW; index += 2) {
      const value = samples[index] ?? 0;
      energy += value * value;
    }
    // Prefer the proportional guess when two spots are equally quiet.
    energy *= 1 + Math.abs(start + QUIET_WINDOW / 2 - around) / (SNAP_RADIUS * 8);
    if (energy < bestEnergy) {
      bestEnergy = energy;
      best = start + Math.round(QUIET_WINDOW / 2);
    }
  }
  return best;
}

/**
 * Where each sentence is in the audio: `[start, end)` in samples, in order, covering it all.
 * @param samples the whole reply, to move each cut into a pause (omit for plain proportions)
 */
export function sentenceRanges(sentences: readonly Sentence[], totalSamples: number, samples?: Int16Array): Array<[number, number]> {
  if (sentences.length === 0 || totalSamples <= 0) return [];
  const weights = sentences.map((sentence) => weightOf(sentence.text));
  const total = weights.reduce((sum, value) => sum + value, 0);
  const cuts: number[] = [0];
  let running = 0;
  for (let index = 0; index < sentences.length - 1; index++) {
    running += weights[index] ?? 0;
    const guess = Math.round((running / total) * totalSamples);
    const previous = cuts.at(-1) ?? 0;
    const cut = samples ? quietest(samples, guess, previous + QUIET_WINDOW, totalSamples) : guess;
    cuts.push(Math.max(previous, Math.min(totalSamples, cut)));
  }
  cuts.push(totalSamples);
  return sentences.map((_, index) => {
    const start = cuts[index] ?? 0;
    const end = cuts[index + 1] ?? totalSamples;
    return [Math.max(0, start - (index > 0 ? PAD : 0)), Math.min(totalSamples, end + (index < sentences.length - 1 ? PAD : 0))];
  });
}
