// Names in archives: OCI layout ref.name annotations and docker-archive RepoTags from reference names.
import { TsbuildError } from '../core/index.js';
import { Annotation } from './mediatypes.js';
import { isTag, parseReference } from './reference.js';

/**
 * Annotations for an OCI index entry named `refName`: a bare tag becomes ref.name as is; a full
 * reference contributes its tag as ref.name and its normalized form as the containerd image name.
 */
export function refAnnotations(refName: string): Record<string, string> {
  if (isTag(refName) && !refName.includes('/')) return { [Annotation.refName]: refName };
  const ref = parseReference(refName);
  if (ref.tag === undefined) throw new TsbuildError('TSB4104', `reference ${JSON.stringify(refName)} has no tag to name a layout entry by`);
  return { [Annotation.imageName]: ref.toString(), [Annotation.refName]: ref.tag };
}

/** `name:tag` as `docker save` writes it in RepoTags (familiar form, digest not allowed). */
export function repoTag(name: string): { repo: string; tag: string; familiar: string } {
  const ref = parseReference(name);
  if (ref.digest !== undefined || ref.tag === undefined) {
    throw new TsbuildError('TSB4104', `docker archive tag ${JSON.stringify(name)} must be name:tag without a digest`);
  }
  return { repo: ref.familiarName, tag: ref.tag, familiar: `${ref.familiarName}:${ref.tag}` };
}
