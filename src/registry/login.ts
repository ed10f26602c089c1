// `login` checks credentials against the registry before saving them; `logout` forgets them.
import { TsbuildError } from '../core/index.js';
import { Session } from './client.js';
import { eraseCredential, storeCredential } from './credentials.js';
import { canonicalHost, type RegistryOptions } from './options.js';

/** Verifies `user`/`password` against `host` (GET /v2/ or a token request) and stores them; TSB4202 when refused. */
export async function login(host: string, user: string, password: string, opts: RegistryOptions = {}): Promise<void> {
  const h = canonicalHost(host);
  if (h === '') throw new TsbuildError('TSB4202', 'login needs a registry host');
  if (user === '' || password === '') throw new TsbuildError('TSB4202', `login to ${h} needs a username and a password`);
  const cred = { username: user, password };
  const session = new Session(opts);
  try {
    const client = session.client(h);
    client.useCredential(cred);
    await client.checkAuth();
  } finally {
    session.close();
  }
  await storeCredential(h, cred, opts);
}

/** Removes stored credentials for `host`; returns whether there were any. */
export async function logout(host: string, opts: RegistryOptions = {}): Promise<boolean> {
  return eraseCredential(canonicalHost(host), opts);
}
