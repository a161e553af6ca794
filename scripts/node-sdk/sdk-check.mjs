// sdk-check.mjs runs Scalekit's official Node SDK (@scalekit-sdk/node, pinned
// in package.json) against a Scalekit environment, normally `skctl mock-idp`:
// login, token validation, refresh with rotation, logout and
// client_credentials. It prints "ok <step>" per step and exits 1 with a
// message on the first failure. internal/mockidp/nodesdk_test.go runs it.
//
//   SCALEKIT_ENVIRONMENT_URL  the environment URL (issuer), no trailing slash
//   SCALEKIT_CLIENT_ID        a web app with authorization_code, refresh_token
//   SCALEKIT_CLIENT_SECRET    and client_credentials
//   SCALEKIT_REDIRECT_URI     a redirect URI registered for it
//   SCALEKIT_LOGIN_HINT       optional: the seeded user (default ada@acme.test)
//   SCALEKIT_POST_LOGOUT_REDIRECT_URI  optional (default http://localhost:4321/)
//   SCALEKIT_M2M_CLIENT_ID, SCALEKIT_M2M_CLIENT_SECRET  optional: an M2M client
//
// The login needs no browser: the mock signs the login_hint user in without a
// page and redirects straight back with a code. Every request goes to the
// environment URL; nothing else is contacted.

import { createHash, randomBytes } from 'node:crypto';
import process from 'node:process';
import { Scalekit, ScalekitValidateTokenFailureException } from '@scalekit-sdk/node';
import { CheckError, check, describe, eq, fail, need, pageText, random, rejects, step } from './check-lib.mjs';

const isInt = (v) => Number.isInteger(v);
const isStringArray = (v) => Array.isArray(v) && v.every((x) => typeof x === 'string');

async function main() {
  const envUrl = need('SCALEKIT_ENVIRONMENT_URL');
  const clientId = need('SCALEKIT_CLIENT_ID');
  const clientSecret = need('SCALEKIT_CLIENT_SECRET');
  const redirectUri = need('SCALEKIT_REDIRECT_URI');
  const loginHint = process.env.SCALEKIT_LOGIN_HINT || 'ada@acme.test';
  const postLogoutUri = process.env.SCALEKIT_POST_LOGOUT_REDIRECT_URI || 'http://localhost:4321/';
  check(!envUrl.endsWith('/'), `SCALEKIT_ENVIRONMENT_URL ${envUrl} ends with "/": the SDK would build //oauth/... URLs`);

  const scalekit = new Scalekit(envUrl, clientId, clientSecret, { timeoutMs: 10000 });
  const audience = [clientId];

  // signIn builds the authorize URL with the SDK, follows it like a browser
  // that stops at the first redirect, and returns the code from the callback.
  async function signIn(options) {
    const authUrl = scalekit.getAuthorizationUrl(redirectUri, options);
    check(authUrl.startsWith(`${envUrl}/oauth/authorize?`), `authorization URL ${authUrl} is not under ${envUrl}/oauth/authorize`);
    const res = await fetch(authUrl, { redirect: 'manual' });
    const body = await res.text();
    check(res.status === 302, `GET ${authUrl}: status ${res.status}, want 302 to the redirect URI: ${pageText(body)}`);
    const loc = new URL(res.headers.get('location'));
    const q = loc.searchParams;
    check(!q.has('error'), `authorize error ${q.get('error')}: ${q.get('error_description')}`);
    eq(loc.origin + loc.pathname, redirectUri, 'redirect target');
    eq(q.get('state'), options.state, 'state on the callback');
    check(q.get('code'), `callback ${loc} has no code`);
    return q.get('code');
  }

  // Login: authorize with login_hint, then exchange the code.
  const state = random();
  const nonce = random();
  const scopes = ['openid', 'profile', 'email', 'offline_access'];
  const code = await step('login', () => signIn({ scopes, state, nonce, loginHint }));

  const auth = await step('authenticate-with-code', async () => {
    const r = await scalekit.authenticateWithCode(code, redirectUri);
    for (const k of ['accessToken', 'idToken', 'refreshToken']) {
      check(typeof r[k] === 'string' && r[k].length > 0, `${k} is ${JSON.stringify(r[k])}, want a non-empty string`);
    }
    check(isInt(r.expiresIn) && r.expiresIn > 0, `expiresIn = ${JSON.stringify(r.expiresIn)}, want a positive integer`);
    check(typeof r.user?.id === 'string' && r.user.id.startsWith('usr_'), `user.id = ${JSON.stringify(r.user?.id)}, want usr_…`);
    eq(r.user.email, loginHint, 'user.email');
    eq(typeof r.user.emailVerified, 'boolean', 'typeof user.emailVerified');
    return r;
  });

  await step('code-reuse-rejected', async () => {
    const err = await rejects(scalekit.authenticateWithCode(code, redirectUri), 'a second exchange of the same code');
    eq(err.response?.status, 400, 'status of the replayed code exchange');
    eq(err.response?.data?.error, 'invalid_grant', 'error of the replayed code exchange');
  });

  // Validation: the SDK fetches /keys once and verifies with jose.
  const accessClaims = await step('validate-access-token', async () => {
    eq(await scalekit.validateAccessToken(auth.accessToken), true, 'validateAccessToken(accessToken)');
    const c = await scalekit.validateToken(auth.accessToken, {
      issuer: envUrl,
      audience,
      requiredScopes: ['openid', 'offline_access'],
    });
    eq(c.iss, envUrl, 'access token iss');
    check(isStringArray(c.aud) && c.aud.includes(clientId), `access token aud = ${JSON.stringify(c.aud)}, want an array with ${clientId}`);
    eq(c.sub, auth.user.id, 'access token sub');
    eq(c.client_id, clientId, 'access token client_id');
    check(typeof c.sid === 'string' && c.sid.startsWith('ses_'), `access token sid = ${JSON.stringify(c.sid)}, want ses_…`);
    check(typeof c.jti === 'string' && c.jti.startsWith('tkn_'), `access token jti = ${JSON.stringify(c.jti)}, want tkn_…`);
    for (const k of ['iat', 'nbf', 'exp']) check(isInt(c[k]), `access token ${k} = ${JSON.stringify(c[k])}, want an integer`);
    check(isStringArray(c.scopes), `access token scopes = ${JSON.stringify(c.scopes)}, want an array of strings`);
    eq(typeof c.scope, 'string', 'typeof access token scope');
    eq(c.nonce, undefined, 'access token nonce');
    eq(scalekit.verifyScopes(auth.accessToken, ['openid']), true, 'verifyScopes(openid)');
    return c;
  });

  await step('validate-rejects-bad-tokens', async () => {
    const [h, p, s] = auth.accessToken.split('.');
    const flipped = s.slice(0, 10) + (s[10] === 'A' ? 'B' : 'A') + s.slice(11);
    eq(await scalekit.validateAccessToken(`${h}.${p}.${flipped}`), false, 'validateAccessToken(bad signature)');
    eq(await scalekit.validateAccessToken('not-a-jwt'), false, 'validateAccessToken(not-a-jwt)');
    let err = await rejects(scalekit.validateToken(auth.accessToken, { requiredScopes: ['no:such-scope'] }), 'validateToken with a scope the token lacks');
    check(err instanceof ScalekitValidateTokenFailureException, `missing scope gave ${describe(err)}`);
    err = await rejects(scalekit.validateToken(auth.accessToken, { issuer: 'https://other.example' }), 'validateToken with another issuer');
    check(err instanceof ScalekitValidateTokenFailureException, `wrong issuer gave ${describe(err)}`);
    err = await rejects(scalekit.validateToken(auth.accessToken, { audience: ['skc_other'] }), 'validateToken with another audience');
    check(err instanceof ScalekitValidateTokenFailureException, `wrong audience gave ${describe(err)}`);
  });

  await step('validate-id-token', async () => {
    const c = await scalekit.validateToken(auth.idToken, { issuer: envUrl, audience });
    eq(c.iss, envUrl, 'ID token iss');
    check(isStringArray(c.aud) && c.aud.includes(clientId), `ID token aud = ${JSON.stringify(c.aud)}, want an array with ${clientId}`);
    eq(c.sub, auth.user.id, 'ID token sub');
    eq(c.nonce, nonce, 'ID token nonce');
    eq(c.email, loginHint, 'ID token email');
    eq(c.sid, accessClaims.sid, 'ID token sid');
    for (const k of ['iat', 'exp']) check(isInt(c[k]), `ID token ${k} = ${JSON.stringify(c[k])}, want an integer`);
  });

  // Refresh: rotation gives new tokens and kills the old refresh token.
  const r1 = await step('refresh', async () => {
    const r = await scalekit.refreshAccessToken(auth.refreshToken);
    check(r.accessToken && r.accessToken !== auth.accessToken, 'refresh returned no new access token');
    check(r.refreshToken && r.refreshToken !== auth.refreshToken, 'refresh returned the same refresh token, want a rotated one');
    const c = await scalekit.validateToken(r.accessToken, { issuer: envUrl, audience });
    eq(c.sub, accessClaims.sub, 'refreshed access token sub');
    eq(c.sid, accessClaims.sid, 'refreshed access token sid');
    return r;
  });

  await step('refresh-reuse-rejected', async () => {
    const err = await rejects(scalekit.refreshAccessToken(auth.refreshToken), 'refresh with the rotated-out refresh token');
    // refreshAccessToken keeps only axios's message of the HTTP error.
    check(/status code 400\b/.test(err.message), `replayed refresh token gave "${err.message}", want HTTP 400 (invalid_grant)`);
  });

  const r2 = await step('refresh-after-replay', async () => {
    const r = await scalekit.refreshAccessToken(r1.refreshToken);
    check(r.refreshToken && r.refreshToken !== r1.refreshToken, 'second refresh returned no rotated refresh token');
    eq(await scalekit.validateAccessToken(r.accessToken, { issuer: envUrl, audience }), true, 'validateAccessToken(second refreshed token)');
    return r;
  });

  // Logout: a browser navigation to the SDK's URL ends the IdP session.
  await step('logout', async () => {
    const logoutState = random();
    const logoutUrl = scalekit.getLogoutUrl({ idTokenHint: auth.idToken, postLogoutRedirectUri: postLogoutUri, state: logoutState });
    check(logoutUrl.startsWith(`${envUrl}/oidc/logout?`), `logout URL ${logoutUrl} is not under ${envUrl}/oidc/logout`);
    const res = await fetch(logoutUrl, { redirect: 'manual' });
    const body = await res.text();
    // The URL carries the ID token: name only its path.
    check(res.status === 302, `GET ${envUrl}/oidc/logout: status ${res.status}, want 302 to ${postLogoutUri}: ${pageText(body)}`);
    const loc = new URL(res.headers.get('location'));
    eq(loc.origin + loc.pathname, postLogoutUri, 'post-logout redirect target');
    eq(loc.searchParams.get('state'), logoutState, 'state on the post-logout redirect');
  });

  await step('refresh-after-logout-rejected', async () => {
    const err = await rejects(scalekit.refreshAccessToken(r2.refreshToken), 'refresh after logout');
    check(/status code 400\b/.test(err.message), `refresh after logout gave "${err.message}", want HTTP 400 (invalid_grant)`);
  });

  // PKCE: the same login with a code challenge, redeemed with its verifier.
  await step('login-pkce', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const opts = { state: random(), loginHint, codeChallenge: challenge, codeChallengeMethod: 'S256' };
    const wrong = await signIn(opts);
    const err = await rejects(scalekit.authenticateWithCode(wrong, redirectUri, { codeVerifier: random() + random() + 'x' }), 'exchange with a wrong code_verifier');
    eq(err.response?.status, 400, 'status of the exchange with a wrong verifier');
    eq(err.response?.data?.error, 'invalid_grant', 'error of the exchange with a wrong verifier');
    const r = await scalekit.authenticateWithCode(await signIn(opts), redirectUri, { codeVerifier: verifier });
    eq(r.user.email, loginHint, 'PKCE login user.email');
    eq(r.refreshToken, undefined, 'refresh token without offline_access');
  });

  // client_credentials with the app's own credentials (the SDK's management token).
  await step('client-credentials', async () => {
    const tok = await scalekit.getClientAccessToken();
    const c = await scalekit.validateToken(tok, { issuer: envUrl });
    eq(c.client_id, clientId, 'client_credentials token client_id');
    eq(c.sub, clientId, 'client_credentials token sub');
    eq(c.sid, undefined, 'client_credentials token sid');
    check(isInt(c.exp), `client_credentials token exp = ${JSON.stringify(c.exp)}, want an integer`);
  });

  const m2mId = process.env.SCALEKIT_M2M_CLIENT_ID;
  if (m2mId) {
    await step('client-credentials-m2m', async () => {
      const tok = await scalekit.generateClientToken(m2mId, need('SCALEKIT_M2M_CLIENT_SECRET'));
      const c = await scalekit.validateToken(tok, { issuer: envUrl });
      eq(c.client_id, m2mId, 'M2M token client_id');
      eq(c.sub, m2mId, 'M2M token sub');
      check(typeof c.oid === 'string' && c.oid.startsWith('org_'), `M2M token oid = ${JSON.stringify(c.oid)}, want org_…`);
      check(isStringArray(c.scopes), `M2M token scopes = ${JSON.stringify(c.scopes)}, want an array of strings`);
    });
    await step('client-credentials-bad-secret', async () => {
      const err = await rejects(scalekit.generateClientToken(m2mId, 'wrong-secret'), 'client_credentials with a wrong secret');
      eq(err.httpStatus, 401, 'status of client_credentials with a wrong secret');
    });
  }
}

try {
  await main();
  console.log('PASS');
} catch (err) {
  console.error(`FAIL ${err instanceof CheckError ? err.message : describe(err)}`);
  if (!(err instanceof CheckError) && err?.stack) console.error(err.stack);
  process.exitCode = 1;
}
