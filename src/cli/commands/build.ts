// `tsbuild build`: options → BuildOptions, progress rendering, exit status.
import { Command, Option } from 'commander';
import path from 'node:path';
import { build } from '../../pipeline/index.js';
import { parsePlatform } from '../../planner/index.js';
import type { Host } from '../host.js';
import { collect, keyValues, numberOption, oneOf, parseSecrets, sizeOption } from '../options.js';
import { createRenderer, type ProgressMode } from '../progress.js';
import { renderError, renderExplanations, renderWarning } from '../render.js';
import { exitCodeFor, rootOf, type Ctx } from './common.js';

interface BuildFlags {
  tag: string[];
  file?: string;
  buildArg: string[];
  target?: string;
  output: string[];
  buildContext: string[];
  label: string[];
  cache: boolean;
  uncachedStage: string[];
  explain?: boolean;
  progress: string;
  iidfile?: string;
  metadataFile?: string;
  compression: string;
  platform?: string;
  snapshotter: string;
  runtime?: string;
  memory?: string;
  cpus?: string;
  pidsLimit?: string;
  secret: string[];
  allow: string[];
  jobs?: string;
  maxCacheSize?: string;
  cacheTo: string[];
  cacheFrom: string[];
  push?: boolean;
  insecureRegistry: string[];
  caFile: string[];
}

export function buildCommand(ctx: Ctx): Command {
  return new Command('build')
    .description('build an image from a Dockerfile')
    .argument('<context>', 'build context directory, or - for a tar or Dockerfile on stdin')
    .option('-t, --tag <name>', 'name and tag the image (repeatable)', collect, [])
    .option('-f, --file <path>', 'Dockerfile path (default: CONTEXT/Dockerfile)')
    .option('--build-arg <k=v>', 'set a build-time variable (repeatable)', collect, [])
    .option('--target <stage>', 'build this stage')
    .option('-o, --output <spec>', 'output: type=oci|docker|local|tar|image,dest=… or a directory (repeatable)', collect, [])
    .option('--build-context <name=src>', 'extra named context: a directory or oci-layout:///path[:tag|@digest] (repeatable)', collect, [])
    .option('--label <k=v>', 'add a label to the image (repeatable)', collect, [])
    .option('--no-cache', 'do not use the build cache')
    // commander reads any `--no-` flag as a negation, so main() renames this one before parsing.
    .option('--no-cache-filter <stage>', 'do not use the build cache for this stage (repeatable)')
    .addOption(new Option('--uncached-stage <stage>').hideHelp().argParser(collect).default([]))
    .option('--explain', 'after the build, say why each step that ran missed the cache')
    .option('--progress <mode>', 'auto, plain, tty, json or quiet', 'auto')
    .option('--iidfile <file>', 'write the image ID to a file')
    .option('--metadata-file <file>', 'write build result metadata (JSON) to a file')
    .option('--compression <algo>', 'layer compression: gzip, zstd or none', 'gzip')
    .option('--platform <os/arch>', 'target platform (default: the host)')
    .option('--snapshotter <kind>', 'overlay, native or auto', 'auto')
    .option('--runtime <path>', 'OCI runtime binary for RUN (default: runc on PATH)')
    .option('--memory <size>', 'memory limit for each RUN (e.g. 512m)')
    .option('--cpus <n>', 'CPU limit for each RUN (e.g. 1.5)')
    .option('--pids-limit <n>', 'process limit for each RUN')
    .option('--secret <spec>', 'secret for RUN --mount=type=secret: id=ID,src=PATH or id=ID,env=VAR (repeatable)', collect, [])
    .option('--allow <entitlement>', 'allow an entitlement: security.insecure (repeatable)', collect, [])
    .option('--jobs <n>', 'steps run in parallel (default: number of cores)')
    .option('--max-cache-size <size>', 'after the build, prune least recently used cache until the store is at most this size; 0 disables (default: 10% of its file system, at most 20g)')
    .option('--push', 'push the image to the registry of each -t name')
    .option('--cache-to <spec>', 'export the build cache: type=registry,ref=REF[,mode=max|min] or type=local,dest=DIR (repeatable)', collect, [])
    .option('--cache-from <spec>', 'import a build cache: type=registry,ref=REF or type=local,src=DIR (repeatable)', collect, [])
    .option('--insecure-registry <host>', 'allow plain HTTP / unverified TLS for this registry (repeatable)', collect, [])
    .option('--ca-file <file>', 'extra CA certificate for registries (repeatable)', collect, [])
    .action(async (contextArg: string, f: BuildFlags) => {
      ctx.exitCode = await runBuild(ctx, contextArg, f);
    });
}

async function runBuild(ctx: Ctx, contextArg: string, f: BuildFlags): Promise<number> {
  const host: Host = ctx.host;
  const mode = oneOf(f.progress, ['auto', 'plain', 'tty', 'json', 'quiet'] as const, '--progress') as ProgressMode;
  const renderer = createRenderer(mode, { stdout: host.stdout, stderr: host.stderr, isTTY: host.stderrIsTTY });
  try {
    for (const a of f.allow) if (a !== 'security.insecure') throw ctx.usage(`invalid --allow "${a}": only security.insecure is known`);
    const epochRaw = host.env.SOURCE_DATE_EPOCH;
    const epoch = epochRaw === undefined || epochRaw === '' ? undefined : Number(epochRaw);
    if (epoch !== undefined && (!Number.isInteger(epoch) || epoch < 0)) throw ctx.usage(`invalid SOURCE_DATE_EPOCH "${epochRaw}": expected seconds since 1970`);
    const memoryBytes = sizeOption(f.memory, '--memory');
    const cpus = numberOption(f.cpus, '--cpus');
    const pids = numberOption(f.pidsLimit, '--pids-limit', { integer: true });
    const jobs = numberOption(f.jobs, '--jobs', { integer: true });
    const maxCacheSize = f.maxCacheSize === undefined || f.maxCacheSize.trim() === '0' ? (f.maxCacheSize === undefined ? undefined : 0) : sizeOption(f.maxCacheSize, '--max-cache-size');
    const result = await build({
      root: rootOf(ctx), context: contextArg, ...(contextArg === '-' ? { stdin: host.stdin } : {}), cwd: host.cwd,
      tags: f.tag, buildArgs: keyValues(f.buildArg, '--build-arg', host.env), outputs: f.output, buildContexts: f.buildContext,
      labels: keyValues(f.label, '--label', {}), noCache: !f.cache, noCacheFilter: f.uncachedStage, explain: Boolean(f.explain), progress: renderer,
      compression: oneOf(f.compression, ['gzip', 'zstd', 'none'] as const, '--compression'),
      snapshotter: oneOf(f.snapshotter, ['overlay', 'native', 'auto'] as const, '--snapshotter'),
      limits: { ...(memoryBytes ? { memoryBytes } : {}), ...(cpus ? { cpus } : {}), ...(pids ? { pids } : {}) },
      secrets: parseSecrets(f.secret, host.cwd, host.env), allowInsecure: f.allow.includes('security.insecure'),
      jobs: jobs ?? ctx.cores,
      ...(maxCacheSize !== undefined ? { maxCacheSize } : {}),
      cacheTo: f.cacheTo, cacheFrom: f.cacheFrom, push: Boolean(f.push),
      registry: { insecureRegistries: f.insecureRegistry, caFiles: f.caFile.map((c) => path.resolve(host.cwd, c)) },
      warn: (m) => host.stderr(`warning: ${m}\n`),
      ...(f.file !== undefined ? { file: f.file } : {}),
      ...(f.target !== undefined ? { target: f.target } : {}),
      ...(f.iidfile !== undefined ? { iidfile: f.iidfile } : {}),
      ...(f.metadataFile !== undefined ? { metadataFile: f.metadataFile } : {}),
      ...(f.platform !== undefined ? { platform: parsePlatform(f.platform) } : {}),
      ...(f.runtime !== undefined ? { runtime: f.runtime } : {}),
      ...(epoch !== undefined ? { sourceDateEpoch: epoch } : {}),
      ...(host.signal ? { signal: host.signal } : {}),
    });
    if (mode !== 'quiet' && mode !== 'json') for (const w of result.warnings) host.stderr(`${renderWarning(w, host.cwd)}\n`);
    if (f.explain) host.stderr(renderExplanations(result.explanations, host.cwd));
    renderer.finish({ ok: true, digest: result.manifest.digest, imageId: result.config.digest, names: result.names });
    return 0;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    renderer.finish({ ok: false, error: e instanceof Error ? e.message : String(e), ...(typeof code === 'string' ? { code } : {}) });
    host.stderr(`${renderError(e, host.cwd)}\n`);
    return exitCodeFor(e);
  }
}
