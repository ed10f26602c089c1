// Raw node → typed instruction dispatch, including ONBUILD and its trigger.
import { base, upper } from './build-common.js';
import { buildCmd, buildHealthcheck, buildRun, buildShell } from './build-exec.js';
import { buildCopy, buildUser, buildVolume, buildWorkdir } from './build-files.js';
import { buildArg, buildExpose, buildFrom, buildKeyValues, buildMaintainer, buildStopsignal } from './build-meta.js';
import type { ParseContext } from './context.js';
import { parseFlags } from './flags.js';
import type { RawNode } from './raw-node.js';
import type { Instruction, OnbuildInstruction } from './types.js';

type Builder = (node: RawNode, ctx: ParseContext) => Instruction | undefined;

const BUILDERS: Record<string, Builder> = {
  from: buildFrom,
  run: buildRun,
  cmd: buildCmd,
  entrypoint: buildCmd,
  shell: buildShell,
  healthcheck: buildHealthcheck,
  copy: buildCopy,
  add: buildCopy,
  volume: buildVolume,
  workdir: buildWorkdir,
  user: buildUser,
  env: buildKeyValues,
  label: buildKeyValues,
  maintainer: buildMaintainer,
  expose: buildExpose,
  arg: buildArg,
  stopsignal: buildStopsignal,
  onbuild: buildOnbuild,
};

const KNOWN = Object.keys(BUILDERS).map((k) => k.toUpperCase());

/** Converts one node, recording problems in `ctx`; undefined when the node is unusable. */
export function buildInstruction(node: RawNode, ctx: ParseContext): Instruction | undefined {
  const builder = Object.hasOwn(BUILDERS, node.instruction) ? BUILDERS[node.instruction] : undefined;
  if (!builder) {
    ctx.error('TSB1002', `unknown instruction: ${node.keyword} (expected one of ${KNOWN.join(', ')})`, node, node.keyword);
    return undefined;
  }
  return builder(node, ctx);
}

/** The trigger as the image config stores it: ONBUILD removed, heredoc bodies appended. */
function onbuildExpression(node: RawNode): string {
  let expr = node.original.replace(/^[\t\n\f\r ]*ONBUILD[\t\n\f\r ]*/i, '');
  for (const h of node.heredocs) expr += '\n' + h.content + h.name;
  return expr;
}

function buildOnbuild(node: RawNode, ctx: ParseContext): OnbuildInstruction | undefined {
  parseFlags(node, {}, ctx);
  const child = node.child;
  if (!child) {
    ctx.error('TSB1005', 'ONBUILD requires at least one argument', node);
    return undefined;
  }
  const trigger = upper(child).trim();
  if (trigger === 'ONBUILD') {
    ctx.error('TSB1012', 'Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed', node, child.keyword);
    return undefined;
  }
  if (trigger === 'MAINTAINER' || trigger === 'FROM') {
    ctx.error('TSB1012', `${trigger} isn't allowed as an ONBUILD trigger`, node, child.keyword);
    return undefined;
  }
  // The trigger runs in a later build; checking it now reports mistakes where they are written.
  const typed = buildInstruction({ ...child, heredocs: node.heredocs }, ctx);
  if (!typed) return undefined;
  return { kind: 'onbuild', ...base(node, ctx), expression: onbuildExpression(node), trigger: typed };
}
