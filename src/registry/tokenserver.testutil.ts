// Test support: a Docker token service issuing RS256 JWTs (x5c-signed) for a registry in `auth: token` mode.
import { createPrivateKey, randomBytes, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TokenServer {
  realm: string;
  /** Every scope list requested, with the user that asked (or '' for anonymous). */
  requests: Array<{ user: string; scopes: string[] }>;
  close(): Promise<void>;
}

export interface TokenServerOptions {
  cert: string;
  key: string;
  issuer: string;
  service: string;
  users: Record<string, string>;
}

function b64url(b: Buffer | string): string {
  return Buffer.from(b).toString('base64url');
}

function accessFor(scopes: string[]): Array<{ type: string; name: string; actions: string[] }> {
  return scopes.flatMap((s) => {
    const first = s.indexOf(':');
    const last = s.lastIndexOf(':');
    if (first < 0 || last <= first) return [];
    return [{ type: s.slice(0, first), name: s.slice(first + 1, last), actions: s.slice(last + 1).split(',') }];
  });
}

export async function startTokenServer(o: TokenServerOptions): Promise<TokenServer> {
  const pem = readFileSync(o.cert, 'utf8');
  const der = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  const key = createPrivateKey(readFileSync(o.key));
  const requests: TokenServer['requests'] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://token');
    const auth = req.headers.authorization ?? '';
    let user = '';
    if (auth.startsWith('Basic ')) {
      const [u = '', p = ''] = Buffer.from(auth.slice(6), 'base64').toString('utf8').split(/:(.*)/s);
      if (o.users[u] !== p) {
        res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"details":"bad credentials"}');
        return;
      }
      user = u;
    }
    const scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter((s) => s !== '');
    requests.push({ user, scopes });
    // Anonymous callers get a token without any access, as public token services do.
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'RS256', x5c: [der] };
    const claims = {
      iss: o.issuer,
      sub: user,
      aud: url.searchParams.get('service') ?? o.service,
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: randomBytes(8).toString('hex'),
      access: user === '' ? [] : accessFor(scopes),
    };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const token = `${input}.${b64url(sign('sha256', Buffer.from(input), key))}`;
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token, expires_in: 300, issued_at: new Date().toISOString() }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
