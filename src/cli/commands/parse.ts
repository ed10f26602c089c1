// `tsbuild parse`: prints the raw syntax tree of a Dockerfile (JSON, or BuildKit's dump format).
import { Command } from 'commander';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { TsbuildError } from '../../core/index.js';
import { dumpBuildkit, parseToJson } from '../../parser/index.js';
import { renderError } from '../render.js';
import type { Ctx } from './common.js';

export function parseCommand(ctx: Ctx): Command {
  return new Command('parse')
    .description('print the syntax tree of a Dockerfile, before variable expansion')
    .argument('[file]', 'Dockerfile to parse (default: ./Dockerfile)')
    .option('-f, --file <path>', 'Dockerfile to parse')
    .option('--json', 'one JSON array of instruction nodes (default: BuildKit dump format)')
    .action(async (fileArg: string | undefined, f: { file?: string; json?: boolean }) => {
      const host = ctx.host;
      const file = path.resolve(host.cwd, f.file ?? fileArg ?? 'Dockerfile');
      try {
        let text: string;
        try {
          text = await fsp.readFile(file, 'utf8');
        } catch (e) {
          throw new TsbuildError('TSB2108', `cannot read ${file}: ${(e as Error).message}`, { cause: e });
        }
        host.stdout(f.json ? `${JSON.stringify(parseToJson(text, file), null, 2)}\n` : dumpBuildkit(text, file));
        ctx.exitCode = 0;
      } catch (e) {
        host.stderr(`${renderError(e, host.cwd)}\n`);
        ctx.exitCode = 1;
      }
    });
}
