/**
 * Smart Turn v3 through both runtimes, on a stand-in ONNX with the real model's input and output
 * (test/fixtures/smart-turn-fixture.ts): onnxruntime-node (server VAD) and onnxruntime-web's WASM
 * backend (the page) give the probability the graph computes from the same Whisper features.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ModelLoadError } from '../../src/core/errors.js';
import { SmartTurn } from '../../src/engines/end-of-turn/smart-turn.js';
import { smartTurnFeatures } from '../../src/engines/end-of-turn/whisper-features.js';
import { loadSmartTurn } from '../../web/src/voice/smart-turn.js';
import { smartTurnStandInBytes, writeSmartTurnStandIn } from '../fixtures/smart-turn-fixture.js';

const require = createRequire(import.meta.url);
const signal = new AbortController().signal;

/** 2 s of a tone, then `silenceMs` of silence, at 16 kHz. */
function speechThenSilence(silenceMs: number): Float32Array {
  const audio = new Float32Array(32_000 + (silenceMs * 16));
  for (let n = 0; n < 32_000; n++) audio[n] = 0.4 * Math.sin((2 * Math.PI * 220 * n) / 16_000) * (1 + 0.5 * Math.sin((2 * Math.PI * 3 * n) / 16_000));
  return audio;
}

/** What the stand-in computes, in plain code: sigmoid(weight * mean(last 40 frames) + bias). */
function expected(audio: Float32Array, weight: number, bias: number): number {
  const features = smartTurnFeatures(audio);
  let sum = 0;
  for (let mel = 0; mel < 80; mel++) for (let frame = 760; frame < 800; frame++) sum += features[mel * 800 + frame]!;
  return 1 / (1 + Math.exp(-(weight * (sum / (80 * 40)) + bias)));
}

describe('Smart Turn stand-in', () => {
  it('onnxruntime-node: "done" and "not done" models, and one that hears the end of the window', async () => {
    const done = await SmartTurn.load(writeSmartTurnStandIn({ weight: 0, bias: 4 }));
    const notDone = await SmartTurn.load(writeSmartTurnStandIn({ weight: 0, bias: -4 }));
    const audio = speechThenSilence(300);
    expect(await done.predict(audio, { signal })).toBeGreaterThan(0.95);
    expect(await notDone.predict(audio, { signal })).toBeLessThan(0.05);
    const reactive = await SmartTurn.load(writeSmartTurnStandIn({ weight: -3, bias: 0 }));
    for (const silenceMs of [0, 600]) {
      const clip = speechThenSilence(silenceMs);
      expect(await reactive.predict(clip, { signal })).toBeCloseTo(expected(clip, -3, 0), 4);
    }
    // Silence at the end of the window reads differently from speech there.
    expect(Math.abs((await reactive.predict(speechThenSilence(0), { signal })) - (await reactive.predict(speechThenSilence(600), { signal })))).toBeGreaterThan(0.05);
  });

  it('onnxruntime-web (WASM): the same probabilities as onnxruntime-node', async () => {
    const wasmPaths = pathToFileURL(`${dirname(require.resolve('onnxruntime-web'))}/`).href;
    const bytes = smartTurnStandInBytes({ weight: -3, bias: 0.5 });
    const page = await loadSmartTurn(bytes, wasmPaths);
    const server = await SmartTurn.load(writeSmartTurnStandIn({ weight: -3, bias: 0.5 }));
    try {
      for (const silenceMs of [0, 250, 900]) {
        const clip = speechThenSilence(silenceMs);
        const fromPage = await page.predict(clip);
        expect(fromPage).toBeCloseTo(await server.predict(clip, { signal }), 4);
        expect(fromPage).toBeCloseTo(expected(clip, -3, 0.5), 4);
      }
    } finally {
      await page.release();
    }
  });

  it('refuses a missing file and a model without input_features', async () => {
    await expect(SmartTurn.load('/nonexistent/smart-turn.onnx')).rejects.toBeInstanceOf(ModelLoadError);
    const wrong = join(dirname(writeSmartTurnStandIn({ weight: 0, bias: 0 })), 'wrong.onnx');
    writeFileSync(wrong, Buffer.from('not an onnx file'));
    await expect(SmartTurn.load(wrong)).rejects.toThrow(/Could not load the Smart Turn model/);
  });
});
