// Converters for instructions that describe commands: RUN, CMD, ENTRYPOINT, SHELL, HEALTHCHECK.
import { atLeastOne, base, commandForm, typedHeredoc, upper } from './build-common.js';
import type { ParseContext } from './context.js';
import { DurationError, parseGoDuration } from './duration.js';
import { parseFlags, type FlagValues } from './flags.js';
import { CsvError, splitCsvFields } from './mount-fields.js';
import type { RawNode } from './raw-node.js';
import type { CmdInstruction, HealthcheckInstruction, RunInstruction, ShellInstruction } from './types.js';

const NETWORKS = new Set(['default', 'none', 'host']);
const SECURITY = new Set(['insecure', 'sandbox']);

/** Only what BuildKit checks before expansion: CSV syntax and a literal `from=`. */
function checkMount(value: string, node: RawNode, ctx: ParseContext): void {
  let fields: string[];
  try {
    fields = splitCsvFields(value);
  } catch (e) {
    if (!(e instanceof CsvError)) throw e;
    ctx.error('TSB1004', `failed to parse csv mounts: ${e.message}`, node, value);
    return;
  }
  for (const field of fields) {
    const eq = field.indexOf('=');
    if (eq < 0 || field.slice(0, eq).toLowerCase() !== 'from') continue;
    const v = field.slice(eq + 1);
    const dollar = v.indexOf('$');
    if (dollar !== -1 && dollar !== v.length - 1) {
      ctx.error('TSB1004', "'from' doesn't support variable expansion, define alias stage instead", node, field);
    }
  }
}

export function buildRun(node: RawNode, ctx: ParseContext): RunInstruction {
  const flags = parseFlags(node, { mount: 'strings', network: 'string', security: 'string', device: 'strings' }, ctx);
  const network = flags.string('network');
  if (network !== undefined && !NETWORKS.has(network)) ctx.error('TSB1004', `invalid network mode "${network}"`, node, '--network');
  const security = flags.string('security');
  if (security !== undefined && !SECURITY.has(security)) ctx.error('TSB1004', `security "${security}" is not valid`, node, '--security');
  for (const m of flags.list('mount')) checkMount(m, node, ctx);
  const run: RunInstruction = {
    kind: 'run',
    ...base(node, ctx),
    command: commandForm(node),
    heredocs: node.heredocs.map(typedHeredoc),
    mounts: flags.list('mount'),
  };
  if (network !== undefined) run.network = network;
  if (security !== undefined) run.security = security;
  if (flags.used.has('device')) run.devices = flags.list('device');
  return run;
}

export function buildCmd(node: RawNode, ctx: ParseContext): CmdInstruction {
  parseFlags(node, {}, ctx);
  const kind = node.instruction === 'entrypoint' ? 'entrypoint' : 'cmd';
  return { kind, ...base(node, ctx), command: commandForm(node) };
}

export function buildShell(node: RawNode, ctx: ParseContext): ShellInstruction | undefined {
  parseFlags(node, {}, ctx);
  if (node.args.length === 0) {
    atLeastOne(node, ctx);
    return undefined;
  }
  if (!node.json) {
    ctx.error('TSB1012', `${upper(node)} requires the arguments to be in JSON form`, node);
    return undefined;
  }
  return { kind: 'shell', ...base(node, ctx), shell: [...node.args] };
}

function interval(flags: FlagValues, name: string, node: RawNode, ctx: ParseContext): number | undefined {
  const s = flags.string(name);
  if (s === undefined || s === '') return undefined;
  try {
    const ns = parseGoDuration(s);
    if (ns === 0) return 0;
    if (ns < 1_000_000) {
      ctx.error('TSB1004', `Interval "${name}" cannot be less than 1ms`, node, `--${name}`);
      return undefined;
    }
    return ns;
  } catch (e) {
    if (!(e instanceof DurationError)) throw e;
    ctx.error('TSB1004', `--${name}: ${e.message}`, node, `--${name}`);
    return undefined;
  }
}

function retries(flags: FlagValues, node: RawNode, ctx: ParseContext): number | undefined {
  const s = flags.string('retries');
  if (s === undefined || s === '') return undefined;
  // strconv.ParseInt(s, 10, 32): optional sign, decimal digits, 32-bit range.
  const n = /^[+-]?[0-9]+$/.test(s) ? Number(s) : NaN;
  if (!Number.isInteger(n) || n > 2147483647 || n < -2147483648) {
    ctx.error('TSB1004', `--retries: invalid value "${s}"`, node, '--retries');
    return undefined;
  }
  if (n < 0) {
    ctx.error('TSB1004', `--retries cannot be negative (${n})`, node, '--retries');
    return undefined;
  }
  return n;
}

export function buildHealthcheck(node: RawNode, ctx: ParseContext): HealthcheckInstruction | undefined {
  const flags = parseFlags(
    node,
    { interval: 'string', timeout: 'string', 'start-period': 'string', 'start-interval': 'string', retries: 'string' },
    ctx,
  );
  if (!atLeastOne(node, ctx)) return undefined;
  const typ = (node.args[0] as string).toUpperCase();
  const rest = node.args.slice(1);
  if (typ === 'NONE') {
    if (rest.length !== 0) {
      ctx.error('TSB1005', 'HEALTHCHECK NONE takes no arguments', node);
      return undefined;
    }
    return { kind: 'healthcheck', ...base(node, ctx), test: ['NONE'] };
  }
  if (typ !== 'CMD') {
    ctx.error('TSB1012', `Unknown type "${typ}" in HEALTHCHECK (try CMD)`, node, node.args[0]);
    return undefined;
  }
  const cmd = node.json ? rest : rest.length === 0 ? [] : [rest.join(' ')];
  if (cmd.length === 0) {
    ctx.error('TSB1005', 'Missing command after HEALTHCHECK CMD', node);
    return undefined;
  }
  const hc: HealthcheckInstruction = { kind: 'healthcheck', ...base(node, ctx), test: [node.json ? 'CMD' : 'CMD-SHELL', ...cmd] };
  const values = {
    interval: interval(flags, 'interval', node, ctx),
    timeout: interval(flags, 'timeout', node, ctx),
    startPeriod: interval(flags, 'start-period', node, ctx),
    startInterval: interval(flags, 'start-interval', node, ctx),
    retries: retries(flags, node, ctx),
  };
  for (const [k, v] of Object.entries(values)) if (v !== undefined) hc[k as keyof typeof values] = v;
  return hc;
}
