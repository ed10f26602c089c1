// The diagnostic catalog: every stable TSBnnnn code tsbuild can report, grouped by phase.
// 1xxx syntax, 2xxx planning (2100-2199: build context and COPY/ADD), 3xxx execution
// (3100-3199: layer diff/apply), 4xxx store/export/registry, 5xxx environment.
// Codes are never reused or renumbered; add new ones at the end of their section.

export interface DiagnosticInfo {
  category: 'syntax' | 'plan' | 'context' | 'exec' | 'layer' | 'store' | 'image' | 'registry' | 'environment' | 'usage' | 'internal';
  message: string;
}

export const DIAGNOSTICS = {
  // ---- 1xxx: Dockerfile syntax (parser) ----
  TSB1001: { category: 'syntax', message: 'Dockerfile syntax error' },
  TSB1002: { category: 'syntax', message: 'unknown instruction' },
  TSB1003: { category: 'syntax', message: 'unknown flag' },
  TSB1004: { category: 'syntax', message: 'invalid flag value' },
  TSB1005: { category: 'syntax', message: 'wrong number of arguments' },
  TSB1006: { category: 'syntax', message: 'Dockerfile is empty (no instructions)' },
  TSB1007: { category: 'syntax', message: 'unterminated heredoc' },
  TSB1008: { category: 'syntax', message: 'invalid variable substitution' },
  TSB1009: { category: 'syntax', message: 'required variable is not set' },
  TSB1010: { category: 'syntax', message: 'instruction before the first FROM' },
  TSB1011: { category: 'syntax', message: 'invalid parser directive' },
  TSB1012: { category: 'syntax', message: 'invalid instruction argument' },
  TSB1013: { category: 'syntax', message: 'syntax directive ignored' },
  TSB1014: { category: 'syntax', message: 'deprecated instruction' },
  TSB1015: { category: 'syntax', message: 'empty continuation line' },
  // ---- 2xxx: planning ----
  TSB2001: { category: 'plan', message: 'unknown stage' },
  TSB2002: { category: 'plan', message: 'circular dependency between stages' },
  TSB2003: { category: 'plan', message: 'duplicate stage name' },
  TSB2004: { category: 'plan', message: 'invalid stage name' },
  TSB2005: { category: 'plan', message: 'base image not found' },
  TSB2006: { category: 'plan', message: 'invalid image reference' },
  TSB2007: { category: 'plan', message: 'invalid build argument' },
  TSB2008: { category: 'plan', message: 'invalid value after expansion' },
  TSB2009: { category: 'plan', message: 'not supported yet' },
  TSB2010: { category: 'plan', message: 'invalid platform' },
  TSB2011: { category: 'plan', message: 'invalid build context source' },
  // ---- 2100-2199: build context and COPY/ADD ----
  TSB2101: { category: 'context', message: 'COPY/ADD source not found' },
  TSB2102: { category: 'context', message: 'path escapes the build context' },
  TSB2103: { category: 'context', message: 'invalid .dockerignore pattern' },
  TSB2104: { category: 'context', message: 'invalid glob pattern' },
  TSB2105: { category: 'context', message: 'invalid --chmod value' },
  TSB2106: { category: 'context', message: 'user or group not found' },
  TSB2107: { category: 'context', message: 'invalid COPY/ADD destination' },
  TSB2108: { category: 'context', message: 'build context not found' },
  TSB2109: { category: 'context', message: 'invalid archive' },
  // ---- 3xxx: execution ----
  TSB3001: { category: 'exec', message: 'RUN step failed' },
  TSB3002: { category: 'exec', message: 'RUN step killed: out of memory' },
  TSB3003: { category: 'exec', message: 'RUN step killed by a signal' },
  TSB3004: { category: 'exec', message: 'invalid --mount' },
  TSB3005: { category: 'exec', message: 'secret not provided' },
  TSB3006: { category: 'exec', message: 'insecure entitlement not allowed' },
  TSB3007: { category: 'exec', message: 'container runtime failed' },
  TSB3008: { category: 'exec', message: 'build cancelled' },
  TSB3009: { category: 'exec', message: 'snapshot not found' },
  TSB3010: { category: 'exec', message: 'snapshot already exists' },
  TSB3011: { category: 'exec', message: 'snapshot has children' },
  TSB3012: { category: 'exec', message: 'invalid snapshot state for this operation' },
  TSB3013: { category: 'exec', message: 'mount or unmount failed' },
  TSB3014: { category: 'exec', message: 'invalid exec request' },
  TSB3015: { category: 'exec', message: 'snapshot copy failed' },
  // ---- 3100-3199: layer diff and apply ----
  TSB3101: { category: 'layer', message: 'unsafe layer entry' },
  TSB3102: { category: 'layer', message: 'invalid layer archive' },
  TSB3103: { category: 'layer', message: 'unsupported compression' },
  TSB3104: { category: 'layer', message: 'required system tool not found' },
  TSB3105: { category: 'layer', message: 'system tool failed' },
  TSB3106: { category: 'layer', message: 'cannot compute snapshot diff' },
  // ---- 4xxx: store, export, registry ----
  TSB4001: { category: 'store', message: 'content digest mismatch' },
  TSB4002: { category: 'store', message: 'content not found' },
  TSB4003: { category: 'store', message: 'image not found' },
  TSB4004: { category: 'store', message: 'store is locked' },
  TSB4005: { category: 'store', message: 'store is corrupt' },
  TSB4006: { category: 'store', message: 'invalid output specification' },
  TSB4007: { category: 'store', message: 'export failed' },
  TSB4008: { category: 'store', message: 'invalid digest' },
  TSB4009: { category: 'store', message: 'cache record not found' },
  TSB4010: { category: 'store', message: 'ambiguous cache key prefix' },
  // ---- 4100-4199: image archives ----
  TSB4101: { category: 'image', message: 'invalid image archive' },
  TSB4102: { category: 'image', message: 'unsupported media type' },
  TSB4103: { category: 'image', message: 'image reference not found in archive' },
  TSB4104: { category: 'image', message: 'invalid image reference' },
  TSB4105: { category: 'image', message: 'no image for the requested platform' },
  // ---- 4200-4299: registry ----
  TSB4201: { category: 'registry', message: 'registry request failed' },
  TSB4202: { category: 'registry', message: 'registry authentication failed' },
  TSB4203: { category: 'registry', message: 'manifest not found' },
  TSB4204: { category: 'registry', message: 'platform not found in image index' },
  TSB4205: { category: 'registry', message: 'unsupported or malformed registry response' },
  TSB4206: { category: 'registry', message: 'credential helper failed' },
  TSB4207: { category: 'registry', message: 'registry credentials file is unreadable' },
  // ---- 5xxx: environment ----
  TSB5001: { category: 'environment', message: 'this operation needs root' },
  TSB5002: { category: 'environment', message: 'overlayfs is not available' },
  TSB5003: { category: 'environment', message: 'container runtime not found' },
  TSB5004: { category: 'environment', message: 'cgroups are not usable' },
  TSB5005: { category: 'environment', message: 'unsupported operating system' },
  TSB5006: { category: 'environment', message: 'mount tool not found' },
  // ---- 9xxx: usage and internal ----
  TSB9001: { category: 'usage', message: 'invalid command-line usage' },
  TSB9999: { category: 'internal', message: 'internal error' },
} as const satisfies Record<string, DiagnosticInfo>;

export type DiagnosticCode = keyof typeof DIAGNOSTICS;
