// Small re-implementations of Go standard-library text helpers whose exact behaviour the
// BuildKit-compatible parser depends on (unicode.IsSpace, strings.TrimSpace, strconv.Quote, Regexp.Split).

/** Go's unicode.IsSpace: differs from JS `\s` (no U+FEFF, but U+0085). */
export function isSpace(ch: string): boolean {
  switch (ch) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case '\u0085':
    case '\u00a0':
    case '\u1680':
    case '\u2028':
    case '\u2029':
    case '\u202f':
    case '\u205f':
    case '\u3000':
      return true;
    default:
      return ch >= '\u2000' && ch <= '\u200a';
  }
}

export function trimLeftSpace(s: string): string {
  let i = 0;
  while (i < s.length && isSpace(s[i] as string)) i++;
  return s.slice(i);
}

export function trimRightSpace(s: string): string {
  let j = s.length;
  while (j > 0 && isSpace(s[j - 1] as string)) j--;
  return s.slice(0, j);
}

export function trimSpace(s: string): string {
  return trimRightSpace(trimLeftSpace(s));
}

const printable = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** Go's strconv.Quote: a double-quoted Go string literal with Go's escaping rules. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') {
      out += '\\' + ch;
      continue;
    }
    if (c === 0x20 || (c > 0x20 && c < 0x7f) || (c >= 0x80 && printable.test(ch))) {
      out += ch;
      continue;
    }
    switch (c) {
      case 7:
        out += '\\a';
        continue;
      case 8:
        out += '\\b';
        continue;
      case 12:
        out += '\\f';
        continue;
      case 10:
        out += '\\n';
        continue;
      case 13:
        out += '\\r';
        continue;
      case 9:
        out += '\\t';
        continue;
      case 11:
        out += '\\v';
        continue;
    }
    if (c < 0x20 || c === 0x7f) out += '\\x' + hex(c, 2);
    else if (c >= 0xd800 && c <= 0xdfff) out += '\\ufffd';
    else if (c > 0xffff) out += '\\U' + hex(c, 8);
    else out += '\\u' + hex(c, 4);
  }
  return out + '"';
}

/** Go's Regexp.Split(s, n) (n < 0: all). `re` must not be global/sticky. */
export function goSplit(s: string, re: RegExp, n: number): string[] {
  if (n === 0) return [];
  if (s.length === 0) return [''];
  const g = new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g');
  const matches: Array<[number, number]> = [];
  let m: RegExpExecArray | null;
  while ((m = g.exec(s)) !== null) {
    if (n > 0 && matches.length >= n) break;
    matches.push([m.index, m.index + m[0].length]);
    if (m[0].length === 0) g.lastIndex++;
  }
  const parts: string[] = [];
  let beg = 0;
  let end = 0;
  for (const [a, b] of matches) {
    if (n > 0 && parts.length === n - 1) break;
    end = a;
    if (b !== 0) parts.push(s.slice(beg, end));
    beg = b;
  }
  if (end !== s.length) parts.push(s.slice(beg));
  return parts;
}

/** Byte-wise (UTF-8 order) string comparison, as Go's sort of strings does. */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
