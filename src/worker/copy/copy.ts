// COPY/ADD: resolves sources and destination, then drives the tree copier (and ADD extraction).
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { TsbuildError, throwIfAborted } from '../../core/index.js';
import { cleanPath, hasWildcards, PatternError, PatternMatcher, type ContextEntry } from '../../context/index.js';
import { parseChmod } from './chmod.js';
import { destPath, mkdirAllInRoot, resolveInRoot, type DestPath } from './dest.js';
import { Copier, type Owner } from './tree.js';
import type { CopyRequest, CopyResult } from './types.js';
import { shouldUnpack, unpackInto } from './unpack.js';

function compileExclude(patterns: string[]): PatternMatcher | undefined {
  if (patterns.length === 0) return undefined;
  try {
    return new PatternMatcher(patterns);
  } catch (e) {
    if (!(e instanceof PatternError)) throw e;
    throw new TsbuildError('TSB2104', `invalid --exclude pattern ${JSON.stringify(e.pattern)}`, { cause: e });
  }
}

/** The non-wildcard leading components of a source word, normalized as select() does. */
function globBase(word: string, kind: 'context' | 'rootfs'): string | undefined {
  const rel = kind === 'rootfs' ? cleanPath('/' + word).slice(1) : cleanPath(word.replace(/^\/+/, '') || '.');
  const parts = rel === '.' || rel === '' ? [] : rel.split('/');
  const i = parts.findIndex((p) => hasWildcards(p));
  return i < 0 ? undefined : parts.slice(0, i).join('/');
}

class CopyRun {
  readonly copier: Copier;
  private readonly exclude: PatternMatcher | undefined;
  private readonly dirOwner: Owner;

  constructor(private readonly req: CopyRequest, private readonly dest: DestPath) {
    const chmod = req.chmod !== undefined ? parseChmod(req.chmod) : undefined;
    this.exclude = compileExclude(req.exclude);
    this.dirOwner = req.chown ?? { uid: 0, gid: 0 };
    this.copier = new Copier({
      source: req.source,
      ...(req.chown ? { chown: req.chown } : {}),
      ...(chmod ? { chmod } : {}),
      ...(req.signal ? { signal: req.signal } : {}),
    });
  }

  private get opts(): { signal?: AbortSignal } {
    return this.req.signal ? { signal: this.req.signal } : {};
  }

  /** The destination as a directory, created when missing. */
  private destDir(): Promise<string> {
    return mkdirAllInRoot(this.req.destRoot, this.dest.path, { owner: this.dirOwner, ...this.opts });
  }

  /** Where a non-directory named `name` lands: inside an existing directory, else the dest itself. */
  private async leafTarget(name: string): Promise<string> {
    const resolved = await resolveInRoot(this.req.destRoot, this.dest.path, this.opts);
    const st = await fsp.stat(resolved).catch(() => undefined);
    return st?.isDirectory() ? path.join(resolved, name) : resolved;
  }

  private async copyEntry(e: ContextEntry, filter: { exclude?: PatternMatcher; include?: PatternMatcher }): Promise<number> {
    if (this.req.mode === 'add' && (await shouldUnpack(e, this.req.signal))) {
      await unpackInto(e, await this.destDir(), { ...(this.req.chown ? { chown: this.req.chown } : {}), ...this.opts });
      this.copier.count(1, e.size);
      return 1;
    }
    if (e.type === 'dir') return this.copier.copyDirContents(e, await this.destDir(), filter);
    await this.copier.copyLeaf(e, await this.leafTarget(path.posix.basename(e.matched)));
    return 1;
  }

  /** Selects the entries of a source word (validating it) before anything is written. */
  async selectPlain(word: string): Promise<() => Promise<void>> {
    const entries = await this.req.source.select([word], this.opts);
    const base = globBase(word, this.req.source.kind);
    return async () => {
      for (const e of entries) {
        throwIfAborted(this.req.signal);
        // --exclude also filters the files a wildcard source matched, relative to its fixed part.
        if (base !== undefined && this.exclude && e.type !== 'dir') {
          const rel = base === '' ? e.matched : e.matched.slice(base.length + 1);
          if (this.exclude.matchesOrParentMatches(rel)) continue;
        }
        await this.copyEntry(e, this.exclude ? { exclude: this.exclude } : {});
        this.copier.check();
      }
    };
  }

  /** --parents: the part after an optional `/./` pivot is recreated below the destination. */
  async selectWithParents(word: string): Promise<() => Promise<void>> {
    const pivot = word.indexOf('/./');
    const baseWord = pivot < 0 ? '/' : word.slice(0, pivot) || '/';
    const pattern = pivot < 0 ? word : word.slice(pivot + 3);
    const relPattern = cleanPath(pattern.replace(/^\/+/, '') || '.');
    if (this.req.source.kind === 'context' && (relPattern === '..' || relPattern.startsWith('../'))) {
      throw new TsbuildError('TSB2102', `${word}: path escapes the build context`);
    }
    const include = relPattern === '.' ? undefined : new PatternMatcher([relPattern]);
    if (!hasWildcards(baseWord) && !hasWildcards(pattern)) {
      await this.req.source.select([`${baseWord.replace(/\/+$/, '')}/${relPattern}`], this.opts);
    }
    const bases = await this.req.source.select([baseWord], this.opts);
    return async () => {
      let copied = 0;
      for (const b of bases) {
        const filter = { ...(include ? { include } : {}), ...(this.exclude ? { exclude: this.exclude } : {}) };
        copied += b.type === 'dir' ? await this.copier.copyDirContents(b, await this.destDir(), filter) : await this.copyEntry(b, filter);
        this.copier.check();
      }
      if (copied === 0) throw new TsbuildError('TSB2101', `${word}: no source files were found`);
    };
  }

  async inline(doc: { name: string; content: string }): Promise<void> {
    this.copier.writeInline(doc.content, await this.leafTarget(path.posix.basename(doc.name)));
  }
}

/**
 * Runs one COPY/ADD into `destRoot` with Docker/BuildKit semantics: a directory source
 * copies its contents, a file goes inside a directory destination or becomes the
 * destination, symlinks are copied as symlinks (a named source is followed inside its
 * root), hardlinks, modes and mtimes are preserved, and the destination is resolved
 * inside `destRoot` as in a chroot.
 */
export async function copyFiles(req: CopyRequest): Promise<CopyResult> {
  throwIfAborted(req.signal);
  const inline = req.inline ?? [];
  const dest = destPath(req.dest, req.workdir);
  const count = req.sources.length + inline.length;
  if (count === 0) throw new TsbuildError('TSB2101', `no source given for ${req.dest}`);
  if (count > 1 && !dest.isDir) {
    throw new TsbuildError('TSB2107', `when copying more than one source the destination must be a directory ending with "/": ${req.dest}`);
  }
  const run = new CopyRun(req, dest);
  // Every source is resolved first, so a bad source fails the step before anything is written.
  const steps: Array<() => Promise<void>> = [];
  for (const word of req.sources) steps.push(await (req.parents ? run.selectWithParents(word) : run.selectPlain(word)));
  try {
    const parentDir = dest.isDir ? dest.path : path.posix.dirname(dest.path);
    await mkdirAllInRoot(req.destRoot, parentDir, { owner: req.chown ?? { uid: 0, gid: 0 }, ...(req.signal ? { signal: req.signal } : {}) });
    for (const step of steps) await step();
    for (const doc of inline) await run.inline(doc);
    await run.copier.finish();
  } catch (e) {
    await run.copier.abandon();
    throw e;
  }
  return { files: run.copier.files, bytes: run.copier.bytes };
}
