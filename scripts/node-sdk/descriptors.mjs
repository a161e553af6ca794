// descriptors.mjs prints, as JSON on stdout, the shape of the gRPC schema
// that the installed @scalekit-sdk/node was generated from: for every
// scalekit.v1 file, its messages (fields with name, number, type, label,
// type name, oneof and proto3 optional), enums and services (methods with
// input and output types). It reads the descriptors the SDK's generated
// modules carry and prints only those facts.
//
// internal/scalekitpb's descriptor test compares the project's own .proto
// files with this output, so that an SDK upgrade that renumbers, retypes or
// adds a field of a message the mock serves fails in CI.
//
//   node descriptors.mjs > sdk-schema.json

import { createRequire } from 'node:module';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import process from 'node:process';

const require = createRequire(import.meta.url);
const sdkDir = dirname(require.resolve('@scalekit-sdk/node/package.json'));
const sdk = JSON.parse(readFileSync(join(sdkDir, 'package.json'), 'utf8'));
const root = join(sdkDir, 'lib/pkg/grpc/scalekit/v1');

function pbFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...pbFiles(p));
    else if (name.endsWith('_pb.js')) out.push(p);
  }
  return out.sort();
}

// message flattens a DescriptorProto and its nested types under their full
// names.
function messages(prefix, list, out) {
  for (const m of list ?? []) {
    const full = `${prefix}.${m.name}`;
    const oneofs = (m.oneofDecl ?? []).map((o) => o.name);
    out.push({
      name: full,
      map_entry: Boolean(m.options?.mapEntry),
      fields: (m.field ?? []).map((f) => ({
        name: f.name,
        number: f.number,
        type: f.type,
        label: f.label,
        type_name: f.typeName ?? '',
        // An unset proto2 field reads as its default (0) in protobuf-es, so
        // a field is in a oneof only if oneof_index is really present.
        oneof: Object.hasOwn(f, 'oneofIndex') && !f.proto3Optional ? oneofs[f.oneofIndex] : '',
        proto3_optional: Boolean(f.proto3Optional),
      })),
    });
    messages(full, m.nestedType, out);
    enums(full, m.enumType, out.enums);
  }
  return out;
}

function enums(prefix, list, out) {
  for (const e of list ?? []) {
    out.push({ name: `${prefix}.${e.name}`, values: (e.value ?? []).map((v) => ({ name: v.name, number: v.number })) });
  }
}

const files = [];
for (const path of pbFiles(root)) {
  const mod = require(path);
  for (const [key, v] of Object.entries(mod)) {
    if (!key.startsWith('file_') || !v?.proto) continue;
    const fd = v.proto;
    const pkg = `.${fd.package}`;
    const msgs = [];
    msgs.enums = [];
    messages(pkg, fd.messageType, msgs);
    enums(pkg, fd.enumType, msgs.enums);
    files.push({
      name: fd.name,
      package: fd.package,
      messages: [...msgs],
      enums: msgs.enums,
      services: (fd.service ?? []).map((s) => ({
        name: `${fd.package}.${s.name}`,
        methods: (s.method ?? []).map((m) => ({ name: m.name, input: m.inputType, output: m.outputType })),
      })),
    });
  }
}
process.stdout.write(JSON.stringify({ sdk: `${sdk.name} ${sdk.version}`, files }, null, 1) + '\n');
