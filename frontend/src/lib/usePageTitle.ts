/** The browser tab's title names the page (WCAG 2.4.2), so screen readers announce where a navigation landed. */
import { useEffect } from 'react';

export const APP_TITLE = 'Coffee Export Portal';

/** Sets "<title> · Coffee Export Portal"; undefined leaves the title to a page rendered inside. */
export function usePageTitle(title: string | undefined): void {
  useEffect(() => {
    if (title) document.title = `${title} · ${APP_TITLE}`;
  }, [title]);
}
