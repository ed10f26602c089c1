// The composition root: builds the commander program and maps outcomes to exit codes.
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { TsbuildError } from '../core/index.js';
import { buildCommand } from './commands/build.js';
import { cacheCommand } from './commands/cache.js';
import type { Ctx } from './commands/common.js';
import { imageCommand } from './commands/image.js';
import { parseCommand } from './commands/parse.js';
import { loginCommand, logoutCommand, pullCommand, pushCommand } from './commands/registry.js';
import { processHost, type Host } from './host.js';

/** The package's version, from the package.json above this module (dist/cli/, src/cli/ or the bundle in dist/). */
export function version(): string {
  for (const rel of ['../../package.json', '../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'tsbuild') return pkg.version;
    } catch {
      // not at this level
    }
  }
  return 'unknown';
}

/** The first word that is not a top-level option or its value: the command being run. */
function commandName(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--root') i++;
    else if (!a.startsWith('-')) return a;
    else if (a === '--') return argv[i + 1];
  }
  return undefined;
}

/** `--no-cache-filter X` would be read by commander as the negation of a `--cache-filter` flag. */
function renameFlags(argv: string[]): string[] {
  return argv.map((a) => (a === '--no-cache-filter' ? '--uncached-stage' : a.startsWith('--no-cache-filter=') ? `--uncached-stage=${a.slice(18)}` : a));
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[], host: Host): Promise<number> {
  const ctx: Ctx = {
    host, exitCode: 0, cores: os.availableParallelism(),
    usage: (m) => new TsbuildError('TSB9001', m),
  };
  const program = new Command('tsbuild')
    .description('tsbuild: a daemonless Dockerfile image builder')
    .option('--root <dir>', 'store root (default: $TSBUILD_ROOT, /var/lib/tsbuild as root, else ~/.local/share/tsbuild)')
    .exitOverride()
    .configureOutput({ writeOut: host.stdout, writeErr: host.stderr })
    .showHelpAfterError('(run with --help for usage)')
    .hook('preAction', (cmd) => {
      const root = (cmd.optsWithGlobals() as { root?: string }).root;
      if (root !== undefined) ctx.root = root;
    });
  const commands: Array<[string, () => Command]> = [
    ['build', () => buildCommand(ctx)],
    ['parse', () => parseCommand(ctx)],
    ['image', () => imageCommand(ctx)],
    ['cache', () => cacheCommand(ctx)],
    ['pull', () => pullCommand(ctx)],
    ['push', () => pushCommand(ctx)],
    ['login', () => loginCommand(ctx)],
    ['logout', () => logoutCommand(ctx)],
    ['version', () => new Command('version').description('print the version').action(() => host.stdout(`tsbuild ${version()}\n`))],
  ];
  // Only the command being run is built (its options cost time to declare); the top-level help,
  // an unknown command and a missing one see them all.
  const named = commandName(argv);
  for (const [name, make] of commands) if (named === undefined || !commands.some(([n]) => n === named) || name === named) program.addCommand(make());
  for (const c of program.commands) c.exitOverride().configureOutput({ writeOut: host.stdout, writeErr: host.stderr });
  try {
    await program.parseAsync(renameFlags(argv), { from: 'user' });
    return ctx.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2;
    }
    throw e;
  }
}

/** Entry for the bin script: wires signals to cancellation. */
export async function run(argv: string[]): Promise<number> {
  const ac = new AbortController();
  let signalled = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signalled++;
    if (signalled > 1) process.exit(130);
    ac.abort(new TsbuildError('TSB3008', `build cancelled (${sig})`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await main(argv, processHost(ac.signal));
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
