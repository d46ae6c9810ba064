#!/usr/bin/env node
// Conformance check of rendered Terraform, judged by HashiCorp's own HCL parser
// (npm @cdktf/hcl2json: the Go parser compiled to WebAssembly).
//
//   node tests/conformance/hcl_check.mjs [--expect-tag NAME=VALUE]... FILE.tf...
//
// Every FILE must parse. Prints `ok FILE` per file that does, or
// `FAIL FILE: message`. With `--expect-tag NAME=VALUE` (repeatable), every
// object key NAME found anywhere in the parsed files (e.g. `sitectl-customer`
// in `locals { tags = {...} }`) must hold exactly VALUE as a literal string,
// and NAME must occur at least once: this is how the injection suite proves a
// hostile spec string comes back byte-identical and never as an expression.
//
// The package is resolved from $HCL2JSON_DIR (a directory where
// `npm install @cdktf/hcl2json` ran) or else from this script's own
// node_modules (`npm ci` in tests/conformance).
//
// Exit codes: 0 all passed, 1 a check failed, 2 usage error or no parser.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const PACKAGE = "@cdktf/hcl2json";
const here = path.dirname(fileURLToPath(import.meta.url));

function usage(message) {
  console.error(`error: ${message}`);
  console.error("usage: node hcl_check.mjs [--expect-tag NAME=VALUE]... FILE.tf...");
  process.exit(2);
}

function loadParser() {
  const bases = [];
  if (process.env.HCL2JSON_DIR) bases.push(path.resolve(process.env.HCL2JSON_DIR));
  bases.push(here);
  const tried = [];
  for (const base of bases) {
    try {
      const require = createRequire(path.join(base, "noop.js"));
      const resolved = require.resolve(PACKAGE);
      const { parse } = require(resolved);
      if (typeof parse !== "function") throw new Error(`${resolved} exports no parse()`);
      return parse;
    } catch (error) {
      tried.push(`${base}: ${error.message.split("\n")[0]}`);
    }
  }
  usage(
    `cannot load ${PACKAGE} (${tried.join("; ")}); run \`npm ci\` in ${here} ` +
      `or set HCL2JSON_DIR to a directory where \`npm install ${PACKAGE}\` ran`,
  );
}

// hcl2json answers in Terraform's JSON syntax, where a string is itself a
// template: `$${` and `%%{` stand for a literal `${` and `%{`, and a bare `${`
// or `%{` is an interpolation or a directive. Returns the literal text, or
// null when the string is not a pure literal.
function templateLiteral(text) {
  let out = "";
  for (let i = 0; i < text.length; ) {
    const c = text[i];
    if ((c === "$" || c === "%") && text[i + 1] === c && text[i + 2] === "{") {
      out += c + "{";
      i += 3;
    } else if ((c === "$" || c === "%") && text[i + 1] === "{") {
      return null;
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}

// Every value under an object key `name`, anywhere in the parsed JSON.
function findKey(node, name, found = []) {
  if (Array.isArray(node)) {
    for (const item of node) findKey(item, name, found);
  } else if (node !== null && typeof node === "object") {
    for (const [key, value] of Object.entries(node)) {
      if (key === name) found.push(value);
      findKey(value, name, found);
    }
  }
  return found;
}

function show(value) {
  return JSON.stringify(value);
}

const files = [];
const expectTags = [];
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i += 1) {
  const arg = args[i];
  if (arg === "--expect-tag" || arg.startsWith("--expect-tag=")) {
    const spec = arg === "--expect-tag" ? args[++i] : arg.slice("--expect-tag=".length);
    if (spec === undefined) usage("--expect-tag needs NAME=VALUE");
    const eq = spec.indexOf("=");
    if (eq <= 0) usage(`--expect-tag ${show(spec)}: expected NAME=VALUE`);
    expectTags.push({ name: spec.slice(0, eq), value: spec.slice(eq + 1), seen: 0, wrong: 0 });
  } else if (arg === "--") {
    files.push(...args.slice(i + 1));
    break;
  } else if (arg.startsWith("--")) {
    usage(`unknown option ${arg}`);
  } else {
    files.push(arg);
  }
}
if (files.length === 0) usage("no files given");

const parse = loadParser();
let failed = 0;

for (const file of files) {
  let json;
  try {
    const text = readFileSync(file, "utf8");
    json = await parse(path.basename(file), text);
  } catch (error) {
    failed += 1;
    console.log(`FAIL ${file}: ${String(error && error.message ? error.message : error)}`);
    continue;
  }
  const problems = [];
  for (const tag of expectTags) {
    for (const value of findKey(json, tag.name)) {
      tag.seen += 1;
      const literal = typeof value === "string" ? templateLiteral(value) : undefined;
      if (literal === undefined) {
        problems.push(`${tag.name} is not a string: ${show(value)}`);
      } else if (literal === null) {
        problems.push(`${tag.name} is an expression, not a literal: ${show(value)}`);
      } else if (literal !== tag.value) {
        problems.push(`${tag.name} = ${show(literal)}, expected ${show(tag.value)}`);
      } else {
        continue;
      }
      tag.wrong += 1;
    }
  }
  if (problems.length > 0) {
    failed += 1;
    console.log(`FAIL ${file}: ${problems.join("; ")}`);
  } else {
    console.log(`ok ${file}`);
  }
}

for (const tag of expectTags) {
  if (tag.seen === 0) {
    failed += 1;
    console.log(`FAIL tag ${tag.name}: found in none of the files`);
  } else if (tag.wrong > 0) {
    failed += 1;
    console.log(`FAIL tag ${tag.name}: ${tag.wrong} of ${tag.seen} occurrence(s) differ`);
  } else {
    console.log(`ok tag ${tag.name} (${tag.seen} occurrence${tag.seen === 1 ? "" : "s"}, byte-identical)`);
  }
}

process.exit(failed === 0 ? 0 : 1);
