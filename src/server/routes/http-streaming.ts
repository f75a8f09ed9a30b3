/**
 * Helpers for REST responses that stream (SSE and audio) through Fastify: the response stays a
 * normal `reply.send(stream)`, so the app's `onSend` hooks (security headers, CORS) still run.
 */
import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';

/**
 * An AbortController aborted when the client goes away before the response has been fully
 * written (the socket closes). `ServerResponse` 'close' is used rather than `IncomingMessage`
 * 'close', which Node emits as soon as the request body has been read.
 */
export function abortOnDisconnect(reply: FastifyReply): AbortController {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort(new DOMException('The client closed the connection.', 'AbortError'));
  });
  return controller;
}

/**
 * A byte stream that yields `first` (already pulled from `rest`, so a failure before any output
 * could still be answered with an error status) and then the rest of `rest`. When the stream is
 * destroyed early (the client went away), `rest` is closed so its `finally` blocks run.
 */
export function streamFrom(first: Buffer | string, rest: AsyncGenerator<Buffer | string>): Readable {
  async function* all(): AsyncGenerator<Buffer | string> {
    try {
      yield first;
      yield* rest;
    } finally {
      await rest.return(undefined);
    }
  }
  return Readable.from(all(), { objectMode: false });
}

/** One Server-Sent Events message carrying `data` as JSON. */
export function sseData(data: unknown): string {
  return `data: ${JSON.stringify(data)}\n\n`;
}

/**
 * Ends a request whose client has gone away (status 499, "client closed request"): nothing
 * reaches the client, but Fastify completes the request's lifecycle.
 */
export function clientGone(reply: FastifyReply): FastifyReply {
  if (reply.sent) return reply;
  return reply.code(499).send();
}
