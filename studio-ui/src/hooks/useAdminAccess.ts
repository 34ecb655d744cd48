import { useCallback, useEffect, useState } from 'react';
import { ApiError } from '../api/http';
import { sessionApi } from '../api/session';
import { isAbort } from './usePolling';

export type AdminAccess = 'unknown' | 'admin' | 'denied';

/**
 * Whether the caller may see the admin pages (webhooks, audit): the gateway's `GET /api/whoami` says who the token
 * (or OIDC session, or mode none's local user) is and with which role, and the pages show for `admin`. A refusal
 * (401 without a valid token, 404 from an older studio without the endpoint) hides them; a studio that cannot be
 * reached leaves the answer unknown (hidden too, since there would be nothing to show). The server enforces the role
 * on every call whatever the UI shows; this only keeps the navigation honest. `recheck` after the token changes.
 */
export function useAdminAccess(): { access: AdminAccess; recheck: () => void } {
  const [access, setAccess] = useState<AdminAccess>('unknown');
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    sessionApi
      .whoami(controller.signal)
      .then((me) => setAccess(me.role === 'admin' ? 'admin' : 'denied'))
      .catch((cause: unknown) => {
        if (!controller.signal.aborted && !isAbort(cause)) {
          setAccess(cause instanceof ApiError ? 'denied' : 'unknown');
        }
      });
    return () => controller.abort();
  }, [generation]);

  const recheck = useCallback(() => setGeneration((g) => g + 1), []);
  return { access, recheck };
}
