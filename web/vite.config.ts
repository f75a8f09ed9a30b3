/**
 * Vite build of the browser client: root `web/`, output `dist/web/` (served by the Node server).
 *
 * The app runs offline under a strict CSP (`script-src 'self'; worker-src 'self'`), so the build
 * emits only same-origin files: no inline scripts, no eval, no CDN. The audio worklet is bundled
 * as its own file through `?worker&url` (see src/audio/player.ts).
 *
 * Dev: `npx vite --config web/vite.config.ts` proxies `/v1` (the realtime WebSocket included) to
 * the LocalChat server at LOCALCHAT_DEV_TARGET (default http://127.0.0.1:8000).
 */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const devTarget = process.env.LOCALCHAT_DEV_TARGET ?? 'http://127.0.0.1:8000';

export default defineConfig({
  root,
  base: './',
  plugins: [react()],
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
    },
  },
});
