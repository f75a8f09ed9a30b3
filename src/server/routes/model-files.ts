/**
 * Model files the page runs itself: the optional Smart Turn v3.2 end-of-turn model
 * (src/models/turn-catalog.ts), served from the models directory once it is downloaded
 * (`localchat models pull smart-turn-v3.2`), so the page can run it on onnxruntime-web
 * (web/src/voice/smart-turn.ts) without reaching the Hub. Behind the same Host, Origin and token
 * checks as every route (security.ts).
 *
 * - `GET /api/models/smart-turn`: always 200 `{ id, installed, url }` (`url`: the file's route, null
 *   when not installed), so the page can ask without a failed request in its console.
 * - `GET /api/models/smart-turn.onnx`: 200 `application/octet-stream` (the ONNX bytes, with
 *   `Content-Length` and an `ETag` of size and modification time; `If-None-Match` with it gets 304),
 *   or 404 `{ error: { type, code: 'model_not_installed', message } }` when it is not downloaded.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { findCatalogEntry } from '../../models/catalog.js';
import { isInstalled, modelFilePath } from '../../models/models-dir.js';
import { SMART_TURN_FILE, SMART_TURN_MODEL_ID } from '../../models/turn-catalog.js';

/** Where the page asks whether Smart Turn is there. */
export const SMART_TURN_STATUS_ROUTE = '/api/models/smart-turn';
/** Where the page fetches Smart Turn's ONNX file. */
export const SMART_TURN_ROUTE = '/api/models/smart-turn.onnx';

/** `GET /api/models/smart-turn`'s answer. */
export interface PageModelStatus {
  id: string;
  installed: boolean;
  url: string | null;
}

/**
 * @param modelsDir the models directory (absolute) the server downloads into; null: none known
 *   (the model is never installed)
 */
export function registerModelFileRoutes(app: FastifyInstance, modelsDir: string | null): void {
  /** Smart Turn's file when it is downloaded, else null. */
  const installedPath = async (): Promise<string | null> => {
    const entry = findCatalogEntry(SMART_TURN_MODEL_ID);
    if (!entry || modelsDir === null || !(await isInstalled(entry, modelsDir))) return null;
    return modelFilePath(entry, SMART_TURN_FILE, modelsDir);
  };

  app.get(SMART_TURN_STATUS_ROUTE, async (): Promise<PageModelStatus> => {
    const installed = (await installedPath()) !== null;
    return { id: SMART_TURN_MODEL_ID, installed, url: installed ? SMART_TURN_ROUTE : null };
  });

  app.get(SMART_TURN_ROUTE, async (request, reply) => {
    const path = await installedPath();
    if (path === null) {
      return reply.code(404).send({
        error: {
          type: 'invalid_request_error',
          code: 'model_not_installed',
          message: `Smart Turn is not downloaded: run \`localchat models pull ${SMART_TURN_MODEL_ID}\` to have the page end turns by their sound.`,
        },
      });
    }
    const info = await stat(path);
    const etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
    // Re-validated on each load (a new download replaces the file), sent again only when it changed.
    reply.header('cache-control', 'no-cache').header('etag', etag);
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.type('application/octet-stream').header('content-length', info.size).send(createReadStream(path));
  });
}
