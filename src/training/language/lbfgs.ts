/**
 * Plain L-BFGS (two-loop recursion, Armijo backtracking). Deterministic: no randomness, fixed
 * iteration order, so the same data gives bit-identical weights on the same Node version.
 */

export type Objective = (x: Float64Array, grad: Float64Array) => number;

export interface LbfgsOptions {
  maxIter: number;
  memory: number;
  /** Stop when the relative decrease of f over the last iteration falls below this. */
  relTol: number;
  log?: (iter: number, f: number, gnorm: number, x: Float64Array) => void;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

export function lbfgs(f: Objective, x: Float64Array, o: LbfgsOptions): Float64Array {
  const n = x.length;
  const g = new Float64Array(n);
  let fx = f(x, g);
  const S: Float64Array[] = [], Y: Float64Array[] = [], rho: number[] = [];
  const d = new Float64Array(n), xNew = new Float64Array(n), gNew = new Float64Array(n);
  const alpha = new Float64Array(o.memory);
  for (let iter = 1; iter <= o.maxIter; iter++) {
    // d = -H g via the two-loop recursion.
    for (let i = 0; i < n; i++) d[i] = -g[i]!;
    for (let m = S.length - 1; m >= 0; m--) {
      const a = rho[m]! * dot(S[m]!, d);
      alpha[m] = a;
      const y = Y[m]!;
      for (let i = 0; i < n; i++) d[i] = d[i]! - a * y[i]!;
    }
    if (S.length > 0) {
      const last = S.length - 1;
      const gamma = dot(S[last]!, Y[last]!) / dot(Y[last]!, Y[last]!);
      for (let i = 0; i < n; i++) d[i] = d[i]! * gamma;
    } else {
      const gn = Math.sqrt(dot(g, g));
      for (let i = 0; i < n; i++) d[i] = d[i]! / Math.max(gn, 1e-12);
    }
    for (let m = 0; m < S.length; m++) {
      const b = rho[m]! * dot(Y[m]!, d);
      const s = S[m]!, a = alpha[m]!;
      for (let i = 0; i < n; i++) d[i] = d[i]! + s[i]! * (a - b);
    }
    let gd = dot(g, d);
    if (gd >= 0) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      S.length = 0; Y.length = 0; rho.length = 0;
      for (let i = 0; i < n; i++) d[i] = -g[i]!;
      gd = dot(g, d);
    }
    let step = 1, fNew = Infinity;
    for (let ls = 0; ls < 30; ls++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i]! + step * d[i]!;
      fNew = f(xNew, gNew);
      if (fNew <= fx + 1e-4 * step * gd) break;
      step *= 0.5;
    }
    const s = new Float64Array(n), y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = xNew[i]! - x[i]!;
      y[i] = gNew[i]! - g[i]!;
    }
    const sy = dot(s, y);
    if (sy > 1e-10) {
      if (S.length === o.memory) { S.shift(); Y.shift(); rho.shift(); }
      S.push(s); Y.push(y); rho.push(1 / sy);
    }
    const rel = (fx - fNew) / Math.max(Math.abs(fx), 1e-12);
    x.set(xNew); g.set(gNew); fx = fNew;
    o.log?.(iter, fx, Math.sqrt(dot(g, g)), x);
    if (rel < o.relTol) break;
  }
  return x;
}
