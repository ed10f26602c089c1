// Assembles the final image (config + manifest) from the plan and the solved layers.
import { TsbuildError, type Descriptor, type Digest } from '../core/index.js';
import type { ContentStore } from '../content/index.js';
import type { HistoryEntry, ImageConfigFile, StagePlan } from '../planner/index.js';
import type { OpResult } from '../solver/index.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
/** Docker layer media types mapped to their OCI names: same bytes, OCI manifest. */
const LAYER_TYPES: Record<string, string> = {
  'application/vnd.docker.image.rootfs.diff.tar': 'application/vnd.oci.image.layer.v1.tar',
  'application/vnd.docker.image.rootfs.diff.tar.gzip': 'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.docker.image.rootfs.diff.tar.zstd': 'application/vnd.oci.image.layer.v1.tar+zstd',
};

export interface AssembledImage {
  manifest: Descriptor;
  config: Descriptor;
  layers: Descriptor[];
}

interface ManifestDoc {
  layers: Descriptor[];
}

/** The image config with keys in a fixed order, so equal images serialize to equal bytes. */
function orderedConfig(img: ImageConfigFile, diffIds: Digest[], history: HistoryEntry[]): Record<string, unknown> {
  const c = img.config;
  const config: Record<string, unknown> = {};
  const put = (k: string, v: unknown): void => {
    if (v !== undefined) config[k] = v;
  };
  put('User', c.User);
  put('ExposedPorts', c.ExposedPorts);
  put('Env', c.Env);
  put('Entrypoint', c.Entrypoint ?? undefined);
  put('Cmd', c.Cmd ?? undefined);
  put('Volumes', c.Volumes);
  put('WorkingDir', c.WorkingDir);
  put('Labels', c.Labels);
  put('StopSignal', c.StopSignal);
  put('Healthcheck', c.Healthcheck);
  put('OnBuild', c.OnBuild && c.OnBuild.length > 0 ? c.OnBuild : undefined);
  put('Shell', c.Shell);
  put('ArgsEscaped', c.ArgsEscaped);
  const doc: Record<string, unknown> = {};
  if (img.created) doc.created = img.created;
  if (img.author) doc.author = img.author;
  doc.architecture = img.architecture;
  doc.os = img.os;
  if (img.variant) doc.variant = img.variant;
  doc.config = config;
  doc.rootfs = { type: 'layers', diff_ids: diffIds };
  doc.history = history.map((h) => {
    const e: Record<string, unknown> = {};
    for (const k of ['created', 'created_by', 'author', 'comment', 'empty_layer'] as const) if (h[k] !== undefined) e[k] = h[k];
    return e;
  });
  return doc;
}

/** A history entry on its way into the config; `made` is when its layer was first made. */
export interface Stamped {
  entry: HistoryEntry;
  own: boolean;
  made?: string | undefined;
}

/** Times for the image: `now` (or SOURCE_DATE_EPOCH, which `fixed` says, and then is used for everything). */
export interface ImageTimes {
  now: string;
  fixed: boolean;
  /** The base image's `created`, for an image that adds no layer of its own. */
  base?: string | undefined;
}

/**
 * Without SOURCE_DATE_EPOCH a step's history entry carries the time its result was first made
 * (kept in its cache record), and the image's `created` is the newest of those; entries without
 * a layer take the time of the layer before them. So a rebuild served entirely from cache is the
 * same image, byte for byte, as BuildKit's is.
 */
export function stampTimes(history: Stamped[], t: ImageTimes): string {
  if (t.fixed) return t.now;
  const made = history.flatMap((h) => (h.made !== undefined ? [h.made] : []));
  // Compared as instants: the same time can be written with or without fractional seconds.
  const image = made.length > 0 ? made.reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a)) : (t.base ?? t.now);
  let last: string | undefined;
  for (const h of history) {
    if (h.made !== undefined) last = h.made;
    // Entries inherited from a base image keep their own times.
    if (h.own) h.entry.created = h.made ?? last ?? image;
  }
  return image;
}

export async function assembleImage(
  content: ContentStore,
  target: StagePlan,
  results: ReadonlyMap<string, OpResult>,
  times: ImageTimes,
): Promise<AssembledImage> {
  const layers: Descriptor[] = [];
  const diffIds: Digest[] = [];
  if (target.base) {
    const m = await content.readJson<ManifestDoc>(target.base.manifest.digest);
    for (const l of m.layers) layers.push({ mediaType: LAYER_TYPES[l.mediaType] ?? l.mediaType, digest: l.digest, size: l.size });
    diffIds.push(...target.base.config.rootfs.diff_ids);
  }
  const stamped: Stamped[] = [];
  for (const h of target.history) {
    if (!h.vertex) {
      stamped.push({ entry: { ...h.entry }, own: h.own === true });
      continue;
    }
    const r = results.get(h.vertex.digest);
    if (!r) throw new TsbuildError('TSB9999', `no result for step ${h.vertex.meta.name}`);
    if (r.layer) {
      layers.push({ mediaType: r.layer.mediaType, digest: r.layer.digest, size: r.layer.size });
      diffIds.push(r.layer.diffId);
      const { empty_layer: _drop, ...rest } = h.entry;
      stamped.push({ entry: rest, own: true, made: r.created ?? times.now });
    } else stamped.push({ entry: { ...h.entry, empty_layer: true }, own: true });
  }
  const created = stampTimes(stamped, { ...times, base: target.base?.config.created });
  const history = stamped.map((h) => h.entry);
  const img: ImageConfigFile = { ...target.image, created };
  const configBytes = Buffer.from(JSON.stringify(orderedConfig(img, diffIds, history)));
  const cfg = await content.putBuffer(configBytes);
  const config: Descriptor = { mediaType: OCI_CONFIG, digest: cfg.digest, size: cfg.size };
  const manifestDoc = { schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers };
  const man = await content.putBuffer(Buffer.from(JSON.stringify(manifestDoc)));
  return { manifest: { mediaType: OCI_MANIFEST, digest: man.digest, size: man.size }, config, layers };
}
