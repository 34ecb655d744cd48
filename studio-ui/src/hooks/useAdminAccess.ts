import { useCallback, useEffect, useState } from 'react';
import { ApiError, getJson } from '../api/http';
import { isAbort } from './usePolling';

export type AdminAccess = 'unknown' | 'admin' | 'denied';

/**
 * Whether the caller may see the admin pages (webhooks, audit). The Studio has no "who am I" endpoint and the role
 * lives in the token (or OIDC), so the UI asks an admin-only read (`GET /api/audit?limit=1`: admins only, reads
 * included) and shows the pages when it answers. 401/403 hide them; any other failure (an older studio without the
 * resource, the studio unreachable) hides them too, since there would be nothing to show. The server enforces the
 * role on every call whatever the UI shows; this only keeps the navigation honest. `recheck` after the token changes.
 */
export function useAdminAccess(): { access: AdminAccess; recheck: () => void } {
  const [access, setAccess] = useState<AdminAccess>('unknown');
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    getJson<unknown>('/api/audit?limit=1', controller.signal)
      .then(() => setAccess('admin'))
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
