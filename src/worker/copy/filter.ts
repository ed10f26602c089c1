// Include/exclude filtering below a directory source, evaluated incrementally down a walk.
import type { MatchInfo, PatternMatcher } from '../../context/index.js';
import { match } from '../../context/index.js';

/** Filters applied below a directory source, relative to it (BuildKit's include/exclude). */
export interface TreeFilter {
  exclude?: PatternMatcher;
  include?: PatternMatcher;
}

interface FilterState {
  excluded: boolean;
  included: boolean;
  excludeInfo: MatchInfo | undefined;
  includeInfo: MatchInfo | undefined;
}

/**
 * Answers "is this path copied?" and "is this directory worth entering?" for paths relative
 * to the source directory. Parent results are cached per directory only, so a walk over many
 * files keeps one entry per directory.
 */
export class FilterWalk {
  private readonly dirs = new Map<string, FilterState>();

  constructor(private readonly filter: TreeFilter) {}

  /** True when neither filter is set: every entry is copied. */
  get empty(): boolean {
    return !this.filter.exclude && !this.filter.include;
  }

  private compute(rel: string): FilterState {
    const slash = rel.lastIndexOf('/');
    const parent = slash < 0 ? undefined : this.dirState(rel.slice(0, slash));
    const ex = this.filter.exclude?.matchesUsingParentResults(rel, parent?.excludeInfo);
    const inc = this.filter.include?.matchesUsingParentResults(rel, parent?.includeInfo);
    return {
      excluded: ex?.matched ?? false,
      included: inc ? inc.matched : true,
      excludeInfo: ex?.info,
      includeInfo: inc?.info,
    };
  }

  private dirState(rel: string): FilterState {
    const hit = this.dirs.get(rel);
    if (hit) return hit;
    const s = this.compute(rel);
    this.dirs.set(rel, s);
    return s;
  }

  /** Whether the walk must descend into directory `rel`. */
  enter(rel: string): boolean {
    const s = this.dirState(rel);
    if (s.excluded && !(this.filter.exclude?.hasExclusions ?? false)) return false;
    if (!s.included && this.filter.include && !couldMatchBelow(this.filter.include, rel)) return false;
    return true;
  }

  /** Whether entry `rel` itself is left out. */
  skips(rel: string, isDir: boolean): boolean {
    const s = isDir ? this.dirState(rel) : this.compute(rel);
    return s.excluded || !s.included;
  }
}

/** Whether some include pattern could still match below `dir` (used to prune the walk). */
function couldMatchBelow(include: PatternMatcher, dir: string): boolean {
  const dparts = dir.split('/');
  return include.patterns.some((p) => {
    if (p.exclusion) return false;
    const comps = p.text.split('/');
    for (let i = 0; i < dparts.length; i++) {
      const c = comps[i];
      if (c === undefined || c.includes('**')) return true;
      try {
        if (!match(c, dparts[i] as string)) return false;
      } catch {
        return true;
      }
    }
    return true;
  });
}
