//! `license issue` and `license verify`: a site's license key signed from
//! its spec with a private key that never lives in the repository, and the
//! application's check of a key, said in words.

use std::path::{Path, PathBuf};

use super::{CommandError, Context, Outcome};
use crate::commands::args::{LicenseArgs, LicenseCommand, LicenseIssueArgs, LicenseVerifyArgs};
use crate::delivery::license::{self, Claims, Verdict};
use crate::diagnostic::words::did_you_mean;
use crate::source::load::display_name;
use crate::source::tree::lexical;
use crate::validate::{self, Specs, ValidSite};
use crate::workspace::Workspace;

/// Where the public key lives: committed beside the blueprints, for the
/// application's build and for anyone to verify a key with.
pub(super) const PUBLIC_KEY: &str = "license-public.pem";

pub(super) fn license(
    args: &LicenseArgs,
    ws: &Workspace,
    context: &Context,
) -> Result<Outcome, CommandError> {
    match &args.command {
        LicenseCommand::Issue(args) => issue(args, ws, context),
        LicenseCommand::Verify(args) => verify(args, ws),
    }
}

/// "Now", or the start of `SITECTL_TODAY` for reproducible runs.
pub(super) fn now(context: &Context) -> Result<jiff::Timestamp, CommandError> {
    if context.today.is_none() {
        return Ok(jiff::Timestamp::now());
    }
    let today = super::today(None, context)?;
    license::start_of_day(today).map_err(|e| CommandError::Failed(e.to_string()))
}

/// The private key's PEM: from a file outside the repository (a key in it
/// would be read by everyone who can read the specs), or an environment
/// variable.
pub(super) fn private_key(
    key: Option<&Path>,
    key_env: Option<&str>,
    ws: &Workspace,
) -> Result<Vec<u8>, CommandError> {
    if let Some(var) = key_env {
        let pem = std::env::var(var).map(String::into_bytes).map_err(|_| {
            CommandError::Usage(format!("--key-env {var}: no such environment variable"))
        })?;
        return refuse_public(pem, &format!("--key-env {var}"));
    }
    let path = key.unwrap_or(Path::new(""));
    let pem = read_named(path, "--key")?;
    let pem = refuse_public(pem, &format!("--key {}", display_name(path)))?;
    let cwd = std::env::current_dir().unwrap_or_default();
    let real = std::fs::canonicalize(path).unwrap_or_else(|_| lexical(&cwd.join(path)));
    if let Ok(repository) = std::fs::canonicalize(ws.repository())
        && real.starts_with(&repository)
    {
        return Err(CommandError::Usage(format!(
            "--key {}: the private key is inside the repository, where everyone who reads the specs can read it: move it out (and rotate it), or pass it with --key-env",
            display_name(path)
        )));
    }
    Ok(pem)
}

/// A file the command line names: one that is not there is a usage error.
pub(super) fn read_named(path: &Path, flag: &str) -> Result<Vec<u8>, CommandError> {
    std::fs::read(path).map_err(|e| {
        let message = format!("{flag} {}: {e}", display_name(path));
        if e.kind() == std::io::ErrorKind::NotFound {
            CommandError::Usage(message)
        } else {
            CommandError::Failed(message)
        }
    })
}

/// A public key where the private one is wanted is a mix-up, said as one.
fn refuse_public(pem: Vec<u8>, named: &str) -> Result<Vec<u8>, CommandError> {
    if String::from_utf8_lossy(&pem).contains("PUBLIC KEY-----") {
        return Err(CommandError::Usage(format!(
            "{named} is a public key: sign with the private key of the pair (the public one goes to blueprints/{PUBLIC_KEY})"
        )));
    }
    Ok(pem)
}

/// The valid site named `name` of the workspace, or why there is none.
pub(super) fn find_site(name: &str, ws: &Workspace) -> Result<ValidSite, CommandError> {
    let checked = validate::validate_specs(Specs::Paths(vec![ws.sites.clone()]), &ws.blueprints);
    if let Some(site) = checked.sites.iter().find(|v| v.site.metadata.name == name) {
        return Ok(site.clone());
    }
    let names = checked.sites.iter().map(|v| v.site.metadata.name.as_str());
    let hint = did_you_mean(name, names)
        .map(|near| format!(" (did you mean `{near}`?)"))
        .unwrap_or_default();
    if !checked.diagnostics.is_empty() {
        return Err(CommandError::invalid(
            Box::new(checked.diagnostics),
            format!("error: no valid site `{name}`: fix the specs first\n"),
        ));
    }
    Err(CommandError::Usage(format!(
        "no site `{name}` under {}{hint}",
        display_name(&ws.sites)
    )))
}

fn issue(
    args: &LicenseIssueArgs,
    ws: &Workspace,
    context: &Context,
) -> Result<Outcome, CommandError> {
    let key = private_key(args.key.as_deref(), args.key_env.as_deref(), ws)?;
    let site = find_site(&args.site, ws)?;
    let claims = license::claims(&site.site, now(context)?)
        .map_err(|e| CommandError::Failed(e.to_string()))?;
    let token = license::sign(&claims, &key).map_err(|e| CommandError::Failed(e.to_string()))?;
    let mut outcome = Outcome {
        stderr: format!("issued {}\n", describe(&claims)),
        ..Outcome::default()
    };
    match &args.out {
        Some(file) => {
            write_private(file, format!("{token}\n").as_bytes()).map_err(|e| {
                CommandError::Failed(format!("cannot write {}: {e}", display_name(file)))
            })?;
            outcome
                .stderr
                .push_str(&format!("wrote {}\n", display_name(file)));
        }
        None => outcome.stdout = format!("{token}\n"),
    }
    Ok(outcome)
}

/// A license key is a credential: written atomically, readable by its
/// owner alone.
fn write_private(file: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    crate::output::write::write_atomic(file, bytes)?;
    std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))
}

/// `the license of Umbrella Research Labs (umbrella-airgap): enterprise, 300 seats, ...`
pub(super) fn describe(claims: &Claims) -> String {
    format!(
        "the license of {} ({}): {}, {} seats, {} to {}, {}",
        claims.customer.name,
        claims.sub,
        claims.edition,
        claims.seats,
        license::day(claims.nbf),
        license::day(claims.exp - 1),
        if claims.phone_home_required {
            format!(
                "phones home (runs {} days without reaching us)",
                claims.offline_grace_days
            )
        } else {
            "air-gapped (never phones home)".to_string()
        }
    )
}

fn verify(args: &LicenseVerifyArgs, ws: &Workspace) -> Result<Outcome, CommandError> {
    let public: PathBuf = args
        .public_key
        .clone()
        .unwrap_or_else(|| ws.blueprints.join(PUBLIC_KEY));
    let pem = std::fs::read(&public).map_err(|e| {
        CommandError::Usage(format!(
            "the public key {}: {e}{}",
            display_name(&public),
            if args.public_key.is_none() {
                " (commit it beside the blueprints, or name it with --public-key)"
            } else {
                ""
            }
        ))
    })?;
    if String::from_utf8_lossy(&pem).contains("PRIVATE KEY-----") {
        return Err(CommandError::Usage(format!(
            "{} is a private key: verify with the public key of the pair (and keep the private one out of sight)",
            display_name(&public)
        )));
    }
    let stdin = || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map(|_| text)
    };
    let read = if args.token == "-" {
        stdin()
    } else {
        std::fs::read_to_string(&args.token)
    };
    let token = match read {
        Ok(text) => text,
        Err(_) if args.token.matches('.').count() == 2 => args.token.clone(),
        Err(e) => {
            return Err(CommandError::Usage(format!(
                "{}: neither a token (three parts joined by dots) nor a file it can read: {e}",
                args.token
            )));
        }
    };
    let now = match args.as_of {
        Some(date) => {
            license::start_of_day(date).map_err(|e| CommandError::Usage(e.to_string()))?
        }
        None => jiff::Timestamp::now(),
    };
    let verdict =
        license::verify(&token, &pem, now).map_err(|e| CommandError::Failed(e.to_string()))?;
    let shown = |claims: &Claims| serde_json::to_string_pretty(claims).unwrap_or_default() + "\n";
    Ok(match verdict {
        Verdict::Valid(claims) => Outcome {
            stdout: shown(&claims),
            stderr: format!("valid: {}\n", describe(&claims)),
            code: 0,
        },
        Verdict::Expired(claims) => Outcome {
            stdout: shown(&claims),
            stderr: format!(
                "expired: it ended on {}; {}\n",
                license::day(claims.exp - 1),
                describe(&claims)
            ),
            code: 1,
        },
        Verdict::NotYetValid(claims) => Outcome {
            stdout: shown(&claims),
            stderr: format!(
                "not yet valid: it starts on {}; {}\n",
                license::day(claims.nbf),
                describe(&claims)
            ),
            code: 1,
        },
        Verdict::BadSignature(why) => Outcome {
            stderr: format!(
                "bad signature: not a key signed by the pair of {} ({why}); nothing of it can be trusted\n",
                display_name(&public)
            ),
            code: 1,
            ..Outcome::default()
        },
    })
}
