// Cache inspection end to end: ls, inspect (prefixes and errors), du against du(1), explain without building.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { have } from '../helpers/env.js';
import { tempDir } from '../helpers/cli.js';
import { buildImage, cache, makeContext, records, type LsRow } from './cache-helpers.js';

describe.skipIf(!have('root', 'overlay', 'busybox'))('cache ls, inspect, du, explain', () => {
  const t = tempDir('tsb-cache-');
  const ctxDir = path.join(t.dir, 'ctx');
  const root = path.join(t.dir, 'store');
  let rows: LsRow[];

  beforeAll(async () => {
    makeContext(ctxDir);
    const b = await buildImage(root, ctxDir, ['-t', 'app:1', '--max-cache-size', '0']);
    expect(b.code, b.stderr).toBe(0);
    rows = await records(root);
  });
  afterAll(() => t.cleanup());

  it('ls --format json lists one record per step, without preimages', () => {
    const names = rows.map((r) => r.name);
    expect(names.some((n) => n.includes('COPY busybox /bin/busybox'))).toBe(true);
    expect(names.some((n) => n.includes('COPY b.txt /b.txt'))).toBe(true);
    for (const r of rows) {
      expect(r.key).toMatch(/^[0-9a-f]{64}$/);
      expect(r.preimage).toBeUndefined();
    }
    const bb = rows.find((r) => r.name.includes('COPY busybox'));
    // The busybox layer (compressed) plus its unpacked snapshot: well over a megabyte.
    expect(bb?.diskSize).toBeGreaterThan(1_000_000);
    expect(bb?.location).toEqual({ file: path.join(ctxDir, 'Dockerfile'), line: 3 });
  });

  it('ls prints a table with key prefix, size, ages, step and location', async () => {
    const r = await cache(root, ['ls'], ctxDir);
    expect(r.code, r.stderr).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.includes('COPY busybox'));
    const bb = rows.find((x) => x.name.includes('COPY busybox'));
    expect(line?.startsWith(bb?.key.slice(0, 12) ?? 'missing')).toBe(true);
    expect(line).toMatch(/\d(\.\d+)?MB/);
    expect(line).toMatch(/(second|Less than a second)s? ago/);
    expect(line).toContain('Dockerfile:3');
  });

  it('inspect accepts a unique prefix and prints the preimage', async () => {
    const bb = rows.find((x) => x.name.includes('COPY busybox'));
    const r = await cache(root, ['inspect', bb?.key.slice(0, 10) ?? '']);
    expect(r.code, r.stderr).toBe(0);
    const rec = JSON.parse(r.stdout) as { key: string; preimage: { files: Record<string, string> } };
    expect(rec.key).toBe(bb?.key);
    expect(Object.keys(rec.preimage.files)).toContain('busybox');
  });

  it('inspect reports unknown and ambiguous prefixes with codes', async () => {
    const unknown = await cache(root, ['inspect', 'ffffffffffffffffffff']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('TSB4009');
    // With 5+ records over 16 hex digits, some one-digit prefix is shared by two keys, or every digit is distinct.
    const counts = new Map<string, number>();
    for (const r of rows) counts.set(r.key[0] ?? '', (counts.get(r.key[0] ?? '') ?? 0) + 1);
    const shared = [...counts].find(([, n]) => n > 1)?.[0];
    if (shared !== undefined) {
      const amb = await cache(root, ['inspect', shared]);
      expect(amb.code).toBe(1);
      expect(amb.stderr).toContain('TSB4010');
    }
    const empty = await cache(root, ['inspect', '']);
    expect(empty.code).toBe(1);
  });

  it('du agrees with du -s --block-size=1 within 5% and splits by kind', async () => {
    const r = await cache(root, ['du', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const u = JSON.parse(r.stdout) as { total: number; reclaimable: number; shared: number; byKind: { blobs: number; snapshots: number; cacheMounts: number; logs: number; other: number } };
    const du = Number(execFileSync('du', ['-s', '--block-size=1', root], { encoding: 'utf8' }).split(/\s/)[0]);
    expect(Math.abs(u.total - du) / du).toBeLessThan(0.05);
    expect(u.byKind.blobs).toBeGreaterThan(500_000);
    expect(u.byKind.snapshots).toBeGreaterThan(500_000);
    expect(u.byKind.blobs + u.byKind.snapshots + u.byKind.cacheMounts + u.byKind.logs + u.byKind.other).toBe(u.total);
    // The tagged image's layers are also the records' layers.
    expect(u.shared).toBeGreaterThan(500_000);
    // prune --all keeps the image's blobs but may drop snapshots and records.
    expect(u.reclaimable).toBeGreaterThan(u.byKind.snapshots * 0.9);
    expect(u.reclaimable).toBeLessThan(u.total - u.shared);
    const table = await cache(root, ['du']);
    expect(table.stdout).toMatch(/Total:\s+\S+\s+\d+/);
    expect(table.stdout).toContain('Reclaimable:');
  });

  it('explain: everything cached for the same inputs, without changing the store', async () => {
    const before = await records(root);
    const r = await cache(root, ['explain', '--format', 'json', ctxDir]);
    expect(r.code, r.stderr).toBe(0);
    const steps = JSON.parse(r.stdout) as Array<{ name: string; cached: boolean }>;
    expect(steps.length).toBeGreaterThanOrEqual(4);
    expect(steps.every((s) => s.cached)).toBe(true);
    expect((await records(root)).map((x) => [x.key, x.lastUsed])).toEqual(before.map((x) => [x.key, x.lastUsed]));
  });

  it('explain names a changed file and the steps below it', async () => {
    writeFileSync(path.join(ctxDir, 'a.txt'), 'ALPHA changed\n');
    try {
      const r = await cache(root, ['explain', ctxDir], ctxDir);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/CACHED .*COPY busybox/);
      expect(r.stdout).toMatch(/MISS +.*COPY a\.txt \/a\.txt \(Dockerfile:4\)\n\s+- file changed: a\.txt \(content\)/);
      expect(r.stdout).toMatch(/MISS +.*COPY b\.txt[^\n]*\n\s+- parent step changed/);
    } finally {
      writeFileSync(path.join(ctxDir, 'a.txt'), 'alpha\n');
    }
  });

  it('explain names a changed build argument used by a COPY destination', async () => {
    const dir = path.join(t.dir, 'argctx');
    makeContext(dir, 'FROM scratch\nARG DEST=plain\nCOPY busybox /bin/busybox\nCOPY a.txt /$DEST/a.txt\n');
    const b = await buildImage(root, dir, ['--max-cache-size', '0']);
    expect(b.code, b.stderr).toBe(0);
    const r = await cache(root, ['explain', '--format', 'json', '--build-arg', 'DEST=spicy', dir]);
    expect(r.code, r.stderr).toBe(0);
    const steps = JSON.parse(r.stdout) as Array<{ name: string; cached: boolean; reasons: string[] }>;
    expect(steps.find((s) => s.name.includes('COPY busybox'))?.cached).toBe(true);
    const copyA = steps.find((s) => s.name.includes('COPY a.txt'));
    expect(copyA?.cached).toBe(false);
    expect(copyA?.reasons.join('\n')).toMatch(/"\/plain\/a\.txt".*"\/spicy\/a\.txt"/);
  });

  it.skipIf(!have('runc'))('explain names a changed build argument seen by RUN', async () => {
    const dir = path.join(t.dir, 'runctx');
    makeContext(dir, 'FROM scratch\nCOPY busybox /bin/busybox\nARG FLAVOR=plain\nRUN ["/bin/busybox","true"]\n');
    const b = await buildImage(root, dir, ['--max-cache-size', '0']);
    expect(b.code, b.stderr).toBe(0);
    const r = await cache(root, ['explain', '--build-arg', 'FLAVOR=spicy', dir], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/CACHED .*COPY busybox/);
    expect(r.stdout).toMatch(/MISS +.*RUN .* \(Dockerfile:4\)\n\s+- ARG FLAVOR changed from "plain" to "spicy"/);
    expect(r.stdout).toContain('1 of 3 steps would run');
  });

  it('explain follows COPY --from by content: an unrelated change in the source stage keeps it cached', async () => {
    const dir = path.join(t.dir, 'stagectx');
    makeContext(dir, 'FROM scratch AS base\nCOPY a.txt /a.txt\nCOPY b.txt /b.txt\n\nFROM scratch\nCOPY --from=base /a.txt /copied.txt\n');
    const b = await buildImage(root, dir, ['--max-cache-size', '0']);
    expect(b.code, b.stderr).toBe(0);
    writeFileSync(path.join(dir, 'b.txt'), 'beta changed\n');
    const r = await cache(root, ['explain', '--format', 'json', dir]);
    expect(r.code, r.stderr).toBe(0);
    const steps = JSON.parse(r.stdout) as Array<{ name: string; cached: boolean; uncertain?: boolean; reasons: string[] }>;
    const copyB = steps.find((s) => s.name.includes('COPY b.txt'));
    expect(copyB?.cached).toBe(false);
    expect(copyB?.reasons).toContain('file changed: b.txt (content)');
    // Its source (the last step of base) reruns; whether /a.txt comes out the same is only known then.
    const copied = steps.find((s) => s.name.includes('COPY --from=base'));
    expect(copied?.cached).toBe(false);
    expect(copied?.uncertain).toBe(true);
    expect(copied?.reasons.join('\n')).toContain('stage "base" yields the same files');
    const table = await cache(root, ['explain', dir], dir);
    expect(table.stdout).toMatch(/MISS\? +.*COPY --from=base/);
    // And the build does serve it from the cache by content.
    const again = await buildImage(root, dir, ['--max-cache-size', '0', '--progress', 'plain']);
    expect(again.code, again.stderr).toBe(0);
    const id = /#(\d+) [^\n]*COPY --from=base/.exec(again.stderr)?.[1];
    expect(again.stderr).toContain(`#${id ?? 'none'} CACHED`);
    const after = JSON.parse((await cache(root, ['explain', '--format', 'json', dir])).stdout) as Array<{ cached: boolean }>;
    expect(after.every((s) => s.cached)).toBe(true);
  });

  it('explain rejects a missing context with a code', async () => {
    const r = await cache(root, ['explain', path.join(t.dir, 'nope')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('TSB2108');
  });
});
