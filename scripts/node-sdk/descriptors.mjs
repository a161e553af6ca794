// descriptors.mjs prints, as JSON on stdout, the shape of the gRPC schema
// that the installed @scalekit-sdk/node was generated from: for every
// scalekit.v1 file, its messages (fields with name, number, type, label,
// type name, oneof and proto3 optional), enums and services (methods with
// input and output types, REST bindings, and the HTTP status Scalekit's API
// reference documents for success). It reads the descriptors the SDK's
// generated modules carry and prints only those facts.
//
// The SDK ships the option definitions (google.api.http, the OpenAPI
// operation) as empty stubs, so their values are unknown fields of the
// method options: decoded here with a minimal protobuf wire reader.
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

// varint reads a base-128 varint at b[i], returning [value, next index].
function varint(b, i) {
  let v = 0;
  for (let shift = 0; ; shift += 7) {
    if (i >= b.length) throw new Error('truncated varint');
    const x = b[i++];
    v += (x & 0x7f) * 2 ** shift;
    if (!(x & 0x80)) return [v, i];
  }
}

// wireFields splits an encoded message into [field number, value] pairs:
// a number for varints, the bytes for length-delimited fields; fixed-width
// fields are skipped (none of the options read here has one).
function wireFields(b) {
  const out = [];
  for (let i = 0; i < b.length; ) {
    let tag;
    [tag, i] = varint(b, i);
    const no = Math.floor(tag / 8);
    switch (tag & 7) {
      case 0: {
        let v;
        [v, i] = varint(b, i);
        out.push([no, v]);
        break;
      }
      case 1: i += 8; break;
      case 2: {
        let n;
        [n, i] = varint(b, i);
        out.push([no, b.subarray(i, i + n)]);
        i += n;
        break;
      }
      case 5: i += 4; break;
      default: throw new Error(`wire type ${tag & 7} in an option`);
    }
  }
  return out;
}

// unknownOption returns the encoded value of extension no of an options
// message (protobuf-es keeps an unknown field's bytes with their length
// prefix), or undefined.
function unknownOption(options, no) {
  const f = (options?.$unknown ?? []).find((u) => u.no === no);
  if (!f) return undefined;
  const [n, i] = varint(f.data, 0);
  return f.data.subarray(i, i + n);
}

const text = new TextDecoder();
// The HttpRule fields that hold a path, by number: get, put, post, delete,
// patch.
const httpVerbs = { 2: 'GET', 3: 'PUT', 4: 'POST', 5: 'DELETE', 6: 'PATCH' };

// httpRules flattens a google.api.HttpRule (option 72295728) into its
// bindings, the primary one first.
function httpRules(b) {
  const rule = { method: '', path: '', body: '', response_body: '' };
  const more = [];
  for (const [no, v] of wireFields(b)) {
    if (httpVerbs[no]) [rule.method, rule.path] = [httpVerbs[no], text.decode(v)];
    else if (no === 8) {
      for (const [cn, cv] of wireFields(v)) {
        if (cn === 1) rule.method = text.decode(cv);
        if (cn === 2) rule.path = text.decode(cv);
      }
    } else if (no === 7) rule.body = text.decode(v);
    else if (no === 12) rule.response_body = text.decode(v);
    else if (no === 11) more.push(...httpRules(v));
  }
  return [rule, ...more];
}

// successStatus is the lowest 2xx response code of an OpenAPI v2
// operation (option 1042; its responses map is field 9, keyed by code).
function successStatus(b) {
  const codes = [];
  for (const [no, v] of wireFields(b)) {
    if (no !== 9) continue;
    for (const [kn, kv] of wireFields(v)) {
      if (kn === 1) codes.push(text.decode(kv));
    }
  }
  return codes.filter((c) => /^2\d\d$/.test(c)).sort()[0] ?? '';
}

function method(m) {
  const http = unknownOption(m.options, 72295728);
  const operation = unknownOption(m.options, 1042);
  return {
    name: m.name,
    input: m.inputType,
    output: m.outputType,
    http: http ? httpRules(http) : [],
    success: operation ? successStatus(operation) : '',
  };
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
        methods: (s.method ?? []).map(method),
      })),
    });
  }
}
process.stdout.write(JSON.stringify({ sdk: `${sdk.name} ${sdk.version}`, files }, null, 1) + '\n');
