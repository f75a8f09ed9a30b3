import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaptureFramer, VAD_FRAME_SAMPLES } from '../audio/capture-dsp.js';
import { concatAudio, librivoxAvailable, loadClip, silence } from '../../../test/fixtures/librivox.js';
import { PLAYBACK_THRESHOLDS, type SpeechModel, type TurnEvent, TurnDetector } from './turn-detector.js';

/** A model that reads speech probabilities from a script, one per frame. */
class ScriptedModel implements SpeechModel {
  private index = 0;
  resets = 0;
  constructor(private readonly probabilities: number[]) {}
  async process(): Promise<{ isSpeech: number; notSpeech: number }> {
    const isSpeech = this.probabilities[this.index++] ?? 0;
    return { isSpeech, notSpeech: 1 - isSpeech };
  }
  reset_state(): void {
    this.resets++;
  }
}

/** `ms` of frames at probability `p`. */
const span = (ms: number, p: number): number[] => new Array<number>(Math.round(ms / 32)).fill(p);

async function run(detector: TurnDetector, frames: number): Promise<TurnEvent[]> {
  const events: TurnEvent[] = [];
  const silent = new Float32Array(VAD_FRAME_SAMPLES);
  for (let frame = 0; frame < frames; frame++) events.push(...(await detector.push(frame, silent)).events);
  return events;
}

describe('TurnDetector', () => {
  it('ends a turn after the thinking time, with the padding before the speech', async () => {
    const script = [...span(640, 0), ...span(1600, 0.95), ...span(1500, 0.02)];
    const detector = new TurnDetector(new ScriptedModel(script), { thinkingTimeMs: 900, preSpeechPadMs: 320 });
    const events = await run(detector, script.length);
    expect(events.map((event) => event.type)).toEqual(['speech-start', 'speech-confirmed', 'speech-end']);
    const [start, confirmed, end] = events as [Extract<TurnEvent, { type: 'speech-start' }>, Extract<TurnEvent, { type: 'speech-confirmed' }>, Extract<TurnEvent, { type: 'speech-end' }>];
    expect(start.frame).toBe(20);
    expect(start.startFrame).toBe(20 - 10);
    // Confirmed after ~250 ms of speech (7 frames of 32 ms).
    expect(confirmed.frame).toBe(20 + 6);
    expect(end).toMatchObject({ reason: 'silence', startFrame: 10, lastSpeechFrame: 20 + 49 });
    // 900 ms of silence = 28 frames.
    expect(end.frame).toBe(20 + 50 + 27);
  });

  it('lets the learner pause for less than the thinking time without ending the turn', async () => {
    const script = [...span(320, 0), ...span(960, 0.9), ...span(800, 0.05), ...span(960, 0.9), ...span(1200, 0)];
    const events = await run(new TurnDetector(new ScriptedModel(script), { thinkingTimeMs: 900 }), script.length);
    expect(events.filter((event) => event.type === 'speech-end')).toHaveLength(1);
    const short = await run(new TurnDetector(new ScriptedModel(script), { thinkingTimeMs: 500 }), script.length);
    expect(short.filter((event) => event.type === 'speech-end')).toHaveLength(2);
  });

  it('ignores a cough: under ~250 ms of speech is a misfire that never confirms a turn', async () => {
    const script = [...span(320, 0), ...span(192, 0.97), ...span(1200, 0)];
    const events = await run(new TurnDetector(new ScriptedModel(script)), script.length);
    expect(events.map((event) => event.type)).toEqual(['speech-start', 'misfire']);
  });

  it('needs more certainty while the tutor speaks (barge-in on)', async () => {
    const script = [...span(320, 0), ...span(1000, 0.7), ...span(1200, 0)];
    const detector = new TurnDetector(new ScriptedModel(script));
    detector.configure(PLAYBACK_THRESHOLDS);
    expect(await run(detector, script.length)).toEqual([]);
  });

  it('ends a turn at the length limit', async () => {
    const script = span(3000, 0.9);
    const detector = new TurnDetector(new ScriptedModel(script), { maxUtteranceMs: 1000, preSpeechPadMs: 0 });
    const events = await run(detector, script.length);
    const end = events.find((event) => event.type === 'speech-end');
    expect(end).toMatchObject({ reason: 'max-length', startFrame: 0, frame: 30 });
    // The speech goes on: a new turn starts right after.
    expect(events.filter((event) => event.type === 'speech-start').length).toBeGreaterThanOrEqual(2);
  });
});

describe.runIf(librivoxAvailable())('TurnDetector with Silero VAD v5 on real speech', () => {
  it('finds the two utterances of two LibriVox clips separated by silence', async () => {
    // onnxruntime-node runs the same ONNX file the browser loads through onnxruntime-web.
    const require = createRequire(import.meta.url);
    const ort = (await import('onnxruntime-node')) as unknown;
    const { Silero } = await import('@ricky0123/vad-web/dist/models/silero.js');
    const { log } = await import('@ricky0123/vad-web/dist/logging.js');
    log.debug = () => undefined;
    const modelPath = join(dirname(require.resolve('@ricky0123/vad-web')), 'silero_vad_v5.onnx');
    const model = await Silero.new(ort as Parameters<typeof Silero.new>[0], async () => {
      const bytes = readFileSync(modelPath);
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    });
    const rate = 48_000;
    const first = loadClip('0880', rate);
    const second = loadClip('0930', rate);
    const audio = concatAudio(silence(1000, rate), first, silence(2500, rate), second, silence(2000, rate));
    // Through the same framing as the capture worklet: 48 kHz in, 32 ms frames out.
    const framer = new CaptureFramer(rate);
    const floats = Float32Array.from(audio, (sample) => sample / 32768);
    const frames = [];
    for (let offset = 0; offset < floats.length; offset += 128) frames.push(...framer.push(floats.subarray(offset, offset + 128)));
    const detector = new TurnDetector(model);
    const ends: Extract<TurnEvent, { type: 'speech-end' }>[] = [];
    for (const [index, frame] of frames.entries()) {
      for (const event of (await detector.push(index, frame.vad)).events) if (event.type === 'speech-end') ends.push(event);
    }
    await model.release();
    expect(ends).toHaveLength(2);
    const clipMs = [first.length, second.length].map((length) => (length / rate) * 1000);
    const startsMs = [1000, 1000 + clipMs[0]! + 2500];
    ends.forEach((end, index) => {
      // Speech found within ~150 ms of where each clip's words are (clips have short silent edges),
      // and the padding starts a little before it.
      const firstSpeechMs = (end.startFrame + 10) * 32;
      const lastSpeechMs = (end.lastSpeechFrame + 1) * 32;
      expect(firstSpeechMs).toBeGreaterThan(startsMs[index]! - 100);
      expect(firstSpeechMs).toBeLessThan(startsMs[index]! + 600);
      expect(lastSpeechMs).toBeLessThan(startsMs[index]! + clipMs[index]! + 150);
      expect(lastSpeechMs).toBeGreaterThan(startsMs[index]! + clipMs[index]! - 800);
    });
  });
});
