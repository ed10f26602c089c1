// parseDockerfile: text → validated, typed Dockerfile (global ARGs and stages), every error at once.
import { DiagnosticsError, TsbuildError } from '../core/index.js';
import { buildInstruction } from './build-instruction.js';
import { ParseContext } from './context.js';
import { parseRaw } from './raw-parse.js';
import type { ArgInstruction, Directives, ParseResult, ParseWarning, Stage } from './types.js';

function byPosition(a: { location?: { line: number; column: number } }, b: { location?: { line: number; column: number } }): number {
  return (a.location?.line ?? 0) - (b.location?.line ?? 0) || (a.location?.column ?? 0) - (b.location?.column ?? 0);
}

export function parseDockerfile(text: string, file: string): ParseResult {
  const raw = parseRaw(text, file);
  const ctx = new ParseContext(file, raw.lines, raw.escapeToken);
  ctx.errors.push(...raw.errors);
  ctx.warnings.push(...raw.warnings);

  const directives: Directives = { escape: raw.escapeToken };
  for (const d of raw.directives) {
    if (d.name === 'syntax') {
      directives.syntax = d.value;
      ctx.warnings.push({
        code: 'TSB1013',
        message: `syntax directive "${d.value}" ignored: the built-in Dockerfile frontend is always used`,
        location: { file, line: d.line, column: 1 },
      });
    } else if (d.name === 'check') {
      directives.check = d.value;
    }
  }

  const globalArgs: ArgInstruction[] = [];
  const stages: Stage[] = [];
  const names = new Map<string, number>();
  let current: Stage | undefined;
  let sawFrom = false;
  for (const node of raw.nodes) {
    const inst = buildInstruction(node, ctx);
    if (node.instruction === 'from') {
      sawFrom = true;
      current = undefined;
      if (inst?.kind !== 'from') continue;
      const stage: Stage = { index: stages.length, from: inst, instructions: [] };
      if (inst.stageName !== undefined) {
        const prev = names.get(inst.stageName);
        if (prev !== undefined) {
          ctx.error('TSB2003', `duplicate stage name "${inst.stageName}" (first defined on line ${prev})`, node, node.args[2]);
        } else {
          names.set(inst.stageName, node.startLine);
        }
        stage.name = inst.stageName;
      }
      stages.push(stage);
      current = stage;
      continue;
    }
    if (!sawFrom) {
      if (node.instruction === 'arg') {
        if (inst?.kind === 'arg') globalArgs.push(inst);
      } else if (inst !== undefined) {
        ctx.error('TSB1010', `${node.keyword.toUpperCase()} before the first FROM: no build stage in current context`, node);
      }
      continue;
    }
    if (inst && current) current.instructions.push(inst);
  }
  if (stages.length === 0 && ctx.errors.length === 0 && raw.nodes.length > 0) {
    ctx.errors.push(errorNoStages(file, raw.nodes[raw.nodes.length - 1]?.startLine ?? 1));
  }
  if (ctx.errors.length > 0) throw new DiagnosticsError([...ctx.errors].sort(byPosition));
  const warnings: ParseWarning[] = [...ctx.warnings].sort(byPosition);
  return { dockerfile: { file, directives, globalArgs, stages }, warnings };
}

function errorNoStages(file: string, line: number): TsbuildError {
  return new TsbuildError('TSB1006', 'dockerfile contains no stages to build (no FROM instruction)', {
    location: { file, line, column: 1 },
  });
}
