/** `selm tour`'s DPO/SELM part: its numbers are the library's and both gradient checks pass. */
import { describe, expect, it } from 'vitest';
import { runSelmTour } from '../../src/cli/tour-selm.js';

describe('selm tour: the DPO/SELM part', () => {
  it('prints the losses, r̂, the eq. (3.3) weights, the section 3.3 identity, and two passing gradient checks', () => {
    const lines: string[] = [];
    expect(runSelmTour((l) => lines.push(l))).toBe(0);
    const text = lines.join('\n');
    // π_ref = [0.6, 0.3, 0.1], πθ = [0.45, 0.3, 0.25], β = 0.5, y2 ≻ y0: −log σ(β log(2.5) − β log(0.75)).
    const margin = 0.5 * (Math.log(0.25 / 0.1) - Math.log(0.45 / 0.6));
    expect(text).toContain(`L_DPO  = −log σ(r̂(y2) − r̂(y0))         = ${Math.log1p(Math.exp(-margin)).toFixed(6)}`);
    expect(text).toMatch(/y0 {3}-0\.1438 +1\.3333/);
    const kl = 0.6 * Math.log(0.6 / 0.45) + 0.1 * Math.log(0.1 / 0.25);
    expect(text).toContain(`= −KL(π_ref‖πθ) = ${(-kl).toFixed(6)}`);
    expect(text.match(/ pass$/gm)).toHaveLength(2);
  });
});
