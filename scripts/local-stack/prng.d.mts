/** Types of `prng.mjs` for the TypeScript tests that share it. */
export interface Prng {
  next(): number;
  int(min: number, max: number): number;
  pick<T>(arr: readonly T[]): T;
  chance(p: number): boolean;
  shuffle<T>(arr: readonly T[]): T[];
}

export function prng(seed: number): Prng;
