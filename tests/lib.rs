//! The integration tests, as one test binary (one link of the crate instead
//! of one per file). Each module is one kind of test:
//!
//! - `cli`: the command-line contract, case by case (trycmd, `tests/cmd/`);
//! - `snapshots`, `preview`: rendered files and preview pages pinned by insta;
//! - `conformance`, `injection`, `preview_browser`: the real consumers of
//!   the output (HashiCorp's HCL parser, Helm's engine, docker compose, the
//!   Bicep grammar, Chromium) judge it;
//! - `aws_end_to_end`: the whole loop with real Terraform and the real AWS
//!   provider against moto, state in a real PostgreSQL;
//! - `diff`, `promote`, `reclaim`, `handoff`, `init`, `affected`, `atlantis`,
//!   `gitops`, `license`: whole command loops on a
//!   copy of the repository, with fake tools only where no real one exists here;
//! - `workflows`: actionlint on every workflow, and the pull-request, merge
//!   (a matrix of apply jobs) and drift jobs' steps run in order on a
//!   repository made by `sitectl init`;
//! - `output_check`: the output check's shortcut against parsing every file;
//! - `hostile`, `schema_types`: hostile input, and the schema against the types;
//!   `locks`: the fuzz crate's lock file against the crate's;
//! - `untrusted_output`: links, foreign files and what a stopped run left
//!   under the output folder; `crash`: render, promote and reclaim killed
//!   with SIGKILL 30 times each, and the next run recovering; `secrets`:
//!   canaries shown by no command; `secure_defaults`: checkov's findings
//!   against a reviewed baseline.
//!
//! Run one module with `cargo test --test integration MODULE::`.

mod common;

mod affected;
mod air_gap;
mod air_gap_install;
mod atlantis;
mod aws_end_to_end;
mod aws_trial_signup;
mod cli;
mod conformance;
mod crash;
mod diff;
mod gitops;
mod handoff;
mod hostile;
mod init;
mod injection;
mod license;
mod locks;
mod output_check;
mod preview;
mod preview_browser;
mod promote;
mod reclaim;
mod schema_types;
mod secrets;
mod secure_defaults;
mod snapshots;
mod trial;
mod untrusted_output;
mod workflows;
