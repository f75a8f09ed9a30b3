/**
 * Whisper's log-mel spectrogram, as openai/whisper computes it (`whisper/audio.py`,
 * `log_mel_spectrogram`: https://github.com/openai/whisper/blob/main/whisper/audio.py) and as
 * Hugging Face's `WhisperFeatureExtractor` does (transformers,
 * `models/whisper/feature_extraction_whisper.py`):
 *
 * 1. STFT: periodic Hann window of `N_FFT` = 400 samples, hop 160 (10 ms at 16 kHz), frames
 *    centred (the signal is padded by 200 samples on each side, reflected without repeating the
 *    edge, as `torch.stft(center=True, pad_mode='reflect')`); the last frame is dropped.
 * 2. Power spectrum |X|² of the 201 bins, times 80 mel filters: librosa's
 *    `filters.mel(sr=16000, n_fft=400, n_mels=80)` (Slaney mel scale, Slaney area norm), which
 *    is what whisper's `mel_filters.npz` holds.
 * 3. log10 of max(mel, 1e-10); values below (max - 8) raised to it; then (x + 4) / 4.
 *
 * Smart Turn v3 (pipecat-ai/smart-turn, `inference.py`) feeds its model the last 8 s of 16 kHz
 * audio, left-padded with zeros to 8 s, normalized to zero mean and unit variance
 * (`WhisperFeatureExtractor(chunk_length=8)`, `do_normalize=True`: (x - mean) / sqrt(var + 1e-7)),
 * as [80, 800] features: {@link smartTurnFeatures}.
 *
 * No imports: the page (onnxruntime-web) and the server (onnxruntime-node) use the same code.
 */

/** Whisper's audio constants (`whisper/audio.py`). */
export const WHISPER_SAMPLE_RATE = 16_000;
export const N_FFT = 400;
export const HOP_LENGTH = 160;
export const N_MELS = 80;

/** Smart Turn's window: the last 8 s of audio, as 800 frames. */
export const SMART_TURN_WINDOW_SAMPLES = 8 * WHISPER_SAMPLE_RATE;
export const SMART_TURN_FRAMES = SMART_TURN_WINDOW_SAMPLES / HOP_LENGTH;

/** Slaney mel scale (librosa `hz_to_mel(htk=False)`): linear below 1 kHz, logarithmic above. */
function hzToMel(hz: number): number {
  const fSp = 200 / 3;
  const minLogHz = 1000;
  const minLogMel = minLogHz / fSp;
  const logStep = Math.log(6.4) / 27;
  return hz >= minLogHz ? minLogMel + Math.log(hz / minLogHz) / logStep : hz / fSp;
}

function melToHz(mel: number): number {
  const fSp = 200 / 3;
  const minLogHz = 1000;
  const minLogMel = minLogHz / fSp;
  const logStep = Math.log(6.4) / 27;
  return mel >= minLogMel ? minLogHz * Math.exp(logStep * (mel - minLogMel)) : fSp * mel;
}

/**
 * Triangular mel filters with Slaney area normalization, as librosa `filters.mel(sr, n_fft,
 * n_mels, fmin=0, fmax=sr/2, htk=False, norm='slaney')`.
 * @returns `nMels` rows of `1 + nFft / 2` weights
 */
export function melFilterBank(nMels = N_MELS, nFft = N_FFT, sampleRate = WHISPER_SAMPLE_RATE): Float64Array[] {
  const bins = 1 + Math.floor(nFft / 2);
  const fftFreqs = Array.from({ length: bins }, (_, k) => (k * sampleRate) / nFft);
  const maxMel = hzToMel(sampleRate / 2);
  const melF = Array.from({ length: nMels + 2 }, (_, i) => melToHz((i * maxMel) / (nMels + 1)));
  const filters: Float64Array[] = [];
  for (let m = 0; m < nMels; m++) {
    const row = new Float64Array(bins);
    const lowerWidth = melF[m + 1]! - melF[m]!;
    const upperWidth = melF[m + 2]! - melF[m + 1]!;
    const norm = 2 / (melF[m + 2]! - melF[m]!);
    for (let k = 0; k < bins; k++) {
      const lower = (fftFreqs[k]! - melF[m]!) / lowerWidth;
      const upper = (melF[m + 2]! - fftFreqs[k]!) / upperWidth;
      row[k] = Math.max(0, Math.min(lower, upper)) * norm;
    }
    filters.push(row);
  }
  return filters;
}

let tables: { cos: Float64Array; sin: Float64Array; window: Float64Array; filters: Float64Array[]; ranges: [number, number][] } | null = null;

function dftTables() {
  if (tables) return tables;
  // Twiddles of the N_FFT-point transform: W^e = exp(-2πi e / N_FFT).
  const cos = Float64Array.from({ length: N_FFT }, (_, e) => Math.cos((2 * Math.PI * e) / N_FFT));
  const sin = Float64Array.from({ length: N_FFT }, (_, e) => Math.sin((2 * Math.PI * e) / N_FFT));
  // Periodic Hann (torch.hann_window(N_FFT), periodic=True by default).
  const window = Float64Array.from({ length: N_FFT }, (_, n) => 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / N_FFT));
  const filters = melFilterBank();
  // Each triangle covers a few bins: sum over its non-zero range only.
  const ranges = filters.map((row): [number, number] => {
    const from = row.findIndex((value) => value > 0);
    let to = row.length;
    while (to > 0 && row[to - 1] === 0) to--;
    return from < 0 ? [0, 0] : [from, to];
  });
  tables = { cos, sin, window, filters, ranges };
  return tables;
}

/**
 * Mixed-radix decimation-in-time FFT (Cooley-Tukey for any factorization: 400 = 2⁴·5²) of a
 * length dividing `N_FFT`; twiddles from the N_FFT-point table.
 */
function fft(re: Float64Array, im: Float64Array, cos: Float64Array, sin: Float64Array): [Float64Array, Float64Array] {
  const n = re.length;
  if (n === 1) return [re, im];
  const p = n % 2 === 0 ? 2 : n % 5 === 0 ? 5 : n % 3 === 0 ? 3 : n;
  const m = n / p;
  const step = N_FFT / n;
  const subs: [Float64Array, Float64Array][] = [];
  for (let r = 0; r < p; r++) {
    const subRe = new Float64Array(m);
    const subIm = new Float64Array(m);
    for (let j = 0; j < m; j++) {
      subRe[j] = re[j * p + r]!;
      subIm[j] = im[j * p + r]!;
    }
    subs.push(m === 1 ? [subRe, subIm] : fft(subRe, subIm, cos, sin));
  }
  const outRe = new Float64Array(n);
  const outIm = new Float64Array(n);
  for (let k = 0; k < m; k++) {
    for (let q = 0; q < p; q++) {
      const index = k + m * q;
      let sumRe = 0;
      let sumIm = 0;
      for (let r = 0; r < p; r++) {
        const [yRe, yIm] = subs[r]!;
        const e = ((r * index) % n) * step;
        const c = cos[e]!;
        const s = -sin[e]!;
        sumRe += yRe[k]! * c - yIm[k]! * s;
        sumIm += yRe[k]! * s + yIm[k]! * c;
      }
      outRe[index] = sumRe;
      outIm[index] = sumIm;
    }
  }
  return [outRe, outIm];
}

/** Whisper log-mel features: `data[mel * frames + frame]`. */
export interface LogMel {
  data: Float32Array;
  frames: number;
  nMels: number;
}

/**
 * Whisper's log-mel spectrogram of 16 kHz mono audio (see the file comment).
 * @param audio samples in [-1, 1] at 16 kHz; at least 201 samples (the reflection padding)
 * @returns `floor(length / 160)` frames of 80 mel bins
 * @throws RangeError for audio shorter than 201 samples
 */
export function logMelSpectrogram(audio: ArrayLike<number>): LogMel {
  const pad = N_FFT / 2;
  if (audio.length <= pad) throw new RangeError(`Whisper features need more than ${pad} samples of audio, got ${audio.length}.`);
  const { cos, sin, window, filters, ranges } = dftTables();
  const padded = new Float64Array(audio.length + 2 * pad);
  for (let i = 0; i < audio.length; i++) padded[pad + i] = audio[i]!;
  for (let i = 0; i < pad; i++) {
    padded[i] = audio[pad - i]!; // reflect: x[200], ..., x[1]
    padded[pad + audio.length + i] = audio[audio.length - 2 - i]!;
  }
  const frames = Math.floor(audio.length / HOP_LENGTH); // 1 + len/hop frames, the last dropped
  const bins = N_FFT / 2 + 1;
  const mel = new Float64Array(N_MELS * frames);
  const frame = new Float64Array(N_FFT);
  const zeros = new Float64Array(N_FFT);
  const power = new Float64Array(bins);
  let max = -Infinity;
  for (let t = 0; t < frames; t++) {
    const start = t * HOP_LENGTH;
    for (let n = 0; n < N_FFT; n++) frame[n] = padded[start + n]! * window[n]!;
    const [re, im] = fft(frame, zeros, cos, sin);
    for (let k = 0; k < bins; k++) power[k] = re[k]! * re[k]! + im[k]! * im[k]!;
    for (let m = 0; m < N_MELS; m++) {
      const filter = filters[m]!;
      const [from, to] = ranges[m]!;
      let sum = 0;
      for (let k = from; k < to; k++) sum += filter[k]! * power[k]!;
      const value = Math.log10(Math.max(sum, 1e-10));
      mel[m * frames + t] = value;
      if (value > max) max = value;
    }
  }
  const data = new Float32Array(mel.length);
  for (let i = 0; i < mel.length; i++) data[i] = (Math.max(mel[i]!, max - 8) + 4) / 4;
  return { data, frames, nMels: N_MELS };
}

/**
 * Smart Turn v3's input: the last 8 s (left-padded with zeros), normalized to zero mean and unit
 * variance, as Whisper log-mel features.
 * @param audio samples in [-1, 1] at 16 kHz, ending where the speaker went quiet
 * @returns float32 [80 × 800], row-major (`input_features` [1, 80, 800])
 */
export function smartTurnFeatures(audio: ArrayLike<number>): Float32Array {
  const window = new Float64Array(SMART_TURN_WINDOW_SAMPLES);
  const take = Math.min(audio.length, SMART_TURN_WINDOW_SAMPLES);
  const offset = SMART_TURN_WINDOW_SAMPLES - take;
  for (let i = 0; i < take; i++) window[offset + i] = audio[audio.length - take + i]!;
  let mean = 0;
  for (let i = 0; i < window.length; i++) mean += window[i]!;
  mean /= window.length;
  let variance = 0;
  for (let i = 0; i < window.length; i++) variance += (window[i]! - mean) ** 2;
  variance /= window.length;
  const scale = 1 / Math.sqrt(variance + 1e-7);
  for (let i = 0; i < window.length; i++) window[i] = (window[i]! - mean) * scale;
  return logMelSpectrogram(window).data;
}
