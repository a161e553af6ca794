// verify-webhooks.mjs verifies webhooks that `skctl mock-idp` delivered
// with Scalekit's Node SDK (verifyWebhookPayload), three ways each:
//   raw          the body as received, as an app verifying the raw body does;
//   reserialised JSON.stringify(JSON.parse(body)), as Scalekit's Next.js
//                sample verifies it (the body must survive the round trip);
//   tampered     one byte of the body changed: the SDK must refuse it.
// It prints "ok <name>" per delivery and PASS, or exits 1 naming the
// delivery and the check that failed. internal/mockidp/webhooks_test.go
// runs it.
//
//   WEBHOOK_SECRET      the endpoint's signing secret (whsec_…)
//   WEBHOOK_DELIVERIES  a JSON file: [{"name", "headers": {lower-case}, "body"}]

import fs from 'node:fs';
import process from 'node:process';
import { Scalekit } from '@scalekit-sdk/node';
import { CheckError, fail, need } from './check-lib.mjs';

const secret = need('WEBHOOK_SECRET');
const deliveries = JSON.parse(fs.readFileSync(need('WEBHOOK_DELIVERIES'), 'utf8'));
// The constructor contacts nothing; the verifier is local.
const scalekit = new Scalekit('http://127.0.0.1:9', 'skc_unused', 'unused');

function verifies(headers, body) {
  try {
    return scalekit.verifyWebhookPayload(secret, headers, body) === true ? 'ok' : 'returned not true';
  } catch (e) {
    return `${e.name}: ${e.message}`;
  }
}

try {
  if (deliveries.length === 0) fail('no deliveries to verify');
  for (const d of deliveries) {
    const raw = verifies(d.headers, d.body);
    if (raw !== 'ok') fail(`${d.name}: the body as received does not verify: ${raw}`);
    const again = JSON.stringify(JSON.parse(d.body));
    if (again !== d.body) fail(`${d.name}: JSON.stringify(JSON.parse(body)) differs from the body:\n${again}\n${d.body}`);
    const reserialised = verifies(d.headers, again);
    if (reserialised !== 'ok') fail(`${d.name}: the re-serialised body does not verify: ${reserialised}`);
    const tampered = d.body.replace('"type":"', '"type":"x');
    if (tampered === d.body) fail(`${d.name}: the body has no "type" to tamper with`);
    const refused = verifies(d.headers, tampered);
    if (refused !== 'WebhookVerificationError: Invalid Signature') {
      fail(`${d.name}: a tampered body was not refused as the SDK refuses a bad signature: ${refused}`);
    }
    console.log(`ok ${d.name}`);
  }
  console.log('PASS');
} catch (err) {
  console.log(err instanceof CheckError ? `FAIL ${err.message}` : `FAIL ${err.stack}`);
  process.exit(1);
}
