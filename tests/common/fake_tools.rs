//! Fake `terraform`, `helm`, `docker`, `docker-compose` and `az` on PATH
//! that record their argv and working directory, and fail, hang, talk
//! without end, leave a process behind, race on a shared state database
//! or print a plan on demand; and a copy of the repository's sites and blueprints,
//! rendered, to hand off from.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const FAKE: &str = r#"#!/bin/bash
# A stand-in for a real tool: records what it was asked, acts as told.
echo "$(basename "$0") $* @ ${PWD##*/rendered/}" >> "$FAKE_LOG"
if [ -n "$FAKE_SLOW" ]; then sleep "$FAKE_SLOW"; fi
if [ -f sitectl_reclaim_override.tf ]; then echo "override present @ ${PWD##*/rendered/}" >> "$FAKE_LOG"; fi
case "$(basename "$0") $1 $2" in
  "helm version --short") echo "${FAKE_HELM_VERSION:-v3.15.4}"; exit 0 ;;
  "helm plugin list") if [ -n "$FAKE_HELM_DIFF" ]; then echo "NAME VERSION DESCRIPTION"; echo "diff 3.9.11 Preview helm upgrade changes as a diff"; fi; exit 0 ;;
  "docker compose version") echo "Docker Compose version v2.29.0"; exit 0 ;;
  "helm get manifest") if [ -n "$FAKE_NO_RELEASE" ]; then echo "Error: release: not found" >&2; exit 1; fi
    if [ -n "$FAKE_HELM_FORBIDDEN" ]; then echo 'Error: query: failed to query with labels: secrets is forbidden: User "reader" cannot list resource "secrets"' >&2; exit 1; fi
    echo "replicas: 1"; exit 0 ;;
  "helm template "*) if [ -n "$FAKE_RELEASE_CURRENT" ]; then echo "replicas: 1"; else echo "replicas: 2"; fi; exit 0 ;;
  "gh issue list") echo "$FAKE_OPEN_ISSUE"; exit 0 ;;
  "az deployment group") if [ "$3" = "what-if" ]; then
      if [ -n "$FAKE_WHAT_IF" ]; then echo "$FAKE_WHAT_IF"; else echo '{"status": "Succeeded", "changes": []}'; fi; exit 0
    fi ;;
  "docker compose -p") if [ "$6" = "config" ] && [ -z "$7" ]; then echo "services: {app: {image: app:${FAKE_VERSION:-1}}}"; exit 0; fi ;;
esac
if [ -n "$FAKE_CHATTY_SITE" ] && [[ "$PWD" == *"/rendered/$FAKE_CHATTY_SITE/"* ]]; then
  sleep 600 & echo $! >> "$FAKE_LOG.orphans"
  while :; do echo "still working"; sleep 0.01; done
fi
if [ -n "$FAKE_ORPHAN_SITE" ] && [[ "$PWD" == *"/rendered/$FAKE_ORPHAN_SITE/"* ]]; then
  sleep 600 & echo $! >> "$FAKE_LOG.orphans"
fi
if [ -n "$FAKE_HANG_SITE" ] && [[ "$PWD" == *"/rendered/$FAKE_HANG_SITE/"* ]]; then
  echo $$ >> "$FAKE_LOG.hanging"
  exec sleep 600
fi
# As Terraform's pg backend on a new database: the first init creates an
# object every site's state shares, and an init racing it fails.
if [ -n "$FAKE_SHARED_STATE" ] && [ "$(basename "$0") $1" = "terraform init" ] && [ ! -e "$FAKE_LOG.created" ]; then
  if ! (set -o noclobber; : > "$FAKE_LOG.creating") 2>/dev/null; then
    echo 'Error: pq: duplicate key value violates unique constraint "pg_class_relname_nsp_index"' >&2; exit 1
  fi
  sleep 0.5; : > "$FAKE_LOG.created"
fi
# Another process created the pg backend's shared sequence at the same
# moment: the first init fails, the next one finds it.
if [ -n "$FAKE_INIT_RACE_ONCE" ] && [ "$(basename "$0") $1" = "terraform init" ] && [ ! -e "$FAKE_LOG.raced" ]; then
  : > "$FAKE_LOG.raced"
  echo 'Error: pq: duplicate key value violates unique constraint "pg_type_typname_nsp_index"' >&2; exit 1
fi
if [ -n "$FAKE_FAIL_CALL" ] && [ "$(basename "$0") $1" = "$FAKE_FAIL_CALL" ]; then
  echo "simulated failure of $FAKE_FAIL_CALL" >&2; exit 4
fi
if [ -n "$FAKE_FAIL_SITE" ] && [[ "$PWD" == *"/rendered/$FAKE_FAIL_SITE/"* ]]; then
  echo "simulated failure" >&2; exit 3
fi
if { [ "$(basename "$0")" = "terraform" ] || [ "$(basename "$0")" = "tofu" ]; } && [ "$1" = "show" ]; then
  if [ -n "$FAKE_PLAN_JSON" ] && [[ "$PWD" == *"/rendered/$FAKE_PLAN_SITE/"* ]]; then cat "$FAKE_PLAN_JSON"; else echo '{"format_version": "1.2", "resource_changes": []}'; fi
fi
exit 0
"#;

/// Writes the fake `tools` into `bin`, to put first on a PATH.
pub fn write_fakes(bin: &Path, tools: &[&str]) {
    std::fs::create_dir_all(bin).unwrap();
    for tool in tools {
        let path = bin.join(tool);
        std::fs::write(&path, FAKE).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

pub struct Fixture {
    pub dir: PathBuf,
    pub bin: PathBuf,
    pub log: PathBuf,
}

impl Fixture {
    pub fn new(name: &str, tools: &[&str]) -> Fixture {
        let dir =
            std::env::temp_dir().join(format!("sitectl-handoff-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for folder in ["sites", "blueprints"] {
            super::copy_tree(&root().join(folder), &dir.join(folder));
        }
        let bin = dir.join("fake-bin");
        write_fakes(&bin, tools);
        let fixture = Fixture {
            log: dir.join("calls.log"),
            dir,
            bin,
        };
        let out = fixture.run(&["render"], &[]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        fixture
    }

    pub fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        self.run_in(&self.dir, args, env)
    }

    /// [`Fixture::run`] from another folder, such as a sub-folder of the repository.
    pub fn run_in(&self, cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
        self.command(cwd, args, env).output().unwrap()
    }

    /// The sitectl command [`Fixture::run_in`] runs, to start it and act on
    /// it while it runs.
    pub fn command(&self, cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
        // Only the fakes and the basic utilities their script needs: never a real tool.
        let utilities = self.dir.join("utilities");
        if !utilities.exists() {
            std::fs::create_dir_all(&utilities).unwrap();
            for tool in ["bash", "basename", "cat", "sleep"] {
                let real = ["/usr/bin", "/bin"]
                    .iter()
                    .map(|d| Path::new(d).join(tool))
                    .find(|p| p.exists())
                    .unwrap();
                std::os::unix::fs::symlink(real, utilities.join(tool)).unwrap();
            }
        }
        let path = format!("{}:{}", self.bin.display(), utilities.display());
        let mut command = Command::new(env!("CARGO_BIN_EXE_sitectl"));
        command
            .args(args)
            .current_dir(cwd)
            .env_clear()
            .env("PATH", path)
            .env("FAKE_LOG", &self.log)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        for (k, v) in env {
            command.env(k, v);
        }
        command
    }

    pub fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
