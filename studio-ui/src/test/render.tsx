import { App as AntApp } from 'antd';
import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { I18nProvider } from '../i18n/I18nProvider';

/** Renders inside the providers every component expects (English unless localStorage says otherwise). */
export function renderWithProviders(ui: ReactElement) {
  return render(
    <I18nProvider>
      <AntApp>{ui}</AntApp>
    </I18nProvider>,
  );
}
