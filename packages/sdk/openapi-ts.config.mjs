// `npm run sdk:generate`: the SDK from the committed openapi.json (ADR 0025), with the pinned
// @hey-api/openapi-ts (0.95.0, root package.json) and the repository's TypeScript configuration.
import { defineConfig } from '@hey-api/openapi-ts';

export default defineConfig({
  input: '../../openapi.json',
  output: {
    path: './src/generated',
    tsConfigPath: '../../tsconfig.json',
    // formatting is the root script's (prettier with the repository's configuration)
    postProcess: [],
  },
  plugins: [
    // no default base URL (the document's server is a template): createGatehouseClient requires one;
    // errors throw, so that a typed GatehouseApiError carries every problem+json answer (src/index.ts)
    { name: '@hey-api/client-fetch', baseUrl: false, throwOnError: true },
    '@hey-api/typescript',
    {
      name: '@hey-api/sdk',
      // one class, one group per controller: `sdk.users.create()` for operationId Users_create
      operations: {
        strategy: 'single',
        containerName: 'GatehouseSdk',
        nestingDelimiters: /_/,
        methods: 'instance',
      },
    },
  ],
});
