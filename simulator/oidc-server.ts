import { LocalOidcIssuer } from './oidc-issuer';

/** `npm run dev`'s local OpenID provider as its own process: SIM_OIDC_PORT (default 4013) on loopback. */
async function main() {
  const issuer = new LocalOidcIssuer();
  const url = await issuer.start(Number(process.env.SIM_OIDC_PORT ?? 4013), process.env.SIM_HOST ?? '127.0.0.1');
  console.log(JSON.stringify({ oidcIssuer: 'listening', url }));
  const stop = () => void issuer.stop().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

void main();
