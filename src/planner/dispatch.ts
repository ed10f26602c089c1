// Applies one typed instruction to a stage: config changes, history, and new vertices.
import { TsbuildError, type SourceLocation } from '../core/index.js';
import { vertex, type FileSource, type Op, type Vertex, type VertexMeta } from '../graph/index.js';
import { expandInstruction, expandWord, type Instruction } from '../parser/index.js';
import { addKeys, commandArgs, exposedPorts, resolveWorkdir, setEnv, validateStopSignal } from './metadata.js';
import { planRun } from './run.js';
import { lookupFor, shellOf, stepName, workdirOf, type DispatchContext, type StageState } from './stage-state.js';

export type { DispatchContext } from './stage-state.js';

const COMMENT = 'tsbuild.dockerfile.v0';

function record(s: StageState, ctx: DispatchContext, createdBy: string, v?: Vertex): void {
  s.history.push({ entry: { created: ctx.opts.created, created_by: createdBy, comment: COMMENT, ...(v ? {} : { empty_layer: true }) }, own: true, ...(v ? { vertex: v } : {}) });
}

function addLayerStep(s: StageState, op: Op, extraInputs: Vertex[], text: string, location: SourceLocation, extraMeta: Partial<VertexMeta> = {}): Vertex {
  const kind = (text.split(/\s/, 1)[0] ?? '').toUpperCase();
  const ordinal = s.layerVertices.filter((v) => v.meta.text.split(/\s/, 1)[0]?.toUpperCase() === kind).length + 1;
  const step = `${location.file}|${s.label}|${kind}#${ordinal}`;
  const v = vertex(op, [s.state, ...extraInputs], { name: stepName(s, text), stage: s.label, location, text, step, ...extraMeta });
  s.state = v;
  s.layerVertices.push(v);
  return v;
}

/** Leading tabs removed from every line, as `<<-` asks. */
function chompTabs(content: string): string {
  return content.replace(/^\t+/gm, '');
}

export async function dispatch(s: StageState, raw: Instruction, ctx: DispatchContext): Promise<void> {
  const loc = raw.location;
  const lookup = lookupFor(s);
  const needsExpansion = !['run', 'cmd', 'entrypoint', 'shell', 'onbuild', 'healthcheck', 'maintainer'].includes(raw.kind);
  const inst = needsExpansion ? expandInstruction(raw, { escape: ctx.escape, lookup }).instruction : raw;
  const cfg = s.image.config;

  switch (inst.kind) {
    case 'env':
      for (const { key, value } of inst.pairs) cfg.Env = setEnv(cfg.Env, key, value);
      record(s, ctx, `ENV ${inst.pairs.map((p) => `${p.key}=${p.value}`).join(' ')}`);
      return;
    case 'label':
      cfg.Labels = { ...(cfg.Labels ?? {}) };
      for (const { key, value } of inst.pairs) cfg.Labels[key] = value;
      record(s, ctx, `LABEL ${inst.pairs.map((p) => `${p.key}=${p.value}`).join(' ')}`);
      return;
    case 'maintainer':
      s.image.author = inst.name;
      record(s, ctx, `MAINTAINER ${inst.name}`);
      return;
    case 'expose': {
      const ports = exposedPorts(inst.ports, loc);
      cfg.ExposedPorts = addKeys(cfg.ExposedPorts, ports);
      record(s, ctx, `EXPOSE ${ports.join(' ')}`);
      return;
    }
    case 'volume':
      for (const p of inst.paths) if (p.trim() === '') throw new TsbuildError('TSB2008', 'VOLUME specified can not be an empty string', { location: loc });
      cfg.Volumes = addKeys(cfg.Volumes, inst.paths);
      record(s, ctx, `VOLUME [${inst.paths.join(' ')}]`);
      return;
    case 'user':
      cfg.User = inst.user;
      record(s, ctx, `USER ${inst.user}`);
      return;
    case 'stopsignal':
      cfg.StopSignal = validateStopSignal(inst.signal, loc);
      record(s, ctx, `STOPSIGNAL ${inst.signal}`);
      return;
    case 'shell':
      cfg.Shell = [...inst.shell];
      record(s, ctx, `SHELL ${JSON.stringify(inst.shell)}`);
      return;
    case 'cmd':
    case 'entrypoint': {
      const args = commandArgs(inst.command, shellOf(s));
      if (inst.kind === 'cmd') {
        cfg.Cmd = args;
        s.cmdSet = true;
      } else {
        cfg.Entrypoint = args;
        // An ENTRYPOINT resets a CMD inherited from the base, but not one set earlier in this stage.
        if (!s.cmdSet) cfg.Cmd = null;
      }
      if (inst.command.form === 'shell') cfg.ArgsEscaped = true;
      record(s, ctx, `${inst.kind.toUpperCase()} ${JSON.stringify(args)}`);
      return;
    }
    case 'healthcheck': {
      const hc: NonNullable<typeof cfg.Healthcheck> = { Test: [...inst.test] };
      if (inst.interval !== undefined) hc.Interval = inst.interval;
      if (inst.timeout !== undefined) hc.Timeout = inst.timeout;
      if (inst.startPeriod !== undefined) hc.StartPeriod = inst.startPeriod;
      if (inst.startInterval !== undefined) hc.StartInterval = inst.startInterval;
      if (inst.retries !== undefined) hc.Retries = inst.retries;
      cfg.Healthcheck = hc;
      record(s, ctx, `HEALTHCHECK ${JSON.stringify(hc)}`);
      return;
    }
    case 'onbuild':
      cfg.OnBuild = [...(cfg.OnBuild ?? []), inst.expression];
      record(s, ctx, `ONBUILD ${inst.expression}`);
      return;
    case 'arg':
      dispatchArg(s, inst.args, ctx);
      record(s, ctx, `ARG ${inst.args.map((a) => (a.value === undefined ? a.key : `${a.key}=${a.value}`)).join(' ')}`);
      return;
    case 'workdir': {
      const dir = resolveWorkdir(workdirOf(s), inst.path);
      cfg.WorkingDir = dir;
      const op: Op = { type: 'file', action: { kind: 'mkdir', path: dir, ...(cfg.User ? { owner: cfg.User } : {}) } };
      const v = addLayerStep(s, op, [], `WORKDIR ${dir}`, loc);
      record(s, ctx, `WORKDIR ${dir}`, v);
      return;
    }
    case 'copy':
    case 'add': {
      for (const src of inst.sources) {
        if (inst.kind === 'add' && /^(https?:\/\/|git@|git:\/\/)/.test(src) && !inst.heredocs.some((h) => h.name === src)) {
          throw new TsbuildError('TSB2009', `ADD from a URL or git repository is not supported yet: ${src}`, { location: loc });
        }
      }
      if (inst.checksum !== undefined) throw new TsbuildError('TSB2009', 'ADD --checksum is not supported yet', { location: loc });
      let from: FileSource = { type: 'context', name: '' };
      const extra: Vertex[] = [];
      if (inst.from !== undefined) {
        const r = await ctx.resolveFrom(inst.from, loc);
        if (r.vertex) {
          extra.push(r.vertex);
          from = { type: 'input', index: 1 };
        } else from = { type: 'context', name: r.context ?? '' };
      }
      const inline = inst.heredocs
        .filter((h) => inst.sources.includes(h.name))
        .map((h) => {
          const body = h.chomp ? chompTabs(h.content) : h.content;
          return { name: h.name, content: h.expand ? expandWord(body, { escape: ctx.escape, lookup }).value : body };
        });
      const op: Op = {
        type: 'file',
        action: {
          kind: 'copy', mode: inst.kind, from,
          sources: inst.sources.filter((x) => !inline.some((h) => h.name === x)),
          inline, dest: inst.dest, workdir: workdirOf(s), exclude: inst.exclude, parents: inst.parents, link: inst.link,
          ...(inst.chown !== undefined ? { chown: inst.chown } : {}),
          ...(inst.chmod !== undefined ? { chmod: inst.chmod } : {}),
        },
      };
      const v = addLayerStep(s, op, extra, inst.original, loc);
      record(s, ctx, inst.original, v);
      return;
    }
    case 'run': {
      const planned = await planRun(s, inst, ctx);
      const v = addLayerStep(s, planned.op, planned.inputs, inst.original, loc, { argNames: planned.argNames, extraEnv: planned.extraEnv });
      record(s, ctx, planned.createdBy, v);
      return;
    }
    case 'from':
      throw new TsbuildError('TSB9999', 'FROM dispatched inside a stage', { location: loc });
  }
}

function dispatchArg(s: StageState, args: Array<{ key: string; value?: string }>, ctx: DispatchContext): void {
  for (const { key, value } of args) {
    ctx.declaredArgs.add(key);
    let v: string | undefined = value;
    if (Object.prototype.hasOwnProperty.call(ctx.opts.buildArgs, key)) v = ctx.opts.buildArgs[key];
    else if (v === undefined && ctx.metaArgs.has(key)) v = ctx.metaArgs.get(key);
    s.args.set(key, v);
  }
}
