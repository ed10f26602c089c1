// `tsbuild cache ls|du|inspect|explain|prune`: look into the build cache and reclaim its space.
import { Command } from 'commander';
import path from 'node:path';
import { explainBuild, findCacheRecord, listCacheRecords, prune, storeUsage, type PruneReport } from '../../pipeline/index.js';
import { parsePlatform, parseSize } from '../../planner/index.js';
import { collect, keyValues } from '../options.js';
import { guarded, rootOf, type Ctx } from './common.js';

/** Decimal units, as `docker system df` prints them. */
export function humanSize(n: number): string {
  if (n < 1000) return `${n}B`;
  const units = ['kB', 'MB', 'GB', 'TB', 'PB'];
  let v = n;
  let i = -1;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)}${units[i] ?? ''}`;
}

/** "5 minutes ago", "About an hour ago", "3 days ago". */
export function humanAgo(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  if (Number.isNaN(s)) return 'unknown';
  const plural = (n: number, unit: string): string => `${n} ${unit}${n === 1 ? '' : 's'} ago`;
  if (s < 1) return 'Less than a second ago';
  if (s < 60) return plural(s, 'second');
  const m = Math.floor(s / 60);
  if (m < 60) return m === 1 ? 'About a minute ago' : plural(m, 'minute');
  const h = Math.floor(m / 60);
  if (h < 48) return h === 1 ? 'About an hour ago' : plural(h, 'hour');
  const d = Math.floor(h / 24);
  if (d < 14) return plural(d, 'day');
  if (d < 60) return plural(Math.floor(d / 7), 'week');
  if (d < 730) return plural(Math.floor(d / 30), 'month');
  return plural(Math.floor(d / 365), 'year');
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `24h`, `30m`, `7d`, `1h30m`, `2w` → milliseconds; undefined when malformed. */
export function parseDuration(v: string): number | undefined {
  const text = v.trim();
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d|w))+$/.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)) total += Number(m[1]) * (DURATION_UNITS[m[2] ?? ''] ?? 0);
  return total;
}

function shown(file: string, cwd: string): string {
  const rel = path.relative(cwd, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

function cut(s: string, n: number): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
}


function format(ctx: Ctx, f: string): 'table' | 'json' {
  if (f !== 'table' && f !== 'json') throw ctx.usage(`invalid --format "${f}": expected table or json`);
  return f;
}

function pruneSummary(r: PruneReport): string {
  const parts = [
    `${r.records} cache records`, `${r.snapshots} snapshots`, `${r.activeSnapshots} stale active snapshots`, `${r.blobs} blobs`,
    `${r.ingest} ingest files`, `${r.cacheMounts} cache mounts`, `${r.logs} logs`, `${r.tmp} scratch dirs`,
  ];
  if (r.mounts > 0) parts.push(`${r.mounts} leftover mounts`);
  const held = r.heldByLeases > 0 ? `\nKept for running builds: ${humanSize(r.heldByLeases)}` : '';
  return `Deleted: ${parts.join(', ')}${held}\nTotal reclaimed: ${humanSize(r.reclaimed)}\n`;
}

interface PruneFlags { all?: boolean; keepStorage?: string; filter: string[]; dryRun?: boolean; format: string }
interface ExplainFlags { file?: string; buildArg: string[]; target?: string; buildContext: string[]; platform?: string; format: string }

export function cacheCommand(ctx: Ctx): Command {
  const cmd = new Command('cache').description('inspect and prune the build cache');
  cmd.command('ls').description('list cache records, most recently used first').option('--format <fmt>', 'table or json', 'table')
    .action(guarded(ctx, async (f: { format: string }) => {
      const rows = await listCacheRecords(rootOf(ctx));
      if (format(ctx, f.format) === 'json') {
        const out = rows.map(({ record: { preimage: _p, ...rest }, diskSize }) => ({ ...rest, diskSize }));
        return ctx.host.stdout(`${JSON.stringify(out, null, 2)}\n`);
      }
      ctx.host.stdout(`${'KEY'.padEnd(13)}${'SIZE'.padEnd(9)}${'CREATED'.padEnd(21)}${'LAST USED'.padEnd(21)}${'STEP'.padEnd(42)}LOCATION\n`);
      for (const { record: r, diskSize } of rows) {
        const where = r.location ? `${shown(r.location.file, ctx.host.cwd)}:${r.location.line}` : '';
        ctx.host.stdout(`${r.key.slice(0, 12).padEnd(13)}${humanSize(diskSize).padEnd(9)}${humanAgo(r.created).padEnd(21)}${humanAgo(r.lastUsed).padEnd(21)}${cut(r.name, 40).padEnd(42)}${where}\n`);
      }
    }));
  cmd.command('du').description('disk usage of the store (allocated bytes, as du -s --block-size=1)').option('--format <fmt>', 'table or json', 'table')
    .action(guarded(ctx, async (f: { format: string }) => {
      const u = await storeUsage(rootOf(ctx), ctx.host.signal);
      if (format(ctx, f.format) === 'json') return ctx.host.stdout(`${JSON.stringify(u, null, 2)}\n`);
      const line = (k: string, v: number): string => `${k.padEnd(16)}${humanSize(v).padStart(10)}  ${v}\n`;
      ctx.host.stdout(
        line('Blobs:', u.byKind.blobs) + line('Snapshots:', u.byKind.snapshots) + line('Cache mounts:', u.byKind.cacheMounts) +
        line('Logs:', u.byKind.logs) + line('Other:', u.byKind.other) + line('Total:', u.total) + line('Reclaimable:', u.reclaimable) +
        line('Shared:', u.shared) + `${'Cache records:'.padEnd(16)}${String(u.records).padStart(10)}\n`,
      );
    }));
  cmd.command('inspect').description('print a cache record (key or unique key prefix) as JSON').argument('<key>')
    .action(guarded(ctx, async (key: string) => {
      ctx.host.stdout(`${JSON.stringify(await findCacheRecord(rootOf(ctx), key), null, 2)}\n`);
    }));
  cmd.command('explain').description('say which steps of a build would miss the cache and why, without building').argument('<context>')
    .option('-f, --file <path>', 'Dockerfile path (default: CONTEXT/Dockerfile)')
    .option('--build-arg <k=v>', 'set a build-time variable (repeatable)', collect, [])
    .option('--target <stage>', 'explain this stage')
    .option('--build-context <name=src>', 'extra named context (repeatable)', collect, [])
    .option('--platform <os/arch>', 'target platform (default: the host)')
    .option('--format <fmt>', 'table or json', 'table')
    .action(guarded(ctx, async (context: string, f: ExplainFlags) => {
      const fmt = format(ctx, f.format);
      if (context === '-') throw ctx.usage('cache explain needs a context directory, not -');
      const res = await explainBuild({
        root: rootOf(ctx), context, cwd: ctx.host.cwd, buildArgs: keyValues(f.buildArg, '--build-arg', ctx.host.env), buildContexts: f.buildContext,
        ...(f.file !== undefined ? { file: f.file } : {}),
        ...(f.target !== undefined ? { target: f.target } : {}),
        ...(f.platform !== undefined ? { platform: parsePlatform(f.platform) } : {}),
        ...(ctx.host.signal ? { signal: ctx.host.signal } : {}),
      });
      if (fmt === 'json') return ctx.host.stdout(`${JSON.stringify(res.steps, null, 2)}\n`);
      for (const s of res.steps) {
        const where = s.location ? ` (${shown(s.location.file, ctx.host.cwd)}:${s.location.line})` : '';
        ctx.host.stdout(`${s.cached ? 'CACHED' : s.uncertain ? 'MISS? ' : 'MISS  '} ${s.name}${where}\n`);
        for (const r of s.reasons) ctx.host.stdout(`         - ${r}\n`);
      }
      const miss = res.steps.filter((s) => !s.cached).length;
      ctx.host.stdout(miss === 0 ? 'every step would be served from the cache\n' : `${miss} of ${res.steps.length} steps would run\n`);
    }));
  cmd.command('prune').description('remove build cache records, least recently used first, and collect unreferenced data')
    .option('-a, --all', 'remove all cache not needed by tagged images or running builds, not just dangling data')
    .option('--keep-storage <size>', 'stop once the store is at most this size (e.g. 10g)')
    .option('--filter <filter>', 'until=DURATION: only cache unused for longer than DURATION (e.g. 24h, 30m, 7d)', collect, [])
    .option('--dry-run', 'only report what would be removed')
    .option('--format <fmt>', 'table or json', 'table')
    .action(guarded(ctx, async (f: PruneFlags) => {
      const fmt = format(ctx, f.format);
      let until: number | undefined;
      for (const flt of f.filter) {
        const m = /^until=(.*)$/.exec(flt);
        const d = m?.[1] === undefined ? undefined : parseDuration(m[1]);
        if (d === undefined) throw ctx.usage(`invalid --filter "${flt}": expected until=DURATION (e.g. until=24h, until=30m, until=7d)`);
        until = d;
      }
      let keepStorage: number | undefined;
      if (f.keepStorage !== undefined) {
        keepStorage = parseSize(f.keepStorage);
        if (keepStorage === undefined) throw ctx.usage(`invalid --keep-storage "${f.keepStorage}": expected a size like 512m or 10g`);
      }
      const report = await prune({
        root: rootOf(ctx), all: Boolean(f.all), dryRun: Boolean(f.dryRun),
        ...(keepStorage !== undefined ? { keepStorage } : {}),
        ...(until !== undefined ? { until } : {}),
        ...(ctx.host.signal ? { signal: ctx.host.signal } : {}),
      });
      if (fmt === 'json') return ctx.host.stdout(`${JSON.stringify(report, null, 2)}\n`);
      ctx.host.stdout(f.dryRun ? pruneSummary(report).replace('Deleted:', 'Would delete:').replace('Total reclaimed', 'Would reclaim') : pruneSummary(report));
    }));
  return cmd;
}
