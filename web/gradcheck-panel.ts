/** "The gradient, proven": runs the checks of gradcheck-cases.ts in the tab and shows their table. */
import { fmt, h, nextFrame, scrollBox } from './dom.js';
import { runOpChecks, runSelmChecks, type CheckRow } from './gradcheck-cases.js';

function exp10(v: number): string {
  return v === 0 ? '0' : v.toExponential(1).replace('-', '−');
}

export function mountGradcheckPanel(root: HTMLElement): void {
  const button = h('button', { id: 'run-gradcheck', attrs: { type: 'button' } }, 'Run the checks');
  const status = h('p', { class: 'status', id: 'gradcheck-status', attrs: { role: 'status' } });
  const out = h('div', {});
  root.append(h('div', { class: 'controls' }, button), status, out);
  button.addEventListener('click', () => {
    void (async () => {
      button.disabled = true;
      status.textContent = 'Checking…';
      await nextFrame();
      try {
        const started = performance.now();
        const rows = [...runOpChecks(), ...runSelmChecks()];
        const passed = rows.filter((r) => r.pass).length;
        out.replaceChildren(scrollBox('table-scroll', table(rows)));
        status.textContent = `${passed} of ${rows.length} pass, in ${fmt(performance.now() - started, 0)} ms.`;
        root.dataset.state = passed === rows.length ? 'all-pass' : 'some-fail';
      } catch (e) {
        status.textContent = `Could not run: ${e instanceof Error ? e.message : String(e)}`;
        root.dataset.state = 'error';
      } finally {
        button.disabled = false;
      }
    })();
  });
}

function table(rows: readonly CheckRow[]): HTMLTableElement {
  return h(
    'table',
    { id: 'gradcheck-table' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, 'check'),
        h('th', {}, 'what is differentiated'),
        h('th', {}, 'max abs error'),
        h('th', {}, 'max rel error'),
        h('th', {}, 'result'),
      ),
    ),
    h(
      'tbody',
      {},
      ...rows.map((r, i) =>
        h(
          'tr',
          { class: i > 0 && rows[i - 1]!.group !== r.group ? 'group-start' : '', attrs: { 'data-pass': String(r.pass) } },
          h('td', {}, h('code', {}, r.name)),
          h('td', { class: 'what' }, r.what),
          h('td', { class: 'num' }, exp10(r.maxAbsError)),
          h('td', { class: 'num' }, exp10(r.maxRelError)),
          h('td', { class: r.pass ? 'pass' : 'fail' }, r.pass ? '✓ pass' : '✗ FAIL'),
        ),
      ),
    ),
  );
}
