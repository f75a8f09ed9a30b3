/**
 * docs/examples/voice-agent.ts runs as documented against LocalChat: the agent calls its tool,
 * speaks the result, and writes reply.wav. The server's LLM is scripted to call the tool.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallOptions } from '../../src/core/call-options.js';
import type { ChatRequest, LLM, LLMStreamPart } from '../../src/core/llm.js';
import { StaticEngineSet } from '../../src/engines/engine-set.js';
import { createSileroVad } from '../../src/engines/vad/silero-vad.js';
import { ScriptedLLM } from '../../src/testing/scripted-llm.js';
import { ToneTTS } from '../../src/testing/tone-tts.js';
import { type TestServer, startTestServer } from '../helpers/test-server.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** Calls get_weather for a weather question, then answers from the tool's result. */
class WeatherLLM implements LLM {
  readonly provider = 'scripted';
  readonly modelId = 'scripted-weather';
  readonly contextSize = 4096;
  readonly requests: ChatRequest[] = [];
  private readonly text = new ScriptedLLM({
    reply: (request) => {
      const last = request.messages.at(-1)!;
      return last.role === 'tool' ? `It is ${(JSON.parse(last.content) as { forecast: string }).forecast} in Paris.` : 'Hello!';
    },
  });
  async *stream(request: ChatRequest, options: CallOptions): AsyncIterable<LLMStreamPart> {
    this.requests.push(request);
    const last = request.messages.at(-1);
    if (request.tools?.length && last?.role === 'user') {
      yield { type: 'tool-call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' };
      yield { type: 'finish', reason: 'tool-calls' };
      return;
    }
    yield* this.text.stream(request, options);
  }
}

describe('docs/examples/voice-agent.ts', () => {
  let server: TestServer;
  let llm: WeatherLLM;
  beforeAll(async () => {
    llm = new WeatherLLM();
    server = await startTestServer(new StaticEngineSet({ llm, tts: new ToneTTS(), vad: (settings) => createSileroVad(settings) }));
  });
  afterAll(async () => {
    await server.stop();
  });

  it('calls its tool, speaks the result and writes reply.wav', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'localchat-agent-'));
    const child = spawn(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'docs/examples/voice-agent.ts'), 'What is the weather in Paris?'], {
      cwd,
      env: { ...process.env, LOCALCHAT_REALTIME_URL: server.wsUrl },
    });
    let output = '';
    child.stdout.on('data', (data: Buffer) => (output += data.toString()));
    child.stderr.on('data', (data: Buffer) => (output += data.toString()));
    const code = await new Promise<number | null>((done) => child.on('close', done));
    expect(code, output).toBe(0);
    expect(output).toContain('[tool] get_weather(Paris)');
    expect(output).toContain('It is sunny in Paris.');
    expect(output).not.toContain('[error]');
    expect(existsSync(join(cwd, 'reply.wav'))).toBe(true);
    expect(statSync(join(cwd, 'reply.wav')).size).toBeGreaterThan(44 + 24_000);
    expect(llm.requests.at(-1)!.messages[0]!.content).toMatch(/weather assistant/);
  }, 60_000);
});
