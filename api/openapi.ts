import { OpenApiGeneratorV31, type OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';

export function buildOpenApiDocument(registry: OpenAPIRegistry) {
  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key (msk_...), scoped to one account',
  });
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'MassiveSMS API',
      version: '1.0.0',
      description:
        'Errors are RFC 9457 problem+json. Lists are cursor-paginated: pass nextCursor back unchanged (cursors are opaque). Mutating requests accept an Idempotency-Key header. Authenticated operations answer 403 when the key lacks the scope. A method a path does not support is 405 with Allow.',
    },
    servers: [{ url: '/' }],
  });
}
