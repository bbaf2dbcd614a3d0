// A real OpenID Provider for Cairn's OIDC tests, built on the oidc-provider package (the certified Node.js
// implementation). It serves discovery, JWKS, authorization (code + PKCE), token and end-session endpoints like any
// identity provider, plus three test-only endpoints under /_test/ that a real provider would not have:
//   POST /_test/rotate           starts signing with a new key (the old one stays published), as a provider rotating keys
//   POST /_test/sign             signs the JSON body's claims with the current signing key (for expired tokens)
//   POST /_test/forge            signs the JSON body's claims with a key the provider never published
//
// Usage: node server.mjs <port> <cairn base url>   (or OIDC_PORT and CAIRN_BASE_URL)
// It prints "listening <issuer>" on stdout once it accepts connections.
//
// Users: any login with any password signs in (devInteractions). "alice" is in the group ml-team, "bob" in
// data-admins and ml-team; everyone else is in no group. Access tokens are JWTs for the requested resource (audience),
// "api://cairn" by default, and carry preferred_username and groups as Keycloak and Entra put them there.
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, SignJWT } from 'jose';
import Provider from 'oidc-provider';

const port = Number(process.argv[2] ?? process.env.OIDC_PORT ?? 0);
const cairnBase = (process.argv[3] ?? process.env.CAIRN_BASE_URL ?? 'http://127.0.0.1:5000').replace(/\/$/, '');
const audience = process.env.OIDC_AUDIENCE ?? 'api://cairn';
const issuer = `http://127.0.0.1:${port}`;

const groups = { alice: ['ml-team'], bob: ['data-admins', 'ml-team'] };

async function newKey() {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: 'RS256', use: 'sig' };
}

// The signing key comes first: oidc-provider signs with the first key matching the algorithm.
const keys = [await newKey()];

function makeProvider() {
  const provider = new Provider(issuer, {
    clients: [{
      client_id: 'cairn',
      client_secret: 'cairn-test-secret',
      token_endpoint_auth_method: 'client_secret_post',
      redirect_uris: [`${cairnBase}/signin-oidc`],
      post_logout_redirect_uris: [`${cairnBase}/signout-callback-oidc`],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    }, {
      // A public client (no secret) for the tests that fetch tokens themselves, with PKCE like a CLI.
      client_id: 'cairn-cli',
      token_endpoint_auth_method: 'none',
      redirect_uris: ['http://127.0.0.1/callback'],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    }],
    jwks: { keys },
    pkce: { required: () => true },
    scopes: ['openid', 'profile', 'groups', 'offline_access'],
    claims: { openid: ['sub'], profile: ['preferred_username', 'name'], groups: ['groups'] },
    findAccount: (ctx, id) => ({
      accountId: id,
      claims: () => ({ sub: id, preferred_username: id, name: id, groups: groups[id] ?? [] }),
    }),
    // First-party clients: no consent screen, every requested scope and resource is granted.
    loadExistingGrant: async (ctx) => {
      const grant = new ctx.oidc.provider.Grant({ accountId: ctx.oidc.session.accountId, clientId: ctx.oidc.client.clientId });
      grant.addOIDCScope('openid profile groups offline_access');
      grant.addOIDCClaims(['sub', 'preferred_username', 'name', 'groups']);
      // The default resource (Cairn's audience) too: the web UI's sign-in names none.
      for (const r of new Set([audience, ...[].concat(ctx.oidc.params.resource ?? [])])) grant.addResourceScope(r, 'openid profile groups');
      await grant.save();
      return grant;
    },
    extraTokenClaims: (ctx, token) => token.accountId
      ? { preferred_username: token.accountId, groups: groups[token.accountId] ?? [] }
      : undefined,
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => audience,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, resource) => ({
          scope: 'openid profile groups',
          audience: resource,
          accessTokenFormat: 'jwt',
          accessTokenTTL: 600,
        }),
      },
    },
    ttl: { Session: 3600, Interaction: 600, Grant: 3600, AuthorizationCode: 60, IdToken: 600 },
    cookies: { keys: ['cairn-test-cookie-key'] },
  });
  // Plain http on 127.0.0.1 in tests: no proxy in front.
  provider.proxy = false;
  return provider;
}

let provider = makeProvider();

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
}

async function sign(claims, jwk) {
  const key = await importJWK(jwk, 'RS256');
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: jwk.kid, typ: 'at+jwt' }).sign(key);
}

function reply(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const server = createServer(async (req, res) => {
  try {
    if (req.method === 'POST' && req.url === '/_test/rotate') {
      keys.unshift(await newKey());
      provider = makeProvider();
      return reply(res, 200, { kid: keys[0].kid });
    }
    if (req.method === 'POST' && req.url === '/_test/sign') {
      return reply(res, 200, { token: await sign({ iss: issuer, ...(await readJson(req)) }, keys[0]) });
    }
    if (req.method === 'POST' && req.url === '/_test/forge') {
      return reply(res, 200, { token: await sign({ iss: issuer, ...(await readJson(req)) }, await newKey()) });
    }
    return provider.callback()(req, res);
  } catch (e) {
    return reply(res, 500, { error: String(e) });
  }
});

server.listen(port, '127.0.0.1', () => {
  console.log(`listening ${issuer}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
