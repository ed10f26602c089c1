// Expands exactly the fields of an instruction that BuildKit expands before dispatching it
// (instructions/commands.go `Expand` methods plus the ARG, EXPOSE and RUN --mount special cases).
import { expandWord, expandWords, type ExpandOptions } from './expand.js';
import { CsvError, joinCsvFields, splitCsvFields } from './mount-fields.js';
import type { Instruction } from './types.js';
import { TsbuildError } from '../core/index.js';

export function expandInstruction(inst: Instruction, opts: ExpandOptions): { instruction: Instruction; used: Set<string> } {
  const used = new Set<string>();
  const loc = inst.location;
  const word = (w: string): string => {
    const r = expandWord(w, opts, loc);
    for (const u of r.used) used.add(u);
    return r.value;
  };
  const out = structuredClone(inst);
  switch (out.kind) {
    case 'from':
      out.image = word(out.image);
      if (out.platform !== undefined) out.platform = word(out.platform);
      break;
    case 'run':
      out.mounts = out.mounts.map((m) => expandMount(m, word, loc));
      break;
    case 'env':
    case 'label':
      out.pairs = out.pairs.map((p) => ({ key: word(p.key), value: word(p.value) }));
      break;
    case 'expose':
      out.ports = out.ports.flatMap((p) => {
        const r = expandWords(p, opts, loc);
        for (const u of r.used) used.add(u);
        return r.values;
      });
      break;
    case 'copy':
    case 'add': {
      // Heredoc sources are inline content, not paths; their bodies expand later, with the raw lexer.
      const inline = new Set(out.heredocs.map((h) => h.name));
      out.sources = out.sources.map((s) => (inline.has(s) ? s : word(s)));
      out.dest = word(out.dest);
      if (out.chown !== undefined) out.chown = word(out.chown);
      if (out.chmod !== undefined) out.chmod = word(out.chmod);
      if (out.checksum !== undefined) out.checksum = word(out.checksum);
      break;
    }
    case 'volume':
      out.paths = out.paths.map(word);
      break;
    case 'user':
      out.user = word(out.user);
      break;
    case 'workdir':
      out.path = word(out.path);
      break;
    case 'stopsignal':
      out.signal = word(out.signal);
      break;
    case 'arg':
      out.args = out.args.map((a) => (a.value === undefined ? { key: a.key } : { key: a.key, value: word(a.value) }));
      break;
    default:
      // CMD, ENTRYPOINT, SHELL, HEALTHCHECK, ONBUILD, MAINTAINER: kept verbatim, as Docker does.
      break;
  }
  return { instruction: out, used };
}

/** Each `key=value` field's value is expanded on its own; bare keywords (`ro`) stay as written. */
function expandMount(mount: string, word: (w: string) => string, location: Instruction['location']): string {
  let fields: string[];
  try {
    fields = splitCsvFields(mount);
  } catch (e) {
    if (!(e instanceof CsvError)) throw e;
    throw new TsbuildError('TSB1004', `failed to parse csv mounts: ${e.message}`, { location });
  }
  return joinCsvFields(
    fields.map((f) => {
      const eq = f.indexOf('=');
      return eq < 0 ? f : `${f.slice(0, eq)}=${word(f.slice(eq + 1))}`;
    }),
  );
}
