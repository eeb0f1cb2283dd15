/**
 * Generated single-point mutants (issue 11): instead of a fixed list, every code line of the given source files
 * is scanned for places a typical bug could sit, and one mutant is made per place:
 *   - operator swaps: + ↔ −, * ↔ /, < ↔ <=, > ↔ >=, === ↔ !==, && ↔ ||;
 *   - dropped terms: `a + b` / `a - b` / `a * b` loses its second operand (an identifier, member or number);
 *   - constants: a numeric literal n becomes n + 1 (0 becomes 1, 1 becomes 2, 0.5 becomes 1.5);
 *   - swapped arguments: a call with exactly two simple arguments gets them in the other order.
 * Comments, imports, type-only lines and string contents are skipped. Pure: `generateMutants(path, text)`
 * returns the mutants with the line they change; mutation-generated.mjs runs them.
 */

const SKIP_LINE = /^\s*(\/\/|\*|\/\*|import |export (type|interface) |type |interface |readonly |[A-Za-z_]\w*\??: [A-Za-z_<>[\]|' ]+;$)/;

/** The line with string literals and trailing comments blanked (same length), so no rule fires inside them. */
function codeMask(line) {
  let out = '';
  let quote = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      out += c === quote && line[i - 1] !== '\\' ? c : ' ';
      if (c === quote && line[i - 1] !== '\\') quote = null;
      continue;
    }
    if (c === '/' && line[i + 1] === '/') return out + ' '.repeat(line.length - i);
    if (c === "'" || c === '"' || c === '`') quote = c;
    out += c;
  }
  return out;
}

const OPERATOR_SWAPS = [
  [/ \+ /g, ' - '],
  [/ - /g, ' + '],
  [/ \* /g, ' / '],
  [/ \/ /g, ' * '],
  [/ < /g, ' <= '],
  [/ <= /g, ' < '],
  [/ > /g, ' >= '],
  [/ >= /g, ' > '],
  [/ === /g, ' !== '],
  [/ !== /g, ' === '],
  [/ && /g, ' || '],
  [/ \|\| /g, ' && '],
];

const OPERAND = String.raw`(?:[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*|\[[^\]]*\]|!)*|\d+(?:\.\d+)?(?:e-?\d+)?)`;
const DROP = new RegExp(String.raw` [-+*] ${OPERAND}(?![\w$.(\[])`, 'g');
const NUMBER = /(?<![\w$.])(\d+(?:\.\d+)?)(?![\w$.]|e)/g;
const TWO_ARGS = new RegExp(String.raw`\b([A-Za-z_$][\w$]*)\((${OPERAND}), (${OPERAND})\)`, 'g');

export function generateMutants(file, text) {
  const lines = text.split('\n');
  const out = [];
  let inBlockComment = false;
  lines.forEach((line, index) => {
    if (inBlockComment) {
      if (line.includes('*/')) inBlockComment = false;
      return;
    }
    if (/^\s*\/\*/.test(line) && !line.includes('*/')) {
      inBlockComment = true;
      return;
    }
    if (SKIP_LINE.test(line) || line.includes('throw new') || line.includes('Error(')) return;
    const mask = codeMask(line);
    const add = (kind, start, end, replacement) => {
      const mutated = line.slice(0, start) + replacement + line.slice(end);
      if (mutated !== line) out.push({ file, line: index + 1, kind, before: line, after: mutated });
    };
    for (const [pattern, replacement] of OPERATOR_SWAPS) {
      for (const m of mask.matchAll(pattern)) add(`swap '${m[0].trim()}'`, m.index, m.index + m[0].length, replacement);
    }
    for (const m of mask.matchAll(DROP)) add(`drop '${m[0].trim()}'`, m.index, m.index + m[0].length, '');
    for (const m of mask.matchAll(NUMBER)) {
      const n = Number(m[1]);
      add(`constant ${m[1]}`, m.index, m.index + m[1].length, String(n + 1));
    }
    for (const m of mask.matchAll(TWO_ARGS)) {
      if (m[2] === m[3]) continue;
      add(`swap arguments of ${m[1]}`, m.index, m.index + m[0].length, `${m[1]}(${m[3]}, ${m[2]})`);
    }
  });
  return out;
}
