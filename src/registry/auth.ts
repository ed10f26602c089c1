// Authorization for registry requests: Basic credentials or Bearer tokens fetched per scope and cached until expiry.
import { TsbuildError } from '../core/index.js';
import type { Challenge } from './challenge.js';
import type { Credential } from './credentials.js';
import { readText, type HttpRequest, type HttpResponse } from './http.js';

export type Send = (req: HttpRequest) => Promise<HttpResponse>;

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Access scopes for a repository, as the token protocol spells them. */
export function repoScope(repoPath: string, actions: 'pull' | 'push'): string {
  return `repository:${repoPath}:${actions === 'push' ? 'pull,push' : 'pull'}`;
}

function basicHeader(c: Credential): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`, 'utf8').toString('base64')}`;
}

/**
 * Answers one registry's challenge. Created after the `/v2/` ping; `header(scopes)` gives the
 * Authorization value for a request, `invalidate(scopes)` drops a token the registry refused.
 */
export class Authorizer {
  private readonly tokens = new Map<string, Promise<CachedToken>>();

  constructor(
    private readonly host: string,
    private readonly challenge: Challenge | undefined,
    private readonly credential: () => Promise<Credential | undefined>,
    private readonly send: Send,
    private readonly signal?: AbortSignal,
  ) {}

  get scheme(): string | undefined {
    return this.challenge?.scheme;
  }

  async header(scopes: string[]): Promise<string | undefined> {
    if (!this.challenge) return undefined;
    if (this.challenge.scheme === 'basic') {
      const c = await this.credential();
      return c && !c.identityToken ? basicHeader(c) : undefined;
    }
    if (this.challenge.scheme !== 'bearer') return undefined;
    const key = [...new Set(scopes)].sort().join(' ');
    let entry = this.tokens.get(key);
    if (entry) {
      const t = await entry.catch(() => undefined);
      if (!t || t.expiresAt - Date.now() < 10_000) entry = undefined;
    }
    if (!entry) {
      entry = this.fetchToken(key === '' ? [] : key.split(' '));
      this.tokens.set(key, entry);
      entry.catch(() => this.tokens.delete(key));
    }
    return `Bearer ${(await entry).token}`;
  }

  invalidate(scopes: string[]): void {
    this.tokens.delete([...new Set(scopes)].sort().join(' '));
  }

  /** Fails with TSB4202 when the token endpoint refuses the credentials. */
  async fetchToken(scopes: string[]): Promise<CachedToken> {
    const params = this.challenge?.params ?? {};
    const realm = params.realm;
    if (!realm) throw new TsbuildError('TSB4205', `${this.host} sent a Bearer challenge without a realm`);
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new TsbuildError('TSB4205', `${this.host} sent a Bearer challenge with an invalid realm ${JSON.stringify(realm)}`);
    }
    const cred = await this.credential();
    const started = Date.now();
    let res: HttpResponse;
    if (cred?.identityToken) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: cred.identityToken, client_id: 'tsbuild' });
      if (params.service) form.set('service', params.service);
      if (scopes.length > 0) form.set('scope', scopes.join(' '));
      res = await this.send({
        method: 'POST',
        url,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: Buffer.from(form.toString()),
        ...(this.signal ? { signal: this.signal } : {}),
      });
    } else {
      if (params.service) url.searchParams.set('service', params.service);
      for (const s of scopes) url.searchParams.append('scope', s);
      const headers: Record<string, string> = {};
      if (cred) headers.Authorization = basicHeader(cred);
      res = await this.send({ method: 'GET', url, headers, ...(this.signal ? { signal: this.signal } : {}) });
    }
    const text = await readText(res, 1024 * 1024);
    if (res.status === 401 || res.status === 403) {
      throw new TsbuildError('TSB4202', `${this.host}: the token service at ${url.host} refused ${cred ? `the credentials of user "${cred.username}"` : 'anonymous access'} (HTTP ${res.status})`);
    }
    if (res.status !== 200) throw new TsbuildError('TSB4201', `${this.host}: token request to ${url.host} failed with HTTP ${res.status}`);
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new TsbuildError('TSB4205', `${this.host}: the token service at ${url.host} answered with something that is not JSON`);
    }
    const token = typeof body.token === 'string' && body.token !== '' ? body.token : typeof body.access_token === 'string' ? body.access_token : '';
    if (token === '') throw new TsbuildError('TSB4205', `${this.host}: the token service at ${url.host} returned no token`);
    // The protocol's default lifetime is 60 seconds when none is given.
    const lifetime = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 60;
    return { token, expiresAt: started + lifetime * 1000 };
  }
}
