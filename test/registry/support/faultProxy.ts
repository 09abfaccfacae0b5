// A fault-injecting HTTP proxy in front of a real registry (and a second-origin "blob CDN"), both on
// 127.0.0.1. Each request is recorded; a test-set `fault` hook decides what goes wrong with it.
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { freePort } from './net.ts';

export type Fault =
  /** Accept the request and never answer. */
  | { kind: 'stall' }
  /** Send headers and part of the body, then go silent. */
  | { kind: 'stallBody' }
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  /** Forward, but cut the body after `keepBytes`: with the real Content-Length (a broken transfer) or cleanly framed. */
  | { kind: 'truncate'; keepBytes: number; declareLength: boolean }
  /** Ignore upstream; stream `bytes` of JSON-ish filler, optionally declaring the length. */
  | { kind: 'oversize'; bytes: number; declareLength: boolean }
  /** Forward with one byte of the body changed. */
  | { kind: 'corrupt' }
  | { kind: 'redirect'; location: string; status?: number }
  /** Forward, adding response headers. */
  | { kind: 'headers'; headers: Record<string, string> }
  /**
   * Serve a tags list page by page (`n`, `last`, `Link: <...>; rel="next"`) as registries that
   * paginate do; Debian's distribution 2.8 ignores `n` on tag lists.
   */
  | { kind: 'paginate'; absoluteLinks?: boolean };

export interface ProxyRecord {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  fault?: Fault['kind'];
  /** The client went away before the response was complete. */
  aborted: boolean;
  /** Body bytes written to the client. */
  sent: number;
}

export interface FaultProxy {
  url: string;
  /** `127.0.0.1:PORT`, usable as the registry part of a reference. */
  host: string;
  records: ProxyRecord[];
  maxInFlight: number;
  fault: ((req: IncomingMessage, n: number) => Fault | undefined) | undefined;
  stop(): Promise<void>;
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

function forward(upstream: URL, req: IncomingMessage): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const up = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    up.on('error', reject);
    req.pipe(up);
  });
}

function writeAll(res: ServerResponse, record: ProxyRecord, data: Buffer): void {
  record.sent += data.length;
  res.write(data);
}

async function streamFiller(res: ServerResponse, record: ProxyRecord, total: number): Promise<void> {
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  while (record.sent < total && !res.destroyed) {
    const piece = chunk.subarray(0, Math.min(chunk.length, total - record.sent));
    record.sent += piece.length;
    if (!res.write(piece)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.once('drain', done);
        res.once('close', done);
      });
    }
  }
  if (!res.destroyed) res.end();
}

export async function startFaultProxy(upstreamUrl: string): Promise<FaultProxy> {
  const upstream = new URL(upstreamUrl);
  const port = await freePort();
  let inFlight = 0;
  const proxy: FaultProxy = { url: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}`, records: [], maxInFlight: 0, fault: undefined, stop: async () => close(server) };
  const server = createServer((req, res) => {
    const record: ProxyRecord = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, aborted: false, sent: 0 };
    proxy.records.push(record);
    inFlight++;
    proxy.maxInFlight = Math.max(proxy.maxInFlight, inFlight);
    res.on('close', () => {
      inFlight--;
      if (!res.writableFinished) record.aborted = true;
    });
    const fault = proxy.fault?.(req, proxy.records.length);
    if (fault !== undefined) record.fault = fault.kind;
    void (async () => {
      try {
        switch (fault?.kind) {
          case 'stall':
            return;
          case 'status':
            res.writeHead(fault.status, fault.headers ?? {});
            res.end(fault.body ?? '');
            return;
          case 'redirect':
            res.writeHead(fault.status ?? 307, { location: fault.location });
            res.end();
            return;
          case 'oversize':
            res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', ...(fault.declareLength ? { 'content-length': String(fault.bytes) } : {}) });
            await streamFiller(res, record, fault.bytes);
            return;
          default:
            break;
        }
        if (fault?.kind === 'paginate') {
          const url = new URL(req.url ?? '/', proxy.url);
          const n = Number(url.searchParams.get('n') ?? '1000');
          const last = url.searchParams.get('last');
          const full = await forward(upstream, req);
          const doc = JSON.parse(full.body.toString('utf8')) as { name: string; tags: string[] };
          const sorted = [...doc.tags].sort();
          const from = last === null ? 0 : sorted.findIndex((t) => t > last);
          const page = from < 0 ? [] : sorted.slice(from, from + n);
          const headers: Record<string, string> = { 'content-type': 'application/json' };
          const lastOfPage = page[page.length - 1];
          if (from >= 0 && from + n < sorted.length && lastOfPage !== undefined) {
            const next = `${url.pathname}?n=${n}&last=${encodeURIComponent(lastOfPage)}`;
            headers['link'] = `<${fault.absoluteLinks === true ? proxy.url + next : next}>; rel="next"`;
          }
          const body = Buffer.from(JSON.stringify({ name: doc.name, tags: page }));
          res.writeHead(200, headers);
          writeAll(res, record, body);
          res.end();
          return;
        }
        const up = await forward(upstream, req);
        const headers: IncomingHttpHeaders = { ...up.headers };
        let body = up.body;
        if (fault?.kind === 'headers') Object.assign(headers, fault.headers);
        if (fault?.kind === 'corrupt' && body.length > 0) {
          body = Buffer.from(body);
          const i = Math.floor(body.length / 2);
          body[i] = (body[i] ?? 0) ^ 0x01;
        }
        if (fault?.kind === 'truncate' || fault?.kind === 'stallBody') {
          const keep = fault.kind === 'truncate' ? fault.keepBytes : Math.floor(body.length / 2);
          const declare = fault.kind === 'stallBody' || fault.declareLength;
          if (!declare) delete headers['content-length'];
          res.writeHead(up.status, headers);
          writeAll(res, record, body.subarray(0, keep));
          if (fault.kind === 'stallBody') return;
          // A declared length cut short is a broken transfer; an undeclared one ends cleanly (chunked).
          if (declare) res.socket?.destroy();
          else res.end();
          return;
        }
        res.writeHead(up.status, headers);
        writeAll(res, record, body);
        res.end();
      } catch (e) {
        if (!res.headersSent) res.writeHead(502);
        res.end(String(e));
      }
    })();
  });
  await listen(server, port);
  return proxy;
}

export interface BlobServer {
  url: string;
  records: { path: string; headers: IncomingHttpHeaders }[];
  serve(path: string, bytes: Buffer): void;
  stop(): Promise<void>;
}

/** A second origin standing in for S3 or a CDN that registries redirect blob downloads to. */
export async function startBlobServer(): Promise<BlobServer> {
  const port = await freePort();
  const files = new Map<string, Buffer>();
  const records: BlobServer['records'] = [];
  const server = createServer((req, res) => {
    records.push({ path: req.url ?? '', headers: req.headers });
    const body = files.get(new URL(req.url ?? '/', 'http://x').pathname);
    if (body === undefined) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(body.length) });
    res.end(body);
  });
  await listen(server, port);
  return { url: `http://127.0.0.1:${port}`, records, serve: (path, bytes) => files.set(path, bytes), stop: () => close(server) };
}
