//! Real Terraform with the real AWS provider, offline: a CLI configuration of
//! our own whose `provider_installation` reads the provider from the
//! machine's filesystem mirror (never the environment's TF_CLI_CONFIG_FILE,
//! which may name a file that does not exist). From an unpacked mirror,
//! `init` links the provider into each working directory instead of copying
//! its 700 MB (and a plugin cache would break concurrent inits: its entries
//! are links into the mirror).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use super::require_tool;

/// Where a filesystem mirror of `registry.terraform.io/hashicorp/aws` may
/// be: `SITECTL_TERRAFORM_MIRROR`, else the usual places.
fn mirror() -> PathBuf {
    let candidates: Vec<PathBuf> = std::env::var_os("SITECTL_TERRAFORM_MIRROR")
        .map(PathBuf::from)
        .into_iter()
        .chain(
            [
                "/opt/tf-plugins",
                "/usr/local/share/terraform/plugins",
                "/usr/share/terraform/plugins",
            ]
            .map(PathBuf::from),
        )
        .chain(std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".terraform.d/plugins")))
        .collect();
    candidates
        .into_iter()
        .find(|dir| dir.join("registry.terraform.io/hashicorp/aws").is_dir())
        .unwrap_or_else(|| {
            panic!(
                "no filesystem mirror of the Terraform AWS provider (registry.terraform.io/hashicorp/aws) \
                 in SITECTL_TERRAFORM_MIRROR, /opt/tf-plugins, /usr/local/share/terraform/plugins, \
                 /usr/share/terraform/plugins or ~/.terraform.d/plugins: \
                 find it with `find / -xdev -name 'terraform-provider-aws*'` and set \
                 SITECTL_TERRAFORM_MIRROR to the folder above registry.terraform.io, or make one on a \
                 machine with internet access with `terraform providers mirror DIR`"
            )
        })
}

/// The environment every real terraform of the tests runs with.
pub struct Terraform {
    config: PathBuf,
}

pub fn terraform() -> &'static Terraform {
    static TERRAFORM: OnceLock<Terraform> = OnceLock::new();
    TERRAFORM.get_or_init(|| {
        require_tool(
            "terraform",
            "install Terraform 1.11 (https://developer.hashicorp.com/terraform/install; it ships with this machine image)",
        );
        let dir = std::env::temp_dir().join(format!("sitectl-terraform-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let config = dir.join("cli.tfrc");
        let text = format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"registry.terraform.io/*/*\"]\n  }}\n  direct {{\n    exclude = [\"registry.terraform.io/*/*\"]\n  }}\n}}\n",
            mirror().display()
        );
        std::fs::write(&config, text).unwrap();
        Terraform { config }
    })
}

impl Terraform {
    /// The environment of every terraform here, run by a test or by the
    /// sitectl it drives: offline, with this configuration, never asking.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("TF_CLI_CONFIG_FILE", self.config.display().to_string()),
            ("TF_IN_AUTOMATION", "1".into()),
            ("CHECKPOINT_DISABLE", "1".into()),
            ("TF_INPUT", "0".into()),
        ]
    }

    /// `terraform ARGS` in `dir`, with [`Terraform::env`].
    pub fn command(&self, dir: &Path) -> Command {
        let mut command = Command::new("terraform");
        command.current_dir(dir).envs(self.env());
        command
    }
}
