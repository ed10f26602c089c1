// Shared vocabulary: digests, descriptors, platforms and mounts as plain data.

/** An OCI content digest, e.g. `sha256:0123…`. */
export type Digest = `sha256:${string}`;

/** OCI content descriptor. */
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform;
  urls?: string[];
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

/** A filesystem mount described as data (as containerd does); applied by whoever needs it. */
export interface Mount {
  type: string;
  source: string;
  options: string[];
}

export function isDigest(s: string): s is Digest {
  return /^sha256:[a-f0-9]{64}$/.test(s);
}
