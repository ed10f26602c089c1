// Resolving USER and COPY --chown specs through the image's /etc/passwd and /etc/group.
import { promises as fsp } from 'node:fs';
import { TsbuildError } from '../core/index.js';
import { resolveWithin } from '../context/index.js';

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

const MAX_ID = 2 ** 31 - 1;
const MAX_FILE_BYTES = 10 << 20;

function parseId(s: string): number | undefined {
  if (!/^[0-9]+$/.test(s)) return undefined;
  const n = Number(s);
  return n <= MAX_ID ? n : undefined;
}

function toInt(s: string | undefined): number {
  const n = Number.parseInt(s ?? '', 10);
  return Number.isFinite(n) ? n : 0;
}

/** Reads a file of the image with symlinks resolved inside the rootfs; undefined if absent. */
async function readImageFile(rootfs: string, file: string, signal?: AbortSignal): Promise<string | undefined> {
  const r = await resolveWithin(rootfs, file, { confine: 'chroot', ...(signal ? { signal } : {}) });
  if (r.missing) return undefined;
  try {
    const st = await fsp.stat(r.abs);
    if (!st.isFile()) return undefined;
    if (st.size > MAX_FILE_BYTES) throw new TsbuildError('TSB2106', `${file} in the image is larger than ${MAX_FILE_BYTES} bytes`);
    return await fsp.readFile(r.abs, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
}

function lines(text: string): string[][] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(':'));
}

export function parsePasswd(text: string): PasswdEntry[] {
  return lines(text).map((f) => ({ name: f[0] ?? '', uid: toInt(f[2]), gid: toInt(f[3]) }));
}

export function parseGroup(text: string): GroupEntry[] {
  return lines(text).map((f) => ({
    name: f[0] ?? '',
    gid: toInt(f[2]),
    members: (f[3] ?? '').split(',').map((m) => m.trim()).filter(Boolean),
  }));
}

function splitSpec(spec: string): { user: string; group?: string } {
  const i = spec.indexOf(':');
  return i < 0 ? { user: spec } : { user: spec.slice(0, i), group: spec.slice(i + 1) };
}

function notFound(kind: 'user' | 'group', name: string, spec: string, why = ''): TsbuildError {
  return new TsbuildError('TSB2106', `${kind} ${JSON.stringify(name)} not found${why} (from ${JSON.stringify(spec)})`);
}

/**
 * Looks up a group argument: a name must exist in /etc/group; a number may match a group
 * by name or gid, or is used as is.
 */
function lookupGroup(groups: GroupEntry[] | undefined, group: string, spec: string): number {
  const id = parseId(group);
  const found = groups?.find((g) => (id !== undefined ? g.name === group || g.gid === id : g.name === group));
  if (found) return found.gid;
  if (id !== undefined) return id;
  throw notFound('group', group, spec, groups ? '' : ' (the image has no /etc/group)');
}

/**
 * USER semantics (as runc/Docker): `name`, `uid`, `name:group`, `uid:gid`, `uid:group`…
 * A numeric uid absent from /etc/passwd runs with gid 0; supplementary groups come from
 * /etc/group for users found in /etc/passwd when no group is given. Unknown names → TSB2106.
 */
export async function resolveUser(rootfs: string, spec: string, signal?: AbortSignal): Promise<ResolvedUser> {
  const { user, group } = splitSpec(spec.trim());
  const passwdText = await readImageFile(rootfs, '/etc/passwd', signal);
  const users = passwdText === undefined ? undefined : parsePasswd(passwdText);
  const uidArg = parseId(user);
  if (user !== '' && uidArg === undefined && /^[0-9]+$/.test(user)) throw notFound('user', user, spec, ' (uid out of range)');
  let uid = 0;
  let gid = 0;
  let matchedName: string | undefined;
  const found =
    user === ''
      ? users?.find((u) => u.uid === 0)
      : users?.find((u) => (uidArg !== undefined ? u.name === user || u.uid === uidArg : u.name === user));
  if (found) {
    uid = found.uid;
    gid = found.gid;
    matchedName = found.name;
  } else if (uidArg !== undefined) {
    uid = uidArg;
  } else if (user !== '') {
    throw notFound('user', user, spec, users ? '' : ' (the image has no /etc/passwd)');
  }
  const additionalGids: number[] = [];
  if ((group !== undefined && group !== '') || matchedName !== undefined) {
    const groupText = await readImageFile(rootfs, '/etc/group', signal);
    const groups = groupText === undefined ? undefined : parseGroup(groupText);
    if (group !== undefined && group !== '') {
      gid = lookupGroup(groups, group, spec);
    } else if (groups && matchedName !== undefined) {
      const name = matchedName;
      for (const g of groups) if (g.members.includes(name)) additionalGids.push(g.gid);
    }
  }
  return { uid, gid, additionalGids };
}

/**
 * COPY/ADD --chown semantics (as BuildKit): `user`, `user:group`, `uid`, `uid:gid`. A named
 * user gets its primary group unless a group is given; a bare numeric uid gets gid = uid.
 * Names are looked up in the image; unknown names → TSB2106.
 */
export async function resolveChown(rootfs: string, spec: string, signal?: AbortSignal): Promise<{ uid: number; gid: number }> {
  const { user, group } = splitSpec(spec.trim());
  if (user === '') throw new TsbuildError('TSB2106', `invalid --chown value ${JSON.stringify(spec)}: no user given`);
  let uid: number;
  let gid: number;
  const uidArg = parseId(user);
  if (uidArg !== undefined) {
    uid = uidArg;
    gid = uidArg;
  } else {
    if (/^[0-9]+$/.test(user)) throw notFound('user', user, spec, ' (uid out of range)');
    const text = await readImageFile(rootfs, '/etc/passwd', signal);
    const found = text === undefined ? undefined : parsePasswd(text).find((u) => u.name === user);
    if (!found) throw notFound('user', user, spec, text === undefined ? ' (the image has no /etc/passwd)' : '');
    uid = found.uid;
    gid = found.gid;
  }
  if (group !== undefined && group !== '') {
    const gidArg = parseId(group);
    if (gidArg !== undefined) {
      gid = gidArg;
    } else {
      const text = await readImageFile(rootfs, '/etc/group', signal);
      const found = text === undefined ? undefined : parseGroup(text).find((g) => g.name === group);
      if (!found) throw notFound('group', group, spec, text === undefined ? ' (the image has no /etc/group)' : '');
      gid = found.gid;
    }
  }
  return { uid, gid };
}
