// verify.cjs runs Scalekit's Node SDK verifier on deliveries signed by Go.
// It reads JSON from stdin: {"sdkDir": ".../scripts/node-sdk", "cases":
// [{"name", "secret", "headers", "body", "reserialise"}]} and prints one
// line per case: "<name> ok" when verifyWebhookPayload returns true, or
// "<name> <error name>: <message>" when it throws. With reserialise, the
// body verified is JSON.stringify(JSON.parse(body)), as Scalekit's Next.js
// sample does. node_test.go (TestSignatureVerifiesWithNodeSDK)
// runs it.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');

const input = JSON.parse(fs.readFileSync(0, 'utf8'));
const sdk = createRequire(path.join(input.sdkDir, 'package.json'))('@scalekit-sdk/node');
// The constructor contacts nothing; the verifier is local.
const scalekit = new sdk.Scalekit('http://127.0.0.1:9', 'skc_unused', 'unused');
for (const c of input.cases) {
  const body = c.reserialise ? JSON.stringify(JSON.parse(c.body)) : c.body;
  let line;
  try {
    line = scalekit.verifyWebhookPayload(c.secret, c.headers, body) === true ? 'ok' : 'returned not true';
  } catch (e) {
    line = `${e.name}: ${e.message}`;
  }
  process.stdout.write(`${c.name} ${line}\n`);
}
