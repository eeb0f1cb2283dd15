/**
 * "The engine on your GPU": tries WebGL2, then WebGL, for one float32 matmul and shows what really ran: the
 * WebGL renderer the browser offers (a software one such as SwiftShader when there is no usable GPU) and
 * gpu.js's own account of the kernel's mode. No WebGL at all is a message, not a crash.
 */
import { fmt, h, nextFrame } from './dom.js';
import { compareMatmul, ranOnGl, type MatmulComparison } from './gpu-matmul.js';

const N = 256;

/** The renderer string of a fresh WebGL context, or null when the browser gives none. */
function webglRenderer(kind: 'webgl2' | 'webgl'): string | null {
  try {
    const canvas = document.createElement('canvas');
    const gl: WebGLRenderingContext | WebGL2RenderingContext | null =
      kind === 'webgl2' ? canvas.getContext('webgl2') : canvas.getContext('webgl');
    if (!gl) return null;
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const name = ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return String(name);
  } catch {
    return null;
  }
}

export function mountGpuPanel(root: HTMLElement): void {
  const button = h('button', { id: 'run-gpu', attrs: { type: 'button' } }, `Multiply two ${N}×${N} matrices`);
  const status = h('p', { class: 'status', id: 'gpu-status', attrs: { role: 'status' } });
  const out = h('div', { id: 'gpu-result' });
  root.append(h('div', { class: 'controls' }, button), status, out);
  button.addEventListener('click', () => {
    void (async () => {
      button.disabled = true;
      status.textContent = 'Compiling a gpu.js kernel and running it…';
      await nextFrame();
      try {
        const attempts: MatmulComparison[] = [];
        for (const mode of ['webgl2', 'webgl'] as const) {
          if (webglRenderer(mode) === null) {
            attempts.push({
              mode,
              n: N,
              info: null,
              error: `this browser gives no ${mode} context`,
              cpuMs: NaN,
              gpuFirstMs: NaN,
              gpuMs: NaN,
              maxAbsDiff: NaN,
              relDiff: NaN,
            });
            continue;
          }
          const c = compareMatmul(mode, N);
          attempts.push(c);
          if (c.error === null) break;
        }
        render(root, status, out, attempts);
      } catch (e) {
        // compareMatmul catches gpu.js errors itself; this is for anything else, so the page never breaks.
        status.textContent = `WebGL run failed: ${e instanceof Error ? e.message : String(e)}`;
        root.dataset.state = 'error';
      } finally {
        button.disabled = false;
      }
    })();
  });
}

function render(root: HTMLElement, status: HTMLElement, out: HTMLElement, attempts: readonly MatmulComparison[]): void {
  const ran = attempts.find((a) => a.error === null);
  const lines = attempts.filter((a) => a.error !== null).map((a) => h('li', {}, `${a.mode}: not used (${a.error})`));
  if (!ran) {
    status.textContent =
      'WebGL is not available here, so this panel cannot run a GPU kernel. Everything else on the page runs on the cpu backend and is unaffected.';
    out.replaceChildren(h('ul', { class: 'attempts' }, ...lines));
    root.dataset.state = 'no-webgl';
    return;
  }
  const info = ran.info!;
  const onGl = ranOnGl(ran);
  const renderer = webglRenderer(ran.mode === 'webgl' ? 'webgl' : 'webgl2') ?? 'unknown';
  const software = /swiftshader|llvmpipe|software/i.test(renderer);
  const agrees =
    ran.relDiff < 1e-4
      ? 'it agrees with the cpu backend to float32 rounding.'
      : 'it does NOT agree with the cpu backend: see the difference below.';
  status.textContent = onGl
    ? `The product ran as a ${info.gpuMode === 'webgl2' ? 'WebGL2' : 'WebGL'} shader${software ? ' on a software renderer (no GPU in use)' : ''}; ${agrees}`
    : `gpu.js did not run the product on WebGL: it fell back to its ${info.kernelModes.join(', ') || 'cpu'} mode; ${agrees}`;
  const dl = h(
    'dl',
    { class: 'facts' },
    ...fact('requested mode', ran.mode),
    ...fact('gpu.js GPU mode', info.gpuMode ?? '—'),
    ...fact('kernel modes that ran', info.kernelModes.map((m) => (m === 'gpu' ? 'gpu (a GL shader)' : m)).join(', ') || '—'),
    ...fact('WebGL renderer', renderer),
    ...fact('max |C_gpu − C_cpu|', `${ran.maxAbsDiff.toExponential(2)} (relative to max |C|: ${ran.relDiff.toExponential(2)})`),
    ...fact('time, cpu backend', `${fmt(ran.cpuMs, 1)} ms`),
    ...fact('time, gpu.js', `${fmt(ran.gpuFirstMs, 1)} ms first call (kernel compile), ${fmt(ran.gpuMs, 1)} ms second`),
    ...(info.fallbackReasons.length > 0 ? fact('fallback reasons', info.fallbackReasons.join('; ')) : []),
  );
  out.replaceChildren(dl, lines.length > 0 ? h('ul', { class: 'attempts' }, ...lines) : '');
  root.dataset.state = onGl ? 'ran-webgl' : 'gpujs-fallback';
  root.dataset.mode = info.kernelModes.join(',');
}

function fact(term: string, value: string): HTMLElement[] {
  return [h('dt', {}, term), h('dd', {}, value)];
}
