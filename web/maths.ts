/**
 * Typesets the page's equations offline: every element with a data-tex attribute is rendered by KaTeX
 * (bundled, with its stylesheet and woff2 fonts inlined into dist/main.css by scripts/web-build.mjs): HTML for
 * the eye, MathML for screen readers; nothing is fetched.
 */
import 'katex/dist/katex.min.css';
import katex from 'katex';

export function typesetMaths(root: ParentNode): void {
  for (const el of root.querySelectorAll<HTMLElement>('[data-tex]')) {
    katex.render(el.dataset.tex ?? '', el, { output: 'htmlAndMathml', displayMode: el.tagName === 'DIV', throwOnError: true, trust: false });
  }
}
