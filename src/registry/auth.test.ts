// Registry authentication end to end: htpasswd (Basic) over TLS, and Bearer tokens from a token service.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TsbuildError } from '../core/index.js';
import { ContentStore } from '../content/index.js';
import { makeTestImage } from '../image/testimage.testutil.js';
import { getCredential, login, logout, pullImage, pushImage, type RegistryOptions } from './index.js';
import { haveRegistry, htpasswdLine, makeCert, startRegistry, type TestRegistry } from './testregistry.testutil.js';
import { startTokenServer, type TokenServer } from './tokenserver.testutil.js';

const amd64 = { os: 'linux', architecture: 'amd64' };

async function rejection(p: Promise<unknown>): Promise<TsbuildError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TsbuildError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

describe.skipIf(!haveRegistry())('registry authentication', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'tsbuild-regauth-'));
  });
  afterAll(async () => {
    await fsp.rm(tmp, { recursive: true, force: true });
  });

  describe('htpasswd over TLS', () => {
    let reg: TestRegistry;
    let ca: string;
    beforeAll(async () => {
      const { cert, key } = makeCert(tmp, 'basic');
      ca = cert;
      const htpasswd = path.join(tmp, 'htpasswd');
      await fsp.writeFile(htpasswd, `${htpasswdLine('alice', 's3cret-pw')}\n`);
      reg = await startRegistry({ tls: { cert, key }, htpasswd });
    });
    afterAll(async () => {
      await reg?.stop();
    });

    it('refuses a wrong password without storing anything, then stores the right one (0600)', async () => {
      const dockerConfigDir = path.join(tmp, 'docker-basic');
      const opts: RegistryOptions = { dockerConfigDir, caFiles: [ca], retries: 1 };
      const bad = await rejection(login(reg.host, 'alice', 'wrong-password', opts));
      expect(bad.code).toBe('TSB4202');
      expect(bad.message).not.toContain('wrong-password');
      await expect(fsp.stat(path.join(dockerConfigDir, 'config.json'))).rejects.toThrow();

      const untrusted = await rejection(login(reg.host, 'alice', 's3cret-pw', { ...opts, caFiles: [] }));
      expect(untrusted.code).toBe('TSB4201');

      await login(reg.host, 'alice', 's3cret-pw', opts);
      const file = path.join(dockerConfigDir, 'config.json');
      expect((await fsp.stat(file)).mode & 0o777).toBe(0o600);
      const cfg = JSON.parse(await fsp.readFile(file, 'utf8')) as { auths: Record<string, { auth: string }> };
      expect(Buffer.from(cfg.auths[reg.host]?.auth ?? '', 'base64').toString()).toBe('alice:s3cret-pw');
      expect(await getCredential(reg.host, opts)).toEqual({ username: 'alice', password: 's3cret-pw' });
    });

    it('pushes and pulls with stored credentials; anonymous access is refused', async () => {
      const dockerConfigDir = path.join(tmp, 'docker-basic2');
      const opts: RegistryOptions = { dockerConfigDir, caFiles: [ca], retries: 1 };
      const src = new ContentStore(path.join(tmp, 'basic-src'));
      const img = await makeTestImage(src, { platform: amd64 });
      const ref = `${reg.host}/private/app:1`;
      const anon = await rejection(pushImage({ ...opts, content: src, manifest: img.manifest, refs: [ref] }));
      expect(anon.code).toBe('TSB4202');

      await login(reg.host, 'alice', 's3cret-pw', opts);
      await pushImage({ ...opts, content: src, manifest: img.manifest, refs: [ref] });
      const dst = new ContentStore(path.join(tmp, 'basic-dst'));
      const got = await pullImage(ref, { ...opts, content: dst, platform: amd64 });
      expect(got.manifest.digest).toBe(img.manifest.digest);
      expect(await dst.has(img.config.digest)).toBe(true);

      expect(await logout(reg.host, opts)).toBe(true);
      expect(await getCredential(reg.host, opts)).toBeUndefined();
      expect(await logout(reg.host, opts)).toBe(false);
      const after = await rejection(pullImage(ref, { ...opts, content: new ContentStore(path.join(tmp, 'basic-dst2')), platform: amd64 }));
      expect(after.code).toBe('TSB4202');
    });
  });

  describe('Bearer tokens', () => {
    let reg: TestRegistry;
    let tokens: TokenServer;
    beforeAll(async () => {
      const { cert, key } = makeCert(tmp, 'token-signer');
      tokens = await startTokenServer({ cert, key, issuer: 'test-issuer', service: 'test-registry', users: { bob: 'tok-pw' } });
      reg = await startRegistry({ token: { realm: tokens.realm, service: 'test-registry', issuer: 'test-issuer', rootCertBundle: cert } });
    });
    afterAll(async () => {
      await reg?.stop();
      await tokens?.close();
    });

    it('logs in, pushes and pulls with tokens scoped to the repository', async () => {
      const dockerConfigDir = path.join(tmp, 'docker-token');
      const opts: RegistryOptions = { dockerConfigDir, retries: 1 };
      expect((await rejection(login(reg.host, 'bob', 'nope', opts))).code).toBe('TSB4202');
      await login(reg.host, 'bob', 'tok-pw', opts);

      const src = new ContentStore(path.join(tmp, 'tok-src'));
      const img = await makeTestImage(src, { platform: amd64 });
      tokens.requests.length = 0;
      await pushImage({ ...opts, content: src, manifest: img.manifest, refs: [`${reg.host}/tok/app:1`] });
      expect(tokens.requests.some((r) => r.user === 'bob' && r.scopes.includes('repository:tok/app:pull,push'))).toBe(true);
      // One token serves the whole push: it is cached per scope.
      expect(tokens.requests.filter((r) => r.scopes.join(' ') === 'repository:tok/app:pull,push').length).toBe(1);

      const dst = new ContentStore(path.join(tmp, 'tok-dst'));
      const got = await pullImage(`${reg.host}/tok/app:1`, { ...opts, content: dst, platform: amd64 });
      expect(got.manifest.digest).toBe(img.manifest.digest);
      expect(tokens.requests.some((r) => r.scopes.includes('repository:tok/app:pull'))).toBe(true);

      const anonymous = await rejection(pullImage(`${reg.host}/tok/app:1`, { dockerConfigDir: path.join(tmp, 'none'), retries: 1, content: new ContentStore(path.join(tmp, 'tok-dst2')), platform: amd64 }));
      expect(anonymous.code).toBe('TSB4202');
    });
  });
});
