/**
 * Typesets the page's equations offline: every element with a data-tex attribute is rendered by KaTeX
 * (bundled, with its stylesheet and woff2 fonts inlined into dist/main.css by scripts/web-build.mjs): HTML for
 * the eye, MathML for screen readers; nothing is fetched.
 */
import 'katex/dist/katex.min.css';
import katex from 'katex';

export function typesetMaths(root: ParentNode): void {
  for (const el of root.querySelectorAll<HTMLElement>('[data-tex]')) {
    const display = el.tagName === 'DIV';
    katex.render(el.dataset.tex ?? '', el, { output: 'htmlAndMathml', displayMode: display, throwOnError: true, trust: false });
    // A display equation may scroll sideways on a phone: keyboard users must be able to reach and scroll it.
    if (display) el.tabIndex = 0;
  }
}
