/**
 * The OpenAI-compatible REST plugin on its own Fastify app (as app.ts registers it), on a free
 * loopback port, with an official `openai` client pointed at it. Call `stopRestServers()` after
 * each test.
 */
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import OpenAI from 'openai';
import type { EngineSet } from '../../src/engines/engine-set.js';
import { type OpenAIApiOptions, openAIApi } from '../../src/server/routes/openai-api.js';

export interface RestServer {
  app: FastifyInstance;
  url: string;
  client: OpenAI;
}

const servers: FastifyInstance[] = [];

export async function startRestServer(engines: EngineSet, options: Partial<OpenAIApiOptions> = {}): Promise<RestServer> {
  // forceCloseConnections: a client that aborts a stream may leave a fresh keep-alive connection
  // open with no request on it, which would hold `close` until its headers timeout.
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024, forceCloseConnections: true });
  await app.register(openAIApi, { engines, ...options });
  await app.listen({ host: '127.0.0.1', port: 0 });
  servers.push(app);
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return { app, url, client: new OpenAI({ baseURL: `${url}/v1`, apiKey: 'local', maxRetries: 0, timeout: 30_000 }) };
}

export async function stopRestServers(): Promise<void> {
  for (const app of servers.splice(0)) await app.close();
}
