// Public face of registry: the distribution API client (resolve, pull, push) and registry credentials.
export { type RegistryOptions, apiHost, allowsHttp } from './options.js';
export { resolve, MANIFEST_ACCEPT } from './manifest.js';
export { pullImage, type PullOptions, type PullResult } from './pull.js';
export { pushImage, type PushOptions } from './push.js';
export { type BlobOutcome, DEFAULT_CHUNK_THRESHOLD } from './upload.js';
export { login, logout } from './login.js';
export { getCredential, authKey, type Credential } from './credentials.js';
export { parseChallenges, type Challenge } from './challenge.js';
export { fetchManifestOnly, pullBlobs } from './blobs.js';
