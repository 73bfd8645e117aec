/** Typing help for the SKU object's sync RPC answers. */
import type { Failure } from "../domain/failures";

/**
 * An RPC answer typed as the method declares it (`T | Failure`). The stub's generated type
 * drops the Failure branch (its `details: unknown` is not known to be serializable), which
 * would make `if (!result.ok)` unreachable to the type checker.
 */
export function asDeclared<T>(value: T | Failure): T | Failure {
  return value;
}
