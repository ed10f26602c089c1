// `tsbuild image ls|rm|inspect|tag|save|load`: the local image store.
import { Command } from 'commander';
import { createWriteStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { tempName, TsbuildError, type Descriptor } from '../../core/index.js';
import { ContentStore, RefStore } from '../../content/index.js';
import { storeLayout } from '../../pipeline/index.js';
import { parseReference, readArchive, writeDockerArchive, writeOciTar } from '../../image/index.js';
import { guarded, rootOf, type Ctx } from './common.js';

function stores(ctx: Ctx): { content: ContentStore; refs: RefStore } {
  const l = storeLayout(rootOf(ctx));
  return { content: new ContentStore(l.content), refs: new RefStore(l.refs) };
}

async function lookup(refs: RefStore, name: string): Promise<{ name: string; desc: Descriptor }> {
  const full = parseReference(name).toString();
  const desc = await refs.get(full);
  if (!desc) throw new TsbuildError('TSB4003', `image "${name}" not found in the local store`);
  return { name: full, desc };
}


export function imageCommand(ctx: Ctx): Command {
  const cmd = new Command('image').description('manage images in the local store');
  cmd.command('ls').description('list images').option('--format <fmt>', 'table or json', 'table')
    .action(guarded(ctx, async (f: { format: string }) => {
      const { content, refs } = stores(ctx);
      const rows = await Promise.all((await refs.list()).map(async (r) => {
        const m = await content.readJson<{ config?: Descriptor; layers?: Descriptor[] }>(r.descriptor.digest).catch(() => undefined);
        const size = (m?.layers ?? []).reduce((a, l) => a + l.size, 0) + (m?.config?.size ?? 0);
        return { name: parseReference(r.name).familiar, digest: r.descriptor.digest, imageId: m?.config?.digest ?? '', size };
      }));
      if (f.format === 'json') return ctx.host.stdout(`${JSON.stringify(rows, null, 2)}\n`);
      ctx.host.stdout(`${'NAME'.padEnd(40)} ${'IMAGE ID'.padEnd(14)} ${'DIGEST'.padEnd(20)} SIZE\n`);
      for (const r of rows) ctx.host.stdout(`${r.name.padEnd(40)} ${r.imageId.slice(7, 19).padEnd(14)} ${r.digest.slice(0, 19).padEnd(20)} ${r.size}\n`);
    }));
  cmd.command('rm').description('remove image names (blobs are freed by cache prune)').argument('<name...>')
    .action(guarded(ctx, async (names: string[]) => {
      const { refs } = stores(ctx);
      for (const n of names) {
        const { name } = await lookup(refs, n);
        await refs.delete(name);
        ctx.host.stdout(`Untagged: ${parseReference(name).familiar}\n`);
      }
    }));
  cmd.command('inspect').description('show an image manifest and config').argument('<name>')
    .action(guarded(ctx, async (n: string) => {
      const { content, refs } = stores(ctx);
      const { name, desc } = await lookup(refs, n);
      const manifest = await content.readJson<{ config: Descriptor }>(desc.digest);
      const config = await content.readJson<unknown>(manifest.config.digest);
      ctx.host.stdout(`${JSON.stringify({ name, descriptor: desc, manifest, config }, null, 2)}\n`);
    }));
  cmd.command('tag').description('give an image another name').argument('<source>').argument('<target>')
    .action(guarded(ctx, async (src: string, dst: string) => {
      const { refs } = stores(ctx);
      const { desc } = await lookup(refs, src);
      await refs.set(parseReference(dst).toString(), desc);
    }));
  cmd.command('save').description('write images to an archive').argument('<name...>')
    .requiredOption('-o, --output <file>', 'archive to write')
    .option('--format <fmt>', 'oci or docker', 'oci')
    .action(guarded(ctx, async (names: string[], f: { output: string; format: string }) => {
      if (f.format !== 'oci' && f.format !== 'docker') throw ctx.usage(`invalid --format "${f.format}": oci or docker`);
      const { content, refs } = stores(ctx);
      const found = await Promise.all(names.map((n) => lookup(refs, n)));
      const dest = path.resolve(ctx.host.cwd, f.output);
      const tmp = tempName(dest);
      try {
        const out = createWriteStream(tmp);
        const closed = new Promise<void>((res, rej) => out.on('finish', res).on('error', rej));
        if (f.format === 'oci') {
          await writeOciTar(out, { content, manifests: found.map((x) => ({ descriptor: x.desc, refName: x.name })) });
        } else {
          await writeDockerArchive(out, { content, images: found.map((x) => ({ manifest: x.desc, repoTags: [parseReference(x.name).familiar] })) });
        }
        await closed;
        await fsp.rename(tmp, dest);
      } finally {
        await fsp.rm(tmp, { force: true });
      }
    }));
  cmd.command('load').description('import images from an OCI layout (dir or tar) or a docker-archive tar')
    .requiredOption('-i, --input <path>', 'archive file or OCI layout directory')
    .option('-t, --tag <name>', 'name for an image that has none in the archive')
    .action(guarded(ctx, async (f: { input: string; tag?: string }) => {
      const { content, refs } = stores(ctx);
      const src = path.resolve(ctx.host.cwd, f.input);
      const images = await readArchive(src, { content });
      // Names are written only after every blob of every image was verified and stored.
      for (const img of images) {
        const names = img.refNames.length > 0 ? img.refNames : f.tag ? [f.tag] : [];
        for (const n of names) {
          const full = parseReference(n).toString();
          await refs.set(full, img.manifest);
          ctx.host.stdout(`Loaded image: ${parseReference(full).familiar}\n`);
        }
        if (names.length === 0) ctx.host.stdout(`Loaded image: ${img.manifest.digest}\n`);
      }
    }));
  return cmd;
}
