/** The generated layer norm kernels (forward and gradient), four lanes at a time; see row-kernels.ts. */
import type { ModuleBuilder } from './emitter.js';
import { quadSteps, rowLoop, rowSum, type I32 } from './simd-helpers.js';

/** layernorm_rows(x, dst, rows, cols, eps) and layernorm_grad(x, g, dst, rows, cols, eps); see cpu/reference-rows.ts. */
export function emitLayerNorm(mod: ModuleBuilder): void {
  for (const grad of [false, true]) {
    const { f } = mod.func(
      grad ? 'layernorm_grad' : 'layernorm_rows',
      grad ? ['i32', 'i32', 'i32', 'i32', 'i32', 'f32'] : ['i32', 'i32', 'i32', 'i32', 'f32'],
    );
    const x = f.param(0, 'i32');
    const g = grad ? f.param(1, 'i32') : null;
    const base = grad ? 2 : 1;
    const dst = f.param(base, 'i32');
    const rows = f.param(base + 1, 'i32');
    const cols = f.param(base + 2, 'i32');
    const eps = f.param(base + 3, 'f32');
    const mu = f.local('v128');
    const rstd = f.local('v128');
    const mg = f.local('v128');
    const mgx = f.local('v128');
    const xh = f.local('v128');
    const off = f.local('i32');
    const nInv = f.local('f32');
    rowLoop(f, rows, cols, (_r, ro) => {
      const at = (p: I32, o: I32): void => void f.get(p).get(ro).op('i32.add').get(o).op('i32.add');
      f.f32(1).get(cols).op('f32.convert_i32_s').op('f32.div').set(nInv);
      rowSum(f, cols, (o) => void (at(x, o), f.loadV128()));
      f.get(nInv).op('f32.mul').simd('f32x4.splat').set(mu);
      rowSum(f, cols, (o) => {
        at(x, o);
        f.loadV128().get(mu).simd('f32x4.sub').set(xh).get(xh).get(xh).simd('f32x4.mul');
      });
      // rstd = 1 / sqrt(var + eps), through a scalar local (the stack has no swap).
      f.get(nInv).op('f32.mul').get(eps).op('f32.add').op('f32.sqrt').set(nInv);
      f.f32(1).get(nInv).op('f32.div').simd('f32x4.splat').set(rstd);
      f.f32(1).get(cols).op('f32.convert_i32_s').op('f32.div').set(nInv);
      // xh = (x - mu) rstd of the quad at `off` (tails read a splat).
      const normalised = (load: () => void): void => {
        at(x, off);
        load();
        f.get(mu).simd('f32x4.sub').get(rstd).simd('f32x4.mul').set(xh);
      };
      if (!grad) {
        const step = (load: () => void, store: () => void): void => {
          at(dst, off);
          normalised(load);
          f.get(xh);
          store();
        };
        quadSteps(f, cols, off, step);
        return;
      }
      rowSum(f, cols, (o) => void (at(g!, o), f.loadV128()));
      f.get(nInv).op('f32.mul').simd('f32x4.splat').set(mg);
      rowSum(f, cols, (o) => {
        at(g!, o);
        f.loadV128();
        at(x, o);
        f.loadV128().get(mu).simd('f32x4.sub').get(rstd).simd('f32x4.mul').simd('f32x4.mul');
      });
      f.get(nInv).op('f32.mul').simd('f32x4.splat').set(mgx);
      const step = (load: () => void, store: () => void): void => {
        at(dst, off);
        normalised(load);
        at(g!, off);
        load();
        f.get(mg).simd('f32x4.sub').get(xh).get(mgx).simd('f32x4.mul').simd('f32x4.sub').get(rstd).simd('f32x4.mul');
        store();
      };
      quadSteps(f, cols, off, step);
    });
  }
}
