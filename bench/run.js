#!/usr/bin/env node
// Benchmark runner: times each scenario's builders on fresh stores, several runs each, and prints
// the medians and the ratio to the reference builder. Scenarios live in bench/scenarios/*.js.
// Phased scenarios (cold build, no-op rebuild, rebuild after a change, export) also report the
// peak RSS of each command, measured with GNU time (`apt-get install time`) when it is installed.
//
//   npm run bench                       every scenario, 3 runs each
//   node bench/run.js run-chain --runs 5
//   node bench/run.js --json            machine-readable results on stdout
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..');

function parseArgs(argv) {
  const opts = { runs: 3, json: false, names: [], keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runs') opts.runs = Number(argv[++i]);
    else if (a === '--json') opts.json = true;
    else if (a === '--keep') opts.keep = true;
    else if (a === '--help' || a === '-h') {
      console.log('usage: node bench/run.js [scenario...] [--runs N] [--json] [--keep]');
      process.exit(0);
    } else opts.names.push(a);
  }
  if (!Number.isInteger(opts.runs) || opts.runs < 1) throw new Error('--runs needs a positive integer');
  return opts;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** tsbuild runs from the bundle in dist/; build it once if it is missing. */
function ensureDist() {
  if (existsSync(path.join(repoRoot, 'dist', 'tsbuild.cjs'))) return;
  spawnSync('npm', ['run', 'build'], { cwd: repoRoot, stdio: 'inherit' });
}

const GNU_TIME = '/usr/bin/time';
const haveGnuTime = existsSync(GNU_TIME);

/**
 * Runs one command to completion; returns wall-clock milliseconds and, with GNU time, the peak
 * RSS in KiB of the largest process of its tree (wait4's ru_maxrss). Throws on failure.
 */
function timed(cmd, args, opts = {}) {
  let rssFile;
  let argv = [cmd, ...args];
  if (opts.rss && haveGnuTime) {
    rssFile = path.join(os.tmpdir(), `tsbuild-bench-rss-${process.pid}-${Math.random().toString(16).slice(2)}`);
    argv = [GNU_TIME, '-q', '-f', '%M', '-o', rssFile, ...argv];
  }
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', maxBuffer: 256 << 20, ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  let rssKiB;
  if (rssFile) {
    try {
      rssKiB = Number(readFileSync(rssFile, 'utf8').trim().split('\n').at(-1));
    } catch {
      rssKiB = undefined;
    }
    rmSync(rssFile, { force: true });
  }
  if (r.status !== 0) {
    const tail = `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').slice(-25).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})\n${tail}`);
  }
  return opts.rss ? { ms, rssKiB } : ms;
}

async function loadScenarios(names) {
  const dir = path.join(here, 'scenarios');
  const all = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.js') && !n.startsWith('_')).sort()) {
    const mod = await import(pathToFileURL(path.join(dir, f)).href);
    all.push(mod.default);
  }
  if (names.length === 0) return all;
  const picked = names.map((n) => all.find((s) => s.name === n) ?? (() => { throw new Error(`unknown scenario ${n}; have: ${all.map((s) => s.name).join(', ')}`); })());
  return picked;
}

/**
 * A scenario is `{ name, description, goal?, prepare(dir) → ctx, builders: { label: (ctx, scratch) → { cmd, args, env? } } }`.
 * The first builder is the one measured against the others; `goal` is the wanted ratio
 * (first ÷ reference) with `reference` naming the builder to compare to.
 */
async function runScenario(s, opts) {
  if (s.phases) return runPhased(s, opts);
  const work = mkdtempSync(path.join(os.tmpdir(), `tsbuild-bench-${s.name}-`));
  try {
    const ctx = await s.prepare(path.join(work, 'ctx'));
    const results = {};
    for (const [label, make] of Object.entries(s.builders)) {
      const probe = make(ctx, path.join(work, 'probe'));
      if (!have(probe.cmd)) {
        results[label] = { skipped: `${probe.cmd} not found` };
        continue;
      }
      const times = [];
      for (let i = 0; i < opts.runs; i++) {
        const scratch = path.join(work, `${label}-${i}`);
        const { cmd, args, env, cleanup } = make(ctx, scratch);
        try {
          times.push(timed(cmd, args, { cwd: ctx, env: { ...process.env, ...env } }));
        } finally {
          cleanup?.();
          if (!opts.keep) rmSync(scratch, { recursive: true, force: true });
        }
        if (!opts.json) process.stderr.write(`  ${s.name} ${label} run ${i + 1}/${opts.runs}: ${(times.at(-1) / 1000).toFixed(2)} s\n`);
      }
      results[label] = { times, median: median(times) };
    }
    return results;
  } finally {
    if (!opts.keep) rmSync(work, { recursive: true, force: true });
  }
}

/**
 * A phased scenario is `{ name, description, phases, goals?, reference, prepare(dir) → ctx,
 * change?(ctx) → restore(), builders: { label: (ctx, scratch) → { build, export?, cleanup? } } }`
 * where `build` and `export` are `{ cmd, args, env? }`. Each run starts on a fresh store and runs
 * the phases in order: `cold` (build), `noop` (the same build again), `change` (build after
 * `change(ctx)` modified one file, restored afterwards), `export`. Builders alternate run by run
 * so that drift of the machine touches them alike. `goals` maps a phase to
 * `{ ratio?, ms?, rssMiB? }`: at most `ratio` × the reference's median, at most `ms`
 * milliseconds, at most `rssMiB` of peak RSS for the first builder.
 */
async function runPhased(s, opts) {
  const persistent = s.persistentContext === true;
  const work = mkdtempSync(path.join(os.tmpdir(), `tsbuild-bench-${s.name}-`));
  const results = {};
  try {
    const ctx = await s.prepare(path.join(work, 'ctx'));
    const labels = Object.keys(s.builders);
    for (const label of labels) {
      const probe = s.builders[label](ctx, path.join(work, 'probe'));
      if (!have(probe.build.cmd)) results[label] = { skipped: `${probe.build.cmd} not found` };
      else results[label] = Object.fromEntries(s.phases.map((p) => [p, { times: [], rss: [] }]));
    }
    for (let i = 0; i < opts.runs; i++) {
      for (const label of labels) {
        if (results[label].skipped) continue;
        const scratch = path.join(work, `${label}-${i}`);
        const b = s.builders[label](ctx, scratch);
        const env = { ...process.env, ...b.env };
        try {
          for (const phase of s.phases) {
            const c = phase === 'export' ? b.export : b.build;
            if (!c) continue;
            const restore = phase === 'change' ? s.change(ctx, i) : undefined;
            try {
              const r = timed(c.cmd, c.args, { cwd: ctx, env: { ...env, ...c.env }, rss: true });
              results[label][phase].times.push(r.ms);
              if (r.rssKiB !== undefined) results[label][phase].rss.push(r.rssKiB);
              if (!opts.json) process.stderr.write(`  ${s.name} ${label} run ${i + 1}/${opts.runs} ${phase}: ${(r.ms / 1000).toFixed(3)} s${r.rssKiB ? `, ${(r.rssKiB / 1024).toFixed(0)} MiB` : ''}\n`);
            } finally {
              restore?.();
            }
          }
        } finally {
          b.cleanup?.();
          if (!opts.keep) rmSync(scratch, { recursive: true, force: true });
        }
      }
    }
    for (const label of labels) {
      if (results[label].skipped) continue;
      for (const phase of s.phases) {
        const r = results[label][phase];
        if (r.times.length) r.median = median(r.times);
        if (r.rss.length) r.rssMedianKiB = median(r.rss);
      }
    }
    for (const [label, why] of Object.entries(s.unavailable ?? {})) results[label] = { skipped: why };
    return results;
  } finally {
    if (!opts.keep) rmSync(work, { recursive: true, force: true });
    if (!persistent) s.dispose?.();
  }
}

function phasedTable(s, results) {
  const labels = Object.keys(results).filter((l) => !results[l].skipped || s.builders[l]);
  const [first] = labels;
  const ref = s.reference;
  const rows = [['phase', ...labels.flatMap((l) => [`${l} (s)`, `${l} RSS (MiB)`]), ...(ref ? [`ratio ${first}/${ref}`] : []), 'goal', 'met']];
  for (const phase of s.phases) {
    const row = [phase];
    for (const l of labels) {
      const r = results[l];
      if (r.skipped) row.push('skipped', '');
      else if (!r[phase]?.median) row.push('-', '');
      else row.push((r[phase].median / 1000).toFixed(3), r[phase].rssMedianKiB ? (r[phase].rssMedianKiB / 1024).toFixed(0) : '?');
    }
    const a = results[first]?.[phase];
    const b = ref ? results[ref]?.[phase] : undefined;
    const ratio = a?.median && b?.median ? a.median / b.median : undefined;
    if (ref) row.push(ratio === undefined ? '-' : `${ratio.toFixed(2)}×`);
    const g = s.goals?.[phase];
    const parts = [];
    const ok = [];
    if (g?.ratio !== undefined) {
      parts.push(`≤ ${g.ratio}× ${ref}`);
      ok.push(ratio !== undefined && ratio <= g.ratio);
    }
    if (g?.ms !== undefined) {
      parts.push(`< ${g.ms} ms`);
      ok.push(a?.median !== undefined && a.median < g.ms);
    }
    if (g?.rssMiB !== undefined) {
      parts.push(`RSS < ${g.rssMiB} MiB`);
      ok.push(a?.rssMedianKiB !== undefined && a.rssMedianKiB / 1024 < g.rssMiB);
    }
    row.push(parts.join(', ') || '-', ok.length ? (ok.every(Boolean) ? 'yes' : 'NO') : '');
    rows.push(row);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  const line = (r) => r.map((c, i) => String(c).padEnd(widths[i])).join('  ');
  const notes = labels.filter((l) => results[l].skipped).map((l) => `${l}: skipped (${results[l].skipped})`);
  return [`\n${s.name}: ${s.description}`, line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line), ...notes].join('\n');
}

function table(s, results) {
  if (s.phases) return phasedTable(s, results);
  const labels = Object.keys(results);
  const rows = [['builder', 'median (s)', 'runs (s)', ...(s.steps ? ['per step (ms)'] : [])]];
  for (const l of labels) {
    const r = results[l];
    if (r.skipped) rows.push([l, 'skipped', r.skipped, ...(s.steps ? [''] : [])]);
    else rows.push([l, (r.median / 1000).toFixed(2), r.times.map((t) => (t / 1000).toFixed(2)).join(' '), ...(s.steps ? [(r.median / s.steps).toFixed(0)] : [])]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  const line = (r) => r.map((c, i) => String(c).padEnd(widths[i])).join('  ');
  const out = [`\n${s.name}: ${s.description}`, line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)];
  const [first] = labels;
  const ref = s.reference;
  if (first && ref && results[first]?.median && results[ref]?.median) {
    const ratio = results[first].median / results[ref].median;
    const goal = s.goal === undefined ? '' : ` (goal ≤ ${s.goal}×: ${ratio <= s.goal ? 'met' : 'NOT met'})`;
    out.push(`ratio ${first}/${ref}: ${ratio.toFixed(2)}×${goal}`);
  }
  return out.join('\n');
}

/** Date, CPU, memory, kernel and tool versions: what a published figure needs beside it. */
function machineLine() {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const out = (c, a) => spawnSync(c, a, { encoding: 'utf8' }).stdout?.trim().split('\n')[0] ?? '';
  const buildah = have('buildah') ? out('buildah', ['--version']) : 'buildah not installed';
  return `${new Date().toISOString().slice(0, 10)}, ${os.availableParallelism()} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${os.release()}, node ${process.version}, ${buildah}${haveGnuTime ? '' : ', no GNU time: RSS not measured'}`;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) console.error('warning: not root; builders that need root will fail');
  // Node reads this bundle eagerly at startup: ~70 ms per tsbuild run on the reference machine.
  if (process.env.NODE_EXTRA_CA_CERTS) console.error('warning: NODE_EXTRA_CA_CERTS is set; every node start pays for loading it');
  ensureDist();
  const scenarios = await loadScenarios(opts.names);
  if (!opts.json) console.log(machineLine());
  const all = {};
  for (const s of scenarios) {
    const results = await runScenario(s, opts);
    all[s.name] = results;
    if (!opts.json) console.log(table(s, results));
  }
  if (opts.json) console.log(JSON.stringify(all, null, 2));
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
