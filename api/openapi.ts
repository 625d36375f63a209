import { OpenApiGeneratorV31, type OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { CUSTOMER_SECURITY_SCHEME, HOLDER_SECURITY_SCHEME, STAFF_SECURITY_SCHEME } from './http/define-route';
import { HOLDER_COOKIE_SECURE } from '../services/holders/holder-sessions';

export function buildOpenApiDocument(registry: OpenAPIRegistry) {
  registry.registerComponent('securitySchemes', CUSTOMER_SECURITY_SCHEME, {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key (msk_...), scoped to one account',
  });
  registry.registerComponent('securitySchemes', STAFF_SECURITY_SCHEME, {
    type: 'http',
    scheme: 'bearer',
    description:
      'A staff token (mst_...) from POST /staff/v1/sessions (password and TOTP code), valid 12 hours; each operation lists the staff roles it admits. Only /staff/v1/* accepts it.',
  });
  registry.registerComponent('securitySchemes', HOLDER_SECURITY_SCHEME, {
    type: 'apiKey',
    in: 'cookie',
    name: HOLDER_COOKIE_SECURE,
    description:
      "The account holder's session cookie, set by POST /v1/sessions: HttpOnly, Secure, SameSite=Lax, 12 hours from the last use and 7 days at most. It carries the membership role's rights (owner and admin: read, write, admin; developer: read, write; billing: read, and the billing routes); each operation lists the roles it admits. A change of role rotates the token (the next answer sets a new cookie), and so do a password change and switching account. CSRF: a cookie-authenticated change must carry Sec-Fetch-Site: same-origin (or, from a browser without Fetch Metadata, an Origin equal to the API's); anything else is 403.",
  });
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'MassiveSMS API',
      version: '1.0.0',
      description:
        'Errors are RFC 9457 problem+json. Lists are cursor-paginated: pass nextCursor back unchanged (cursors are opaque). Mutating customer requests accept an Idempotency-Key header. Authenticated operations answer 403 when the key lacks the scope (or the staff token the role). A method a path does not support is 405 with Allow.',
    },
    servers: [{ url: '/' }],
  });
}
