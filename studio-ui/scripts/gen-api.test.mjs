// src/api/generated/*.ts are the services' OpenAPI documents (src/api/openapi/*.json) as TypeScript: a document changed
// without `npm run gen:api` fails here, and a field the UI reads that a service no longer sends fails `tsc` (npm test).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { generate, generatedDir, services } from './gen-api.mjs';

describe('generated API types', () => {
  it('match the committed OpenAPI documents (else: npm run gen:api)', async () => {
    const names = await services();
    expect(names).toEqual(['chat-switch', 'finetune', 'gateway', 'gpu-probe']);
    for (const service of names) {
      const committed = await readFile(path.join(generatedDir, `${service}.ts`), 'utf8');
      expect(committed, `src/api/generated/${service}.ts`).toBe(await generate(service));
    }
  });
});
