// HTTP transport for the registry client: node:http/https with keep-alive agents, extra CAs and streaming bodies.
import type http from 'node:http';
import type https from 'node:https';
import { promises as fsp } from 'node:fs';
import type { Readable } from 'node:stream';
import { lazy, TsbuildError } from '../core/index.js';

export interface HttpRequest {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  /** A buffer, or a factory so the body can be sent again when the request is retried. */
  body?: Buffer | (() => Readable);
  signal?: AbortSignal;
  /** Skip TLS certificate verification (only for hosts the user listed as insecure). */
  insecureTls?: boolean;
}

export interface HttpResponse {
  status: number;
  url: URL;
  headers: http.IncomingHttpHeaders;
  body: http.IncomingMessage;
  header(name: string): string | undefined;
}

export interface TransportOptions {
  caFiles?: string[];
  userAgent: string;
  timeoutMs: number;
}

/** Reads at most `limit` bytes of a body as text and discards the rest. */
export async function readText(res: HttpResponse, limit = 64 * 1024): Promise<string> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of res.body) {
    const b = chunk as Buffer;
    if (n < limit) parts.push(b.subarray(0, limit - n));
    n += b.length;
  }
  return Buffer.concat(parts).toString('utf8');
}

/** Reads a whole body, failing when it exceeds `limit` bytes. */
export async function readBody(res: HttpResponse, limit: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of res.body) {
    const b = chunk as Buffer;
    n += b.length;
    if (n > limit) {
      res.body.destroy();
      throw new TsbuildError('TSB4205', `response from ${res.url.host} is larger than ${limit} bytes`);
    }
    parts.push(b);
  }
  return Buffer.concat(parts);
}

export function discard(res: HttpResponse): void {
  res.body.resume();
}

/**
 * One set of keep-alive connections, shared by every request of a pull, push or login.
 * `close()` ends the idle connections.
 */
export class Transport {
  private readonly httpAgent = new (lazy.http().Agent)({ keepAlive: true, maxSockets: 16 });
  private httpsAgent?: https.Agent;
  private insecureAgent?: https.Agent;
  private ca?: Promise<string[] | undefined>;

  constructor(private readonly opts: TransportOptions) {}

  private loadCa(): Promise<string[] | undefined> {
    this.ca ??= (async () => {
      const files = this.opts.caFiles ?? [];
      if (files.length === 0) return undefined;
      const extra = await Promise.all(
        files.map((f) =>
          fsp.readFile(f, 'utf8').catch((e: unknown) => {
            throw new TsbuildError('TSB4201', `cannot read CA certificate file ${f}`, { cause: e });
          }),
        ),
      );
      return [...lazy.tls().rootCertificates, ...extra];
    })();
    return this.ca;
  }

  private async agent(url: URL, insecure: boolean): Promise<http.Agent> {
    if (url.protocol === 'http:') return this.httpAgent;
    if (insecure) {
      this.insecureAgent ??= new (lazy.https().Agent)({ keepAlive: true, maxSockets: 16, rejectUnauthorized: false });
      return this.insecureAgent;
    }
    if (!this.httpsAgent) {
      const ca = await this.loadCa();
      this.httpsAgent ??= new (lazy.https().Agent)({ keepAlive: true, maxSockets: 16, ...(ca ? { ca } : {}) });
    }
    return this.httpsAgent;
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    const agent = await this.agent(req.url, req.insecureTls ?? false);
    const body = typeof req.body === 'function' ? req.body() : req.body;
    const headers: Record<string, string> = { 'User-Agent': this.opts.userAgent, ...req.headers };
    if (Buffer.isBuffer(body)) headers['Content-Length'] = String(body.length);
    else if (body === undefined && req.method !== 'GET' && req.method !== 'HEAD') headers['Content-Length'] ??= '0';
    const mod = req.url.protocol === 'http:' ? lazy.http() : lazy.https();
    return new Promise<HttpResponse>((resolve, reject) => {
      const r = mod.request(req.url, { method: req.method, headers, agent, ...(req.signal ? { signal: req.signal } : {}) }, (res) => {
        res.setTimeout(this.opts.timeoutMs, () => res.destroy(Object.assign(new Error('response stalled'), { code: 'ETIMEDOUT' })));
        resolve({
          status: res.statusCode ?? 0,
          url: req.url,
          headers: res.headers,
          body: res,
          header: (name) => {
            const v = res.headers[name.toLowerCase()];
            return Array.isArray(v) ? v.join(', ') : v;
          },
        });
      });
      r.setTimeout(this.opts.timeoutMs, () => r.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })));
      r.on('error', reject);
      if (body === undefined) r.end();
      else if (Buffer.isBuffer(body)) r.end(body);
      else {
        body.on('error', (e) => r.destroy(e));
        body.pipe(r);
      }
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent?.destroy();
    this.insecureAgent?.destroy();
  }
}

const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ECONNABORTED', 'UND_ERR_SOCKET']);

/** Network failures worth another attempt: the server went away or has not come up yet. */
export function isTransientNetworkError(e: unknown): boolean {
  if (!(e instanceof Error) || e.name === 'AbortError') return false;
  const code = (e as NodeJS.ErrnoException).code;
  if (code !== undefined && TRANSIENT_CODES.has(code)) return true;
  return e.message === 'socket hang up' || e.message === 'aborted';
}

export function isTransientStatus(status: number): boolean {
  return status === 429 || status === 408 || (status >= 500 && status <= 599);
}

/** `Retry-After` as milliseconds (seconds or an HTTP date), or undefined. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}
