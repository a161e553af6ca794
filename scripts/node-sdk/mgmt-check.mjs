// mgmt-check.mjs drives Scalekit's management API (gRPC) with the official
// Node SDK (@scalekit-sdk/node, pinned in package.json), the way an app
// does, against a Scalekit environment, normally `skctl mock-idp`: every
// method of the organization, user, session, domain, connection, directory
// and passwordless clients, and the cross-checks that make it one store
// with the sign-in flow (an API user signs in, a page sign-up shows in the
// API, a revoked session stops refreshing). It prints "ok <step>" per step
// and exits 1 with the step and the reason on the first failure.
// internal/mockidp/nodesdk_mgmt_test.go runs it.
//
//   SCALEKIT_ENVIRONMENT_URL  the environment URL, no trailing slash
//   SCALEKIT_CLIENT_ID        a web app with authorization_code, refresh_token
//   SCALEKIT_CLIENT_SECRET    and client_credentials (the management client)
//   SCALEKIT_REDIRECT_URI     a redirect URI registered for it
//   SCALEKIT_M2M_CLIENT_ID, SCALEKIT_M2M_CLIENT_SECRET  an organization's
//                             M2M client, which the management API refuses
//
// It needs the mock's test endpoints too: GET /__mock/requests (counters)
// and GET /__mock/mail (the mailbox). Seeded data it relies on: Acme Corp
// (org_59615193906282635, domain acme.test, OIDC/OKTA connection
// conn_59615193906348171, one OKTA directory with users and 2 groups).
// Everything it creates has a random suffix, so it can run twice against
// one environment.

import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ScalekitClient,
  ScalekitBadRequestException,
  ScalekitConflictException,
  ScalekitForbiddenException,
  ScalekitNotFoundException,
} from '@scalekit-sdk/node';
import { CheckError, check, describe, done, eq, fail, need, random, pageText, rejects, show, step } from './check-lib.mjs';

// The SDK's index exports no enums; its generated modules do.
const require = createRequire(import.meta.url);
const pb = (p) => require(`@scalekit-sdk/node/lib/pkg/grpc/scalekit/v1/${p}_pb.js`);
const { MembershipStatus } = pb('commons/commons');
const { ConnectionProvider, ConnectionType } = pb('connections/connections');
const { DirectoryProvider } = pb('directories/directories');
const { DomainType } = pb('domains/domains');
const { PasswordlessType, TemplateType } = pb('auth/passwordless');

// The bug this check guards against: an 'error' event of the SDK's HTTP/2
// session that nobody handles kills Node. An app has no handler either, so
// any such error is a failure, not a retry.
for (const ev of ['uncaughtException', 'unhandledRejection']) {
  process.on(ev, (err) => {
    console.error(`FAIL the process would have crashed (${ev}): ${describe(err)}`);
    if (err?.stack) console.error(err.stack);
    process.exit(1);
  });
}

// eqStatus compares a session status: the SDK's docs write them in lower
// case ('active', 'revoked'), the generated types say only "string".
function eqStatus(got, want, what) {
  if (typeof got !== 'string' || got.toLowerCase() !== want) fail(`${what} = ${show(got)}, want ${show(want)} (any case)`);
}

// rejectsWith expects p to fail with the SDK exception cls carrying the
// gRPC status code.
async function rejectsWith(p, cls, code, what) {
  const err = await rejects(p, what);
  check(err instanceof cls, `${what} gave ${describe(err)}, want ${cls.name}`);
  eq(err.grpcStatus, code, `grpcStatus of ${what}`);
  return err;
}

// via labels a call's failure, in a step that makes several.
async function via(what, p) {
  try {
    return await p;
  } catch (err) {
    fail(`${what}: ${err instanceof CheckError ? err.message : describe(err)}`);
  }
}

const seconds = (ts) => (ts ? Number(ts.seconds) : NaN);
const roleNames = (m) => (m?.roles ?? []).map((r) => r.name);
const membershipOf = (user, orgId) => user?.memberships?.find((m) => m.organizationId === orgId);

// pageAll follows next_page_token from the first page to the last with
// pageSize items a page, checking that every page is full but the last,
// that total_size holds still and matches, and that no item repeats.
async function pageAll(what, list, key, pageSize) {
  const pages = [];
  const seen = new Set();
  let token;
  for (;;) {
    check(pages.length < 500, `${what}: more than 500 pages, next_page_token never ends`);
    const r = await list({ pageSize, pageToken: token });
    const items = r[key];
    const n = pages.length + 1;
    check(Array.isArray(items), `${what} page ${n}: no ${key}`);
    if (pages.length) eq(r.totalSize, pages[0].totalSize, `${what} page ${n} totalSize`);
    if (r.nextPageToken) eq(items.length, pageSize, `${what} page ${n} size (a next_page_token follows)`);
    else check(items.length <= pageSize, `${what} page ${n} has ${items.length} items, more than page_size ${pageSize}`);
    eq(typeof r.prevPageToken, 'string', `${what} page ${n} typeof prevPageToken`);
    if (!pages.length) eq(r.prevPageToken, '', `${what} first page prevPageToken`);
    else check(r.prevPageToken !== '', `${what} page ${n} has no prevPageToken`);
    for (const it of items) {
      check(!seen.has(it.id), `${what} page ${n} repeats ${it.id}`);
      seen.add(it.id);
    }
    pages.push({ items, totalSize: r.totalSize, nextPageToken: r.nextPageToken, prevPageToken: r.prevPageToken, token });
    if (!r.nextPageToken) break;
    check(r.nextPageToken !== token, `${what} page ${n} hands back its own token`);
    token = r.nextPageToken;
  }
  eq(pages[0].totalSize, seen.size, `${what} totalSize (items seen over ${pages.length} pages)`);
  return { items: pages.flatMap((p) => p.items), pages };
}

async function main() {
  const envUrl = need('SCALEKIT_ENVIRONMENT_URL');
  const clientId = need('SCALEKIT_CLIENT_ID');
  const clientSecret = need('SCALEKIT_CLIENT_SECRET');
  const redirectUri = need('SCALEKIT_REDIRECT_URI');
  const m2mId = need('SCALEKIT_M2M_CLIENT_ID');
  const m2mSecret = need('SCALEKIT_M2M_CLIENT_SECRET');
  check(!envUrl.endsWith('/'), `SCALEKIT_ENVIRONMENT_URL ${envUrl} ends with "/"`);

  const acme = 'org_59615193906282635';
  const acmeConn = 'conn_59615193906348171';
  const sfx = randomBytes(4).toString('hex');
  const sk = new ScalekitClient(envUrl, clientId, clientSecret, { timeoutMs: 10000 });
  const audience = [clientId];

  async function getJSON(path) {
    const res = await fetch(envUrl + path);
    const body = await res.text();
    check(res.status === 200, `GET ${path}: status ${res.status}: ${body.slice(0, 300)}`);
    try {
      return JSON.parse(body);
    } catch {
      fail(`GET ${path}: not JSON: ${body.slice(0, 300)}`);
    }
  }

  // counters reads GET /__mock/requests: {"root": {name: count}}.
  async function counters() {
    const j = await getJSON('/__mock/requests');
    return j.root ?? j;
  }

  // lastMail reads the newest message to an address from the mailbox.
  async function lastMail(to) {
    let j = await getJSON(`/__mock/mail?to=${encodeURIComponent(to)}&last=1`);
    if (Array.isArray(j)) j = j[0];
    check(j && typeof j === 'object', `GET /__mock/mail?to=${to}&last=1: no message`);
    eq(j.to, to, 'mail to');
    return j;
  }

  // signIn builds the authorize URL with the SDK, follows it like a
  // browser that stops at the first redirect, and returns the code.
  async function callback(res, state) {
    const body = await res.text();
    check(res.status === 302, `status ${res.status}, want 302 to the redirect URI: ${pageText(body)}`);
    const loc = new URL(res.headers.get('location'));
    const q = loc.searchParams;
    check(!q.has('error'), `authorize error ${q.get('error')}: ${q.get('error_description')}`);
    eq(loc.origin + loc.pathname, redirectUri, 'redirect target');
    eq(q.get('state'), state, 'state on the callback');
    check(q.get('code'), `callback ${loc} has no code`);
    return q.get('code');
  }
  const scopes = ['openid', 'profile', 'email', 'offline_access'];
  async function signIn(loginHint) {
    const state = random();
    const authUrl = sk.getAuthorizationUrl(redirectUri, { scopes, state, nonce: random(), loginHint });
    const code = await callback(await fetch(authUrl, { redirect: 'manual' }), state);
    return sk.authenticateWithCode(code, redirectUri);
  }
  async function claims(auth) {
    return {
      id: await sk.validateToken(auth.idToken, { issuer: envUrl, audience }),
      access: await sk.validateToken(auth.accessToken, { issuer: envUrl, audience }),
    };
  }
  // refreshRefused checks that a refresh token no longer works: the SDK
  // keeps only axios's message, so the error code is read with a plain
  // request too.
  async function refreshRefused(refreshToken, what) {
    const err = await rejects(sk.refreshAccessToken(refreshToken), what);
    check(/status code 400\b/.test(err.message), `${what} gave "${err.message}", want HTTP 400 (invalid_grant)`);
    const res = await fetch(`${envUrl}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId, client_secret: clientSecret }),
    });
    const body = await res.json().catch(() => ({}));
    eq(res.status, 400, `status of ${what} (plain request)`);
    eq(body.error, 'invalid_grant', `error of ${what} (plain request)`);
  }

  // ---- organizations ----

  const extA = `EXT-ORG-${sfx}`;
  const nameA = `Initech ${sfx}`;
  const before = await counters();
  const orgA = await step('organization.createOrganization', async () => {
    const r = await sk.organization.createOrganization(nameA, { externalId: extA });
    const o = r.organization;
    check(o?.id?.startsWith('org_'), `organization.id = ${show(o?.id)}, want org_…`);
    eq(o.displayName, nameA, 'displayName');
    eq(o.externalId, extA, 'externalId');
    check(seconds(o.createTime) > 0, `createTime = ${show(o.createTime)}, want a timestamp`);
    return o;
  });

  await step('lazy-auth', async () => {
    const after = await counters();
    const diff = {};
    for (const [k, v] of Object.entries(after)) if (v !== (before[k] ?? 0)) diff[k] = v - (before[k] ?? 0);
    console.log(`   counters changed by the first management call: ${show(diff)}`);
    // The SDK sent CreateOrganization without a token, got 16, fetched
    // one with client_credentials and sent it again.
    eq(diff['token.requests'], 1, 'token.requests growth (the client_credentials fetch)');
    const proc = 'grpc.scalekit.v1.organizations.OrganizationService/CreateOrganization';
    check(proc in after, `no counter ${proc} in /__mock/requests: ${show(Object.keys(after))}`);
    eq(diff[proc], 2, `${proc} growth (refused without a token, then retried with it)`);
  });

  await step('organization.getOrganization', async () => {
    const o = (await sk.organization.getOrganization(orgA.id)).organization;
    eq(o?.id, orgA.id, 'id');
    eq(o.displayName, nameA, 'displayName');
    eq(o.externalId, extA, 'externalId');
  });

  await step('organization.getOrganizationByExternalId', async () => {
    const o = (await sk.organization.getOrganizationByExternalId(extA)).organization;
    eq(o?.id, orgA.id, 'id');
    const acmeOrg = (await sk.organization.getOrganizationByExternalId('ACME-001')).organization;
    eq(acmeOrg?.id, acme, 'id of the seeded ACME-001');
    eq(acmeOrg.displayName, 'Acme Corp', 'displayName of the seeded ACME-001');
  });

  const nameA2 = `Initech Global ${sfx}`;
  await step('organization.updateOrganization', async () => {
    const o = (await sk.organization.updateOrganization(orgA.id, { displayName: nameA2, metadata: { tier: 'gold', run: sfx } })).organization;
    eq(o?.id, orgA.id, 'id');
    eq(o.displayName, nameA2, 'displayName');
    eq(o.metadata?.tier, 'gold', 'metadata.tier');
    const g = (await sk.organization.getOrganization(orgA.id)).organization;
    eq(g.displayName, nameA2, 'displayName read back');
    eq(g.metadata?.run, sfx, 'metadata.run read back');
  });

  const nameA3 = `Initech Worldwide ${sfx}`;
  await step('organization.updateOrganizationByExternalId', async () => {
    const o = (await sk.organization.updateOrganizationByExternalId(extA, { displayName: nameA3 })).organization;
    eq(o?.id, orgA.id, 'id');
    eq(o.displayName, nameA3, 'displayName');
    eq((await sk.organization.getOrganization(orgA.id)).organization.displayName, nameA3, 'displayName read back');
  });

  await step('organization.updateOrganizationSettings', async () => {
    const features = [{ name: 'sso', enabled: true }, { name: 'dir_sync', enabled: false }];
    const r = await sk.organization.updateOrganizationSettings(orgA.id, { features });
    const feat = (o) => Object.fromEntries((o?.settings?.features ?? []).map((f) => [f.name, f.enabled]));
    eq(r.organization?.id, orgA.id, 'id');
    const got = feat(r.organization);
    eq(got.sso, true, 'settings sso');
    eq(got.dir_sync, false, 'settings dir_sync');
    const back = feat((await sk.organization.getOrganization(orgA.id)).organization);
    eq(back.sso, true, 'settings sso read back');
    eq(back.dir_sync, false, 'settings dir_sync read back');
  });

  await step('organization.generatePortalLink', async () => {
    const link = await sk.organization.generatePortalLink(orgA.id);
    check(typeof link.id === 'string' && link.id !== '', `link.id = ${show(link.id)}`);
    check(link.location.startsWith(`${envUrl}/magicLink/`), `link.location = ${link.location}, want ${envUrl}/magicLink/…`);
    check(seconds(link.expireTime) * 1000 > Date.now(), `link.expireTime = ${show(link.expireTime)}, want in the future`);
    // The link opens once, into a session whose page is at …/s/<token>.
    const res = await fetch(link.location, { redirect: 'manual' });
    eq(res.status, 303, `GET ${link.location} status`);
    const session = res.headers.get('location') ?? '';
    check(session.startsWith(`${link.location}/s/`), `the link sends the browser to ${show(session)}, want ${link.location}/s/<token>`);
    const page = await fetch(session, { redirect: 'manual' });
    const body = await page.text();
    eq(page.status, 200, 'GET the portal session status');
    check(body.includes(nameA3), `the portal page does not name the organization "${nameA3}": ${pageText(body)}`);
  });

  // Two more organizations: one for second memberships, one to delete.
  const orgB = (await step('organization.createOrganization (second)', () => sk.organization.createOrganization(`Hooli ${sfx}`))).organization;
  const orgC = (await step('organization.createOrganization (third)', () => sk.organization.createOrganization(`Vandelay ${sfx}`, { externalId: `EXT-DEL-${sfx}` }))).organization;

  await step('organization.listOrganization', async () => {
    const list = (o) => sk.organization.listOrganization(o);
    const { items, pages } = await pageAll('listOrganization', list, 'organizations', 1);
    const got = new Set(items.map((o) => o.id));
    for (const id of [acme, 'org_59615193906413707', orgA.id, orgB.id, orgC.id]) check(got.has(id), `listOrganization never listed ${id}`);
    check(pages.length >= 5, `listOrganization with page_size 1 gave ${pages.length} pages, want ≥ 5`);
    // A page's prev_page_token leads back to the page before it.
    const back = await list({ pageSize: 1, pageToken: pages[2].prevPageToken });
    eq(back.organizations[0]?.id, pages[1].items[0].id, 'first organization of the page at page 3\'s prevPageToken');
    const all = await list({ pageSize: 100 });
    eq(all.organizations.length, items.length, 'organizations with page_size 100');
    eq(all.nextPageToken, '', 'nextPageToken with page_size 100');
  });

  // ---- errors ----

  await step('error.not-found', async () => {
    const err = await rejectsWith(sk.organization.getOrganization('org_00000000000000000'), ScalekitNotFoundException, 5, 'getOrganization(org_00000000000000000)');
    eq(err.httpStatus, 404, 'httpStatus');
    console.log(`   not found: errorCode ${show(err.errorCode)}, message ${show(err.message)}`);
  });

  await step('error.conflict', async () => {
    const err = await rejectsWith(sk.organization.createOrganization(`Dup ${sfx}`, { externalId: extA }), ScalekitConflictException, 6, 'createOrganization with a used externalId');
    eq(err.httpStatus, 409, 'httpStatus');
  });

  await step('error.m2m-forbidden', async () => {
    const m2m = new ScalekitClient(envUrl, m2mId, m2mSecret, { timeoutMs: 10000 });
    const err = await rejectsWith(m2m.organization.getOrganization(acme), ScalekitForbiddenException, 7, 'getOrganization with an organization M2M client');
    eq(err.httpStatus, 403, 'httpStatus');
    check(typeof err.errorCode === 'string' && err.errorCode !== '', `errorCode = ${show(err.errorCode)}, want the ErrorInfo's error_code`);
    console.log(`   M2M client: errorCode ${show(err.errorCode)}, message ${show(err.message)}`);
  });

  await step('error.bad-secret', async () => {
    const bad = new ScalekitClient(envUrl, clientId, 'wrong-secret', { timeoutMs: 10000 });
    const err = await rejects(bad.organization.getOrganization(acme), 'getOrganization with a wrong client secret');
    // §1.2: the failed token request escapes as axios's own error.
    check(err?.isAxiosError === true || err?.name === 'AxiosError', `wrong secret gave ${describe(err)}, want the token request's AxiosError`);
    eq(err.response?.status, 401, 'status of the token request with a wrong secret');
    // Let a late 'error' of the HTTP/2 session surface, if one comes.
    await sleep(300);
  });

  // ---- users and memberships ----

  const email1 = `una-${sfx}@initech.test`;
  const ext1 = `EXT-USR-${sfx}`;
  const u1 = await step('user.createUserAndMembership', async () => {
    const r = await sk.user.createUserAndMembership(orgA.id, {
      email: email1, externalId: ext1, userProfile: { firstName: 'Una', lastName: 'Tester' },
      metadata: { team: 'qa' }, sendInvitationEmail: false,
    });
    const u = r.user;
    check(u?.id?.startsWith('usr_'), `user.id = ${show(u?.id)}, want usr_…`);
    eq(u.email, email1, 'email');
    eq(u.externalId, ext1, 'externalId');
    eq(u.userProfile?.firstName, 'Una', 'userProfile.firstName');
    eq(u.userProfile?.lastName, 'Tester', 'userProfile.lastName');
    eq(u.metadata?.team, 'qa', 'metadata.team');
    eq(u.memberships.length, 1, 'memberships');
    eq(u.memberships[0].organizationId, orgA.id, 'membership organizationId');
    eq(u.memberships[0].membershipStatus, MembershipStatus.ACTIVE, 'membershipStatus (no invitation: ACTIVE)');
    return u;
  });

  await step('user.getUser', async () => {
    const u = (await sk.user.getUser(u1.id)).user;
    eq(u?.id, u1.id, 'id');
    eq(u.email, email1, 'email');
    eq(u.externalId, ext1, 'externalId');
    eq(u.userProfile?.firstName, 'Una', 'userProfile.firstName');
    eq(u.metadata?.team, 'qa', 'metadata.team');
    check(membershipOf(u, orgA.id), `memberships ${show(u.memberships)} lack ${orgA.id}`);
  });

  await step('user.getUserByExternalId', async () => {
    eq((await sk.user.getUserByExternalId(ext1)).user?.id, u1.id, 'id');
    eq((await sk.user.getUserByExternalId('EMP-0001')).user?.email, 'ada@acme.test', 'email of the seeded EMP-0001');
  });

  await step('user.updateUser', async () => {
    const u = (await sk.user.updateUser(u1.id, { userProfile: { firstName: 'Unity', lastName: 'Tester' }, metadata: { team: 'ops' } })).user;
    eq(u?.id, u1.id, 'id');
    eq(u.userProfile?.firstName, 'Unity', 'userProfile.firstName');
    eq(u.metadata?.team, 'ops', 'metadata.team');
    const g = (await sk.user.getUser(u1.id)).user;
    eq(g.userProfile?.firstName, 'Unity', 'userProfile.firstName read back');
    eq(g.email, email1, 'email read back');
  });

  await step('user.updateUserByExternalId', async () => {
    const u = (await sk.user.updateUserByExternalId(ext1, { userProfile: { firstName: 'Una', lastName: 'Updated' } })).user;
    eq(u?.id, u1.id, 'id');
    eq(u.userProfile?.lastName, 'Updated', 'userProfile.lastName');
    eq((await sk.user.getUser(u1.id)).user.userProfile?.lastName, 'Updated', 'userProfile.lastName read back');
  });

  await step('user.listUsers', async () => {
    const { items } = await pageAll('listUsers', (o) => sk.user.listUsers(o), 'users', 2);
    const emails = new Set(items.map((u) => u.email));
    for (const e of ['ada@acme.test', 'grace@acme.test', 'hank@globex.test', email1]) check(emails.has(e), `listUsers never listed ${e}`);
  });

  await step('user.listOrganizationUsers', async () => {
    const { items } = await pageAll('listOrganizationUsers(acme)', (o) => sk.user.listOrganizationUsers(acme, o), 'users', 1);
    const emails = new Set(items.map((u) => u.email));
    for (const e of ['ada@acme.test', 'grace@acme.test', 'hank@globex.test']) check(emails.has(e), `listOrganizationUsers(acme) never listed ${e}`);
    const a = await sk.user.listOrganizationUsers(orgA.id, { pageSize: 10 });
    check(a.users.some((u) => u.id === u1.id), `listOrganizationUsers(${orgA.id}) lacks ${u1.id}: ${show(a.users.map((u) => u.id))}`);
  });

  await step('user.createMembership', async () => {
    const u = (await sk.user.createMembership(orgB.id, u1.id, { roles: ['member'] })).user;
    eq(u?.id, u1.id, 'id');
    const m = membershipOf(u, orgB.id);
    check(m, `memberships ${show(u.memberships)} lack ${orgB.id}`);
    eq(show(roleNames(m)), show(['member']), 'roles of the new membership');
    check(membershipOf(u, orgA.id), 'the first membership is gone');
    const list = await sk.user.listOrganizationUsers(orgB.id, { pageSize: 10 });
    check(list.users.some((x) => x.id === u1.id), `listOrganizationUsers(${orgB.id}) lacks ${u1.id}`);
  });

  await step('user.updateMembership', async () => {
    const u = (await sk.user.updateMembership(orgB.id, u1.id, { roles: ['admin'] })).user;
    eq(show(roleNames(membershipOf(u, orgB.id))), show(['admin']), 'roles after the update');
    eq(show(roleNames(membershipOf((await sk.user.getUser(u1.id)).user, orgB.id))), show(['admin']), 'roles read back');
  });

  await step('user.deleteMembership', async () => {
    await sk.user.deleteMembership(orgB.id, u1.id);
    const u = (await sk.user.getUser(u1.id)).user;
    check(!membershipOf(u, orgB.id), `memberships still hold ${orgB.id}: ${show(u.memberships)}`);
    check(membershipOf(u, orgA.id), 'the other membership went too');
  });

  await step('user.createMembershipByExternalId', async () => {
    const u = (await sk.user.createMembershipByExternalId(orgB.id, ext1, { roles: ['member'] })).user;
    eq(u?.id, u1.id, 'id');
    eq(show(roleNames(membershipOf(u, orgB.id))), show(['member']), 'roles of the new membership');
  });

  await step('user.updateMembershipByExternalId', async () => {
    const u = (await sk.user.updateMembershipByExternalId(orgB.id, ext1, { roles: ['admin'] })).user;
    eq(show(roleNames(membershipOf(u, orgB.id))), show(['admin']), 'roles after the update');
  });

  await step('user.deleteMembershipByExternalId', async () => {
    await sk.user.deleteMembershipByExternalId(orgB.id, ext1);
    const u = (await sk.user.getUser(u1.id)).user;
    check(!membershipOf(u, orgB.id), `memberships still hold ${orgB.id}: ${show(u.memberships)}`);
  });

  const emailInv = `ivan-${sfx}@initech.test`;
  const uInv = await step('user.createUserAndMembership (invited)', async () => {
    const u = (await sk.user.createUserAndMembership(orgA.id, { email: emailInv, sendInvitationEmail: true })).user;
    eq(membershipOf(u, orgA.id)?.membershipStatus, MembershipStatus.PENDING_INVITE, 'membershipStatus with an invitation');
    return u;
  });

  await step('user.resendInvite', async () => {
    const inv = (await sk.user.resendInvite(orgA.id, uInv.id)).invite;
    check(inv, 'no invite in the response');
    eq(inv.organizationId, orgA.id, 'invite.organizationId');
    eq(inv.userId, uInv.id, 'invite.userId');
    check(inv.resentCount >= 1, `invite.resentCount = ${inv.resentCount}, want ≥ 1`);
    check(typeof inv.status === 'string' && inv.status !== '', `invite.status = ${show(inv.status)}`);
    console.log(`   invite: status ${show(inv.status)}, resentCount ${inv.resentCount}`);
    // The invitation and its resend went to the mailbox; the user added
    // without an invitation got nothing.
    const sentTo = async (to) => getJSON(`/__mock/mail?to=${encodeURIComponent(to)}`);
    const inbox = await sentTo(emailInv);
    check(Array.isArray(inbox) && inbox.length >= 2, `mailbox of ${emailInv} holds ${show(inbox)}, want the invitation and its resend`);
    eq(show(await sentTo(email1)), '[]', `mailbox of ${email1} (added with sendInvitationEmail false)`);
  });

  await step('user.deleteUser', async () => {
    await sk.user.deleteUser(uInv.id);
    await rejectsWith(sk.user.getUser(uInv.id), ScalekitNotFoundException, 5, 'getUser of the deleted user');
  });

  await step('user.deleteUserByExternalId', async () => {
    const ext = `EXT-GONE-${sfx}`;
    const u = (await sk.user.createUserAndMembership(orgA.id, { email: `gone-${sfx}@initech.test`, externalId: ext })).user;
    await sk.user.deleteUserByExternalId(ext);
    await rejectsWith(sk.user.getUserByExternalId(ext), ScalekitNotFoundException, 5, 'getUserByExternalId of the deleted user');
    await rejectsWith(sk.user.getUser(u.id), ScalekitNotFoundException, 5, 'getUser of the deleted user');
  });

  // ---- sign-in cross-checks and sessions ----

  // The API's user signs in by login_hint, with the role the API gave it.
  await sk.user.updateMembership(orgA.id, u1.id, { roles: ['admin'] });
  const auth1 = await step('signin.api-user', async () => {
    const auth = await signIn(email1);
    eq(auth.user?.id, u1.id, 'user.id of the code exchange');
    eq(auth.user.email, email1, 'user.email of the code exchange');
    const c = await claims(auth);
    eq(c.id.sub, u1.id, 'ID token sub');
    eq(c.access.sub, u1.id, 'access token sub');
    eq(c.access.oid, orgA.id, 'access token oid');
    check(Array.isArray(c.access.roles) && c.access.roles.includes('admin'), `access token roles = ${show(c.access.roles)}, want to include admin`);
    check(typeof c.access.sid === 'string' && c.access.sid.startsWith('ses_'), `access token sid = ${show(c.access.sid)}`);
    check(auth.refreshToken, 'no refresh token (offline_access was asked)');
    return { ...auth, sid: c.access.sid };
  });

  await step('session.getSession', async () => {
    const s = await sk.session.getSession(auth1.sid);
    eq(s.sessionId, auth1.sid, 'sessionId');
    eq(s.userId, u1.id, 'userId');
    eq(s.organizationId, orgA.id, 'organizationId');
    eqStatus(s.status, 'active', 'status');
    check(seconds(s.createdAt) > 0, `createdAt = ${show(s.createdAt)}`);
    check(seconds(s.absoluteExpiresAt) * 1000 > Date.now(), `absoluteExpiresAt = ${show(s.absoluteExpiresAt)}, want in the future`);
  });

  await step('session.getUserSessions', async () => {
    const r = await sk.session.getUserSessions(u1.id);
    const s = r.sessions.find((x) => x.sessionId === auth1.sid);
    check(s, `getUserSessions(${u1.id}) lacks ${auth1.sid}: ${show(r.sessions.map((x) => x.sessionId))}`);
    eq(s.userId, u1.id, 'session userId');
    check(r.totalSize >= 1, `totalSize = ${r.totalSize}`);
  });

  await step('session.revokeSession', async () => {
    const r = await sk.session.revokeSession(auth1.sid);
    eq(r.revokedSession?.sessionId, auth1.sid, 'revokedSession.sessionId');
    eq(r.revokedSession.userId, u1.id, 'revokedSession.userId');
    eqStatus(r.revokedSession.status, 'revoked', 'revokedSession.status');
    await refreshRefused(auth1.refreshToken, 'refresh after revokeSession');
  });

  await step('session.revokeAllUserSessions', async () => {
    const a = await signIn(email1);
    const b = await signIn(email1);
    const sids = [(await claims(a)).access.sid, (await claims(b)).access.sid];
    check(sids[0] !== sids[1], 'two sign-ins without cookies share a session');
    const r = await sk.session.revokeAllUserSessions(u1.id);
    const got = r.revokedSessions.map((s) => s.sessionId).sort();
    eq(show(got), show([...sids].sort()), 'revokedSessions (the two live ones)');
    eq(r.totalRevoked, 2, 'totalRevoked');
    await refreshRefused(a.refreshToken, 'refresh after revokeAllUserSessions');
    await refreshRefused(b.refreshToken, 'refresh after revokeAllUserSessions');
  });

  // A sign-up on the page (a new email) is a user of the API. The page
  // emails a code, as Scalekit's does; the mailbox's JSON has it.
  await step('signup.page-user', async () => {
    const state = random();
    const authUrl = sk.getAuthorizationUrl(redirectUri, { scopes, state, nonce: random() });
    const page = await fetch(authUrl, { redirect: 'manual' });
    const html = await page.text();
    check(page.status === 200, `GET authorize without login_hint: status ${page.status}, want the sign-in page: ${pageText(html)}`);
    const handle = html.match(/name="handle" value="([^"]+)"/)?.[1];
    check(handle, `the sign-in page has no handle: ${pageText(html)}`);
    const email = `newbie-${sfx}@signup-${sfx}.test`;
    const form = (path, fields) => fetch(`${envUrl}${path}`, {
      method: 'POST', redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields),
    });
    const sent = await form('/oauth/login', { handle, email });
    const checkPage = await sent.text();
    check(sent.status === 200 && checkPage.includes('Check your email'), `the email form: status ${sent.status}, want the "check your email" page: ${pageText(checkPage)}`);
    const waiting = checkPage.match(/name="handle" value="([^"]+)"/)?.[1];
    check(waiting, `the "check your email" page has no handle: ${pageText(checkPage)}`);
    const mail = await lastMail(email);
    eq(mail.kind, 'passwordless', 'kind of the sign-in email');
    check(/^\d{6}$/.test(mail.code) && mail.link?.startsWith(`${envUrl}/oauth/magic?`), `the sign-in email has code ${show(mail.code)} and link ${show(mail.link)}, want six digits and a magic link`);
    const res = await form('/oauth/passwordless', { handle: waiting, code: mail.code });
    const auth = await sk.authenticateWithCode(await callback(res, state), redirectUri);
    const sub = (await claims(auth)).id.sub;
    check(sub.startsWith('usr_'), `ID token sub = ${show(sub)}`);
    const u = (await sk.user.getUser(sub)).user;
    eq(u?.email, email, 'email of the signed-up user');
    eq(u.memberships.length, 1, 'memberships of the signed-up user');
    const o = (await sk.organization.getOrganization(u.memberships[0].organizationId)).organization;
    eq(o?.id, u.memberships[0].organizationId, 'organization of the membership');
  });

  // ---- domains ----

  const domainName = `newco-${sfx}.test`;
  const dom = await step('domain.createDomain', async () => {
    const d = (await sk.domain.createDomain(orgA.id, domainName, { domainType: 'ORGANIZATION_DOMAIN' })).domain;
    check(d?.id, `domain.id = ${show(d?.id)}`);
    eq(d.domain, domainName, 'domain');
    eq(d.organizationId, orgA.id, 'organizationId');
    eq(d.domainType, DomainType.ORGANIZATION_DOMAIN, 'domainType');
    return d;
  });

  await step('domain.getDomain', async () => {
    const d = (await sk.domain.getDomain(orgA.id, dom.id)).domain;
    eq(d?.id, dom.id, 'id');
    eq(d.domain, domainName, 'domain');
    eq(d.domainType, DomainType.ORGANIZATION_DOMAIN, 'domainType');
  });

  await step('domain.listDomains', async () => {
    const mine = (await sk.domain.listDomains(orgA.id)).domains.map((d) => d.domain);
    check(mine.includes(domainName), `listDomains(${orgA.id}) = ${show(mine)}, want ${domainName}`);
    const typed = (await sk.domain.listDomains(orgA.id, { domainType: 'ORGANIZATION_DOMAIN' })).domains.map((d) => d.domain);
    check(typed.includes(domainName), `listDomains(ORGANIZATION_DOMAIN) = ${show(typed)}, want ${domainName}`);
    const acmes = (await sk.domain.listDomains(acme)).domains.map((d) => d.domain);
    check(acmes.includes('acme.test'), `listDomains(acme) = ${show(acmes)}, want acme.test`);
  });

  await step('domain.deleteDomain', async () => {
    await sk.domain.deleteDomain(orgA.id, dom.id);
    const left = (await sk.domain.listDomains(orgA.id)).domains.map((d) => d.domain);
    check(!left.includes(domainName), `listDomains after the delete still has ${domainName}`);
    await rejectsWith(sk.domain.getDomain(orgA.id, dom.id), ScalekitNotFoundException, 5, 'getDomain of the deleted domain');
  });

  // ---- connections ----

  await step('connection.listConnections', async () => {
    const cs = (await sk.connection.listConnections(acme)).connections;
    const c = cs.find((x) => x.id === acmeConn);
    check(c, `listConnections(acme) = ${show(cs.map((x) => x.id))}, want ${acmeConn}`);
    eq(c.provider, ConnectionProvider.OKTA, 'provider');
    eq(c.type, ConnectionType.OIDC, 'type');
    eq(c.organizationId, acme, 'organizationId');
    check(cs.every((x) => x.organizationId === acme), `listConnections(acme) lists others' connections: ${show(cs.map((x) => x.organizationId))}`);
  });

  await step('connection.listConnectionsByDomain', async () => {
    const cs = (await sk.connection.listConnectionsByDomain('acme.test')).connections;
    check(cs.some((x) => x.id === acmeConn), `listConnectionsByDomain(acme.test) = ${show(cs.map((x) => x.id))}, want ${acmeConn}`);
    check(cs.every((x) => x.organizationId === acme), `listConnectionsByDomain(acme.test) lists others' connections`);
  });

  await step('connection.getConnection', async () => {
    const c = (await sk.connection.getConnection(acme, acmeConn)).connection;
    eq(c?.id, acmeConn, 'id');
    eq(c.provider, ConnectionProvider.OKTA, 'provider');
    eq(c.type, ConnectionType.OIDC, 'type');
    eq(c.organizationId, acme, 'organizationId');
  });

  const conn = await step('connection.createConnection', async () => {
    const c = (await sk.connection.createConnection(orgA.id, { provider: ConnectionProvider.OKTA, type: ConnectionType.SAML })).connection;
    check(c?.id?.startsWith('conn_'), `connection.id = ${show(c?.id)}, want conn_…`);
    eq(c.provider, ConnectionProvider.OKTA, 'provider');
    eq(c.type, ConnectionType.SAML, 'type');
    const cs = (await sk.connection.listConnections(orgA.id)).connections;
    check(cs.some((x) => x.id === c.id), `listConnections(${orgA.id}) lacks ${c.id}`);
    return c;
  });

  await step('connection.enableConnection', async () => {
    eq((await sk.connection.enableConnection(orgA.id, conn.id)).enabled, true, 'enabled');
    eq((await sk.connection.getConnection(orgA.id, conn.id)).connection?.enabled, true, 'enabled read back');
  });

  await step('connection.disableConnection', async () => {
    eq((await sk.connection.disableConnection(orgA.id, conn.id)).enabled, false, 'enabled');
    eq((await sk.connection.getConnection(orgA.id, conn.id)).connection?.enabled, false, 'enabled read back');
  });

  await step('connection.deleteConnection', async () => {
    await sk.connection.deleteConnection(orgA.id, conn.id);
    await rejectsWith(sk.connection.getConnection(orgA.id, conn.id), ScalekitNotFoundException, 5, 'getConnection of the deleted connection');
  });

  // ---- directories (the seeded one of Acme Corp) ----

  const dir = await step('directory.listDirectories', async () => {
    const ds = (await sk.directory.listDirectories(acme)).directories;
    check(ds.length >= 1, 'listDirectories(acme) is empty, want the seeded directory');
    const d = ds[0];
    check(d.id?.startsWith('dir_'), `directory id = ${show(d.id)}, want dir_…`);
    eq(d.organizationId, acme, 'organizationId');
    eq(d.directoryProvider, DirectoryProvider.OKTA, 'directoryProvider');
    return d;
  });

  await step('directory.getPrimaryDirectoryByOrganizationId', async () => {
    eq((await sk.directory.getPrimaryDirectoryByOrganizationId(acme)).id, dir.id, 'id');
  });

  await step('directory.getDirectory', async () => {
    const d = (await sk.directory.getDirectory(acme, dir.id)).directory;
    eq(d?.id, dir.id, 'id');
    eq(d.organizationId, acme, 'organizationId');
    eq(d.directoryProvider, DirectoryProvider.OKTA, 'directoryProvider');
  });

  const groups = await step('directory.listDirectoryGroups', async () => {
    const r = await sk.directory.listDirectoryGroups(acme, dir.id);
    // The fixtures' two, and one more when the test pushed one over SCIM.
    const want = process.env.SCIM_PUSHED_GROUP ? 3 : 2;
    eq(r.groups.length, want, 'groups');
    eq(r.totalSize, want, 'totalSize');
    for (const g of r.groups) check(g.id && g.displayName, `group ${show(g)} lacks an id or a name`);
    return r.groups;
  });

  await step('directory.listDirectoryUsers', async () => {
    const { items } = await pageAll('listDirectoryUsers', (o) => sk.directory.listDirectoryUsers(acme, dir.id, o), 'users', 1);
    check(items.length >= 2, `the directory has ${items.length} users, want a few`);
    for (const u of items) check(u.email, `directory user ${u.id} has no email`);
    const g = groups[0];
    const inGroup = (await sk.directory.listDirectoryUsers(acme, dir.id, { pageSize: 100, directoryGroupId: g.id })).users;
    check(inGroup.length >= 1, `group ${g.id} (${g.displayName}) lists no users`);
    check(inGroup.length < items.length || groups.every((x) => x.totalUsers === items.length),
      `directoryGroupId ${g.id} lists all ${items.length} users: the filter is ignored`);
    if (g.totalUsers) eq(inGroup.length, g.totalUsers, `users of group ${g.id} (its totalUsers)`);
    const all = new Set(items.map((u) => u.id));
    for (const u of inGroup) check(all.has(u.id), `group ${g.id} lists ${u.id}, not a user of the directory`);
    // A user and group the directory's IdP pushed over SCIM before the
    // script ran are the SDK's too.
    const pushed = process.env.SCIM_PUSHED_EMAIL;
    if (pushed) {
      const u = items.find((x) => x.email === pushed);
      check(u, `listDirectoryUsers does not list ${pushed}, pushed over SCIM`);
      const pg = groups.find((x) => x.displayName === process.env.SCIM_PUSHED_GROUP);
      check(pg, `listDirectoryGroups does not list ${process.env.SCIM_PUSHED_GROUP}, pushed over SCIM`);
      const members = (await sk.directory.listDirectoryUsers(acme, dir.id, { pageSize: 100, directoryGroupId: pg.id })).users;
      eq(members.map((x) => x.email).join(' '), pushed, `members of the pushed group ${pg.id}`);
    }
  });

  await step('directory.disableDirectory', async () => {
    eq((await sk.directory.disableDirectory(acme, dir.id)).enabled, false, 'enabled');
    eq((await sk.directory.getDirectory(acme, dir.id)).directory?.enabled, false, 'enabled read back');
  });

  await step('directory.enableDirectory', async () => {
    eq((await sk.directory.enableDirectory(acme, dir.id)).enabled, true, 'enabled');
    eq((await sk.directory.getDirectory(acme, dir.id)).directory?.enabled, true, 'enabled read back');
  });

  // ---- passwordless (the mock's mailbox stands in for email) ----

  const plEmail = `otp-${sfx}@initech.test`;
  const plState = random();
  const sent = await step('passwordless.sendPasswordlessEmail', async () => {
    const r = await sk.passwordless.sendPasswordlessEmail(plEmail, { template: 'SIGNIN', state: plState, expiresIn: 600 });
    check(r.authRequestId, `authRequestId = ${show(r.authRequestId)}`);
    check([PasswordlessType.OTP, PasswordlessType.LINK_OTP].includes(r.passwordlessType), `passwordlessType = ${PasswordlessType[r.passwordlessType]}, want OTP or LINK_OTP (a code to read)`);
    eq(r.expiresIn, 600, 'expiresIn');
    check(Number(r.expiresAt) > Date.now() / 1000, `expiresAt = ${show(r.expiresAt)}, want a future Unix time`);
    const mail = await lastMail(plEmail);
    check(typeof mail.code === 'string' && /^\d{4,8}$/.test(mail.code), `mail code = ${show(mail.code)}, want digits`);
    return { ...r, code: mail.code };
  });

  await step('passwordless.verifyPasswordlessEmail (wrong code)', async () => {
    const wrong = sent.code === '000000' ? '111111' : '000000';
    await rejectsWith(sk.passwordless.verifyPasswordlessEmail({ code: wrong }, sent.authRequestId), ScalekitBadRequestException, 3, 'verify with a wrong code');
  });

  await step('passwordless.verifyPasswordlessEmail', async () => {
    const r = await sk.passwordless.verifyPasswordlessEmail({ code: sent.code }, sent.authRequestId);
    eq(r.email, plEmail, 'email');
    eq(r.state, plState, 'state');
    eq(r.template, TemplateType.SIGNIN, 'template');
    await rejects(sk.passwordless.verifyPasswordlessEmail({ code: sent.code }, sent.authRequestId), 'a second verification of the same code');
  });

  await step('passwordless.resendPasswordlessEmail', async () => {
    const email = `resend-${sfx}@initech.test`;
    const first = await sk.passwordless.sendPasswordlessEmail(email, { template: 'SIGNIN', state: plState });
    const oldCode = (await lastMail(email)).code;
    const again = await sk.passwordless.resendPasswordlessEmail(first.authRequestId);
    check(again.authRequestId, `authRequestId of the resend = ${show(again.authRequestId)}`);
    const newCode = (await lastMail(email)).code;
    check(newCode && newCode !== oldCode, `the mailbox's code after the resend is ${show(newCode)}, want a new one (was ${show(oldCode)})`);
    await rejectsWith(sk.passwordless.verifyPasswordlessEmail({ code: oldCode }, again.authRequestId), ScalekitBadRequestException, 3, 'verify with the code from before the resend');
    const r = await sk.passwordless.verifyPasswordlessEmail({ code: newCode }, again.authRequestId);
    eq(r.email, email, 'email');
    eq(r.state, plState, 'state');
  });

  // ---- last: delete an organization ----

  await step('organization.deleteOrganization', async () => {
    await sk.organization.deleteOrganization(orgC.id);
    await rejectsWith(sk.organization.getOrganization(orgC.id), ScalekitNotFoundException, 5, 'getOrganization of the deleted organization');
    await rejectsWith(sk.organization.getOrganizationByExternalId(`EXT-DEL-${sfx}`), ScalekitNotFoundException, 5, 'getOrganizationByExternalId of the deleted organization');
  });

  // The event log lists what this script did to Vandelay, in order.
  await step('events.listEventsPaginated', async () => {
    const seen = [];
    let token = '';
    for (let pages = 0; pages < 10; pages++) {
      const r = await sk.events.listEventsPaginated(1, token, { organizationId: orgC.id });
      for (const ev of r.events) seen.push(ev);
      token = r.nextPageToken;
      if (!token) break;
    }
    eq(seen.map((ev) => ev.type).join(' '), 'organization.created organization.deleted', `Vandelay's events`);
    eq(seen[0].data?.id, orgC.id, 'organization.created data.id');
    eq(seen[0].data?.display_name, `Vandelay ${sfx}`, 'organization.created data.display_name (proto-name JSON)');
    eq(seen[0].organizationId, orgC.id, 'organizationId');
    eq(seen[0].object, 3, 'object (ObjectType Organization)');
    check(seen[0].id.startsWith('evt_') && seen[0].environmentId.startsWith('env_'), `ids ${seen[0].id} ${seen[0].environmentId}`);
    const deleted = await sk.events.listEventsPaginated(100, '', { eventTypes: ['organization.deleted'], organizationId: orgC.id });
    eq(deleted.events.length, 1, 'organization.deleted events of Vandelay');
  });

  // Last, so that a failure here hides no other step: the SDK documents
  // getSession's statuses as active, expired, revoked and logout, and
  // getUserSessions' status filter takes the same values, so an ended
  // session is still there to read.
  await step('session.getSession (revoked)', async () => {
    const s = await sk.session.getSession(auth1.sid);
    eq(s.sessionId, auth1.sid, 'sessionId');
    eqStatus(s.status, 'revoked', 'status after revokeSession');
    check(seconds(s.logoutAt) > 0 || seconds(s.expiredAt) > 0, `logoutAt = ${show(s.logoutAt)}, expiredAt = ${show(s.expiredAt)}: want when it ended`);
  });

  const c = await counters();
  const grpc = Object.fromEntries(Object.entries(c).filter(([k]) => k.startsWith('grpc.')));
  console.log(`   gRPC counters: ${show(grpc)}`);
  // A late 'error' of an HTTP/2 session would fire the handlers above.
  await sleep(300);
}

try {
  await main();
  console.log(`PASS (${done.length} steps)`);
} catch (err) {
  console.error(`FAIL ${err instanceof CheckError ? err.message : describe(err)}`);
  if (!(err instanceof CheckError) && err?.stack) console.error(err.stack);
  process.exitCode = 1;
}
