/**
 * Starts the real app on a free loopback port with the given engines; `stop()` closes it.
 */
import pino from 'pino';
import { type AppOptions, buildApp } from '../../src/server/app.js';
import type { EngineSet } from '../../src/engines/engine-set.js';

export interface TestServer {
  url: string;
  wsUrl: string;
  port: number;
  app: Awaited<ReturnType<typeof buildApp>>['app'];
  stop(): Promise<void>;
}

export async function startTestServer(engines: EngineSet, options: Partial<AppOptions> = {}): Promise<TestServer> {
  const { app } = await buildApp({ engines, logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), ...options });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const scheme = options.tls ? 'https' : 'http';
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    wsUrl: `${options.tls ? 'wss' : 'ws'}://127.0.0.1:${port}/v1/realtime`,
    port,
    app,
    stop: () => app.close(),
  };
}
