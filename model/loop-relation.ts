// The endless full-sync loop's parameter relation under E7 (rate-bounded writes), as the design
// notes state it (bug-zoo.md §20.3), so that `replcheck sweep` can set what the checker measures
// beside what the relation predicts. It is a prediction to test, not part of the model: where the
// two differ, spec/model.md §10.2 says which is right and why.
import { effectiveHard, type ModelConfig } from './config.js';

export interface LoopPrediction {
  /** The relation predicts an endless loop (true) or none (false). */
  readonly loop: boolean;
  /** The inequality, instantiated. */
  readonly relation: string;
}

/**
 * §20.3's hard-limit relation for one replica: dual channel `W·(Tdl + Tld) ≥ H + HR + 1 + K − B + 1`
 * (HR > 0) or `(W − 1)·Tld ≥ H + K − B + 1` (HR = 0, unlimited local buffer); classic
 * `W·(Tdl + Tld) ≥ H − B + 1`; no hard limit: no loop. Undefined where §20.3 gives no exact
 * relation: unbounded writes, a soft limit, several replicas, #989's buggy local limit.
 */
export function predictLoop(c: ModelConfig): LoopPrediction | undefined {
  if (c.writeRate === 0 || c.cobSoft > 0 || c.replicas !== 1) return undefined;
  const W = c.writeRate, Tdl = c.rdbChunks, Tld = c.loadSteps, K = c.kernelBuffer, B = c.blockSize;
  const H = effectiveHard(c);
  if (H === 0) return { loop: false, relation: 'no hard limit' };
  const dual = c.replicaDual[0] === true && c.primaryDual && c.disklessSync;
  if (!dual) {
    const lhs = W * (Tdl + Tld), rhs = H - B + 1;
    return { loop: lhs >= rhs, relation: `classic: W·(Tdl+Tld) = ${lhs} ≥ H−B+1 = ${rhs}` };
  }
  // #989's buggy limit of 0 (stops buffering after a block) is in no relation of §20.3
  if (c.localLimit === 0 && !c.localLimitZeroMeansUnlimited) return undefined;
  const HR = c.localLimit;
  if (HR === 0) {
    const lhs = (W - 1) * Tld, rhs = H + K - B + 1;
    return { loop: lhs >= rhs, relation: `(W−1)·Tld = ${lhs} ≥ H+K−B+1 = ${rhs}` };
  }
  const lhs = W * (Tdl + Tld), rhs = H + HR + 1 + K - B + 1;
  return { loop: lhs >= rhs, relation: `W·(Tdl+Tld) = ${lhs} ≥ H+HR+1+K−B+1 = ${rhs}` };
}
