// A real OpenID Provider for the browser tests (panva's certified `oidc-provider`): discovery,
// authorization code with PKCE (required), RS256-signed ID tokens from a key made at start-up.
// Its login page accepts any e-mail address; consent is granted without a page.
//
//   OIDC_PORT (3927)            issuer http://127.0.0.1:PORT
//   OIDC_REDIRECT_URIS          comma-separated redirect URIs of the one client
//                               (client_id `viva`, secret `viva-secret`, client_secret_basic)
//   POST /__control?tamper=1    the next ID token is re-signed with another key (must be refused)
//   POST /__control?wrong_nonce=1   the next ID token carries another nonce, validly signed
//   POST /__control?reset=1     back to normal
// Addresses starting with "unverified" come back with email_verified: false.
import { createServer } from 'node:http';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT ?? 3927);
const issuer = `http://127.0.0.1:${port}`;
const redirectUris = (process.env.OIDC_REDIRECT_URIS ?? 'http://127.0.0.1:3917/auth/oidc/sso/callback').split(',');

const keyPair = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
const signing = keyPair();
const impostor = keyPair();
const kid = 'test-key-1';
const jwk = { ...signing.privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };

// Accounts are made on the fly from the address typed at login; the id is a stable hash.
const emails = new Map();
const accountId = (email) => createHash('sha256').update(email).digest('hex').slice(0, 24);

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'viva',
    client_secret: 'viva-secret',
    redirect_uris: redirectUris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'RS256',
  }],
  jwks: { keys: [jwk] },
  cookies: { keys: ['viva-end2end-oidc-cookie-key'] },
  pkce: { required: () => true },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  features: { devInteractions: { enabled: false } },
  conformIdTokenClaims: false, // claims in the ID token, as Google's are
  async findAccount(_ctx, id) {
    const email = emails.get(id);
    if (!email) return undefined;
    return {
      accountId: id,
      async claims() {
        const local = email.split('@')[0].split(/[.+]/)[0];
        return { sub: id, email, email_verified: !email.startsWith('unverified'), name: local.charAt(0).toUpperCase() + local.slice(1) };
      },
    };
  },
});
provider.proxy = false;

// Test controls: rewrite the next ID token the token endpoint returns.
let control = { tamper: false, wrongNonce: false };
const b64 = (obj) => Buffer.from(JSON.stringify(obj)).toString('base64url');
function resign(idToken, { key, payloadChange }) {
  const [h, p] = idToken.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString());
  const payload = { ...JSON.parse(Buffer.from(p, 'base64url').toString()), ...payloadChange };
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}
provider.use(async (ctx, next) => {
  await next();
  if (ctx.path === '/token' && ctx.body && typeof ctx.body === 'object' && ctx.body.id_token) {
    if (control.tamper) {
      ctx.body.id_token = resign(ctx.body.id_token, { key: impostor.privateKey, payloadChange: {} });
      control.tamper = false;
    } else if (control.wrongNonce) {
      ctx.body.id_token = resign(ctx.body.id_token, { key: signing.privateKey, payloadChange: { nonce: 'not-the-nonce-you-sent' } });
      control.wrongNonce = false;
    }
  }
});

const page = (uid, error = '') => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test SSO sign-in</title></head>
<body><main>
<h1>Test SSO</h1>
${error ? `<p role="alert">${error}</p>` : ''}
<form method="post" action="/interaction/${uid}/login">
  <label for="email">E-mail</label>
  <input id="email" name="email" type="email" required autofocus>
  <button type="submit">Sign in</button>
</form>
</main></body></html>`;

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

const handler = provider.callback();
const server = createServer(async (req, res) => {
  try {
    const url = new URL(req.url ?? '/', issuer);
    if (req.method === 'POST' && url.pathname === '/__control') {
      if (url.searchParams.has('reset')) control = { tamper: false, wrongNonce: false };
      if (url.searchParams.get('tamper') === '1') control.tamper = true;
      if (url.searchParams.get('wrong_nonce') === '1') control.wrongNonce = true;
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify(control));
    }
    const m = url.pathname.match(/^\/interaction\/([\w-]+)(\/login)?$/);
    if (m) {
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name === 'login') {
        if (req.method === 'POST' && m[2]) {
          const email = (await readForm(req)).get('email')?.trim().toLowerCase() ?? '';
          if (!/^[^@\s]+@[^@\s]+$/.test(email)) {
            res.writeHead(400, { 'content-type': 'text/html' });
            return res.end(page(m[1], 'Enter an e-mail address.'));
          }
          const id = accountId(email);
          emails.set(id, email);
          return provider.interactionFinished(req, res, { login: { accountId: id } }, { mergeWithLastSubmission: false });
        }
        res.writeHead(200, { 'content-type': 'text/html' });
        return res.end(page(m[1]));
      }
      if (details.prompt.name === 'consent') {
        const { grantId, session, params, prompt } = details;
        const grant = grantId ? await provider.Grant.find(grantId) : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
        if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
        if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
        const saved = await grant.save();
        return provider.interactionFinished(req, res, { consent: { grantId: saved } }, { mergeWithLastSubmission: true });
      }
      res.writeHead(501);
      return res.end(`prompt ${details.prompt.name} not supported`);
    }
    return handler(req, res);
  } catch (e) {
    console.error('oidc-provider:', e);
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(String(e));
  }
});

server.listen(port, '127.0.0.1', () => console.log(`oidc-provider: issuer ${issuer}, redirect URIs ${redirectUris.join(' ')}`));
const stop = () => {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
