/**
 * Standard normal noise for Supertonic's initial latent. Supertone's Node helper
 * (`sampleNoisyLatent` in nodejs/helper.js, github.com/supertone-inc/supertonic, MIT) draws it
 * with the Box-Muller transform over `Math.random`, with `u1` floored at 1e-10 to avoid log(0);
 * here the uniform source can be seeded (mulberry32) so tests and benchmarks are reproducible,
 * and both outputs of each Box-Muller pair are used.
 */

/** A uniform source in [0, 1). */
export type UniformSource = () => number;

/**
 * mulberry32: a small, fast 32-bit PRNG (Tommy Ettinger's public-domain generator), enough for
 * noise; not for cryptography.
 * @param seed any number; only its low 32 bits matter
 */
export function mulberry32(seed: number): UniformSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const EPSILON = 1e-10;

/**
 * Fills `output` with N(0, 1) samples by Box-Muller:
 * `z0 = sqrt(-2 ln u1) cos(2π u2)`, `z1 = sqrt(-2 ln u1) sin(2π u2)`.
 * @param uniform uniform source; default `Math.random` (what Supertone's helper uses)
 * @returns `output`
 */
export function fillGaussian(output: Float32Array, uniform: UniformSource = Math.random): Float32Array {
  for (let i = 0; i < output.length; i += 2) {
    const u1 = Math.max(EPSILON, uniform());
    const u2 = uniform();
    const radius = Math.sqrt(-2 * Math.log(u1));
    output[i] = radius * Math.cos(2 * Math.PI * u2);
    if (i + 1 < output.length) output[i + 1] = radius * Math.sin(2 * Math.PI * u2);
  }
  return output;
}
