/**
 * Per-label Platt scaling, p = sigmoid(a * z + b), fitted on dev logits by damped Newton's method
 * (step halving until the loss decreases, since with saturated logits a plain Newton step can
 * overshoot wildly) with a tiny ridge so labels with few dev positives stay well-posed.
 * Monotone in z (a > 0 in practice), so it changes probabilities but not rankings.
 */
function logLoss(z: Float64Array, y: Uint8Array, L: number, k: number, a: number, b: number): number {
  let loss = 0.5e-3 * ((a - 1) ** 2 + b * b);
  for (let i = k; i < z.length; i += L) {
    const t = a * z[i]! + b, m = y[i] === 1 ? t : -t;
    loss += m > 0 ? Math.log1p(Math.exp(-m)) : -m + Math.log1p(Math.exp(m));
  }
  return loss;
}

export function fitPlatt(z: Float64Array, y: Uint8Array, L: number): { a: number[]; b: number[] } {
  const A: number[] = [], B: number[] = [];
  for (let k = 0; k < L; k++) {
    let a = 1, b = 0, f = logLoss(z, y, L, k, a, b);
    for (let it = 0; it < 100; it++) {
      let gA = 1e-3 * (a - 1), gB = 1e-3 * b, hAA = 1e-3, hAB = 0, hBB = 1e-3;
      for (let i = k; i < z.length; i += L) {
        const zi = z[i]!, t = a * zi + b;
        const p = t >= 0 ? 1 / (1 + Math.exp(-t)) : Math.exp(t) / (1 + Math.exp(t));
        const r = p - y[i]!, w = p * (1 - p);
        gA += r * zi; gB += r;
        hAA += w * zi * zi; hAB += w * zi; hBB += w;
      }
      const det = hAA * hBB - hAB * hAB;
      const dA = (hBB * gA - hAB * gB) / det, dB = (hAA * gB - hAB * gA) / det;
      let step = 1, fNew = Infinity;
      for (let ls = 0; ls < 40; ls++) {
        fNew = logLoss(z, y, L, k, a - step * dA, b - step * dB);
        if (fNew <= f) break;
        step *= 0.5;
      }
      if (!(fNew <= f)) break;
      a -= step * dA; b -= step * dB;
      const done = f - fNew < 1e-10 * Math.max(1, f);
      f = fNew;
      if (done) break;
    }
    A.push(a); B.push(b);
  }
  return { a: A, b: B };
}
