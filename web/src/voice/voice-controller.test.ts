import { describe, expect, it } from 'vitest';
import type { VoiceClientEvent } from '../realtime/voice-events.js';
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
    expect(DEFAULT_VOICE_SETTINGS).toEqual({ mode: 'typing', thinkingTimeMs: 900, bargeIn: true, turnDetection: 'browser' });
    expect(new VoiceController().getSnapshot()).toMatchObject({ phase: 'off', error: null, recording: false });
  });

  it('keeps saved settings within range', () => {
    expect(normalizeSettings({ mode: 'shouting' as never, thinkingTimeMs: 99_999, bargeIn: 'yes' as never, turnDetection: 'cloud' as never })).toEqual({
      mode: 'typing',
      thinkingTimeMs: 2500,
      bargeIn: true,
      turnDetection: 'browser',
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
    expect(controller.currentSettings).toEqual({ mode: 'typing', thinkingTimeMs: 1200, bargeIn: false, turnDetection: 'server' });
    // Typing mode: push-to-talk presses do nothing.
    controller.pushToTalk(true);
    expect(controller.getSnapshot().recording).toBe(false);
  });
});
