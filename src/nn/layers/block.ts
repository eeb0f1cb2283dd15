/** A pre-LayerNorm transformer block (GPT-2): x + attn(ln1(x)), then x + mlp(ln2(x)). */
import { add, type Tensor } from '../../autograd/index.js';
import { Module } from '../module.js';
import { CausalSelfAttention, type AttentionContext, type AttentionOptions } from './attention.js';
import { LayerNorm } from './layer-norm.js';
import { MLP } from './mlp.js';

export class Block extends Module {
  readonly ln1: LayerNorm;
  readonly attn: CausalSelfAttention;
  readonly ln2: LayerNorm;
  readonly mlp: MLP;

  constructor(width: number, heads: number, mlpWidth: number, options: AttentionOptions) {
    super();
    this.ln1 = this.addModule('ln1', new LayerNorm(width, options.dtype));
    this.attn = this.addModule('attn', new CausalSelfAttention(width, heads, options));
    this.ln2 = this.addModule('ln2', new LayerNorm(width, options.dtype));
    this.mlp = this.addModule('mlp', new MLP(width, mlpWidth, options));
  }

  forward(x: Tensor, context: AttentionContext): Tensor {
    const h = add(x, this.attn.forward(this.ln1.forward(x), context));
    return add(h, this.mlp.forward(this.ln2.forward(h), context.generator));
  }
}
