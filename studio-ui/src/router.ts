import { useCallback, useEffect, useState } from 'react';

export type Page = 'finetune' | 'chat' | 'serving' | 'webhooks' | 'audit';

/**
 * Pages live in the URL fragment (`/#/chat`): the gateway serves the UI at `/`, and a reload or a
 * shared link never depends on the server answering index.html for a deep path. A deep path
 * (`/chat`, served by SPA routing) is understood too.
 */
export function pageOf(location: Pick<Location, 'hash' | 'pathname'>): Page {
  const route = location.hash.startsWith('#/') ? location.hash.slice(1) : location.pathname;
  const path = route.replace(/\/+$/, '');
  for (const page of ['chat', 'serving', 'webhooks', 'audit'] as const) {
    if (path.endsWith(`/${page}`)) {
      return page;
    }
  }
  return 'finetune';
}

export const hrefOf = (page: Page) => `/#/${page}`;

/** The page of the URL, navigation that keeps back/forward working. */
export function usePage(): [Page, (page: Page) => void] {
  const [page, setPage] = useState<Page>(() => pageOf(window.location));

  useEffect(() => {
    const onChange = () => setPage(pageOf(window.location));
    window.addEventListener('popstate', onChange);
    window.addEventListener('hashchange', onChange);
    return () => {
      window.removeEventListener('popstate', onChange);
      window.removeEventListener('hashchange', onChange);
    };
  }, []);

  const navigate = useCallback((next: Page) => {
    if (pageOf(window.location) !== next || !window.location.hash) {
      window.history.pushState(null, '', hrefOf(next));
    }
    setPage(next);
  }, []);

  return [page, navigate];
}
