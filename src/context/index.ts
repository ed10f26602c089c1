// Public face of context: build contexts, .dockerignore, Go-compatible globbing, safe paths.
export type { BuildContext, ContextEntry, EntryType, ScanEntry, StatScan, WalkOptions } from './types.js';
export { openContext, openRootfsSource } from './context.js';
export { contextFromTarOrDockerfile } from './stdin.js';
export { loadDockerignore, parseIgnoreText, compileIgnore, type IgnorePattern } from './dockerignore.js';
export { PatternMatcher, PatternError, Pattern, type MatchInfo } from './patternmatcher.js';
export { match, isBadPattern, hasWildcards } from './match.js';
export { resolveWithin, type ResolveOptions, type ResolvedPath } from './rootpath.js';
export { cleanPath, joinPath, compareBytes } from './paths.js';
export { statEntry } from './stat.js';
export { StatCache } from './statcache.js';
export { digestSelection, filesDigest, hashSelection, type HashSelectionOptions, type SelectionDigest } from './hash.js';
