// Planner inputs and outputs: options, the image resolver, and the plan for each stage.
import type { Descriptor, Digest, Platform, SourceLocation } from '../core/index.js';
import type { Vertex } from '../graph/index.js';
import type { ContainerConfig, HistoryEntry, ImageConfig } from '../image/index.js';

/** The runtime part of an OCI image config (OCI field names). */
export type RuntimeConfig = ContainerConfig;

export type { HistoryEntry };

/** The full OCI image config document; the planner always has a runtime part. */
export type ImageConfigFile = ImageConfig & { config: ContainerConfig };

/** A base image found by the resolver. */
export interface ResolvedImage {
  /** Normalized reference (or the build-context name). */
  ref: string;
  manifest: Descriptor;
  config: ImageConfigFile;
  origin: { kind: 'store' } | { kind: 'oci-layout'; dir: string };
}

export interface ImageResolver {
  resolve(ref: string, platform: Platform, signal?: AbortSignal): Promise<ResolvedImage | undefined>;
}

export type BuildContextSpec =
  | { kind: 'dir'; dir: string }
  | { kind: 'oci-layout'; dir: string; tag?: string; digest?: Digest };

export interface PlanOptions {
  buildArgs: Record<string, string>;
  target?: string;
  platform: Platform;
  buildPlatform: Platform;
  labels: Record<string, string>;
  /** Named contexts from `--build-context NAME=…` (names lower-cased). */
  buildContexts: Record<string, BuildContextSpec>;
  /** Seconds since the epoch for every `created` field (SOURCE_DATE_EPOCH), else the current time. */
  created: string;
  images: ImageResolver;
  signal?: AbortSignal;
}

/** One history entry; `vertex` is set for steps that may produce a layer. */
export interface PlannedHistory {
  entry: HistoryEntry;
  vertex?: Vertex;
  /** Written by an instruction of this build (not inherited from a base image's config). */
  own?: boolean;
}

export interface StagePlan {
  name: string;
  index: number;
  /** The vertex holding the stage's final filesystem. */
  root: Vertex;
  /** The base image when the stage starts from one (its layers come first). */
  base?: ResolvedImage;
  /** The chain of this stage's layer-producing vertices, after the base. */
  layerVertices: Vertex[];
  image: ImageConfigFile;
  history: PlannedHistory[];
}

export interface PlanWarning {
  code: string;
  message: string;
  location?: SourceLocation;
}

export interface BuildPlan {
  target: StagePlan;
  /** Every stage the target needs, in dependency order (the target last). */
  stages: StagePlan[];
  warnings: PlanWarning[];
}
