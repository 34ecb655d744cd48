import { getJson } from './http';

/**
 * The caller as the gateway's authentication resolved it (`GET /api/whoami`, any studio role): `actor` is the name the
 * audit log records (a token's name, the OIDC principal, `local` without authentication), `role` what it may do. The
 * gateway has no OpenAPI snapshot, so the shape is written here (gateway-adapter `session.WhoAmIResource`).
 */
export interface WhoAmI {
  actor: string;
  role: 'viewer' | 'trainer' | 'admin';
}

export const sessionApi = {
  whoami: (signal?: AbortSignal) => getJson<WhoAmI>('/api/whoami', signal),
};
