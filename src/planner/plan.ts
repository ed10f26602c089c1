// plan(): turns a parsed Dockerfile into the op DAG and image config of the target stage.
import { DiagnosticsError, TsbuildError, type SourceLocation } from '../core/index.js';
import { vertex, type Vertex } from '../graph/index.js';
import { expandWord, parseDockerfile, type Dockerfile, type FromInstruction, type Instruction, type Stage } from '../parser/index.js';
import { dispatch, type DispatchContext } from './dispatch.js';
import { cloneRuntime } from './metadata.js';
import { formatPlatform, parsePlatform, platformArgs, PROXY_ARGS } from './platform.js';
import { DEFAULT_PATH, type StageState } from './stage-state.js';
import type { BuildPlan, ImageConfigFile, PlanOptions, PlanWarning, ResolvedImage, StagePlan } from './types.js';

const LAYER_KINDS = new Set(['run', 'copy', 'add', 'workdir']);

export async function plan(df: Dockerfile, opts: PlanOptions): Promise<BuildPlan> {
  return new Planner(df, opts).run();
}

class Planner {
  private readonly plans = new Map<number, StagePlan>();
  private readonly inProgress = new Set<number>();
  private readonly warnings: PlanWarning[] = [];
  private readonly declaredArgs = new Set<string>();
  private readonly metaArgs = new Map<string, string | undefined>();
  private readonly order: StagePlan[] = [];

  constructor(private readonly df: Dockerfile, private readonly opts: PlanOptions) {}

  async run(): Promise<BuildPlan> {
    if (this.df.stages.length === 0) throw new TsbuildError('TSB1006', `${this.df.file}: no FROM instruction`);
    const auto = platformArgs(this.opts.platform, this.opts.buildPlatform);
    for (const [k, v] of Object.entries(auto)) this.metaArgs.set(k, v);
    for (const inst of this.df.globalArgs) {
      for (const { key, value } of inst.args) {
        this.declaredArgs.add(key);
        const lookup = (n: string): string | undefined => this.metaArgs.get(n);
        const dflt = value === undefined ? undefined : expandWord(value, { escape: this.df.directives.escape, lookup }).value;
        this.metaArgs.set(key, Object.prototype.hasOwnProperty.call(this.opts.buildArgs, key) ? this.opts.buildArgs[key] : dflt);
      }
    }
    const target = this.targetIndex();
    const targetPlan = await this.planStage(target);
    for (const k of Object.keys(this.opts.buildArgs)) {
      if (!this.declaredArgs.has(k) && !PROXY_ARGS.has(k) && !(k in auto)) {
        this.warnings.push({ code: 'UndefinedArg', message: `build argument "${k}" was not consumed by any ARG` });
      }
    }
    if (Object.keys(this.opts.labels).length > 0) {
      targetPlan.image.config.Labels = { ...(targetPlan.image.config.Labels ?? {}), ...this.opts.labels };
    }
    return { target: targetPlan, stages: this.order, warnings: this.warnings };
  }

  private targetIndex(): number {
    const t = this.opts.target;
    if (t === undefined) return this.df.stages.length - 1;
    const i = this.df.stages.findIndex((s) => s.name === t.toLowerCase());
    if (i < 0) {
      const names = this.df.stages.map((s) => s.name).filter(Boolean).join(', ');
      throw new TsbuildError('TSB2001', `target stage "${t}" not found in ${this.df.file}${names ? ` (stages: ${names})` : ''}`);
    }
    return i;
  }

  private stageByRef(ref: string): Stage | undefined {
    const lower = ref.toLowerCase();
    const named = this.df.stages.find((s) => s.name === lower);
    if (named) return named;
    if (/^\d+$/.test(ref)) return this.df.stages[Number(ref)];
    return undefined;
  }

  private async planStage(index: number, from?: SourceLocation): Promise<StagePlan> {
    const done = this.plans.get(index);
    if (done) return done;
    const stage = this.df.stages[index];
    if (!stage) throw new TsbuildError('TSB2001', `stage ${index} does not exist`, from ? { location: from } : {});
    if (this.inProgress.has(index)) {
      throw new TsbuildError('TSB2002', `circular dependency on stage "${stage.name ?? index}"`, from ? { location: from } : {});
    }
    this.inProgress.add(index);
    const state = await this.startStage(stage);
    const ctx = this.dispatchContext(index);
    for (const inst of state.triggers) await this.dispatchOne(state.s, inst, ctx);
    for (const inst of stage.instructions) await this.dispatchOne(state.s, inst, ctx);
    const s = state.s;
    const result: StagePlan = {
      name: stage.name ?? String(index), index, root: s.state, layerVertices: s.layerVertices, image: s.image, history: s.history,
      ...(s.base ? { base: s.base } : {}),
    };
    this.inProgress.delete(index);
    this.plans.set(index, result);
    this.order.push(result);
    return result;
  }

  private async dispatchOne(s: StageState, inst: Instruction, ctx: DispatchContext): Promise<void> {
    try {
      await dispatch(s, inst, ctx);
    } catch (e) {
      if (e instanceof TsbuildError && !e.location && !(e instanceof DiagnosticsError)) {
        throw new TsbuildError(e.code, e.message, { location: inst.location, cause: e });
      }
      throw e;
    }
  }

  private dispatchContext(index: number): DispatchContext {
    return {
      opts: this.opts,
      escape: this.df.directives.escape,
      warnings: this.warnings,
      declaredArgs: this.declaredArgs,
      metaArgs: this.metaArgs,
      resolveFrom: async (word, location) => {
        const named = this.opts.buildContexts[word.toLowerCase()];
        if (named?.kind === 'dir') return { context: word.toLowerCase() };
        const st = named ? undefined : this.stageByRef(word);
        if (st) {
          if (st.index === index) throw new TsbuildError('TSB2002', `stage "${word}" cannot copy from itself`, { location });
          return { vertex: (await this.planStage(st.index, location)).root };
        }
        const img = await this.resolveImage(word, location);
        return { vertex: this.sourceVertex(img, `[internal] load ${img.ref}`, location, '') };
      },
    };
  }

  private async resolveImage(ref: string, location: SourceLocation): Promise<ResolvedImage> {
    let img: ResolvedImage | undefined;
    try {
      img = await this.opts.images.resolve(ref, this.opts.platform, this.opts.signal);
    } catch (e) {
      // A bare name that is neither a stage nor a reachable image was most likely meant as a stage.
      if (/^[a-z0-9][a-z0-9_.-]*$/i.test(ref) && e instanceof TsbuildError) {
        const names = this.df.stages.map((st) => st.name).filter(Boolean).join(', ');
        throw new TsbuildError('TSB2001', `"${ref}" is neither a stage${names ? ` (stages: ${names})` : ''} nor an image that could be pulled: ${e.message}`, { location, cause: e });
      }
      throw e;
    }
    if (!img) {
      throw new TsbuildError('TSB2005', `base image "${ref}" not found in the local store (load it with \`tsbuild image load\` or name a --build-context)`, { location });
    }
    return img;
  }

  private sourceVertex(img: ResolvedImage | undefined, name: string, location: SourceLocation, stage: string): Vertex {
    const op = img
      ? { type: 'source' as const, ref: img.ref, manifest: img.manifest.digest, origin: img.origin, platform: this.opts.platform }
      : { type: 'source' as const, ref: 'scratch', platform: this.opts.platform };
    return vertex(op, [], { name, stage, location, text: name, step: `${location.file}|${stage}|FROM` });
  }

  private async startStage(stage: Stage): Promise<{ s: StageState; triggers: Instruction[] }> {
    const from = stage.from;
    const escape = this.df.directives.escape;
    const lookup = (n: string): string | undefined => this.metaArgs.get(n);
    const imageWord = expandWord(from.image, { escape, lookup }).value;
    if (from.platform !== undefined) parsePlatform(expandWord(from.platform, { escape, lookup }).value, from.location);
    const label = stage.name ?? (this.df.stages.length > 1 ? `stage-${stage.index}` : '');
    const totalSteps = 1 + stage.instructions.filter((i) => LAYER_KINDS.has(i.kind)).length;
    const fromText = `FROM ${imageWord}`;
    const stepLabel = `[${label ? `${label} ` : ''}1/${totalSteps}]`;
    const base: Omit<StageState, 'state' | 'image' | 'history'> = {
      index: stage.index, label, layerVertices: [], args: new Map(), cmdSet: false, step: 1, totalSteps,
    };
    const parentStage = this.stageByRef(imageWord);
    if (parentStage && parentStage.index !== stage.index && parentStage.index < stage.index) {
      const p = await this.planStage(parentStage.index, from.location);
      const s: StageState = {
        ...base, state: p.root, layerVertices: [...p.layerVertices], image: structuredClone(p.image), history: [...p.history],
        ...(p.base ? { base: p.base } : {}),
      };
      s.image.config = cloneRuntime(p.image.config);
      return { s, triggers: [] };
    }
    if (imageWord.toLowerCase() === 'scratch') {
      const image: ImageConfigFile = {
        architecture: this.opts.platform.architecture, os: this.opts.platform.os,
        ...(this.opts.platform.variant ? { variant: this.opts.platform.variant } : {}),
        config: { Env: [`PATH=${DEFAULT_PATH}`] }, rootfs: { type: 'layers', diff_ids: [] }, history: [],
      };
      const v = this.sourceVertex(undefined, `${stepLabel} ${fromText}`, from.location, label);
      return { s: { ...base, state: v, image, history: [] }, triggers: [] };
    }
    const named = this.opts.buildContexts[imageWord.toLowerCase()];
    if (named?.kind === 'dir') throw new TsbuildError('TSB2009', `FROM a local directory context ("${imageWord}") is not supported yet`, { location: from.location });
    const img = await this.resolveImage(imageWord, from.location);
    const v = this.sourceVertex(img, `${stepLabel} FROM ${img.ref}@${img.manifest.digest}`, from.location, label);
    const image = structuredClone(img.config);
    image.history = [];
    const history = (img.config.history ?? []).map((entry) => ({ entry }));
    const triggers = this.onbuildTriggers(img, from);
    image.config.OnBuild = null;
    if (!image.config.Env?.some((e) => e.startsWith('PATH='))) image.config.Env = [...(image.config.Env ?? []), `PATH=${DEFAULT_PATH}`];
    image.architecture = this.opts.platform.architecture;
    image.os = this.opts.platform.os;
    return { s: { ...base, state: v, base: img, image, history, totalSteps: totalSteps + triggers.filter((i) => LAYER_KINDS.has(i.kind)).length }, triggers };
  }

  /** ONBUILD triggers of the base image, parsed and located at the FROM that runs them. */
  private onbuildTriggers(img: ResolvedImage, from: FromInstruction): Instruction[] {
    const triggers = img.config.config.OnBuild ?? [];
    if (triggers.length === 0) return [];
    const text = `FROM scratch\n${triggers.join('\n')}\n`;
    const parsed = parseDockerfile(text, `${from.location.file} (ONBUILD of ${img.ref})`);
    return (parsed.dockerfile.stages[0]?.instructions ?? []).map((i) => ({ ...i, location: from.location }));
  }
}

export { formatPlatform };
