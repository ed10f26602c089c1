// RUN: the exec op (command, environment, user, mounts, network) and its history text.
import { TsbuildError } from '../core/index.js';
import type { ExecOp, RunMount, Vertex } from '../graph/index.js';
import { expandWord, type RunInstruction } from '../parser/index.js';
import { envMap } from './metadata.js';
import { parseMount } from './mounts.js';
import { PROXY_ARGS } from './platform.js';
import { lookupFor, shellOf, workdirOf, type DispatchContext, type StageState } from './stage-state.js';

export interface PlannedRun {
  op: ExecOp;
  argNames: string[];
  extraEnv: string[];
  inputs: Vertex[];
  createdBy: string;
}

/** The shell script a heredoc RUN stands for: the command line, then each heredoc and its terminator. */
function heredocScript(inst: RunInstruction, command: string): string {
  let script = command;
  for (const h of inst.heredocs) script += `\n${h.content}${h.content.endsWith('\n') || h.content === '' ? '' : '\n'}${h.name}`;
  return script;
}

export async function planRun(s: StageState, inst: RunInstruction, ctx: DispatchContext): Promise<PlannedRun> {
  const loc = inst.location;
  const lookup = lookupFor(s);
  const shell = shellOf(s);
  let args: string[];
  if (inst.command.form === 'exec') args = [...inst.command.args];
  else if (inst.heredocs.length > 0) {
    const only = inst.heredocs.length === 1 && /^<<-?(["']?)[^\s"']+\1$/.test(inst.command.command.trim()) ? inst.heredocs[0] : undefined;
    // A lone heredoc is the script itself (its `#!` line, if any, picks the interpreter);
    // otherwise the shell sees the command with its heredocs, as it would in a script.
    if (only && only.content.startsWith('#!')) {
      const firstLine = only.content.split('\n', 1)[0] ?? '';
      args = [...shell, heredocScript(inst, `${firstLine.slice(2).trim()} <<'${only.name}'`)];
    } else if (only) args = [...shell, only.content];
    else args = [...shell, heredocScript(inst, inst.command.command)];
  } else args = [...shell, inst.command.command];

  const env = envMap(s.image.config.Env);
  const argEnv: string[] = [];
  for (const [k, v] of s.args) if (v !== undefined && !env.has(k)) argEnv.push(`${k}=${v}`);
  // Undeclared proxy ARGs reach RUN but, as in BuildKit, never the cache key or the history.
  const proxyEnv: string[] = [];
  for (const k of Object.keys(ctx.opts.buildArgs)) {
    if (PROXY_ARGS.has(k) && !s.args.has(k) && !env.has(k)) proxyEnv.push(`${k}=${ctx.opts.buildArgs[k] ?? ''}`);
  }
  const inputs: Vertex[] = [];
  const mounts: RunMount[] = [];
  for (const raw of inst.mounts) {
    const spec = expandWord(raw, { escape: ctx.escape, lookup }).value;
    const parsed = parseMount(spec, workdirOf(s), loc);
    let m = parsed.mount;
    if (parsed.from !== undefined && (m.type === 'bind' || m.type === 'cache')) {
      const r = await ctx.resolveFrom(parsed.from, loc);
      if (r.vertex) {
        inputs.push(r.vertex);
        m = { ...m, from: { type: 'input', index: inputs.length } };
      } else m = { ...m, from: { type: 'context', name: r.context ?? '' } };
    }
    mounts.push(m);
  }
  const network = inst.network === undefined ? 'default' : expandWord(inst.network, { escape: ctx.escape, lookup }).value;
  if (!['default', 'none', 'host'].includes(network)) throw new TsbuildError('TSB1004', `invalid RUN --network "${network}": default, none or host`, { location: loc });
  const security = inst.security ?? 'sandbox';
  if (security !== 'sandbox' && security !== 'insecure') throw new TsbuildError('TSB1004', `invalid RUN --security "${security}": sandbox or insecure`, { location: loc });

  const op: ExecOp = {
    type: 'exec',
    args,
    env: [...(s.image.config.Env ?? []), ...argEnv],
    cwd: workdirOf(s),
    user: s.image.config.User ?? '',
    network: network === 'none' ? 'none' : 'host',
    security,
    mounts,
    hostname: 'tsbuild',
  };
  const createdBy = `RUN ${argEnv.length ? `|${argEnv.length} ${argEnv.join(' ')} ` : ''}${args.join(' ')}`;
  return { op, inputs, createdBy, argNames: argEnv.map((kv) => kv.slice(0, kv.indexOf('='))), extraEnv: proxyEnv };
}
