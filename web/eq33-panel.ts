/**
 * Eq. (3.3) response by response, for the prompt and iteration the step-through shows: per response π_ref,
 * πθ, r̂, the weight exp(−r̂/β) = π_ref/πθ and the two pushes on its logit, coloured like the two terms of
 * the equation; and section 3.3's identity E_{π_ref}[r̂/β] = −KL(π_ref ‖ πθ) as live numbers.
 */
import { COLORS } from './charts.js';
import { eq33 } from './eq33.js';
import { fmt, h, labelled, scrollBox, select, signed } from './dom.js';
import type { StepperState } from './stepper-panel.js';

export function mountEq33Panel(root: HTMLElement): (state: StepperState) => void {
  const moment = select(
    'eq33-moment',
    [
      ['end', 'end of the iteration (πθ trained)'],
      ['start', 'start of the iteration (πθ = π_ref)'],
    ],
    'end',
  );
  const out = h('div', { id: 'eq33-view' });
  root.append(h('div', { class: 'controls' }, labelled('eq33-moment', 'moment', moment)), out);
  let last: StepperState | null = null;
  const draw = (): void => {
    if (!last) return;
    const { run, task } = last;
    const t = Math.max(1, last.t);
    const selm = run.methods.find((m) => m.name === 'SELM') ?? run.methods[run.methods.length - 1]!;
    const reference = selm.records[t - 1]!.probs[task]!;
    const trained = selm.records[t]!.probs[task]!;
    const policy = moment.value === 'start' ? reference : trained;
    const pairs = selm.records[t]!.triples.filter((x) => x.task === task).map((x) => ({ chosen: x.chosen, rejected: x.rejected }));
    const { alpha, beta } = run.settings;
    const r = eq33({ policy, reference, pairs, alpha, beta });
    root.dataset.moment = moment.value;
    const rewards = run.rewards[task]!;
    out.replaceChildren(
      h(
        'p',
        {},
        `${selm.name} (α = ${alpha}, β = ${beta}), iteration ${t}, a prompt of task ${task}, its ${pairs.length} pairs of D_${t}. ${last.t === 0 ? 'The step-through is at t = 0, so this shows iteration 1.' : ''}`,
        run.settings.featureWidth > 0
          ? ` Smooth world: these pushes are on the logits; the parameters θ move by Φ times them, so a step changes the logits by Φ² times the push and each push also moves the neighbours within about ${run.settings.featureWidth} responses.`
          : ' Table world: each push moves its own logit only.',
      ),
      scrollBox(
        'table-scroll',
        h(
          'table',
          { id: 'eq33-table' },
          h(
            'caption',
            {},
            'Pushes are minus the loss gradient on each response’s logit (what one step of gradient descent adds, per unit learning rate).',
          ),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', {}, 'y'),
              h('th', {}, 'r*'),
              h('th', {}, 'π_ref'),
              h('th', {}, 'πθ'),
              h('th', {}, 'r̂ = β log(πθ/π_ref)'),
              h('th', {}, 'exp(−r̂/β)'),
              h('th', { attrs: { style: `color:${COLORS.dpo}` } }, 'DPO push'),
              h('th', { attrs: { style: `color:${COLORS.selm}` } }, 'optimism push'),
            ),
          ),
          h(
            'tbody',
            {},
            ...r.rows.map((row) =>
              h(
                'tr',
                {
                  attrs: {
                    'data-response': row.response,
                    'data-weight': row.weight,
                    'data-dpo': row.dpoPush,
                    'data-optimism': row.optimismPush,
                    'data-policy': row.policy,
                    'data-reference': row.reference,
                  },
                },
                h('td', {}, `y${row.response}`),
                h('td', { class: 'num' }, fmt(rewards[row.response]!, 1)),
                h('td', { class: 'num' }, fmt(row.reference, 3)),
                h('td', { class: 'num' }, fmt(row.policy, 3)),
                h('td', { class: 'num' }, signed(row.implicitReward, 3)),
                h('td', { class: 'num' }, fmt(row.weight, 3)),
                h('td', { class: 'num', attrs: { style: `color:${COLORS.dpo}` } }, signed(row.dpoPush, 4)),
                h('td', { class: 'num', attrs: { style: `color:${COLORS.selm}` } }, signed(row.optimismPush, 4)),
              ),
            ),
          ),
        ),
      ),
      h(
        'p',
        { id: 'eq33-identity', class: 'identity' },
        'Section 3.3: E',
        h('sub', {}, 'y~π_ref'),
        '[r̂/β] = ',
        h('strong', { id: 'eq33-lhs' }, fmt(r.expectedRewardUnderReference, 6)),
        ' and −KL(π_ref ‖ πθ) = ',
        h('strong', { id: 'eq33-rhs' }, fmt(r.minusKl, 6)),
        moment.value === 'start'
          ? '. Both are 0: at the start of every iteration πθ = π_ref, so r̂ = 0, every weight is 1, and the optimism push αβ(πθ − π_ref) is exactly zero. Optimism acts only once training has moved πθ.'
          : '. Negative once πθ has moved: DPO lowers the expected implicit reward of π_ref’s own responses, favouring unseen ones indiscriminately; the optimism term pushes down the responses with low r̂ (weight > 1) and up those with high r̂.',
      ),
    );
  };
  moment.addEventListener('change', draw);
  return (state) => {
    last = state;
    draw();
  };
}
