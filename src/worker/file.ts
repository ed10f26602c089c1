// File ops (COPY/ADD, WORKDIR's mkdir) run in-process on a mounted snapshot.
import { TsbuildError } from '../core/index.js';
import { openRootfsSource, type BuildContext } from '../context/index.js';
import type { CopyAction, FileOp, MkdirAction } from '../graph/index.js';
import type { OpResult } from '../solver/index.js';
import { copyFiles, mkdirAllInRoot } from './copy/index.js';
import type { WorkerDeps } from './deps.js';
import { layerStep, withView } from './step.js';
import { resolveChown, resolveUser } from './user.js';

export async function runFileOp(deps: WorkerDeps, op: FileOp, inputs: readonly OpResult[], signal: AbortSignal): Promise<OpResult> {
  const a = op.action;
  return a.kind === 'copy' ? runCopy(deps, a, inputs, signal) : runMkdir(deps, a, inputs, signal);
}

async function runCopy(deps: WorkerDeps, a: CopyAction, inputs: readonly OpResult[], signal: AbortSignal): Promise<OpResult> {
  const withSource = async <T>(fn: (src: BuildContext) => Promise<T>): Promise<T> => {
    if (a.from.type === 'context') {
      const ctx = deps.contexts.get(a.from.name);
      if (!ctx) throw new TsbuildError('TSB2011', `build context "${a.from.name}" was not provided`);
      return fn(ctx);
    }
    return withView(deps, inputs[a.from.index], (dir) => fn(openRootfsSource(dir)), signal);
  };
  return layerStep(deps, inputs[0], async (root) => {
    await withSource(async (source) => {
      const chown = a.chown !== undefined ? await resolveChown(root, a.chown) : undefined;
      await copyFiles({
        source, sources: a.sources, inline: a.inline, destRoot: root, dest: a.dest, workdir: a.workdir,
        exclude: a.exclude, parents: a.parents, mode: a.mode, signal,
        ...(chown ? { chown } : {}),
        ...(a.chmod !== undefined ? { chmod: a.chmod } : {}),
      });
    });
  }, { signal });
}

async function runMkdir(deps: WorkerDeps, a: MkdirAction, inputs: readonly OpResult[], signal: AbortSignal): Promise<OpResult> {
  return layerStep(deps, inputs[0], async (root) => {
    const owner = a.owner ? await resolveUser(root, a.owner) : { uid: 0, gid: 0 };
    await mkdirAllInRoot(root, a.path, { owner: { uid: owner.uid, gid: owner.gid }, signal });
  }, { signal });
}
