// The comma-separated `key=value` list of a RUN --mount value (CSV quoting as Go's encoding/csv).

export class CsvError extends Error {}

export function splitCsvFields(value: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (value[i] === '"') {
      i++;
      for (;;) {
        if (i >= value.length) throw new CsvError('extraneous or missing " in quoted-field');
        const c = value[i] as string;
        if (c === '"') {
          if (value[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += c;
        i++;
      }
      if (i < value.length && value[i] !== ',') throw new CsvError('extraneous or missing " in quoted-field');
    } else {
      const end = value.indexOf(',', i);
      field = value.slice(i, end < 0 ? value.length : end);
      if (field.includes('"')) throw new CsvError('bare " in non-quoted-field');
      i = end < 0 ? value.length : end;
    }
    fields.push(field);
    if (i >= value.length) return fields;
    i++;
  }
}

function needsQuotes(field: string): boolean {
  if (field === '') return false;
  if (field === '\\.') return true;
  return /[",\r\n]/.test(field) || field[0] === ' ' || field[0] === '\t';
}

export function joinCsvFields(fields: readonly string[]): string {
  return fields.map((f) => (needsQuotes(f) ? `"${f.replace(/"/g, '""')}"` : f)).join(',');
}
