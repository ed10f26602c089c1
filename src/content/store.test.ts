// Tests for ContentStore: atomic ingest, verification, missing content, crash leftovers, multi-process ingest.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TsbuildError, sha256, type Digest } from '../core/index.js';
import { ContentStore } from './index.js';
import { compiledModules, type ChildEnv } from './child.testutil.js';

let root: string;
let store: ContentStore;

beforeEach(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'tsb-content-'));
  store = new ContentStore(root);
});
afterEach(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return e instanceof TsbuildError ? e.code : `not a TsbuildError: ${String(e)}`;
  }
  return undefined;
}

async function ingestEntries(): Promise<string[]> {
  return fsp.readdir(store.ingestDir).catch(() => []);
}

async function drain(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe('ContentStore', () => {
  it('stores a buffer at blobs/sha256/<hex> and reads it back verified', async () => {
    const { digest, size } = await store.putBuffer('hello world');
    expect(digest).toBe(sha256('hello world'));
    expect(size).toBe(11);
    expect(store.path(digest)).toBe(path.join(root, 'blobs', 'sha256', digest.slice(7)));
    expect((await store.readBuffer(digest)).toString()).toBe('hello world');
    expect(await store.info(digest)).toEqual({ digest, size: 11 });
    expect(await store.has(digest)).toBe(true);
    expect(await ingestEntries()).toEqual([]);
  });

  it('putJson writes JSON.stringify bytes exactly', async () => {
    const value = { b: 1, a: [true, 'x'] };
    const { digest } = await store.putJson(value);
    expect(digest).toBe(sha256(JSON.stringify(value)));
    expect(await store.readJson(digest)).toEqual(value);
  });

  it('accepts a stream with the expected digest and size', async () => {
    const data = Buffer.alloc(300_000, 7);
    const got = await store.ingest(Readable.from([data.subarray(0, 1000), data.subarray(1000)]), { digest: sha256(data), size: data.length });
    expect(got).toEqual({ digest: sha256(data), size: data.length });
  });

  it('never exposes a partial blob while ingesting', async () => {
    const src = new PassThrough();
    const data = Buffer.alloc(200_000, 1);
    const d = sha256(data);
    const done = store.ingest(src, { digest: d });
    src.write(data.subarray(0, 100_000));
    await new Promise((r) => setTimeout(r, 50));
    expect(await store.has(d)).toBe(false);
    expect((await ingestEntries()).length).toBe(1);
    src.end(data.subarray(100_000));
    await done;
    expect(await store.has(d)).toBe(true);
    expect(await ingestEntries()).toEqual([]);
  });

  it('rejects a digest mismatch with TSB4001 and stores nothing', async () => {
    const wrong = sha256('something else');
    expect(await codeOf(store.ingest(Readable.from([Buffer.from('payload')]), { digest: wrong }))).toBe('TSB4001');
    expect(await store.has(wrong)).toBe(false);
    expect(await store.has(sha256('payload'))).toBe(false);
    expect(await ingestEntries()).toEqual([]);
  });

  it('rejects a size mismatch (short and long) with TSB4001 and stores nothing', async () => {
    expect(await codeOf(store.ingest(Readable.from([Buffer.from('abc')]), { size: 4 }))).toBe('TSB4001');
    expect(await codeOf(store.ingest(Readable.from([Buffer.from('abcde')]), { size: 4 }))).toBe('TSB4001');
    expect(await store.has(sha256('abc'))).toBe(false);
    expect(await ingestEntries()).toEqual([]);
  });

  it('removes the temp file when the source stream fails or the signal aborts', async () => {
    const failing = new Readable({
      read() {
        this.push(Buffer.alloc(1000));
        this.destroy(new Error('source broke'));
      },
    });
    await expect(store.ingest(failing)).rejects.toThrow('source broke');
    const ac = new AbortController();
    const hanging = new PassThrough();
    const p = store.ingest(hanging, { signal: ac.signal });
    hanging.write(Buffer.alloc(10));
    setTimeout(() => ac.abort(), 20);
    await expect(p).rejects.toThrow();
    expect(await ingestEntries()).toEqual([]);
  });

  it('ingesting the same content twice keeps one blob', async () => {
    const a = await store.putBuffer('same');
    const b = await store.putBuffer('same');
    expect(a).toEqual(b);
    const all: string[] = [];
    for await (const info of store.list()) all.push(info.digest);
    expect(all).toEqual([a.digest]);
  });

  it('verified reads detect on-disk corruption', async () => {
    const { digest } = await store.putBuffer('original content');
    await fsp.writeFile(store.path(digest), 'originaL content');
    expect(await codeOf(store.readBuffer(digest))).toBe('TSB4001');
    expect(await codeOf(drain(store.readStream(digest, { verify: true })))).toBe('TSB4001');
    expect((await drain(store.readStream(digest))).toString()).toBe('originaL content');
  });

  it('reports missing content as TSB4002 naming the digest', async () => {
    const d = sha256('absent');
    expect(await store.has(d)).toBe(false);
    expect(await store.info(d)).toBeUndefined();
    await expect(store.readBuffer(d)).rejects.toThrow(d);
    expect(await codeOf(store.readBuffer(d))).toBe('TSB4002');
    expect(await codeOf(drain(store.readStream(d, { verify: true })))).toBe('TSB4002');
  });

  it('rejects malformed digests before touching the filesystem', () => {
    expect(() => store.path('sha256:../../etc/passwd' as Digest)).toThrow(expect.objectContaining({ code: 'TSB4008' }));
    expect(() => store.path('sha256:ABC' as Digest)).toThrow(TsbuildError);
  });

  it('lists and deletes blobs', async () => {
    const a = await store.putBuffer('a');
    const b = await store.putBuffer('bb');
    const listed: Array<{ digest: string; size: number }> = [];
    for await (const info of store.list()) listed.push(info);
    expect(listed.sort((x, y) => x.size - y.size)).toEqual([a, b]);
    expect(await store.delete(a.digest)).toBe(true);
    expect(await store.delete(a.digest)).toBe(false);
    expect(await store.has(a.digest)).toBe(false);
    expect(await store.has(b.digest)).toBe(true);
  });

  it('cleanupIngest removes only old temp files', async () => {
    await fsp.mkdir(store.ingestDir, { recursive: true });
    const old = path.join(store.ingestDir, 'old');
    const fresh = path.join(store.ingestDir, 'fresh');
    await fsp.writeFile(old, 'x');
    await fsp.writeFile(fresh, 'y');
    const past = new Date(Date.now() - 3_600_000);
    await fsp.utimes(old, past, past);
    expect(await store.cleanupIngest(60_000)).toBe(1);
    expect(await ingestEntries()).toEqual(['fresh']);
  });
});

describe('ContentStore across processes', () => {
  let env: ChildEnv;
  beforeAll(async () => {
    env = await compiledModules();
  });
  afterAll(async () => {
    await env.cleanup();
  });

  function run(script: string, args: string[]): Promise<{ code: number | null; out: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, out }));
    });
  }

  it('two processes ingesting the same content concurrently both succeed with one intact blob', async () => {
    const script = await env.script(
      'ingest.mjs',
      `import { Readable } from 'node:stream';
import { ContentStore } from './src/content/index.js';
const store = new ContentStore(process.argv[2]);
const chunk = Buffer.alloc(64 * 1024, 0x5a);
const results = [];
for (let round = 0; round < 20; round++) {
  const chunks = Array.from({ length: 16 }, () => chunk);
  results.push((await store.ingest(Readable.from(chunks))).digest);
}
console.log(JSON.stringify([...new Set(results)]));
`,
    );
    const [a, b] = await Promise.all([run(script, [root]), run(script, [root])]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    const expected = `sha256:${createHash('sha256').update(Buffer.alloc(16 * 64 * 1024, 0x5a)).digest('hex')}`;
    expect(JSON.parse(a.out)).toEqual([expected]);
    expect(JSON.parse(b.out)).toEqual([expected]);
    expect((await store.readBuffer(expected as Digest)).length).toBe(16 * 64 * 1024);
    expect(await ingestEntries()).toEqual([]);
  });

  it('a writer killed mid-ingest leaves only an orphan temp file that cleanupIngest removes', async () => {
    const script = await env.script(
      'stall.mjs',
      `import { PassThrough } from 'node:stream';
import { ContentStore } from './src/content/index.js';
const store = new ContentStore(process.argv[2]);
const src = new PassThrough();
store.ingest(src);
src.write(Buffer.alloc(100000, 1), () => setTimeout(() => console.log('writing'), 100));
`,
    );
    const child = spawn(process.execPath, [script, root], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    const blobs = await fsp.readdir(store.blobsDir).catch(() => []);
    expect(blobs).toEqual([]);
    expect((await ingestEntries()).length).toBe(1);
    expect(await store.cleanupIngest(0)).toBe(1);
    expect(await ingestEntries()).toEqual([]);
  });
});
