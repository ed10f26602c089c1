// `tsbuild pull|push|login|logout`: moving images between the local store and registries, and registry credentials.
import { Command } from 'commander';
import path from 'node:path';
import { TsbuildError, type Descriptor } from '../../core/index.js';
import { ContentStore, RefStore } from '../../content/index.js';
import { storeLayout } from '../../pipeline/index.js';
import { hostPlatform, parseReference } from '../../image/index.js';
import { parsePlatform } from '../../planner/index.js';
import { login, logout, pullImage, pushImage, type RegistryOptions } from '../../registry/index.js';
import { collect } from '../options.js';
import { guarded, rootOf, type Ctx } from './common.js';

interface RegistryFlags {
  insecureRegistry: string[];
  caFile: string[];
}

function withRegistryFlags(cmd: Command): Command {
  return cmd
    .option('--insecure-registry <host>', 'allow plain HTTP or unverified TLS for this registry (repeatable)', collect, [])
    .option('--ca-file <file>', 'extra CA certificate (PEM) to trust (repeatable)', collect, []);
}

function registryOptions(ctx: Ctx, f: RegistryFlags): RegistryOptions {
  return {
    insecureRegistries: f.insecureRegistry,
    caFiles: f.caFile.map((p) => path.resolve(ctx.host.cwd, p)),
    env: ctx.host.env,
    ...(ctx.host.signal ? { signal: ctx.host.signal } : {}),
  };
}

function stores(ctx: Ctx): { content: ContentStore; refs: RefStore } {
  const l = storeLayout(rootOf(ctx));
  return { content: new ContentStore(l.content), refs: new RefStore(l.refs) };
}

function validRef(ctx: Ctx, text: string): string {
  try {
    return parseReference(text).toString();
  } catch (e) {
    throw ctx.usage(e instanceof Error ? e.message : String(e));
  }
}

export function pullCommand(ctx: Ctx): Command {
  return withRegistryFlags(new Command('pull'))
    .description('pull an image from a registry into the local store')
    .argument('<ref>', 'image reference, e.g. registry.example:5000/app:1')
    .option('--platform <os/arch>', 'platform to pull from a multi-platform image (default: the host)')
    .action(guarded(ctx, async (refText: string, f: RegistryFlags & { platform?: string }) => {
      const name = validRef(ctx, refText);
      const platform = f.platform !== undefined ? parsePlatform(f.platform) : hostPlatform();
      const { content, refs } = stores(ctx);
      const result = await pullImage(name, { ...registryOptions(ctx, f), content, platform });
      // The name points at the platform manifest: only that platform's blobs were fetched.
      const desc: Descriptor = { mediaType: result.manifest.mediaType, digest: result.manifest.digest, size: result.manifest.size };
      await refs.set(name, desc, ctx.host.signal);
      ctx.host.stdout(`Pulled ${parseReference(name).familiar}\nDigest: ${(result.index ?? result.manifest).digest}\n`);
    }));
}

export function pushCommand(ctx: Ctx): Command {
  return withRegistryFlags(new Command('push'))
    .description('push images from the local store to registries')
    .argument('<ref...>', 'image names in the local store; each is pushed to the registry it names')
    .action(guarded(ctx, async (refTexts: string[], f: RegistryFlags) => {
      const { content, refs } = stores(ctx);
      // Names of one image are pushed together, so its blobs go up once per repository.
      const byDigest = new Map<string, { desc: Descriptor; names: string[] }>();
      for (const text of refTexts) {
        const name = validRef(ctx, text);
        const desc = await refs.get(name);
        if (!desc) throw new TsbuildError('TSB4003', `image "${text}" not found in the local store`);
        const entry = byDigest.get(desc.digest) ?? { desc, names: [] };
        entry.names.push(name);
        byDigest.set(desc.digest, entry);
      }
      for (const { desc, names } of byDigest.values()) {
        await pushImage({ ...registryOptions(ctx, f), content, manifest: desc, refs: names });
        for (const n of names) ctx.host.stdout(`Pushed ${parseReference(n).familiar}\n`);
        ctx.host.stdout(`Digest: ${desc.digest}\n`);
      }
    }));
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(parts).toString('utf8');
}

export function loginCommand(ctx: Ctx): Command {
  return withRegistryFlags(new Command('login'))
    .description('check and store credentials for a registry')
    .argument('[host]', 'registry host', 'docker.io')
    .option('-u, --username <user>', 'user name')
    .option('-p, --password <password>', 'password (visible to other processes; prefer --password-stdin)')
    .option('--password-stdin', 'read the password from standard input')
    .action(guarded(ctx, async (host: string, f: RegistryFlags & { username?: string; password?: string; passwordStdin?: boolean }) => {
      if (f.password !== undefined && f.passwordStdin) throw ctx.usage('--password and --password-stdin cannot be used together');
      if (!f.username) throw ctx.usage('login needs --username');
      let password = f.password;
      if (f.passwordStdin) password = (await readAll(ctx.host.stdin)).replace(/\r?\n$/, '');
      if (password === undefined || password === '') throw ctx.usage('login needs a password: --password-stdin or --password');
      if (f.password !== undefined) ctx.host.stderr('warning: a password on the command line is visible to other processes; use --password-stdin\n');
      await login(host, f.username, password, registryOptions(ctx, f));
      ctx.host.stdout(`Login Succeeded (${host})\n`);
    }));
}

export function logoutCommand(ctx: Ctx): Command {
  return withRegistryFlags(new Command('logout'))
    .description('remove stored credentials for a registry')
    .argument('[host]', 'registry host', 'docker.io')
    .action(guarded(ctx, async (host: string, f: RegistryFlags) => {
      const removed = await logout(host, registryOptions(ctx, f));
      ctx.host.stdout(removed ? `Removed login credentials for ${host}\n` : `Not logged in to ${host}\n`);
    }));
}
