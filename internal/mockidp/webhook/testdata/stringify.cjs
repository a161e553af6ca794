// stringify.cjs reads a file of base64-encoded JSON texts, one a line, and
// prints for each line the base64 of the UTF-8 of
// JSON.stringify(JSON.parse(text)), or "ERR" when JSON.parse throws.
// node_test.go (TestCanonicalMatchesNode) runs it. Base64 keeps
// newlines and U+2028 inside the texts from splitting lines.
'use strict';
const fs = require('node:fs');
const lines = fs.readFileSync(process.argv[2], 'utf8').split('\n');
lines.pop(); // after the last newline; an empty line is an empty text
const out = [];
for (const line of lines) {
  const text = Buffer.from(line, 'base64').toString('utf8');
  let v;
  try {
    v = JSON.parse(text);
  } catch (e) {
    out.push('ERR');
    continue;
  }
  out.push(Buffer.from(JSON.stringify(v), 'utf8').toString('base64'));
}
process.stdout.write(out.join('\n') + '\n');
