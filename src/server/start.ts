/**
 * `localchat serve`: engines, HTTP server, terminal progress, graceful shutdown.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { EngineRegistry } from '../engines/registry.js';
import { DownloadProgressBar } from '../models/progress-bar.js';
import { VERSION } from '../version.js';
import { SafeStore } from '../store/safe-store.js';
import { buildApp } from './app.js';
import { createTerminalLogger } from './logger.js';
import { TutorService } from './tutor-service.js';
import { startNativeHeapUpkeep } from './native-heap.js';
import { isLoopback } from './security.js';
import { type TlsFiles, readTls, selfSignedTls } from './tls.js';

/** The built web UI: `dist/web` next to `dist/server` (and next to `src/server` in development). */
export const WEB_ROOT = fileURLToPath(new URL('../../dist/web', import.meta.url));

/** The terminal log: one line per event, each problem once (src/server/logger.ts). */
export function createLogger(config: Config): Logger {
  return createTerminalLogger({ level: config.logLevel });
}

/** Starts LocalChat and resolves once it listens. Stops on SIGINT/SIGTERM. */
export async function serve(config: Config): Promise<{ close: () => Promise<void>; url: string }> {
  const logger = createLogger(config);
  // Over a long lesson, glibc would keep what llama.cpp and the audio path free (native-heap.ts).
  const heap = startNativeHeapUpkeep();
  let tls: TlsFiles | undefined;
  if (config.tlsCert && config.tlsKey) tls = readTls(config.tlsCert, config.tlsKey);
  else if (config.tls) {
    const generated = await selfSignedTls(config.dataDir, config.allowedHosts);
    if (generated.generated) logger.info(`generated a self-signed certificate: ${generated.certPath}`);
    tls = generated;
  }

  // Beyond loopback every web page on the network could reach us: require a token (Jupyter's way).
  const token = config.token ?? (isLoopback(config.host) ? undefined : randomBytes(24).toString('base64url'));

  const engines = new EngineRegistry({ config, logger });
  attachProgressBars(engines);
  // Conversations, progress and vocabulary live in <dataDir>/localchat.db. If it cannot be
  // opened, LocalChat still talks; nothing is saved until the cause is fixed.
  const store = SafeStore.open({ dataDir: config.dataDir, logger });
  const storeStatus = store.status();
  if (!storeStatus.ok) logger.error(`The database cannot be used, so conversations will not be saved: ${storeStatus.message}`);
  const tutor = new TutorService({ store, engines, logger });
  const { app, sessions } = await buildApp({
    engines,
    logger,
    webRoot: WEB_ROOT,
    allowedHosts: config.allowedHosts,
    allowedOrigins: config.allowedOrigins,
    tls,
    voice: config.voice,
    speed: config.speed,
    version: VERSION,
    token,
    tutor,
    config,
  });
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const shownHost = ['127.0.0.1', '0.0.0.0', '::', '::1'].includes(config.host) ? 'localhost' : config.host;
  const url = `${tls ? 'https' : 'http'}://${shownHost}:${port}`;
  logger.info(`LocalChat ${VERSION} is running: open ${token ? `${url}/?token=${token}` : url}`);
  if (token) logger.info('API clients must send "Authorization: Bearer <token>" with the token above.');

  // Each engine that cannot be had logs one line with the reason and the fix (EngineRegistry).
  void engines.start();

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      logger.info(`shutting down (${sessions.size} open session${sessions.size === 1 ? '' : 's'})`);
      await app.close();
      heap?.stop();
      store.close();
      await engines.dispose();
    })());
  const onSignal = () => {
    void close().then(() => process.exit(0));
    setTimeout(() => process.exit(1), 5000).unref();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return { close, url };
}

/** One terminal progress bar per model download. */
function attachProgressBars(engines: EngineRegistry): void {
  const bars = new Map<string, DownloadProgressBar>();
  engines.models.on('progress', (progress) => {
    let bar = bars.get(progress.modelId);
    if (!bar) bars.set(progress.modelId, (bar = new DownloadProgressBar({ label: progress.modelId })));
    bar.update(progress);
    if (progress.modelDone) {
      bar.stop();
      bars.delete(progress.modelId);
    }
  });
}
