// Credentials in config.json and through credential helpers; challenge parsing; host policy.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TsbuildError } from '../core/index.js';
import { parseChallenges } from './challenge.js';
import { eraseCredential, getCredential, storeCredential } from './credentials.js';
import { allowsHttp, apiHost } from './options.js';

const HELPER = `
const fs = require('fs'), path = require('path');
const db = path.join(process.env.FAKE_HELPER_DIR, 'db.json');
let input = '';
process.stdin.on('data', (d) => (input += d)).on('end', () => {
  const all = fs.existsSync(db) ? JSON.parse(fs.readFileSync(db, 'utf8')) : {};
  const action = process.argv[2];
  if (action === 'get') {
    const c = all[input.trim()];
    if (!c) { process.stdout.write('credentials not found in native keychain\\n'); process.exit(1); }
    process.stdout.write(JSON.stringify({ ServerURL: input.trim(), Username: c.Username, Secret: c.Secret }));
  } else if (action === 'store') {
    const c = JSON.parse(input); all[c.ServerURL] = c; fs.writeFileSync(db, JSON.stringify(all));
  } else if (action === 'erase') {
    delete all[input.trim()]; fs.writeFileSync(db, JSON.stringify(all));
  } else process.exit(2);
});
`;

describe('WWW-Authenticate parsing', () => {
  it('reads Bearer parameters, including quoted commas', () => {
    const [c] = parseChallenges('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"');
    expect(c).toEqual({ scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' } });
  });
  it('reads several challenges and unquoted values', () => {
    const cs = parseChallenges('Basic realm="Registry Realm", Bearer realm=https://t.example/x, error=invalid_token');
    expect(cs.map((c) => c.scheme)).toEqual(['basic', 'bearer']);
    expect(cs[1]?.params).toEqual({ realm: 'https://t.example/x', error: 'invalid_token' });
    expect(parseChallenges(undefined)).toEqual([]);
  });
});

describe('host policy', () => {
  it('maps Docker Hub to its API host and allows plain HTTP only where it may', () => {
    expect(apiHost('docker.io')).toBe('registry-1.docker.io');
    expect(apiHost('ghcr.io')).toBe('ghcr.io');
    expect(allowsHttp('localhost:5000', {})).toBe(true);
    expect(allowsHttp('127.4.5.6:80', {})).toBe(true);
    expect(allowsHttp('[::1]:5000', {})).toBe(true);
    expect(allowsHttp('registry.example:5000', {})).toBe(false);
    expect(allowsHttp('registry.example:5000', { insecureRegistries: ['registry.example'] })).toBe(true);
    expect(allowsHttp('registry.example:5000', { insecureRegistries: ['registry.example:6000'] })).toBe(false);
  });
});

describe('docker config credentials', () => {
  let tmp: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'tsbuild-creds-'));
    const bin = path.join(tmp, 'bin');
    await fsp.mkdir(bin);
    await fsp.writeFile(path.join(bin, 'docker-credential-fake'), `#!${process.execPath}\n${HELPER}`, { mode: 0o755 });
    // The helper is CommonJS whatever package.json a parent directory of the temp dir may hold.
    await fsp.writeFile(path.join(bin, 'package.json'), '{"type":"commonjs"}');
    await fsp.mkdir(path.join(tmp, 'helperdb'));
    env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, FAKE_HELPER_DIR: path.join(tmp, 'helperdb') };
  });
  afterAll(async () => {
    await fsp.rm(tmp, { recursive: true, force: true });
  });

  async function configDir(name: string, cfg: unknown): Promise<string> {
    const dir = path.join(tmp, name);
    await fsp.mkdir(dir, { recursive: true });
    await fsp.writeFile(path.join(dir, 'config.json'), JSON.stringify(cfg));
    return dir;
  }

  it('reads inline auth, username/password, and the Docker Hub key', async () => {
    const dir = await configDir('inline', {
      auths: {
        'https://index.docker.io/v1/': { auth: Buffer.from('hubuser:hub:pw').toString('base64') },
        'reg.example:5000': { username: 'u', password: 'p' },
      },
    });
    expect(await getCredential('docker.io', { dockerConfigDir: dir })).toEqual({ username: 'hubuser', password: 'hub:pw' });
    expect(await getCredential('registry-1.docker.io', { dockerConfigDir: dir })).toEqual({ username: 'hubuser', password: 'hub:pw' });
    expect(await getCredential('reg.example:5000', { dockerConfigDir: dir })).toEqual({ username: 'u', password: 'p' });
    expect(await getCredential('other.example', { dockerConfigDir: dir })).toBeUndefined();
    expect(await getCredential('x', { dockerConfigDir: path.join(tmp, 'missing') })).toBeUndefined();
  });

  it('rejects a malformed config.json with TSB4207', async () => {
    const dir = path.join(tmp, 'bad');
    await fsp.mkdir(dir);
    await fsp.writeFile(path.join(dir, 'config.json'), '{not json');
    await expect(getCredential('x', { dockerConfigDir: dir })).rejects.toMatchObject({ code: 'TSB4207' });
  });

  it('stores inline with mode 0600, keeping other settings, and erases', async () => {
    const dir = await configDir('store-inline', { detachKeys: 'ctrl-x', auths: { 'https://reg.example/v2/': { auth: 'b2xkOm9sZA==' } } });
    await storeCredential('reg.example', { username: 'new', password: 'pw' }, { dockerConfigDir: dir });
    const file = path.join(dir, 'config.json');
    expect((await fsp.stat(file)).mode & 0o777).toBe(0o600);
    const cfg = JSON.parse(await fsp.readFile(file, 'utf8')) as { detachKeys: string; auths: Record<string, unknown> };
    expect(cfg.detachKeys).toBe('ctrl-x');
    expect(Object.keys(cfg.auths)).toEqual(['reg.example']);
    expect(await getCredential('reg.example', { dockerConfigDir: dir })).toEqual({ username: 'new', password: 'pw' });
    expect(await eraseCredential('reg.example', { dockerConfigDir: dir })).toBe(true);
    expect(await getCredential('reg.example', { dockerConfigDir: dir })).toBeUndefined();
  });

  it('uses credsStore helpers for store, get and erase, leaving no secret in config.json', async () => {
    const dir = await configDir('store-helper', { credsStore: 'fake' });
    await storeCredential('helper.example', { username: 'hu', password: 'helper-secret' }, { dockerConfigDir: dir, env });
    const text = await fsp.readFile(path.join(dir, 'config.json'), 'utf8');
    expect(text).not.toContain('helper-secret');
    expect((JSON.parse(text) as { auths: Record<string, unknown> }).auths['helper.example']).toEqual({});
    expect(await getCredential('helper.example', { dockerConfigDir: dir, env })).toEqual({ username: 'hu', password: 'helper-secret' });
    expect(await eraseCredential('helper.example', { dockerConfigDir: dir, env })).toBe(true);
    expect(await getCredential('helper.example', { dockerConfigDir: dir, env })).toBeUndefined();
  });

  it('prefers credHelpers for a host, maps <token> to an identity token, and reports a missing helper', async () => {
    await fsp.writeFile(path.join(tmp, 'helperdb', 'db.json'), JSON.stringify({ 'tok.example': { Username: '<token>', Secret: 'refresh-me' } }));
    const dir = await configDir('per-host', { credsStore: 'absent', credHelpers: { 'tok.example': 'fake' }, auths: { 'tok.example': { auth: Buffer.from('a:b').toString('base64') } } });
    expect(await getCredential('tok.example', { dockerConfigDir: dir, env })).toEqual({ username: '', password: '', identityToken: 'refresh-me' });
    const err = await getCredential('elsewhere.example', { dockerConfigDir: dir, env }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TsbuildError);
    expect((err as TsbuildError).code).toBe('TSB4206');
    expect((err as TsbuildError).message).toContain('docker-credential-absent');
  });
});
