// One registry host: scheme discovery (ping), authorization, retries with backoff, redirects.
import { TsbuildError, abortError, throwIfAborted } from '../core/index.js';
import { Authorizer } from './auth.js';
import { parseChallenges, pickChallenge } from './challenge.js';
import { getCredential, type Credential } from './credentials.js';
import { Transport, discard, isTransientNetworkError, isTransientStatus, readText, retryAfterMs, type HttpRequest, type HttpResponse } from './http.js';
import { DEFAULT_USER_AGENT, allowsHttp, apiHost, canonicalHost, isInsecure, type RegistryOptions } from './options.js';

export interface ClientRequest {
  method: string;
  /** `/v2/...` path (with query), or an absolute URL such as an upload Location. */
  path: string | URL;
  headers?: Record<string, string>;
  body?: HttpRequest['body'];
  /** Token scopes this request needs. */
  scopes: string[];
  /** Follow 3xx answers (blob downloads are redirected to storage). */
  redirects?: boolean;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(abortError(signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** TLS-level failures that mean "this port speaks plain HTTP". */
function looksLikePlainHttp(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code ?? '';
  return code === 'EPROTO' || code.startsWith('ERR_SSL_') || code === 'ECONNRESET';
}

/** Wraps a transport failure in TSB4201; cancellation passes through unchanged. */
function networkError(host: string, e: unknown): Error {
  if (e instanceof TsbuildError) return e;
  if (e instanceof Error && e.name === 'AbortError') return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const msg = e instanceof Error ? e.message : String(e);
  const tlsHint = code !== undefined && /CERT|SELF_SIGNED|UNABLE_TO/.test(code) ? 'pass the registry CA with --ca-file, or list the host with --insecure-registry' : undefined;
  return new TsbuildError('TSB4201', `cannot reach registry ${host}: ${msg}`, { cause: e, ...(tlsHint ? { hint: tlsHint } : {}) });
}

/** A registry's error body, summarized: `MANIFEST_UNKNOWN: manifest unknown`. */
export async function describeFailure(res: HttpResponse): Promise<string> {
  const text = await readText(res).catch(() => '');
  try {
    const body = JSON.parse(text) as { errors?: Array<{ code?: unknown; message?: unknown }> };
    const parts = (body.errors ?? []).map((e) => [e.code, e.message].filter((x) => typeof x === 'string' && x !== '').join(': ')).filter((s) => s !== '');
    if (parts.length > 0) return `HTTP ${res.status} (${parts.join('; ')})`;
  } catch {
    // not a distribution error body
  }
  return `HTTP ${res.status}`;
}

export class RegistryClient {
  readonly domain: string;
  readonly host: string;
  private base?: Promise<{ origin: string; auth: Authorizer }>;
  private credential?: Promise<Credential | undefined>;

  constructor(
    domain: string,
    private readonly opts: RegistryOptions,
    private readonly transport: Transport,
  ) {
    this.domain = canonicalHost(domain);
    this.host = apiHost(domain);
  }

  private get retries(): number {
    return Math.max(1, this.opts.retries ?? 4);
  }

  private insecure(url: URL): boolean {
    return isInsecure(url.host, this.opts);
  }

  /** Overrides config.json lookups (used by login to try credentials before saving them). */
  useCredential(c: Credential | undefined): void {
    this.credential = Promise.resolve(c);
  }

  private getCredential(): Promise<Credential | undefined> {
    this.credential ??= getCredential(this.domain, this.opts);
    return this.credential;
  }

  /** Sends with retries on connection failures and transient statuses; the last answer is returned. */
  async send(req: HttpRequest): Promise<HttpResponse> {
    const signal = this.opts.signal;
    const base = this.opts.retryBaseMs ?? 500;
    for (let attempt = 1; ; attempt++) {
      throwIfAborted(signal);
      let res: HttpResponse;
      try {
        res = await this.transport.request({ ...req, insecureTls: this.insecure(req.url), ...(signal ? { signal } : {}) });
      } catch (e) {
        if (attempt < this.retries && isTransientNetworkError(e)) {
          await sleep(base * 2 ** (attempt - 1), signal);
          continue;
        }
        throw e;
      }
      if (attempt < this.retries && isTransientStatus(res.status)) {
        discard(res);
        const after = retryAfterMs(res.header('retry-after'));
        await sleep(Math.min(after ?? base * 2 ** (attempt - 1), 60_000), signal);
        continue;
      }
      return res;
    }
  }

  private async ping(): Promise<{ origin: string; auth: Authorizer }> {
    const tryOrigin = async (origin: string): Promise<HttpResponse> => this.send({ method: 'GET', url: new URL('/v2/', origin) });
    let origin = `https://${this.host}`;
    let res: HttpResponse;
    try {
      res = await tryOrigin(origin);
    } catch (e) {
      if (!(allowsHttp(this.host, this.opts) && looksLikePlainHttp(e))) throw networkError(this.host, e);
      origin = `http://${this.host}`;
      try {
        res = await tryOrigin(origin);
      } catch (e2) {
        throw networkError(this.host, e2);
      }
    }
    discard(res);
    if (res.status !== 200 && res.status !== 401) {
      throw new TsbuildError('TSB4201', `${this.host} does not answer the registry API at ${origin}/v2/ (HTTP ${res.status})`);
    }
    const challenge = res.status === 401 ? pickChallenge(parseChallenges(res.header('www-authenticate'))) : undefined;
    if (res.status === 401 && !challenge) throw new TsbuildError('TSB4205', `${this.host} demands authentication with an unsupported scheme`);
    const auth = new Authorizer(this.host, challenge, () => this.getCredential(), (r) => this.sendOrWrap(r), this.opts.signal);
    return { origin, auth };
  }

  private async sendOrWrap(req: HttpRequest): Promise<HttpResponse> {
    try {
      return await this.send(req);
    } catch (e) {
      throw networkError(req.url.host, e);
    }
  }

  private connect(): Promise<{ origin: string; auth: Authorizer }> {
    this.base ??= this.ping();
    this.base.catch(() => {
      this.base = undefined;
    });
    return this.base;
  }

  /** The scheme the registry asked for (`basic`, `bearer`), or undefined for anonymous registries. */
  async authScheme(): Promise<string | undefined> {
    return (await this.connect()).auth.scheme;
  }

  /** Fetches a token or checks Basic credentials now, failing with TSB4202 when they are refused. */
  async checkAuth(): Promise<void> {
    const { origin, auth } = await this.connect();
    if (auth.scheme === 'bearer') {
      await auth.fetchToken([]);
      return;
    }
    const res = await this.request({ method: 'GET', path: new URL('/v2/', origin), scopes: [] });
    discard(res);
    if (res.status !== 200) throw new TsbuildError('TSB4201', `${this.host}: /v2/ answered HTTP ${res.status}`);
  }

  /**
   * Sends an authorized request. A 401 refreshes the token (with any scope the registry names) and
   * retries once; a second 401 or a 403 is TSB4202. Other statuses are the caller's to judge.
   */
  async request(req: ClientRequest): Promise<HttpResponse> {
    const { origin, auth } = await this.connect();
    let url = typeof req.path === 'string' ? new URL(req.path, origin) : req.path;
    let scopes = req.scopes;
    let res: HttpResponse | undefined;
    for (let round = 0; round < 2; round++) {
      const authorization = await auth.header(scopes);
      const headers = { ...req.headers, ...(authorization ? { Authorization: authorization } : {}) };
      res = await this.sendOrWrap({ method: req.method, url, headers, ...(req.body !== undefined ? { body: req.body } : {}) });
      if (res.status !== 401 || round === 1 || auth.scheme !== 'bearer') break;
      discard(res);
      auth.invalidate(scopes);
      const extra = pickChallenge(parseChallenges(res.header('www-authenticate')))?.params.scope;
      if (extra) scopes = [...new Set([...scopes, ...extra.split(' ')])];
    }
    if (!res) throw new TsbuildError('TSB4201', `no response from ${this.host}`);
    if (res.status === 401 || res.status === 403) {
      const why = await describeFailure(res);
      const cred = await this.getCredential().catch(() => undefined);
      throw new TsbuildError('TSB4202', `${this.host} refused ${req.method} ${url.pathname}: ${why}`, {
        hint: cred ? `check the credentials stored for ${this.domain}` : `log in first: tsbuild login ${this.domain}`,
      });
    }
    for (let hops = 0; req.redirects && res.status >= 300 && res.status < 400 && hops < 5; hops++) {
      const location = res.header('location');
      if (!location) break;
      discard(res);
      const next = new URL(location, url);
      // Credentials meant for the registry must not travel to the storage backend it redirects to.
      const sameHost = next.host === url.host && next.protocol === url.protocol;
      const headers: Record<string, string> = { ...req.headers };
      if (sameHost) {
        const a = await auth.header(scopes);
        if (a) headers.Authorization = a;
      }
      url = next;
      res = await this.sendOrWrap({ method: req.method, url, headers });
    }
    return res;
  }
}

/** Clients and connections shared by one pull, push or login; `close()` releases the connections. */
export class Session {
  private readonly transport: Transport;
  private readonly clients = new Map<string, RegistryClient>();

  constructor(readonly opts: RegistryOptions) {
    this.transport = new Transport({
      ...(opts.caFiles ? { caFiles: opts.caFiles } : {}),
      userAgent: opts.userAgent ?? DEFAULT_USER_AGENT,
      timeoutMs: opts.timeoutMs ?? 60_000,
    });
  }

  client(domain: string): RegistryClient {
    const key = canonicalHost(domain);
    let c = this.clients.get(key);
    if (!c) {
      c = new RegistryClient(key, this.opts, this.transport);
      this.clients.set(key, c);
    }
    return c;
  }

  close(): void {
    this.transport.close();
  }
}
