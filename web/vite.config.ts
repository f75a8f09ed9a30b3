/**
 * Vite build of the browser client: root `web/`, output `dist/web/` (served by the Node server).
 *
 * The app runs offline under a strict CSP (`script-src 'self' 'wasm-unsafe-eval'; worker-src
 * 'self'`), so the build emits only same-origin files: no inline scripts, no eval, no CDN. The
 * audio worklets are bundled as their own files through `?worker&url` (src/audio/player.ts,
 * src/audio/microphone.ts).
 *
 * Voice detection runs Silero VAD on onnxruntime-web's WASM backend: the `localchat-vad-assets`
 * plugin copies the model and the runtime's WASM files from node_modules into `dist/web/vad/`
 * (and serves them from there in dev), so nothing is fetched from a CDN.
 *
 * Dev: `npx vite --config web/vite.config.ts` proxies `/v1` (the realtime WebSocket included) and `/api` to
 * the LocalChat server at LOCALCHAT_DEV_TARGET (default http://127.0.0.1:8000).
 */
import { createReadStream, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const devTarget = process.env.LOCALCHAT_DEV_TARGET ?? 'http://127.0.0.1:8000';

/** Directory of the built app that holds the VAD files (src/voice/silero.ts: VAD_ASSET_DIR). */
const VAD_DIR = 'vad';

/** The files voice detection loads at run time, by the name they are served under. */
function vadAssets(): Map<string, string> {
  const require = createRequire(import.meta.url);
  const vadDist = dirname(require.resolve('@ricky0123/vad-web'));
  const ortDist = dirname(require.resolve('onnxruntime-web'));
  return new Map([
    ['silero_vad_v5.onnx', join(vadDist, 'silero_vad_v5.onnx')],
    ['ort-wasm-simd-threaded.wasm', join(ortDist, 'ort-wasm-simd-threaded.wasm')],
    ['ort-wasm-simd-threaded.mjs', join(ortDist, 'ort-wasm-simd-threaded.mjs')],
  ]);
}

const assetTypes: Record<string, string> = {
  '.onnx': 'application/octet-stream',
  '.wasm': 'application/wasm',
  '.mjs': 'text/javascript; charset=utf-8',
};

/** Copies the VAD model and onnxruntime-web's WASM into the build; serves them in dev. */
function vadAssetsPlugin(): Plugin {
  const assets = vadAssets();
  return {
    name: 'localchat-vad-assets',
    configureServer(server) {
      server.middlewares.use((request, response, next) => {
        const path = (request.url ?? '').split('?')[0] ?? '';
        const name = path.startsWith(`/${VAD_DIR}/`) ? path.slice(VAD_DIR.length + 2) : '';
        const file = assets.get(name);
        if (!file) return next();
        response.setHeader('content-type', assetTypes[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream');
        createReadStream(file).pipe(response);
      });
    },
    generateBundle() {
      for (const [name, file] of assets) {
        this.emitFile({ type: 'asset', fileName: `${VAD_DIR}/${name}`, source: readFileSync(file) });
      }
    },
  };
}

export default defineConfig({
  root,
  base: './',
  plugins: [react(), vadAssetsPlugin()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Same-origin module scripts only; every browser we target supports modulepreload.
    modulePreload: { polyfill: false },
    // Never turn assets into data: URLs (a strict CSP may not allow them).
    assetsInlineLimit: 0,
    sourcemap: true,
  },
  worker: { format: 'es' },
  server: {
    proxy: {
      '/v1': { target: devTarget, ws: true, changeOrigin: true },
      '/health': { target: devTarget, changeOrigin: true },
      '/api': { target: devTarget, changeOrigin: true },
    },
  },
});
