#!/usr/bin/env node
// Every azurerm `resource` and `data` block of rendered Terraform, checked
// against the azurerm provider's schema as @cdktf/provider-azurerm carries it
// (generated from azurerm 4.55; no provider binary is needed):
//
//   node tests/conformance/azurerm_check.mjs FILE.tf...
//
// An attribute or block the schema does not have (with the nearest name it
// does have), a required attribute or block that is missing, a literal of the
// wrong type (a string where a number or a bool belongs, a value where a block
// belongs and the reverse) is a finding. Expressions (`${...}`) are not typed
// here: the plan is. Files are parsed by HashiCorp's HCL parser (hcl2json).
//
// Prints `ok FILE (N blocks)` or `FAIL FILE: finding` per finding; exits 0
// when all pass, 1 on a finding, 2 when a package is missing.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "noop.js"));

function load(name) {
  try {
    return require.resolve(name);
  } catch (error) {
    console.error(`error: cannot load ${name}: run \`npm ci\` in ${here}`);
    process.exit(2);
  }
}

const { parse } = require(load("@cdktf/hcl2json"));
const jsiiPath = path.join(path.dirname(load("@cdktf/provider-azurerm/package.json")), ".jsii");
const types = JSON.parse(readFileSync(jsiiPath, "utf8")).types;

// The Terraform name of a property, from the registry link in its docs
// (`...storage_account#account_tier ...`) or its summary (`blob_properties block.`).
function terraformName(property) {
  const docs = `${property.docs?.summary ?? ""} ${property.docs?.remarks ?? ""}`;
  const link = docs.match(/\/docs\/(?:resources|data-sources)\/[a-z0-9_]+#([a-z0-9_]+)/);
  if (link) return link[1];
  const block = docs.match(/^([a-z0-9_]+) block\./);
  return block ? block[1] : null;
}

// What a property's jsii type says about its Terraform value.
function kindOf(type) {
  if (type.primitive) {
    return { kind: type.primitive === "boolean" ? "bool" : type.primitive };
  }
  if (type.union) {
    const real = type.union.types.filter((t) => t.fqn !== "cdktf.IResolvable");
    return real.length === 1 ? kindOf(real[0]) : { kind: "any" };
  }
  if (type.collection) {
    const element = type.collection.elementtype;
    if (element.fqn && types[element.fqn]?.kind === "interface") {
      return { kind: "blocks", fqn: element.fqn };
    }
    return { kind: type.collection.kind === "map" ? "map" : "list" };
  }
  if (type.fqn && types[type.fqn]?.kind === "interface") {
    return { kind: "blocks", fqn: type.fqn };
  }
  return { kind: "any" };
}

const schemas = new Map();
function schemaOf(fqn) {
  if (schemas.has(fqn)) return schemas.get(fqn);
  const attributes = new Map();
  schemas.set(fqn, attributes);
  for (const property of types[fqn]?.properties ?? []) {
    const name = terraformName(property);
    if (!name) continue;
    attributes.set(name, { required: !property.optional, ...kindOf(property.type) });
  }
  return attributes;
}

// `azurerm_storage_account` / `data azurerm_key_vault` -> its Config type.
const blockTypes = { resource: new Map(), data: new Map() };
for (const [fqn, type] of Object.entries(types)) {
  if (type.kind !== "interface" || !type.name.endsWith("Config") || !type.properties) continue;
  for (const property of type.properties) {
    const docs = property.docs?.summary ?? "";
    const link = docs.match(/\/docs\/(resources|data-sources)\/([a-z0-9_]+)#/);
    if (link) {
      const kind = link[1] === "resources" ? "resource" : "data";
      blockTypes[kind].set(`azurerm_${link[2]}`, fqn);
      break;
    }
  }
}

// Terraform's own arguments, valid in every resource and data block.
const META = new Set(["count", "for_each", "depends_on", "lifecycle", "provider", "provisioner", "connection"]);

function distance(a, b) {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}

function nearest(name, names) {
  let best = null;
  for (const candidate of names) {
    const d = distance(name, candidate);
    if (d <= Math.max(2, Math.floor(name.length / 3)) && (!best || d < best.d)) best = { candidate, d };
  }
  return best ? ` (did you mean \`${best.candidate}\`?)` : "";
}

const isExpression = (value) => typeof value === "string" && /(^|[^$%])[$%]\{/.test(value);

function checkBody(body, attributes, where, findings, topLevel) {
  for (const [key, value] of Object.entries(body)) {
    if (topLevel && META.has(key)) continue;
    const attribute = attributes.get(key);
    if (!attribute) {
      findings.push(`${where}: unknown attribute \`${key}\`${nearest(key, attributes.keys())}`);
      continue;
    }
    if (attribute.kind === "blocks") {
      const blocks = Array.isArray(value) ? value : null;
      if (!blocks || !blocks.every((b) => b && typeof b === "object" && !Array.isArray(b))) {
        if (!isExpression(value)) findings.push(`${where}: \`${key}\` is a block, not a value`);
        continue;
      }
      blocks.forEach((block) =>
        checkBody(block, schemaOf(attribute.fqn), `${where}.${key}`, findings, false),
      );
      continue;
    }
    if (isExpression(value) || value === null) continue;
    const wrong =
      (attribute.kind === "number" && typeof value !== "number") ||
      (attribute.kind === "bool" && typeof value !== "boolean") ||
      (attribute.kind === "string" && typeof value === "object") ||
      (attribute.kind === "map" && (typeof value !== "object" || Array.isArray(value))) ||
      (attribute.kind === "list" && !Array.isArray(value));
    if (wrong) {
      findings.push(`${where}: \`${key}\` must be a ${attribute.kind}, not ${JSON.stringify(value)}`);
    }
  }
  for (const [name, attribute] of attributes) {
    if (attribute.required && !(name in body)) {
      findings.push(`${where}: the required ${attribute.kind === "blocks" ? "block" : "attribute"} \`${name}\` is missing`);
    }
  }
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node azurerm_check.mjs FILE.tf...");
  process.exit(2);
}
let failed = 0;
for (const file of files) {
  const json = await parse(path.basename(file), readFileSync(file, "utf8"));
  const findings = [];
  let checked = 0;
  for (const kind of ["resource", "data"]) {
    for (const [type, named] of Object.entries(json[kind] ?? {})) {
      if (!type.startsWith("azurerm_")) continue;
      const fqn = blockTypes[kind].get(type);
      for (const [name, bodies] of Object.entries(named)) {
        const where = `${kind === "data" ? "data." : ""}${type}.${name}`;
        if (!fqn) {
          const known = [...blockTypes[kind].keys()];
          findings.push(`${where}: azurerm has no ${kind} \`${type}\`${nearest(type, known)}`);
          continue;
        }
        for (const body of bodies) {
          checked += 1;
          checkBody(body, schemaOf(fqn), where, findings, true);
        }
      }
    }
  }
  if (findings.length === 0) {
    console.log(`ok ${file} (${checked} blocks)`);
  } else {
    failed += 1;
    for (const finding of findings) console.log(`FAIL ${file}: ${finding}`);
  }
}
process.exit(failed > 0 ? 1 : 0);
