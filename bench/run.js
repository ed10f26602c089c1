#!/usr/bin/env node
// Benchmark runner: times each scenario's builders on fresh stores, several runs each, and prints
// the medians and the ratio to the reference builder. Scenarios live in bench/scenarios/*.js.
//
//   npm run bench                       every scenario, 3 runs each
//   node bench/run.js run-chain --runs 5
//   node bench/run.js --json            machine-readable results on stdout
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
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

function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** tsbuild runs from dist/; compile it once if it is missing. */
function ensureDist() {
  if (existsSync(path.join(repoRoot, 'dist', 'cli', 'main.js'))) return;
  const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  spawnSync(process.execPath, [tsc, '-p', path.join(repoRoot, 'tsconfig.build.json')], { stdio: 'inherit' });
}

/** Runs one command to completion; returns wall-clock milliseconds, throwing on failure. */
function timed(cmd, args, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 << 20, ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) {
    const tail = `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').slice(-25).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})\n${tail}`);
  }
  return ms;
}

async function loadScenarios(names) {
  const dir = path.join(here, 'scenarios');
  const all = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.js')).sort()) {
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

function table(s, results) {
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

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) console.error('warning: not root; builders that need root will fail');
  ensureDist();
  const scenarios = await loadScenarios(opts.names);
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
