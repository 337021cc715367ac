/**
 * The Hono environment type shared by every route module: raw bindings plus the config
 * and app context that the root middleware validates once per request.
 */
import type { AppContext, Bindings, Config } from '../src/env';

export type HonoEnv = {
  Bindings: Bindings;
  Variables: { config: Config; app: AppContext };
};
