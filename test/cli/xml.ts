/**
 * A strict XML well-formedness check for the report's SVG figures (no dependency): one root element, tags
 * nested and closed, attributes quoted and not repeated, and every '&' an entity. Throws with the offset.
 */
const NAME = /^[A-Za-z_:][\w:.-]*/;
const ENTITY = /^&(amp|lt|gt|quot|apos|#\d+|#x[0-9A-Fa-f]+);/;

function checkText(text: string, at: number): void {
  for (let i = text.indexOf('&'); i >= 0; i = text.indexOf('&', i + 1)) {
    if (!ENTITY.test(text.slice(i))) throw new Error(`xml: bare '&' at ${at + i}`);
  }
}

/** Returns the root element's name. */
export function checkXml(xml: string): string {
  const stack: string[] = [];
  let root: string | null = null;
  let i = 0;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt < 0 ? xml.length : lt);
    if (text.trim() !== '' && stack.length === 0) throw new Error(`xml: text outside the root element at ${i}`);
    checkText(text, i);
    if (lt < 0) break;
    if (xml.startsWith('<?', lt)) {
      const end = xml.indexOf('?>', lt);
      if (end < 0) throw new Error(`xml: unterminated processing instruction at ${lt}`);
      i = end + 2;
      continue;
    }
    if (xml.startsWith('<!--', lt)) {
      const end = xml.indexOf('-->', lt);
      if (end < 0) throw new Error(`xml: unterminated comment at ${lt}`);
      i = end + 3;
      continue;
    }
    if (xml.startsWith('<![CDATA[', lt)) {
      const end = xml.indexOf(']]>', lt);
      if (end < 0) throw new Error(`xml: unterminated CDATA at ${lt}`);
      i = end + 3;
      continue;
    }
    const gt = xml.indexOf('>', lt);
    if (gt < 0) throw new Error(`xml: unterminated tag at ${lt}`);
    let body = xml.slice(lt + 1, gt);
    if (body.startsWith('/')) {
      const name = body.slice(1).trim();
      const open = stack.pop();
      if (open !== name) throw new Error(`xml: </${name}> at ${lt} closes <${open ?? 'nothing'}>`);
      i = gt + 1;
      continue;
    }
    const selfClosing = body.endsWith('/');
    if (selfClosing) body = body.slice(0, -1);
    const name = NAME.exec(body)?.[0];
    if (!name) throw new Error(`xml: bad tag name at ${lt}`);
    if (stack.length === 0) {
      if (root !== null) throw new Error(`xml: a second root element <${name}> at ${lt}`);
      root = name;
    }
    let rest = body.slice(name.length);
    const seen = new Set<string>();
    while (rest.trim() !== '') {
      const m = /^\s+([A-Za-z_:][\w:.-]*)\s*=\s*("[^"<]*"|'[^'<]*')/.exec(rest);
      if (!m) throw new Error(`xml: bad attribute in <${name}> at ${lt}: ${rest.slice(0, 40)}`);
      if (seen.has(m[1]!)) throw new Error(`xml: repeated attribute ${m[1]} in <${name}> at ${lt}`);
      seen.add(m[1]!);
      checkText(m[2]!, lt);
      rest = rest.slice(m[0].length);
    }
    if (!selfClosing) stack.push(name);
    i = gt + 1;
  }
  if (stack.length > 0) throw new Error(`xml: <${stack[stack.length - 1]}> is never closed`);
  if (root === null) throw new Error('xml: no root element');
  return root;
}
