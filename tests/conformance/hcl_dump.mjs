// Prints what HashiCorp's HCL parser (@cdktf/hcl2json) reads from each .tf
// file, as one JSON object {FILE: document}, with every string decoded to its
// literal text; a string that is an expression becomes {"$expression": text}.
// Used by the injection tests to compare values and shapes.
//
// usage: node hcl_dump.mjs FILE.tf...
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(process.env.HCL2JSON_DIR ? path.resolve(process.env.HCL2JSON_DIR) : here, "noop.js"));
let parse;
try {
  ({ parse } = require("@cdktf/hcl2json"));
} catch (error) {
  console.error(`cannot load @cdktf/hcl2json: run \`npm ci\` in ${here} (${error.message.split("\n")[0]})`);
  process.exit(2);
}

// Terraform's JSON syntax: `$${` and `%%{` are a literal `${` and `%{`.
function decode(value) {
  if (typeof value === "string") {
    let out = "";
    for (let i = 0; i < value.length; ) {
      const c = value[i];
      if ((c === "$" || c === "%") && value[i + 1] === c && value[i + 2] === "{") {
        out += c + "{";
        i += 3;
      } else if ((c === "$" || c === "%") && value[i + 1] === "{") {
        return { $expression: value };
      } else {
        out += c;
        i += 1;
      }
    }
    return out;
  }
  if (Array.isArray(value)) return value.map(decode);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decode(v)]));
  }
  return value;
}

const out = {};
for (const file of process.argv.slice(2)) {
  try {
    out[file] = decode(await parse(path.basename(file), readFileSync(file, "utf8")));
  } catch (error) {
    console.error(`FAIL ${file}: ${error && error.message ? error.message : error}`);
    process.exit(1);
  }
}
process.stdout.write(JSON.stringify(out));
