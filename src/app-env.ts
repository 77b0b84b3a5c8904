/** Hono's type parameters for this Worker: the bindings and the per-request variables. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    /** Set by the API key middleware on admin routes. */
    accountId: string;
  };
}
