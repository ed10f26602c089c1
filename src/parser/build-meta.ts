// Converters for stage and metadata instructions: FROM, ENV, LABEL, MAINTAINER, EXPOSE, ARG, STOPSIGNAL.
import { atLeastOne, base, exactlyOne, upper } from './build-common.js';
import type { ParseContext } from './context.js';
import { parseFlags } from './flags.js';
import { compareBytes } from './go-text.js';
import type { RawNode } from './raw-node.js';
import type {
  ArgInstruction,
  EnvInstruction,
  ExposeInstruction,
  FromInstruction,
  KeyValue,
  MaintainerInstruction,
  StopsignalInstruction,
} from './types.js';

const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

export function buildFrom(node: RawNode, ctx: ParseContext): FromInstruction | undefined {
  const flags = parseFlags(node, { platform: 'string' }, ctx);
  const args = node.args;
  let stageName: string | undefined;
  if (args.length === 3 && (args[1] as string).toLowerCase() === 'as') {
    stageName = (args[2] as string).toLowerCase();
    if (!STAGE_NAME.test(stageName)) {
      ctx.error('TSB2004', `invalid name for build stage: "${args[2]}", name can't start with a number or contain symbols`, node, args[2]);
      return undefined;
    }
  } else if (args.length !== 1) {
    ctx.error('TSB1005', 'FROM requires either one or three arguments', node);
    return undefined;
  }
  const from: FromInstruction = { kind: 'from', ...base(node, ctx), image: args[0] as string };
  if (stageName !== undefined) from.stageName = stageName;
  const platform = flags.nonEmpty('platform');
  if (platform !== undefined) from.platform = platform;
  return from;
}

export function buildKeyValues(node: RawNode, ctx: ParseContext): EnvInstruction | undefined {
  parseFlags(node, {}, ctx);
  if (!atLeastOne(node, ctx)) return undefined;
  const pairs: KeyValue[] = [];
  for (let j = 0; j < node.args.length; j += 3) {
    const key = node.args[j] as string;
    if (key === '') {
      ctx.error('TSB1012', `${upper(node)} names can not be blank`, node);
      return undefined;
    }
    pairs.push({ key, value: node.args[j + 1] ?? '' });
  }
  return { kind: node.instruction === 'label' ? 'label' : 'env', ...base(node, ctx), pairs };
}

export function buildMaintainer(node: RawNode, ctx: ParseContext): MaintainerInstruction | undefined {
  parseFlags(node, {}, ctx);
  ctx.warn('TSB1014', 'The MAINTAINER instruction is deprecated, use a label instead to define an image author', node);
  if (!exactlyOne(node, ctx)) return undefined;
  return { kind: 'maintainer', ...base(node, ctx), name: node.args[0] as string };
}

export function buildExpose(node: RawNode, ctx: ParseContext): ExposeInstruction | undefined {
  parseFlags(node, {}, ctx);
  if (!atLeastOne(node, ctx)) return undefined;
  // BuildKit sorts the raw port words at parse time.
  return { kind: 'expose', ...base(node, ctx), ports: [...node.args].sort(compareBytes) };
}

export function buildArg(node: RawNode, ctx: ParseContext): ArgInstruction | undefined {
  parseFlags(node, {}, ctx);
  if (!atLeastOne(node, ctx)) return undefined;
  const args: ArgInstruction['args'] = [];
  for (const word of node.args) {
    const eq = word.indexOf('=');
    if (eq < 0) {
      args.push({ key: word });
      continue;
    }
    if (eq === 0) {
      ctx.error('TSB1012', 'ARG names can not be blank', node, word);
      return undefined;
    }
    args.push({ key: word.slice(0, eq), value: word.slice(eq + 1) });
  }
  return { kind: 'arg', ...base(node, ctx), args };
}

export function buildStopsignal(node: RawNode, ctx: ParseContext): StopsignalInstruction | undefined {
  parseFlags(node, {}, ctx);
  if (!exactlyOne(node, ctx)) return undefined;
  return { kind: 'stopsignal', ...base(node, ctx), signal: node.args[0] as string };
}
