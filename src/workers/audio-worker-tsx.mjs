// Entry of the worker pool when LocalChat runs from TypeScript source (tsx, vitest): registers
// tsx's loader in this thread (Node 20 workers do not inherit the main thread's loader hooks),
// then loads the TypeScript worker module. The built `dist/workers/audio-worker.js` needs none.
import { register } from 'tsx/esm/api';

register();
const tasks = await import(new URL('./audio-worker.ts', import.meta.url).href);

export const { espeakSynthesize, decodeAudioTask, encodeSession, resampleTask } = tasks;
