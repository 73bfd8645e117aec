/** Hono's environment for every route: the generated bindings and per-request variables. */
import type { Principal } from "../services/principal";

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    principal: Principal;
  };
}
