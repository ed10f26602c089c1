// Shell glob patterns of `${V#p}`, `${V%p}`, `${V/p/r}` translated to regular expressions, with
// Go regexp semantics where they differ from JavaScript (`.` excludes only `\n`, replace-all).

export class PatternError extends Error {}

/** Go's `.` matches anything but a newline; JavaScript's also excludes `\r`, U+2028, U+2029. */
const ANY = '[^\\n]';
const SPECIAL = new Set(['[', ']', '{', '}', '.', '+', '(', ')', '|', '^', '$']);

export function shellPatternToRegex(pattern: string, greedy: boolean, anchored: boolean): RegExp {
  const chars = Array.from(pattern);
  let out = anchored ? '^' : '';
  const star = greedy ? `${ANY}*` : `${ANY}*?`;
  for (let i = 0; i < chars.length; i++) {
    let tok = chars[i] as string;
    if (tok === '*') {
      out += star;
      continue;
    }
    if (tok === '?') {
      out += ANY;
      continue;
    }
    if (tok === '\\') {
      const peek = chars[i + 1];
      // `}` and `/` are escaped only to protect the `${...}` syntax; the escape is not part of the pattern.
      if (peek === '}' || peek === '/') continue;
      i++;
      tok = chars[i] ?? '';
      if (tok !== '*' && tok !== '?' && tok !== '\\') {
        throw new PatternError(`invalid escape '\\${tok === '' ? '\ufffd' : tok}'`);
      }
      out += '\\' + tok;
      continue;
    }
    if (SPECIAL.has(tok)) out += '\\';
    out += tok;
  }
  return new RegExp(out, 'u');
}

function trimPrefixWith(re: RegExp, value: string): string {
  const m = re.exec(value);
  return m ? value.slice(m.index + m[0].length) : value;
}

export function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  return trimPrefixWith(shellPatternToRegex(pattern, greedy, true), value);
}

/** Reverses a pattern while keeping each escape in front of the character it escapes. */
export function reversePattern(pattern: string): string {
  const runes = Array.from(pattern);
  const out: string[] = new Array<string>(runes.length);
  const last = runes.length - 1;
  for (let i = 0; i <= last; ) {
    const tok = runes[i] as string;
    const outIdx = last - i;
    if (tok === '\\' && i !== last) {
      out[outIdx - 1] = tok;
      out[outIdx] = runes[i + 1] as string;
      i += 2;
    } else {
      out[outIdx] = tok;
      i++;
    }
  }
  return out.join('');
}

function reverseString(s: string): string {
  return Array.from(s).reverse().join('');
}

/** Shortest/longest suffix removal: reversing both sides turns it into a leftmost prefix search. */
export function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  return reverseString(trimPrefix(reversePattern(pattern), reverseString(value), greedy));
}

/** Go's Regexp.Expand template: `$$`, `$name`, `${name}`; the pattern has only group 0. */
function expandTemplate(template: string, match: string): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const d = template.indexOf('$', i);
    if (d < 0) break;
    out += template.slice(i, d);
    i = d + 1;
    if (template[i] === '$') {
      out += '$';
      i++;
      continue;
    }
    let name = '';
    let end = i;
    if (template[i] === '{') {
      const close = template.indexOf('}', i + 1);
      const inner = close < 0 ? '' : template.slice(i + 1, close);
      if (close > 0 && /^[A-Za-z0-9_]+$/.test(inner)) {
        name = inner;
        end = close + 1;
      }
    } else {
      const m = /^[A-Za-z0-9_]+/.exec(template.slice(i));
      if (m) {
        name = m[0];
        end = i + name.length;
      }
    }
    if (name === '') {
      out += '$';
      continue;
    }
    i = end;
    if (/^[0-9]+$/.test(name) && Number(name) === 0) out += match;
  }
  return out + template.slice(i);
}

/** Go's Regexp.ReplaceAllString: an empty match right after a previous match is not replaced. */
export function goReplaceAll(re: RegExp, src: string, repl: string): string {
  const g = new RegExp(re.source, 'gu');
  let out = '';
  let lastMatchEnd = 0;
  let searchPos = 0;
  while (searchPos <= src.length) {
    g.lastIndex = searchPos;
    const m = g.exec(src);
    if (!m) break;
    const a0 = m.index;
    const a1 = m.index + m[0].length;
    out += src.slice(lastMatchEnd, a0);
    if (a1 > lastMatchEnd || a0 === 0) out += expandTemplate(repl, m[0]);
    lastMatchEnd = a1;
    const cp = src.codePointAt(searchPos);
    const width = cp !== undefined && cp > 0xffff ? 2 : 1;
    if (searchPos + width > a1) searchPos += width;
    else if (searchPos + 1 > a1) searchPos++;
    else searchPos = a1;
  }
  return out + src.slice(lastMatchEnd);
}
