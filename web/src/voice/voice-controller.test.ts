import { describe, expect, it } from 'vitest';
import type { VoiceClientEvent } from '../realtime/voice-events.js';
import { TurnDetector } from './turn-detector.js';
import { DEFAULT_VOICE_SETTINGS, normalizeSettings, VoiceController, type VoiceHost } from './voice-controller.js';

function host(): VoiceHost & { sent: VoiceClientEvent[] } {
  const sent: VoiceClientEvent[] = [];
  return {
    sent,
    send: (event) => {
      sent.push(event);
      return 'id';
    },
    requestResponse: () => undefined,
    interrupt: () => undefined,
    committed: () => undefined,
    notify: () => undefined,
    audioReady: () => undefined,
  };
}

describe('VoiceController settings', () => {
  it('starts in typing mode with learner-friendly defaults', () => {
    expect(DEFAULT_VOICE_SETTINGS).toEqual({ mode: 'typing', thinkingTimeMs: 900, bargeIn: true, turnDetection: 'browser', thinkingTime: 'fixed' });
    expect(new VoiceController().getSnapshot()).toMatchObject({ phase: 'off', error: null, recording: false });
  });

  it('keeps saved settings within range', () => {
    expect(normalizeSettings({ mode: 'shouting' as never, thinkingTimeMs: 99_999, bargeIn: 'yes' as never, turnDetection: 'cloud' as never, thinkingTime: 'guess' as never })).toEqual({
      mode: 'typing',
      thinkingTimeMs: 2500,
      bargeIn: true,
      turnDetection: 'browser',
      thinkingTime: 'fixed',
    });
    expect(normalizeSettings({ ...DEFAULT_VOICE_SETTINGS, thinkingTimeMs: 10 }).thinkingTimeMs).toBe(300);
    expect(normalizeSettings({ ...DEFAULT_VOICE_SETTINGS, thinkingTimeMs: Number.NaN }).thinkingTimeMs).toBe(900);
  });

  it('tells the server who decides turns: the client (null) unless hands-free with server detection', () => {
    expect(new VoiceController({ mode: 'push-to-talk', turnDetection: 'server' }).sessionUpdate()).toEqual({
      type: 'session.update',
      session: { audio: { input: { turn_detection: null } } },
    });
    expect(new VoiceController({ mode: 'hands-free', turnDetection: 'browser' }).sessionUpdate().session.audio.input.turn_detection).toBeNull();
    expect(new VoiceController({ mode: 'hands-free', turnDetection: 'server', thinkingTimeMs: 1500, bargeIn: false }).sessionUpdate().session.audio.input).toEqual({
      turn_detection: { type: 'server_vad', threshold: 0.5, silence_duration_ms: 1500, prefix_padding_ms: 300, create_response: true, interrupt_response: false },
    });
  });

  it('sends session.update on connection and when the turn detection changes, not for unrelated changes', () => {
    const controller = new VoiceController();
    const fake = host();
    controller.setHost(fake);
    controller.syncSession();
    expect(fake.sent).toEqual([]);
    controller.setConnected(true);
    controller.syncSession();
    expect(fake.sent).toHaveLength(1);
    controller.update({ bargeIn: false });
    controller.update({ thinkingTimeMs: 1200 });
    expect(fake.sent).toHaveLength(1);
    controller.update({ turnDetection: 'server' });
    expect(fake.sent).toHaveLength(2);
    expect(controller.currentSettings).toEqual({ mode: 'typing', thinkingTimeMs: 1200, bargeIn: false, turnDetection: 'server', thinkingTime: 'fixed' });
    // Typing mode: push-to-talk presses do nothing.
    controller.pushToTalk(true);
    expect(controller.getSnapshot().recording).toBe(false);
  });
});

describe('VoiceController "maybe done" moments (browser VAD)', () => {
  it('sends maybe_done after 250 ms of silence inside a turn (every word sent first) and resumed with the pause when speech comes back', () => {
    const controller = new VoiceController({ mode: 'hands-free', turnDetection: 'browser' });
    const fake = host();
    controller.setHost(fake);
    // Drive the VAD results directly: frames of 32 ms (768 samples at 24 kHz) in the ring.
    const inner = controller as unknown as {
      ring: { push(index: number, pcm: Int16Array): void };
      onVadResult(index: number, probability: number, events: { type: string; frame?: number; startFrame?: number; lastSpeechFrame?: number; reason?: string }[]): void;
    };
    let index = 0;
    const frames = (count: number, probability: number, events: (i: number) => Parameters<typeof inner.onVadResult>[2] = () => []) => {
      for (let k = 0; k < count; k++, index++) {
        inner.ring.push(index, new Int16Array(768).fill(probability > 0.5 ? 1000 : 0));
        inner.onVadResult(index, probability, events(index));
      }
    };
    const appended = () => fake.sent.filter((event) => event.type === 'input_audio_buffer.append').length;
    frames(10, 0.9, (i) => (i === 7 ? [{ type: 'speech-confirmed', frame: 7, startFrame: 0 }] : []));
    frames(7, 0.1); // 224 ms: not yet
    expect(fake.sent.map((event) => event.type)).not.toContain('localchat.input_audio_buffer.maybe_done');
    frames(1, 0.1); // 256 ms
    const maybeDone = fake.sent.findIndex((event) => event.type === 'localchat.input_audio_buffer.maybe_done');
    expect(maybeDone).toBeGreaterThan(0);
    // Every speech frame was appended before it, none of the silence.
    const sentSamples = fake.sent.slice(0, maybeDone).reduce((sum, event) => sum + (event.type === 'input_audio_buffer.append' ? Buffer.from(event.audio, 'base64').length / 2 : 0), 0);
    expect(sentSamples).toBe(10 * 768);
    frames(2, 0.1);
    const beforeResume = appended();
    frames(1, 0.9);
    const resumed = fake.sent.findIndex((event) => event.type === 'localchat.input_audio_buffer.resumed');
    expect(fake.sent[resumed]).toEqual({ type: 'localchat.input_audio_buffer.resumed', pause_ms: 10 * 32 });
    // The resume goes out before the held silence and the new speech.
    expect(fake.sent.slice(0, resumed).filter((event) => event.type === 'input_audio_buffer.append')).toHaveLength(beforeResume);
    frames(4, 0.9);
    frames(29, 0.1, (i) => (i === index && i === 45 ? [{ type: 'speech-end', frame: 45, startFrame: 0, lastSpeechFrame: 22, reason: 'silence' }] : []));
    const types = fake.sent.map((event) => event.type);
    expect(types.filter((type) => type === 'localchat.input_audio_buffer.maybe_done')).toHaveLength(2);
    expect(types.filter((type) => type === 'localchat.input_audio_buffer.resumed')).toHaveLength(1);
    expect(types.at(-1)).toBe('input_audio_buffer.commit');
  });
});

describe('VoiceController learned thinking time', () => {
  it('uses the server\'s learned value when asked to, the fixed one otherwise, and asks the server VAD to learn', () => {
    const controller = new VoiceController({ mode: 'hands-free', turnDetection: 'browser', thinkingTimeMs: 1200 });
    controller.serverThinkingTime({ learned_ms: 640 });
    expect(controller.getSnapshot()).toMatchObject({ thinkingTimeInUseMs: 1200, learnedThinkingTimeMs: 640 });
    controller.update({ thinkingTime: 'learned' });
    expect(controller.getSnapshot().thinkingTimeInUseMs).toBe(640);
    // Kept within the settings' range.
    controller.serverThinkingTime({ learned_ms: 9000 });
    expect(controller.getSnapshot().thinkingTimeInUseMs).toBe(2500);
    controller.update({ thinkingTime: 'fixed' });
    expect(controller.getSnapshot().thinkingTimeInUseMs).toBe(1200);
    const server = new VoiceController({ mode: 'hands-free', turnDetection: 'server', thinkingTime: 'learned' });
    expect(server.sessionUpdate().session).toMatchObject({ localchat: { thinking_time: 'learned' } });
    expect(new VoiceController({ mode: 'hands-free', turnDetection: 'server' }).sessionUpdate().session).not.toHaveProperty('localchat');
  });
});

describe('VoiceController semantic end of turn (browser VAD)', () => {
  /** A speech model reading probabilities from a script; counts the frames it processed. */
  class ScriptedModel {
    frames = 0;
    constructor(private readonly probabilities: number[]) {}
    async process(): Promise<{ isSpeech: number; notSpeech: number }> {
      const isSpeech = this.probabilities[this.frames++] ?? 0;
      return { isSpeech, notSpeech: 1 - isSpeech };
    }
    reset_state(): void {}
  }
  const span = (ms: number, p: number): number[] => new Array<number>(Math.round(ms / 32)).fill(p);

  /** Runs 320 ms of silence, 1 s of speech and 3 s of silence; returns the frame (from the end of speech) where the turn was committed. */
  async function commitFrame(verdict: number | null): Promise<{ afterSpeech: number | null; asked: number[] }> {
    const script = [...span(320, 0), ...span(1000, 0.95), ...span(3000, 0.02)];
    const model = new ScriptedModel(script);
    const controller = new VoiceController({ mode: 'hands-free', turnDetection: 'browser', thinkingTimeMs: 900 });
    const asked: number[] = [];
    if (verdict !== null) controller.setEndOfTurn({ predict: async (audio) => (asked.push(audio.length), verdict) });
    let committedAt: number | null = null;
    controller.setHost({ ...host(), send: (event) => ((event.type === 'input_audio_buffer.commit' ? (committedAt ??= model.frames) : undefined), 'id') });
    const inner = controller as unknown as {
      detector: TurnDetector;
      ring: { push(index: number, pcm: Int16Array): void };
      lastFrame: number;
      queueVad(index: number, samples: Float32Array): void;
      vadChain: Promise<void>;
    };
    inner.detector = new TurnDetector(model, { thinkingTimeMs: 900 });
    for (let index = 0; index < script.length; index++) {
      inner.ring.push(index, new Int16Array(768));
      inner.lastFrame = index;
      inner.queueVad(index, new Float32Array(512));
      await inner.vadChain;
      await inner.vadChain;
    }
    const speechEnd = span(320, 0).length + span(1000, 0.95).length;
    return { afterSpeech: committedAt === null ? null : (committedAt - speechEnd) * 32, asked };
  }

  it('"done" ends the turn at the 250 ms pause; "not done" waits past the thinking time, up to 2.5 s', async () => {
    const silenceOnly = await commitFrame(null);
    expect(silenceOnly.afterSpeech).toBeGreaterThanOrEqual(850);
    expect(silenceOnly.afterSpeech).toBeLessThan(1100);
    const done = await commitFrame(0.9);
    expect(done.asked).toHaveLength(1);
    // The turn so far: the speech and its padding, at 16 kHz.
    expect(done.asked[0]).toBeGreaterThanOrEqual(Math.round(1000 / 32) * 512);
    expect(done.afterSpeech).toBeGreaterThanOrEqual(224);
    expect(done.afterSpeech).toBeLessThan(400);
    const notDone = await commitFrame(0.1);
    expect(notDone.afterSpeech).toBeGreaterThanOrEqual(2400);
    expect(notDone.afterSpeech).toBeLessThan(2700);
  });
});
