import { getJson } from './http';
import type { WhoAmI } from './types';

export const sessionApi = {
  whoami: (signal?: AbortSignal) => getJson<WhoAmI>('/api/whoami', signal),
};
