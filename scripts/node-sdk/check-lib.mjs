// check-lib.mjs holds what the check scripts (sdk-check.mjs, mgmt-check.mjs)
// share: failing a check with a message, running a named step that prints
// "ok <name>", and rendering what the SDK kept of an error.

import { randomBytes } from 'node:crypto';
import process from 'node:process';
import { ScalekitServerException } from '@scalekit-sdk/node';

export class CheckError extends Error {}

export function fail(msg) {
  throw new CheckError(msg);
}

export function need(name) {
  const v = process.env[name];
  if (!v) fail(`environment variable ${name} is not set`);
  return v;
}

export function check(cond, msg) {
  if (!cond) fail(msg);
}

// show renders SDK messages, whose timestamps and int64s are bigints.
export function show(v) {
  return JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? `${x}n` : x));
}

export function eq(got, want, what) {
  if (got !== want) fail(`${what} = ${show(got)}, want ${show(want)}`);
}

export function random() {
  return randomBytes(16).toString('base64url');
}

// describe renders an error with what the SDK kept of the answer: the gRPC
// status and error code of a management call, the HTTP answer of a token
// request.
export function describe(err) {
  if (!(err instanceof Error)) return String(err);
  let s = `${err.constructor?.name ?? 'Error'}: ${err.message}`;
  if (err instanceof ScalekitServerException) s += ` (grpcStatus ${err.grpcStatus}, errorCode ${show(err.errorCode)})`;
  const res = err.response;
  if (res) s += ` (HTTP ${res.status}: ${typeof res.data === 'string' ? res.data : show(res.data)})`;
  return s;
}

// done lists the steps that passed, in order.
export const done = [];

// step runs fn and prints "ok name", or reports the failure as the step's.
export async function step(name, fn) {
  try {
    const out = await fn();
    console.log(`ok ${name}`);
    done.push(name);
    return out;
  } catch (err) {
    if (err instanceof CheckError) throw new CheckError(`${name}: ${err.message}`);
    throw new CheckError(`${name}: ${describe(err)}`);
  }
}

// rejects expects p to fail and returns the error.
export async function rejects(p, what) {
  try {
    await p;
  } catch (err) {
    return err;
  }
  fail(`${what} succeeded, want an error`);
}

// pageText reduces an HTML answer to its words, for error messages.
export function pageText(body) {
  return body
    .replace(/<(style|script)[^>]*>[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 400);
}
