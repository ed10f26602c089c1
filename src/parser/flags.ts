// Instruction flags (`--name=value`) checked against each instruction's accepted set, like
// BuildKit's BFlags, but reporting every bad flag rather than the first.
import type { ParseContext } from './context.js';
import type { RawNode } from './raw-node.js';

export type FlagKind = 'bool' | 'string' | 'strings';

export class FlagValues {
  readonly used = new Set<string>();
  readonly strings = new Map<string, string>();
  readonly lists = new Map<string, string[]>();
  readonly bools = new Map<string, boolean>();

  string(name: string): string | undefined {
    return this.strings.get(name);
  }

  /** A string flag's value, treating an empty value as absent. */
  nonEmpty(name: string): string | undefined {
    const v = this.strings.get(name);
    return v === '' ? undefined : v;
  }

  list(name: string): string[] {
    return this.lists.get(name) ?? [];
  }

  bool(name: string): boolean {
    return this.bools.get(name) ?? false;
  }
}

export function parseFlags(node: RawNode, spec: Readonly<Record<string, FlagKind>>, ctx: ParseContext): FlagValues {
  const out = new FlagValues();
  const keyword = node.keyword.toUpperCase();
  for (const arg of node.flags) {
    // A bare `--` ends the flags (POSIX utility syntax).
    if (arg === '--') break;
    if (!arg.startsWith('--')) {
      ctx.error('TSB1003', `${keyword}: arg should start with -- : ${arg}`, node, arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flagName = eq < 0 ? arg : arg.slice(0, eq);
    const hasValue = eq >= 0;
    const value = hasValue ? arg.slice(eq + 1) : '';
    const name = flagName.slice(2);
    const kind = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (kind === undefined) {
      const known = Object.keys(spec).map((k) => `--${k}`);
      const hint = known.length > 0 ? ` (${keyword} accepts ${known.join(', ')})` : ` (${keyword} accepts no flags)`;
      ctx.error('TSB1003', `unknown flag: ${flagName}${hint}`, node, flagName);
      continue;
    }
    if (out.used.has(name) && kind !== 'strings') {
      ctx.error('TSB1004', `duplicate flag specified: ${flagName}`, node, flagName);
      continue;
    }
    out.used.add(name);
    if (kind === 'bool') {
      if (hasValue && value === '') {
        ctx.error('TSB1004', `missing a value on flag: ${flagName}`, node, flagName);
        continue;
      }
      const v = value.toLowerCase();
      if (v !== 'true' && v !== 'false' && v !== '') {
        ctx.error('TSB1004', `expecting boolean value for flag ${flagName}, not: ${value}`, node, flagName);
        continue;
      }
      out.bools.set(name, v !== 'false');
      continue;
    }
    if (!hasValue) {
      ctx.error('TSB1004', `missing a value on flag: ${flagName}`, node, flagName);
      continue;
    }
    if (kind === 'string') out.strings.set(name, value);
    else out.lists.set(name, [...out.list(name), value]);
  }
  return out;
}
