/**
 * A local stand-in for the Hugging Face Hub, for downloader tests: serves files at
 * `/<owner>/<repo>/resolve/<revision>/<path>`, answers some with a 302 to a "CDN" path like the
 * real Hub does for LFS files, honours `Range: bytes=N-` (206, 416), and can misbehave on
 * purpose (cut the connection, ignore Range, send slowly, omit Content-Length).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HubFixtureFile {
  repo: string;
  revision: string;
  path: string;
  content: Buffer;
  /** Answer the /resolve/ URL with a 302 to /cdn/<n>, as the Hub does for LFS files. */
  redirect?: boolean;
}

/** How to answer one request for a file's content. */
export interface Behaviour {
  /** Answer with this error status and no file. */
  errorStatus?: number;
  /** Send this many body bytes, then destroy the socket. */
  cutAfterBytes?: number;
  /** Answer 200 with the whole file even when a Range is asked for. */
  ignoreRange?: boolean;
  /** Send no Content-Length (chunked transfer). */
  omitContentLength?: boolean;
  /** Body chunk size in bytes; default 64 KiB. */
  chunkSize?: number;
  /** Pause between body chunks, ms; default 0. */
  chunkDelayMs?: number;
}

export interface RecordedRequest {
  url: string;
  range: string | undefined;
  authorization: string | undefined;
  status: number;
}

export interface HubServer {
  /** `http://127.0.0.1:<port>`, usable as HF_ENDPOINT. */
  endpoint: string;
  requests: RecordedRequest[];
  /** Set how the content requests of `path` are answered; `attempt` counts from 0 from this call. */
  behave(path: string, behaviour: (attempt: number) => Behaviour | undefined): void;
  /** Content requests (200/206/416) served so far for `path`. */
  contentRequests(path: string): RecordedRequest[];
  close(): Promise<void>;
}

export async function startHubServer(files: HubFixtureFile[]): Promise<HubServer> {
  const requests: RecordedRequest[] = [];
  const behaviours = new Map<string, (attempt: number) => Behaviour | undefined>();
  const attempts = new Map<string, number>();
  const contentPaths = new Map<string, string>(); // served URL path -> file path

  const server: Server = createServer((request, response) => {
    const url = decodeURI(request.url ?? '/').split('?')[0]!;
    const record = (status: number) =>
      requests.push({
        url,
        range: request.headers.range,
        authorization: request.headers.authorization,
        status,
      });
    const fileIndex = files.findIndex(
      (file) => url === `/${file.repo}/resolve/${file.revision}/${file.path}` || url === `/cdn/${files.indexOf(file)}`,
    );
    const file = files[fileIndex];
    if (!file) {
      record(404);
      response.writeHead(404, { 'content-type': 'application/json', 'x-error-code': 'EntryNotFound' });
      response.end('{"error":"Entry not found"}');
      return;
    }
    if (file.redirect && url.includes('/resolve/')) {
      record(302);
      response.writeHead(302, { location: `/cdn/${fileIndex}` });
      response.end();
      return;
    }
    contentPaths.set(url, file.path);
    const attempt = attempts.get(file.path) ?? 0;
    attempts.set(file.path, attempt + 1);
    const behaviour = behaviours.get(file.path)?.(attempt) ?? {};
    serveContent(request, response, file.content, behaviour, record);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    behave(path, behaviour) {
      behaviours.set(path, behaviour);
      attempts.set(path, 0);
    },
    contentRequests(path) {
      return requests.filter((request) => contentPaths.get(request.url) === path && request.status !== 302);
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

function serveContent(
  request: IncomingMessage,
  response: ServerResponse,
  content: Buffer,
  behaviour: Behaviour,
  record: (status: number) => void,
): void {
  if (behaviour.errorStatus !== undefined) {
    record(behaviour.errorStatus);
    response.writeHead(behaviour.errorStatus, { 'content-type': 'text/plain' });
    response.end('server error');
    return;
  }
  const total = content.length;
  let start = 0;
  let status = 200;
  const headers: Record<string, string | number> = {
    'content-type': 'application/octet-stream',
    'accept-ranges': 'bytes',
  };
  const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
  if (range && !behaviour.ignoreRange) {
    start = Number(range[1]);
    if (start >= total) {
      record(416);
      response.writeHead(416, { 'content-range': `bytes */${total}` });
      response.end();
      return;
    }
    status = 206;
    headers['content-range'] = `bytes ${start}-${total - 1}/${total}`;
  }
  const body = content.subarray(start);
  if (!behaviour.omitContentLength) headers['content-length'] = body.length;
  record(status);
  response.writeHead(status, headers);

  const chunkSize = behaviour.chunkSize ?? 64 * 1024;
  const limit = behaviour.cutAfterBytes === undefined ? body.length : Math.min(behaviour.cutAfterBytes, body.length);
  let offset = 0;
  const sendNext = () => {
    if (response.destroyed) return;
    if (offset >= limit) {
      if (behaviour.cutAfterBytes !== undefined) {
        // Let the bytes already written reach the client, then cut.
        setTimeout(() => response.socket?.destroy(), 20);
      } else {
        response.end();
      }
      return;
    }
    const chunk = body.subarray(offset, Math.min(offset + chunkSize, limit));
    offset += chunk.length;
    response.write(chunk, () => {
      if (behaviour.chunkDelayMs) setTimeout(sendNext, behaviour.chunkDelayMs);
      else sendNext();
    });
  };
  sendNext();
}
