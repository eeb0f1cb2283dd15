/** Small DOM helpers for the page: typed element builders for HTML and inline SVG, and a yield to the painter. */

type Child = Node | string | number | null | undefined | false;

export interface Props {
  class?: string;
  id?: string;
  /** Attributes set verbatim (data-*, aria-*, for, type, ...). */
  attrs?: Record<string, string | number>;
}

function append(parent: Node, children: readonly Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** An HTML element with props and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.id) el.id = props.id;
  for (const [k, v] of Object.entries(props.attrs ?? {})) el.setAttribute(k, String(v));
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element with attributes and children. */
export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number> = {},
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  append(el, children);
  return el;
}

/** The element with this id, checked to be of the expected class (the page's HTML and code must agree). */
export function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error(`page: #${id} is missing or is not a ${type.name}`);
  return el;
}

/** Lets the browser paint a status message before a synchronous computation blocks the main thread. */
export function nextFrame(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}

/** A number with `digits` decimals and a true minus sign. */
export function fmt(value: number, digits = 3): string {
  const text = value.toFixed(digits);
  // −0, or a tiny negative that rounds to zero, reads as 0.
  return (/^-0\.?0*$/.test(text) ? text.slice(1) : text).replace('-', '−');
}

/** A signed number (+0.012, −0.034). */
export function signed(value: number, digits = 3): string {
  return (value >= 0 ? '+' : '') + fmt(value, digits);
}

export interface SliderSpec {
  id: string;
  label: string;
  min: number;
  max: number;
  step: number;
  value: number;
  hint: string;
}

export interface SliderControl {
  /** The labelled control to place in the page (its accessible name is the label text). */
  label: HTMLLabelElement;
  input: HTMLInputElement;
  set(value: number): void;
}

/** A range input inside its label, with the current value shown beside the name; `onInput` on every move. */
export function slider(spec: SliderSpec, onInput: (value: number) => void): SliderControl {
  const output = h('output', { id: `${spec.id}-out` }, String(spec.value));
  const input = h('input', { id: spec.id, attrs: { type: 'range', min: spec.min, max: spec.max, step: spec.step, value: spec.value } });
  input.addEventListener('input', () => {
    output.textContent = input.value;
    onInput(Number(input.value));
  });
  const label = h(
    'label',
    { class: 'slider', attrs: { for: spec.id } },
    h('span', { class: 'name' }, spec.label, ' = ', output),
    input,
    h('span', { class: 'hint' }, spec.hint),
  );
  return {
    label,
    input,
    set(value: number) {
      input.value = String(value);
      output.textContent = input.value;
    },
  };
}

/**
 * A box that scrolls sideways when its content is wider than the screen (a phone): focusable and named, so a
 * keyboard user can reach and scroll it. `cls` is 'table-scroll' or 'scroll-x' (index.html's styles).
 */
export function scrollBox(cls: 'table-scroll' | 'scroll-x', child: Element): HTMLDivElement {
  const name = child.querySelector('caption')?.textContent ?? child.getAttribute('aria-label') ?? 'scrollable content';
  return h(
    'div',
    { class: cls, attrs: { tabindex: 0, role: 'region', 'aria-label': name.length > 90 ? `${name.slice(0, 87)}…` : name } },
    child,
  );
}

/** A select with (value, text) options. */
export function select(id: string, options: readonly (readonly [string, string])[], value: string): HTMLSelectElement {
  const el = h('select', { id });
  for (const [v, text] of options) el.append(h('option', { attrs: { value: v } }, text));
  el.value = value;
  return el;
}

/**
 * A control in a label with its name above and, when given, a hint below (the control's accessible name is the
 * label text).
 */
export function labelled(id: string, name: string, control: HTMLElement, hint?: string): HTMLLabelElement {
  return h(
    'label',
    { class: 'slider', attrs: { for: id } },
    h('span', { class: 'name' }, name),
    control,
    hint === undefined ? null : h('span', { class: 'hint' }, hint),
  );
}

/** A checkbox inside its label, the label in the colour of what it switches on. */
export function checkbox(id: string, checked: boolean, text: string, color: string): { label: HTMLLabelElement; input: HTMLInputElement } {
  const input = h('input', { id, attrs: { type: 'checkbox' } });
  input.checked = checked;
  return { label: h('label', { class: 'check', attrs: { for: id, style: `color:${color}` } }, input, ` ${text}`), input };
}
