// Client behaviour against a scripted registry: redirects to storage, retries with Retry-After, Basic auth.
import { promises as fsp } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256, type Digest } from '../core/index.js';
import { ContentStore } from '../content/index.js';
import { MediaType } from '../image/index.js';
import { pullImage } from './index.js';

interface Seen {
  path: string;
  authorization?: string;
}

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

describe('registry client against a scripted server', () => {
  let tmp: string;
  let registry: http.Server;
  let storage: http.Server;
  let host: string;
  const registrySeen: Seen[] = [];
  const storageSeen: Seen[] = [];
  const config = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
  const layer = Buffer.from('layer bytes served by storage');
  const configDigest = sha256(config);
  const layerDigest = sha256(layer);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: configDigest, size: config.length },
    layers: [{ mediaType: MediaType.ociLayerGzip, digest: layerDigest, size: layer.length }],
  }));
  const goodAuth = `Basic ${Buffer.from('carol:pw').toString('base64')}`;
  let manifestFailures = 0;

  beforeAll(async () => {
    tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'tsbuild-fakereg-'));
    storage = http.createServer((req, res) => {
      storageSeen.push({ path: req.url ?? '', ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
      const d = (req.url ?? '').split('/').pop() as Digest;
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(d === configDigest ? config : layer);
    });
    const storagePort = await listen(storage);
    registry = http.createServer((req, res) => {
      const url = req.url ?? '';
      registrySeen.push({ path: url, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
      if (req.headers.authorization !== goodAuth) {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="fake"' }).end();
        return;
      }
      if (url === '/v2/') return void res.writeHead(200).end('{}');
      if (url === '/v2/team/app/manifests/1') {
        // The first two attempts hit a busy registry.
        if (manifestFailures < 2) {
          manifestFailures++;
          res.writeHead(manifestFailures === 1 ? 503 : 429, { 'Retry-After': '0' }).end();
          return;
        }
        res.writeHead(200, { 'Content-Type': MediaType.ociManifest, 'Docker-Content-Digest': sha256(manifest) }).end(manifest);
        return;
      }
      const m = /^\/v2\/team\/app\/blobs\/(sha256:[a-f0-9]{64})$/.exec(url);
      if (m) {
        res.writeHead(307, { Location: `http://127.0.0.1:${storagePort}/storage/${m[1]}` }).end();
        return;
      }
      res.writeHead(404).end();
    });
    host = `127.0.0.1:${await listen(registry)}`;
    const dockerDir = path.join(tmp, 'docker');
    await fsp.mkdir(dockerDir);
    await fsp.writeFile(path.join(dockerDir, 'config.json'), JSON.stringify({ auths: { [`http://${host}/v2/`]: { auth: Buffer.from('carol:pw').toString('base64') } } }));
  });
  afterAll(async () => {
    registry.closeAllConnections();
    storage.closeAllConnections();
    await new Promise((r) => registry.close(r));
    await new Promise((r) => storage.close(r));
    await fsp.rm(tmp, { recursive: true, force: true });
  });

  it('retries busy answers, follows blob redirects and keeps credentials away from the storage host', async () => {
    const content = new ContentStore(path.join(tmp, 'store'));
    const got = await pullImage(`${host}/team/app:1`, { content, platform: { os: 'linux', architecture: 'amd64' }, dockerConfigDir: path.join(tmp, 'docker'), retryBaseMs: 10 });
    expect(got.manifest.digest).toBe(sha256(manifest));
    expect(manifestFailures).toBe(2);
    expect(registrySeen.filter((s) => s.path === '/v2/team/app/manifests/1').length).toBe(3);
    expect(storageSeen.map((s) => s.path).sort()).toEqual([`/storage/${configDigest}`, `/storage/${layerDigest}`].sort());
    expect(storageSeen.every((s) => s.authorization === undefined)).toBe(true);
    expect(registrySeen.filter((s) => s.path.includes('/blobs/')).every((s) => s.authorization === goodAuth)).toBe(true);
    expect((await content.readBuffer(layerDigest)).equals(layer)).toBe(true);
  });
});
