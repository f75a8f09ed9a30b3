/**
 * The terminal log of `localchat serve` (src/server/logger.ts): one readable line per event
 * whether or not stdout is a terminal, errors as their message (no stack), each problem once.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createTerminalLogger } from '../../src/server/logger.js';

function capture(level: 'info' | 'debug' = 'info') {
  const destination = new PassThrough();
  let text = '';
  destination.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  const logger = createTerminalLogger({ level, destination, colorize: false });
  return { logger, lines: () => text.split('\n').filter(Boolean) };
}

describe('terminal log', () => {
  it('writes one plain line per event, not JSON, when stdout is not a TTY', () => {
    const { logger, lines } = capture();
    logger.info('LocalChat 0.1.0 is running: open http://localhost:8000');
    logger.info({ model: 'kokoro-82m' }, 'model download started');
    expect(lines()).toHaveLength(2);
    expect(lines()[0]).toMatch(/^\[\d\d:\d\d:\d\d\] INFO: LocalChat 0\.1\.0 is running: open http:\/\/localhost:8000$/);
    expect(lines()[1]).toMatch(/INFO: model download started \{"model":"kokoro-82m"\}$/);
    for (const line of lines()) expect(() => JSON.parse(line)).toThrow();
  });

  it('prints an error as its message on the same line, without the stack', () => {
    const { logger, lines } = capture();
    logger.warn({ session: 'sess_1', err: new Error('No language model yet.') }, 'LLM failed during a response');
    expect(lines()).toEqual([expect.stringMatching(/WARN: LLM failed during a response: No language model yet\.$/)]);
  });

  it('prints a repeated problem once (later repeats only at debug level), a different one again', () => {
    const { logger, lines } = capture();
    for (let turn = 0; turn < 5; turn++) logger.warn({ session: `sess_${turn}`, err: new Error('No language model yet.') }, 'LLM failed during a response');
    logger.warn({ err: new Error('The model file is broken.') }, 'LLM failed during a response');
    logger.warn({ host: 'evil.example' }, 'refused a request with a foreign Host header');
    logger.warn({ host: 'other.example' }, 'refused a request with a foreign Host header');
    logger.info('info lines are never merged');
    logger.info('info lines are never merged');
    expect(lines().map((line) => line.replace(/^\[[\d:]+\] /, ''))).toEqual([
      'WARN: LLM failed during a response: No language model yet.',
      'WARN: LLM failed during a response: The model file is broken.',
      'WARN: refused a request with a foreign Host header {"host":"evil.example"}',
      'WARN: refused a request with a foreign Host header {"host":"other.example"}',
      'INFO: info lines are never merged',
      'INFO: info lines are never merged',
    ]);
  });

  it('keeps stacks and repeats (as DEBUG) at --log-level debug', () => {
    const { logger, lines } = capture('debug');
    logger.warn({ err: new Error('boom') }, 'failed');
    logger.warn({ err: new Error('boom') }, 'failed');
    const text = lines().join('\n');
    expect(text).toMatch(/at .*terminal-log\.test\.ts/);
    expect(text).toMatch(/DEBUG: failed/);
  });
});
