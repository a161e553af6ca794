// passwordless-check.mjs drives Scalekit's passwordless API with the
// official Node SDK (@scalekit-sdk/node) the way an app's headless magic
// link does, reading each email from the mock's mailbox over HTTP: a
// magic link verifies once and is refused after; a code past its expiry
// (the mock's clock moved) and the third email of a minute to one address
// are refused with the errors the mock documents; a +sktest address gets
// the static code 424242. mgmt-check.mjs covers send, wrong code and
// resend; this script moves the clock, so it wants an environment of its
// own. It prints "ok <step>" per step and exits 1 with the step and the
// reason on the first failure. internal/mockidp/nodesdk_passwordless_test.go
// runs it.
//
// With PASSWORDLESS_TYPE=LINK it checks an environment whose fixtures
// say passwordless.type LINK instead: a send without magiclinkAuthUri is
// refused, an email carries a link and no code, and a code is refused.
//
//   SCALEKIT_ENVIRONMENT_URL  the environment URL, no trailing slash
//   SCALEKIT_CLIENT_ID        a client with client_credentials (the
//   SCALEKIT_CLIENT_SECRET    management client)
//   PASSWORDLESS_TYPE         LINK for a link-only environment; unset
//                             for one that leaves the type to the mock
//
// It needs the mock's test endpoints: GET /__mock/mail (the mailbox) and
// POST /__mock/clock (to move the clock).

import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import process from 'node:process';
import { ScalekitBadRequestException, ScalekitClient, ScalekitTooManyRequestsException } from '@scalekit-sdk/node';
import { CheckError, check, describe, done, eq, fail, need, random, rejects, show, step } from './check-lib.mjs';

const require = createRequire(import.meta.url);
const { PasswordlessType } = require('@scalekit-sdk/node/lib/pkg/grpc/scalekit/v1/auth/passwordless_pb.js');

for (const ev of ['uncaughtException', 'unhandledRejection']) {
  process.on(ev, (err) => {
    console.error(`FAIL the process would have crashed (${ev}): ${describe(err)}`);
    process.exit(1);
  });
}

// rejectsWith expects p to fail with the SDK exception cls carrying the
// gRPC status code.
async function rejectsWith(p, cls, code, what) {
  const err = await rejects(p, what);
  check(err instanceof cls, `${what} gave ${describe(err)}, want ${cls.name}`);
  eq(err.grpcStatus, code, `grpcStatus of ${what}`);
  return err;
}

async function main() {
  const envUrl = need('SCALEKIT_ENVIRONMENT_URL');
  const sk = new ScalekitClient(envUrl, need('SCALEKIT_CLIENT_ID'), need('SCALEKIT_CLIENT_SECRET'), { timeoutMs: 10000 });
  const sfx = randomBytes(4).toString('hex');
  const landing = 'http://localhost:4321/auth/passwordless';

  // lastMail reads the newest email to an address, as a Playwright test
  // would: plain HTTP, JSON.
  async function lastMail(to) {
    const res = await fetch(`${envUrl}/__mock/mail?to=${encodeURIComponent(to)}&last=1`);
    const body = await res.text();
    check(res.status === 200, `GET /__mock/mail?to=${to}&last=1: status ${res.status}: ${body.slice(0, 300)}`);
    check((res.headers.get('content-type') ?? '').startsWith('application/json'), `the mailbox answered ${res.headers.get('content-type')}, want JSON`);
    const m = JSON.parse(body);
    eq(m.to, to, 'mail to');
    eq(m.kind, 'passwordless', 'mail kind');
    return m;
  }

  async function moveClock(advance) {
    const res = await fetch(`${envUrl}/__mock/clock`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ advance }),
    });
    check(res.status === 200, `POST /__mock/clock ${advance}: status ${res.status}: ${(await res.text()).slice(0, 300)}`);
  }

  if (process.env.PASSWORDLESS_TYPE === 'LINK') {
    await linkOnly(sk, lastMail, sfx, landing);
    return;
  }

  const linkEmail = `link-${sfx}@initech.test`;
  const state = random();
  const link = await step('passwordless.magic-link', async () => {
    const r = await sk.passwordless.sendPasswordlessEmail(linkEmail, { state, magiclinkAuthUri: landing });
    eq(r.passwordlessType, PasswordlessType.LINK_OTP, 'passwordlessType with magiclinkAuthUri');
    eq(r.expiresIn, 300, 'expiresIn (the default five minutes)');
    const mail = await lastMail(linkEmail);
    const u = new URL(mail.link ?? 'x:');
    eq(u.origin + u.pathname, landing, 'the magic link lands on magiclinkAuthUri');
    const token = u.searchParams.get('link_token');
    check(token, `the magic link ${show(mail.link)} has no link_token`);
    const v = await sk.passwordless.verifyPasswordlessEmail({ linkToken: token });
    eq(v.email, linkEmail, 'email');
    eq(v.state, state, 'state');
    return { token, authRequestId: r.authRequestId };
  });

  await step('passwordless.magic-link (reused)', async () => {
    const err = await rejectsWith(sk.passwordless.verifyPasswordlessEmail({ linkToken: link.token }), ScalekitBadRequestException, 9, 'a second verification of the link');
    eq(err.errorCode, 'FAILED_PRECONDITION', 'errorCode');
    check(/already used/.test(err.message), `message ${show(err.message)}, want "already used"`);
  });

  await step('passwordless.magic-link (another request)', async () => {
    const other = `other-${sfx}@initech.test`;
    const r = await sk.passwordless.sendPasswordlessEmail(other, { magiclinkAuthUri: landing });
    const token = new URL((await lastMail(other)).link).searchParams.get('link_token');
    // Scalekit's same-browser check: a link verified with another
    // request's auth_request_id is refused.
    await rejectsWith(sk.passwordless.verifyPasswordlessEmail({ linkToken: token }, link.authRequestId), ScalekitBadRequestException, 3, 'the link with another auth_request_id');
    eq((await sk.passwordless.verifyPasswordlessEmail({ linkToken: token }, r.authRequestId)).email, other, 'email with its own auth_request_id');
  });

  await step('passwordless.rate-limit', async () => {
    const email = `busy-${sfx}@initech.test`;
    await sk.passwordless.sendPasswordlessEmail(email);
    await sk.passwordless.sendPasswordlessEmail(email);
    const err = await rejectsWith(sk.passwordless.sendPasswordlessEmail(email), ScalekitTooManyRequestsException, 8, 'a third email to one address within a minute');
    check(err.message.includes(email), `message ${show(err.message)}, want the address`);
  });

  await step('passwordless.test-user', async () => {
    const email = `qa+sktest-${sfx}@initech.test`;
    const r = await sk.passwordless.sendPasswordlessEmail(email);
    eq((await lastMail(email)).code, '424242', 'the code of a +sktest address');
    eq((await sk.passwordless.verifyPasswordlessEmail({ code: '424242' }, r.authRequestId)).email, email, 'email');
  });

  // Last: it moves the environment's clock.
  await step('passwordless.expired', async () => {
    const email = `late-${sfx}@initech.test`;
    const r = await sk.passwordless.sendPasswordlessEmail(email, { magiclinkAuthUri: landing });
    const mail = await lastMail(email);
    await moveClock('5m');
    const err = await rejectsWith(sk.passwordless.verifyPasswordlessEmail({ code: mail.code }, r.authRequestId), ScalekitBadRequestException, 9, 'the code five minutes on');
    check(/expired/.test(err.message), `message ${show(err.message)}, want "expired"`);
    const token = new URL(mail.link).searchParams.get('link_token');
    await rejectsWith(sk.passwordless.verifyPasswordlessEmail({ linkToken: token }), ScalekitBadRequestException, 9, 'the link five minutes on');
  });
}

// linkOnly checks a LINK environment: what Scalekit does when its
// dashboard sends magic links alone.
async function linkOnly(sk, lastMail, sfx, landing) {
  await step('passwordless.link-only (no magiclinkAuthUri)', async () => {
    const err = await rejectsWith(sk.passwordless.sendPasswordlessEmail(`nolanding-${sfx}@initech.test`), ScalekitBadRequestException, 3, 'a send without magiclinkAuthUri');
    check(/magiclink_auth_uri/.test(err.message), `message ${show(err.message)}, want it to name magiclink_auth_uri`);
  });

  const email = `linkonly-${sfx}@initech.test`;
  const state = random();
  const sent = await step('passwordless.link-only', async () => {
    const r = await sk.passwordless.sendPasswordlessEmail(email, { state, magiclinkAuthUri: landing });
    eq(r.passwordlessType, PasswordlessType.LINK, 'passwordlessType of a LINK environment');
    const mail = await lastMail(email);
    check(mail.code === undefined, `the email of a LINK environment has a code ${show(mail.code)}`);
    const token = new URL(mail.link ?? 'x:').searchParams.get('link_token');
    check(token, `the magic link ${show(mail.link)} has no link_token`);
    return { token, authRequestId: r.authRequestId };
  });

  await step('passwordless.link-only (a code)', async () => {
    const err = await rejectsWith(sk.passwordless.verifyPasswordlessEmail({ code: '123456' }, sent.authRequestId), ScalekitBadRequestException, 3, 'a code for a LINK request');
    check(/link_token/.test(err.message), `message ${show(err.message)}, want it to say to verify with the link_token`);
    // The refused code cost nothing: the link still verifies.
    const v = await sk.passwordless.verifyPasswordlessEmail({ linkToken: sent.token }, sent.authRequestId);
    eq(v.email, email, 'email');
    eq(v.state, state, 'state');
    eq(v.passwordlessType, PasswordlessType.LINK, 'passwordlessType of the verification');
  });
}

try {
  await main();
  console.log(`PASS (${done.length} steps)`);
} catch (err) {
  console.error(`FAIL ${err instanceof CheckError ? err.message : describe(err)}`);
  if (!(err instanceof CheckError) && err?.stack) console.error(err.stack);
  process.exitCode = 1;
}
