/** The float32 kernels' inline exp and tanh (backend/cpu/fast-math.ts) against Math, on dense grids and specials. */
import { expect, test } from 'vitest';
import { expNonPositive, tanhFloat32 } from '../../src/autograd/backend/cpu/fast-math.js';

test('expNonPositive is within 1e-8 relative of Math.exp on [-104, 0], and exact at the specials', () => {
  let worst = 0;
  for (let i = 0; i <= 1_040_000; i++) {
    const t = -i / 10_000;
    const e = Math.exp(t);
    if (e < 1e-38) continue; // below float32's normal range the absolute error is what counts
    worst = Math.max(worst, Math.abs(expNonPositive(t) - e) / e);
  }
  expect(worst).toBeLessThan(1e-8);
  expect(expNonPositive(0)).toBe(1);
  expect(expNonPositive(-Infinity)).toBe(0);
  expect(expNonPositive(-1e9)).toBe(0);
  expect(expNonPositive(Number.NaN)).toBeNaN();
  expect(Math.abs(expNonPositive(-103.9))).toBeLessThan(1e-44);
});

test('tanhFloat32 is within 2e-7 relative of Math.tanh, odd, saturating, and NaN-preserving', () => {
  let worst = 0;
  let worstSech2 = 0;
  for (let i = -2_000_000; i <= 2_000_000; i++) {
    const u = i / 100_000;
    const e = Math.tanh(u);
    const a = tanhFloat32(u);
    if (e !== 0) worst = Math.max(worst, Math.abs(a - e) / Math.abs(e));
    worstSech2 = Math.max(worstSech2, Math.abs(1 - a * a - (1 - e * e)));
    if (tanhFloat32(-u) !== -a) expect.fail(`not odd at ${u}`);
  }
  expect(worst).toBeLessThan(2e-7);
  expect(worstSech2).toBeLessThan(1e-7);
  expect(tanhFloat32(0)).toBe(0);
  expect(tanhFloat32(Infinity)).toBe(1);
  expect(tanhFloat32(-Infinity)).toBe(-1);
  expect(tanhFloat32(Number.NaN)).toBeNaN();
});
