// Why a step missed the cache: the differences between its inputs now and at its last record.
import type { CachePreimage, CacheRecord } from '../content/index.js';
import type { Vertex } from '../graph/index.js';

export interface MissExplanation {
  name: string;
  location?: { file: string; line: number };
  reasons: string[];
}

function envMap(env: unknown): Map<string, string> {
  const m = new Map<string, string>();
  if (!Array.isArray(env)) return m;
  for (const kv of env) {
    if (typeof kv !== 'string') continue;
    const i = kv.indexOf('=');
    m.set(i < 0 ? kv : kv.slice(0, i), i < 0 ? '' : kv.slice(i + 1));
  }
  return m;
}

const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v ?? null));

function describeFile(old: string | undefined, cur: string | undefined, path: string): string {
  if (old === undefined) return `file added: ${path}`;
  if (cur === undefined) return `file removed: ${path}`;
  const [ot, om, oo, ol, oc] = old.split(' ');
  const [nt, nm, no, nl, nc] = cur.split(' ');
  const what: string[] = [];
  if (ot !== nt) what.push(`type ${ot} → ${nt}`);
  if (om !== nm) what.push(`mode ${om} → ${nm}`);
  if (oo !== no) what.push(`owner ${oo} → ${no}`);
  if (ol !== nl) what.push(`link target ${ol} → ${nl}`);
  if (oc !== nc) what.push('content');
  return `file changed: ${path} (${what.join(', ') || 'metadata'})`;
}

function opChanges(before: Record<string, unknown>, now: Record<string, unknown>, argNames: ReadonlySet<string>): string[] {
  const out: string[] = [];
  const keys = new Set([...Object.keys(before), ...Object.keys(now)]);
  for (const k of [...keys].sort()) {
    const a = before[k];
    const b = now[k];
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    if (k === 'env') {
      const ea = envMap(a);
      const eb = envMap(b);
      for (const name of new Set([...ea.keys(), ...eb.keys()])) {
        const kind = argNames.has(name) ? 'ARG' : 'ENV';
        if (!ea.has(name)) out.push(`${kind} ${name} added: ${show(eb.get(name))}`);
        else if (!eb.has(name)) out.push(`${kind} ${name} removed (was ${show(ea.get(name))})`);
        else if (ea.get(name) !== eb.get(name)) out.push(`${kind} ${name} changed from ${show(ea.get(name))} to ${show(eb.get(name))}`);
      }
    } else if (k === 'manifest') {
      out.push(`base image digest changed from ${String(a ?? 'none')} to ${String(b ?? 'none')}`);
    } else if (k === 'action' && a && b && typeof a === 'object' && typeof b === 'object') {
      out.push(...opChanges(a as Record<string, unknown>, b as Record<string, unknown>, argNames));
    } else if (k === 'args') {
      out.push(`command changed from ${show(a)} to ${show(b)}`);
    } else out.push(`${k} changed from ${show(a)} to ${show(b)}`);
  }
  return out;
}

/** Reasons, most specific first: instruction and variables, files read, then parent steps. */
export function explainMiss(v: Vertex, now: CachePreimage, before: CacheRecord | undefined): MissExplanation {
  const loc = v.meta.location ? { location: { file: v.meta.location.file, line: v.meta.location.line } } : {};
  if (!before) return { name: v.meta.name, ...loc, reasons: ['no earlier build of this step is in the cache'] };
  const reasons: string[] = [];
  const prev = before.preimage;
  if (before.text !== v.meta.text) reasons.push(`instruction changed from ${show(before.text)} to ${show(v.meta.text)}`);
  const argNames = new Set(v.meta.argNames ?? []);
  const opDiff = opChanges(prev.op, now.op, argNames);
  if (before.text !== v.meta.text) reasons.push(...opDiff.filter((r) => r.startsWith('ARG ') || r.startsWith('ENV ')));
  else reasons.push(...opDiff);
  const fa = prev.files ?? {};
  const fb = now.files ?? {};
  const paths = [...new Set([...Object.keys(fa), ...Object.keys(fb)])].sort();
  const fileReasons = paths.filter((p) => fa[p] !== fb[p]).map((p) => describeFile(fa[p], fb[p], p));
  const LIMIT = 20;
  reasons.push(...fileReasons.slice(0, LIMIT));
  if (fileReasons.length > LIMIT) reasons.push(`… and ${fileReasons.length - LIMIT} more changed files`);
  // The earlier map may be gone (its side file lost) while its digest says the files differ.
  if (fileReasons.length === 0 && (!prev.files || !now.files) && prev.filesDigest !== undefined && now.filesDigest !== undefined && prev.filesDigest !== now.filesDigest) {
    reasons.push('the files read by this step changed');
  }
  if (reasons.length === 0) {
    for (const [i, k] of now.inputs.entries()) {
      if (prev.inputs[i] !== k) reasons.push(`parent step changed: ${now.inputNames[i] ?? `input ${i}`}`);
    }
  }
  if (reasons.length === 0) reasons.push('the previous result is no longer in the store (pruned)');
  return { name: v.meta.name, ...loc, reasons };
}
