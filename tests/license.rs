//! `sitectl license issue` and `verify`: a key signed from a site's spec
//! verifies with PyJWT (an independent implementation) and the public key,
//! with the claims the application reads; an edited or foreign one does not,
//! in either; the dates are judged as the application judges them; the
//! private key never comes from inside the repository.

use std::path::Path;
use std::process::Command;

use crate::common::require_tool;
use crate::diff::Repo;

/// An RSA key pair made with openssl, outside the repository.
pub(crate) fn key_pair(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    require_tool("openssl", "apt-get install openssl");
    std::fs::create_dir_all(dir).unwrap();
    let private = dir.join("private.pem");
    let public = dir.join("public.pem");
    let made = Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(&private)
        .output()
        .unwrap();
    assert!(made.status.success(), "{made:?}");
    let made = Command::new("openssl")
        .args(["pkey", "-pubout", "-in"])
        .arg(&private)
        .arg("-out")
        .arg(&public)
        .output()
        .unwrap();
    assert!(made.status.success(), "{made:?}");
    (private, public)
}

const BASE64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// JWT's base64url, without padding: a claim is edited as a forger would.
fn base64url_decode(text: &str) -> Vec<u8> {
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.bytes() {
        let value = BASE64URL.iter().position(|b| *b == c).unwrap() as u32;
        bits = (bits << 6) | value;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    out
}

fn base64url_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0u32, |n, b| (n << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(BASE64URL[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// Seconds since the epoch at the start of a day, UTC.
fn epoch(day: &str) -> i64 {
    let date: jiff::civil::Date = day.parse().unwrap();
    date.to_zoned(jiff::tz::TimeZone::UTC)
        .unwrap()
        .timestamp()
        .as_second()
}

/// PyJWT's verdict on the token in `file`, as of `day`.
fn pyjwt(file: &Path, public: &Path, day: &str) -> (i32, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/jwt_check.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(file)
        .arg(public)
        .arg(epoch(day).to_string())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn a_license_key_verifies_with_pyjwt_and_an_edited_one_with_neither() {
    let repo = Repo::new("license");
    let keys = repo.0.with_extension("keys");
    let (private, public) = key_pair(&keys);
    let issued = repo.sitectl(&[
        "license",
        "issue",
        "umbrella-airgap",
        "--key",
        private.to_str().unwrap(),
        "--out",
        "umbrella.jwt",
    ]);
    assert!(
        issued.status.success(),
        "{}",
        String::from_utf8_lossy(&issued.stderr)
    );
    let token_file = repo.0.join("umbrella.jwt");
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&token_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "a key is a credential");

    // PyJWT: the signature, RS256, the issuer and the claims from the spec.
    let (code, said) = pyjwt(&token_file, &public, "2026-12-01");
    assert_eq!(code, 0, "{said}");
    let claims: serde_json::Value = serde_json::from_str(said.trim()).unwrap();
    assert_eq!(claims["sub"], "umbrella-airgap");
    assert_eq!(claims["customer"]["name"], "Umbrella Research Labs");
    assert_eq!(claims["edition"], "enterprise");
    assert_eq!(claims["seats"], 300);
    assert_eq!(
        claims["features"],
        serde_json::json!(["sso", "scorm", "analytics"])
    );
    assert_eq!(claims["phone_home_required"], false, "air-gapped");
    assert_eq!(claims["nbf"], epoch("2026-03-01"));
    assert_eq!(claims["exp"], epoch("2027-03-01"), "through the last day");
    // The dates, in both: valid on the last day, expired the day after,
    // not yet valid the day before the first.
    let verify = |day: &str| {
        let out = repo.sitectl(&[
            "license",
            "verify",
            "umbrella.jwt",
            "--public-key",
            public.to_str().unwrap(),
            "--as-of",
            day,
        ]);
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    for (day, code, word) in [
        ("2027-02-28", Some(0), "valid: "),
        ("2027-03-01", Some(1), "expired: "),
        ("2026-02-28", Some(1), "not yet valid: "),
    ] {
        let (got, said) = verify(day);
        assert_eq!(got, code, "{day}: {said}");
        assert!(said.starts_with(word), "{day}: {said}");
        assert_eq!(
            pyjwt(&token_file, &public, day).0,
            if code == Some(0) { 0 } else { 1 },
            "{day}"
        );
    }

    // One claim edited (more seats), the signature kept: refused by both.
    let token = std::fs::read_to_string(&token_file).unwrap();
    let parts: Vec<&str> = token.trim().split('.').collect();
    let payload = base64url_decode(parts[1]);
    let edited = String::from_utf8(payload)
        .unwrap()
        .replace("\"seats\":300", "\"seats\":3000");
    assert!(edited.contains("\"seats\":3000"));
    let forged = format!(
        "{}.{}.{}\n",
        parts[0],
        base64url_encode(edited.as_bytes()),
        parts[2]
    );
    std::fs::write(repo.0.join("forged.jwt"), forged).unwrap();
    let (code, said) = pyjwt(&repo.0.join("forged.jwt"), &public, "2026-12-01");
    assert_eq!(code, 1, "{said}");
    assert!(said.contains("InvalidSignatureError"), "{said}");
    let out = repo.sitectl(&[
        "license",
        "verify",
        "forged.jwt",
        "--public-key",
        public.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("bad signature: "));
    assert!(
        out.stdout.is_empty(),
        "nothing of a forged key is shown as fact"
    );
    // Signed by another key: refused too.
    let (_, other) = key_pair(&keys.join("other"));
    let out = repo.sitectl(&[
        "license",
        "verify",
        "umbrella.jwt",
        "--public-key",
        other.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));

    // The key from an environment variable; never from inside the repository.
    let pem = std::fs::read_to_string(&private).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sitectl"))
        .args([
            "license",
            "issue",
            "umbrella-airgap",
            "--key-env",
            "LICENSE_SIGNING_KEY",
        ])
        .current_dir(&repo.0)
        .env("LICENSE_SIGNING_KEY", pem)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).matches('.').count(), 2);
    std::fs::copy(&private, repo.0.join("blueprints/signing.pem")).unwrap();
    let inside = repo.sitectl(&[
        "license",
        "issue",
        "umbrella-airgap",
        "--key",
        "blueprints/signing.pem",
    ]);
    assert_eq!(inside.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&inside.stderr).contains("inside the repository"));
    // Keys mixed up are said to be, not taken for a bad signature.
    let swapped = repo.sitectl(&[
        "license",
        "issue",
        "umbrella-airgap",
        "--key",
        public.to_str().unwrap(),
    ]);
    assert_eq!(swapped.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&swapped.stderr).contains("is a public key"));
    let swapped = repo.sitectl(&[
        "license",
        "verify",
        "umbrella.jwt",
        "--public-key",
        private.to_str().unwrap(),
    ]);
    assert_eq!(swapped.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&swapped.stderr).contains("is a private key"));
    let neither = repo.sitectl(&["license", "issue", "umbrella-airgap"]);
    assert_eq!(neither.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&neither.stderr).contains("--key-env"));
    // A customer's key checks anywhere, with the public key named, and
    // from stdin.
    let mut anywhere = Command::new(env!("CARGO_BIN_EXE_sitectl"));
    anywhere
        .args(["license", "verify", "-", "--public-key"])
        .arg(&public)
        .args(["--as-of", "2026-12-01"])
        .current_dir(&keys)
        .stdin(std::fs::File::open(&token_file).unwrap());
    let out = anywhere.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A site without a license gets no key.
    let unlicensed = repo.sitectl(&[
        "license",
        "issue",
        "northwind-trial",
        "--key",
        private.to_str().unwrap(),
    ]);
    assert_eq!(unlicensed.status.code(), Some(1));
    std::fs::remove_dir_all(&keys).unwrap();
}
