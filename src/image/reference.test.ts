// Table tests for image reference parsing and normalization.
import { describe, expect, it } from 'vitest';
import { TsbuildError } from '../core/index.js';
import { parseReference } from './index.js';

const D = `sha256:${'a'.repeat(64)}`;

describe('parseReference', () => {
  it.each([
    ['busybox', 'docker.io', 'library/busybox', 'latest', undefined, 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['busybox:1.36', 'docker.io', 'library/busybox', '1.36', undefined, 'docker.io/library/busybox:1.36', 'busybox:1.36'],
    ['library/busybox', 'docker.io', 'library/busybox', 'latest', undefined, 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['docker.io/busybox', 'docker.io', 'library/busybox', 'latest', undefined, 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['index.docker.io/library/busybox', 'docker.io', 'library/busybox', 'latest', undefined, 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['user/app:v2', 'docker.io', 'user/app', 'v2', undefined, 'docker.io/user/app:v2', 'user/app:v2'],
    ['library/a/b', 'docker.io', 'library/a/b', 'latest', undefined, 'docker.io/library/a/b:latest', 'library/a/b:latest'],
    ['localhost/app', 'localhost', 'app', 'latest', undefined, 'localhost/app:latest', 'localhost/app:latest'],
    ['localhost:5000/team/app:1', 'localhost:5000', 'team/app', '1', undefined, 'localhost:5000/team/app:1', 'localhost:5000/team/app:1'],
    ['reg.example.com:443/x/y_z.w-1:tag_1.2-3', 'reg.example.com:443', 'x/y_z.w-1', 'tag_1.2-3', undefined, 'reg.example.com:443/x/y_z.w-1:tag_1.2-3', 'reg.example.com:443/x/y_z.w-1:tag_1.2-3'],
    ['Example.COM/app', 'Example.COM', 'app', 'latest', undefined, 'Example.COM/app:latest', 'Example.COM/app:latest'],
    ['[::1]:5000/app', '[::1]:5000', 'app', 'latest', undefined, '[::1]:5000/app:latest', '[::1]:5000/app:latest'],
    [`busybox@${D}`, 'docker.io', 'library/busybox', undefined, D, `docker.io/library/busybox@${D}`, `busybox@${D}`],
    [`busybox:1@${D}`, 'docker.io', 'library/busybox', '1', D, `docker.io/library/busybox:1@${D}`, `busybox:1@${D}`],
    [`ghcr.io/o/r@${D}`, 'ghcr.io', 'o/r', undefined, D, `ghcr.io/o/r@${D}`, `ghcr.io/o/r@${D}`],
    ['a__b/c--d', 'docker.io', 'a__b/c--d', 'latest', undefined, 'docker.io/a__b/c--d:latest', 'a__b/c--d:latest'],
  ])('%s', (input, domain, path, tag, digest, full, familiar) => {
    const r = parseReference(input);
    expect(r.domain).toBe(domain);
    expect(r.path).toBe(path);
    expect(r.tag).toBe(tag);
    expect(r.digest).toBe(digest);
    expect(r.name).toBe(`${domain}/${path}`);
    expect(r.toString()).toBe(full);
    expect(`${r}`).toBe(full);
    expect(r.familiar).toBe(familiar);
    // Normalizing twice gives the same result.
    expect(parseReference(full).toString()).toBe(full);
  });

  it.each([
    [''],
    ['Busybox'],
    ['user/App'],
    ['busybox:'],
    ['busybox:tag with space'],
    [':tag'],
    ['/busybox'],
    ['busybox/'],
    ['a//b'],
    ['busybox@sha256:abc'],
    ['busybox@md5:0123'],
    [`busybox@sha256:${'A'.repeat(64)}`],
    ['a'.repeat(64).replace(/a/g, 'f')],
    ['-leading/x'],
    ['x_/y'],
    ['host:port/x'],
    [`busybox:${'t'.repeat(129)}`],
    [`example.com/${'a'.repeat(250)}`],
    ['busybox@@x'],
  ])('rejects %j with TSB4104 naming it', (input) => {
    let err: unknown;
    try {
      parseReference(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TsbuildError);
    expect((err as TsbuildError).code).toBe('TSB4104');
    expect((err as TsbuildError).message).toContain(JSON.stringify(input));
  });
});
