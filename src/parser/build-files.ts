// Converters for filesystem instructions: COPY, ADD, VOLUME, WORKDIR, USER.
import { atLeastOne, base, exactlyOne, typedHeredoc, upper } from './build-common.js';
import type { ParseContext } from './context.js';
import { parseFlags, type FlagKind } from './flags.js';
import { trimSpace } from './go-text.js';
import { parseHeredocWord } from './heredoc.js';
import type { RawNode } from './raw-node.js';
import { LexError, lexProcess } from './shell-lex.js';
import type { CopyInstruction, Heredoc, UserInstruction, VolumeInstruction, WorkdirInstruction } from './types.js';

const COPY_FLAGS: Record<string, FlagKind> = {
  chown: 'string',
  from: 'string',
  chmod: 'string',
  link: 'bool',
  exclude: 'strings',
  parents: 'bool',
};
const ADD_FLAGS: Record<string, FlagKind> = {
  chown: 'string',
  chmod: 'string',
  link: 'bool',
  'keep-git-dir': 'bool',
  checksum: 'string',
  unpack: 'bool',
  exclude: 'strings',
};

function safeHeredocWord(word: string): ReturnType<typeof parseHeredocWord> {
  try {
    return parseHeredocWord(word);
  } catch {
    return undefined;
  }
}

/** BuildKit refuses `--from` values that variable expansion would change. */
function checkFrom(from: string, node: RawNode, ctx: ParseContext): void {
  let same: boolean;
  try {
    same = lexProcess(from, { escapeToken: ctx.escapeToken }, () => undefined).word === from;
  } catch (e) {
    if (!(e instanceof LexError)) throw e;
    same = false;
  }
  if (!same) {
    ctx.error(
      'TSB1004',
      'variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround',
      node,
      '--from',
    );
  }
}

export function buildCopy(node: RawNode, ctx: ParseContext): CopyInstruction | undefined {
  const isAdd = node.instruction === 'add';
  const flags = parseFlags(node, isAdd ? ADD_FLAGS : COPY_FLAGS, ctx);
  if (node.args.length < 2) {
    ctx.error('TSB1005', `${upper(node)} requires at least two arguments, but only one was provided. Destination could not be determined`, node);
    return undefined;
  }
  const dest = node.args[node.args.length - 1] as string;
  if (safeHeredocWord(dest)) {
    ctx.error('TSB1012', `${upper(node)} cannot accept a heredoc as a destination`, node, dest);
    return undefined;
  }
  const bodies = new Map(node.heredocs.map((h) => [h.name, h]));
  const sources: string[] = [];
  const heredocs: Heredoc[] = [];
  for (const src of node.args.slice(0, -1)) {
    const marker = safeHeredocWord(src);
    if (!marker) {
      sources.push(src);
      continue;
    }
    const body = bodies.get(marker.name);
    sources.push(marker.name);
    heredocs.push(typedHeredoc({ name: marker.name, content: body?.content ?? '', chomp: marker.chomp, expand: marker.expand, fd: 0 }));
  }
  const from = flags.nonEmpty('from');
  if (from !== undefined) checkFrom(from, node, ctx);
  const inst: CopyInstruction = {
    kind: isAdd ? 'add' : 'copy',
    ...base(node, ctx),
    sources,
    dest,
    heredocs,
    link: flags.bool('link'),
    parents: flags.bool('parents'),
    exclude: flags.list('exclude'),
  };
  const optional = { from, chown: flags.nonEmpty('chown'), chmod: flags.nonEmpty('chmod'), checksum: flags.nonEmpty('checksum') };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) inst[k as keyof typeof optional] = v;
  if (isAdd) {
    if (flags.used.has('keep-git-dir')) inst.keepGitDir = flags.bool('keep-git-dir');
    if (flags.used.has('unpack')) inst.unpack = flags.bool('unpack');
  }
  return inst;
}

export function buildVolume(node: RawNode, ctx: ParseContext): VolumeInstruction | undefined {
  parseFlags(node, {}, ctx);
  if (!atLeastOne(node, ctx)) return undefined;
  const paths = node.args.map(trimSpace);
  if (paths.some((p) => p === '')) {
    ctx.error('TSB1012', 'VOLUME specified can not be an empty string', node);
    return undefined;
  }
  return { kind: 'volume', ...base(node, ctx), paths };
}

export function buildWorkdir(node: RawNode, ctx: ParseContext): WorkdirInstruction | undefined {
  parseFlags(node, {}, ctx);
  if (!exactlyOne(node, ctx)) return undefined;
  return { kind: 'workdir', ...base(node, ctx), path: node.args[0] as string };
}

export function buildUser(node: RawNode, ctx: ParseContext): UserInstruction | undefined {
  parseFlags(node, {}, ctx);
  if (!exactlyOne(node, ctx)) return undefined;
  return { kind: 'user', ...base(node, ctx), user: node.args[0] as string };
}
