import { describe, expect, it } from 'vitest';
import { hrefOf, pageOf } from './router';

describe('pageOf', () => {
  it('reads the page from the fragment, then from a deep path', () => {
    expect(pageOf({ hash: '#/chat', pathname: '/' })).toBe('chat');
    expect(pageOf({ hash: '#/finetune', pathname: '/chat' })).toBe('finetune');
    expect(pageOf({ hash: '', pathname: '/chat/' })).toBe('chat');
    expect(pageOf({ hash: '', pathname: '/' })).toBe('finetune');
    expect(pageOf({ hash: '#section', pathname: '/' })).toBe('finetune');
    expect(pageOf({ hash: '#/serving', pathname: '/' })).toBe('serving');
    expect(pageOf({ hash: '', pathname: '/serving' })).toBe('serving');
    expect(pageOf({ hash: '#/webhooks', pathname: '/' })).toBe('webhooks');
    expect(pageOf({ hash: '#/audit', pathname: '/' })).toBe('audit');
  });

  it('links to the fragment', () => {
    expect(hrefOf('chat')).toBe('/#/chat');
  });
});
