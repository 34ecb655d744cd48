import { useCallback, useEffect, useState } from 'react';

export type Page = 'finetune' | 'chat';

export function pageOf(pathname: string): Page {
  return pathname.replace(/\/+$/, '').endsWith('/chat') ? 'chat' : 'finetune';
}

export const pathOf = (page: Page) => `/${page}`;

/** Two pages, real URLs (the gateway answers index.html for them), back/forward included. */
export function usePage(): [Page, (page: Page) => void] {
  const [page, setPage] = useState<Page>(() => pageOf(window.location.pathname));

  useEffect(() => {
    const onPop = () => setPage(pageOf(window.location.pathname));
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);

  const navigate = useCallback((next: Page) => {
    if (pageOf(window.location.pathname) !== next || window.location.pathname === '/') {
      window.history.pushState(null, '', pathOf(next));
    }
    setPage(next);
  }, []);

  return [page, navigate];
}
