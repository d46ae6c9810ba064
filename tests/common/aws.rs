//! The AWS API and the Terraform state store of the end-to-end tests: a
//! moto server and a PostgreSQL cluster of the test's own, on free loopback
//! ports, stopped when dropped.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::require_tool;

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub(crate) fn wait_for_port(port: u16, what: &str, log: &Path) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{what} did not listen on port {port} within a minute:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A moto server on a free loopback port, stopped when dropped.
pub(crate) struct Moto {
    child: Child,
    pub(crate) endpoint: String,
}

impl Moto {
    pub(crate) fn start(dir: &Path) -> Moto {
        let imports = Command::new("python3")
            .args(["-c", "import moto.server, boto3, flask_cors"])
            .output();
        assert!(
            imports.is_ok_and(|o| o.status.success()),
            "moto[server] and boto3 are not installed: \
             python3 -m pip install -r tests/conformance/requirements.txt (`.ci/run` does this)"
        );
        let port = free_port();
        let log = dir.join("moto.log");
        let child = Command::new("python3")
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(Stdio::from(
                std::fs::File::create(dir.join("moto.err")).unwrap(),
            ))
            .spawn()
            .unwrap();
        wait_for_port(port, "moto", &dir.join("moto.err"));
        Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// PostgreSQL's binaries: the newest /usr/lib/postgresql/<version>/bin.
pub(crate) fn postgres_bin() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| d.flatten().map(|e| e.path().join("bin")).collect())
        .unwrap_or_default();
    versions.retain(|bin| bin.join("initdb").is_file());
    versions.sort();
    versions.pop().unwrap_or_else(|| {
        panic!(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): \
             apt-get install postgresql (it ships with this machine image)"
        )
    })
}

/// A PostgreSQL cluster of the test's own, run by the `postgres` user on a
/// free loopback port with a database for Terraform's state; stopped when
/// dropped.
pub(crate) struct Postgres {
    bin: PathBuf,
    data: PathBuf,
    pub(crate) conn: String,
}

impl Postgres {
    pub(crate) fn start(dir: &Path) -> Postgres {
        require_tool("runuser", "apt-get install util-linux");
        let bin = postgres_bin();
        let data = dir.join("postgres");
        std::fs::create_dir_all(&data).unwrap();
        // initdb refuses to run as root: the cluster belongs to `postgres`.
        let owned = Command::new("chown")
            .args(["-R", "postgres:"])
            .arg(dir)
            .status()
            .unwrap();
        assert!(owned.success(), "cannot give {} to postgres", dir.display());
        let as_postgres = |program: &str, args: &[&str]| -> Output {
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(bin.join(program))
                .args(args)
                .output()
                .unwrap()
        };
        let ok = |output: Output, what: &str| {
            assert!(
                output.status.success(),
                "{what} failed:\n{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        };
        let data_dir = data.to_str().unwrap();
        ok(
            as_postgres(
                "initdb",
                &["-D", data_dir, "-A", "trust", "-U", "postgres", "--no-sync"],
            ),
            "initdb",
        );
        let port = free_port().to_string();
        let options = format!("-p {port} -k {data_dir} -c listen_addresses=127.0.0.1 -c fsync=off");
        let log = data.join("server.log");
        ok(
            as_postgres(
                "pg_ctl",
                &[
                    "-D",
                    data_dir,
                    "-o",
                    &options,
                    "-l",
                    log.to_str().unwrap(),
                    "-w",
                    "start",
                ],
            ),
            "pg_ctl start",
        );
        ok(
            as_postgres(
                "createdb",
                &["-h", "127.0.0.1", "-p", &port, "terraform_state"],
            ),
            "createdb",
        );
        Postgres {
            conn: format!("postgres://postgres@127.0.0.1:{port}/terraform_state?sslmode=disable"),
            bin,
            data,
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .args(["-D", self.data.to_str().unwrap(), "-m", "immediate", "stop"])
            .output();
    }
}

/// A sites repository at `dir` with this repository's blueprints, the AWS
/// ones keeping their state in PostgreSQL (`pg`, the `PG_CONN_STR` of the
/// environment) instead of S3, and no site yet.
pub(crate) fn aws_repository(dir: &Path) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    crate::common::copy_tree(&root.join("blueprints"), &dir.join("blueprints"));
    std::fs::create_dir_all(dir.join("sites")).unwrap();
    for blueprint in ["managed-aws", "dedicated-aws"] {
        let manifest = dir
            .join("blueprints")
            .join(blueprint)
            .join("blueprint.yaml");
        let text = std::fs::read_to_string(&manifest).unwrap();
        assert!(text.contains("  stateBackend: s3\n"));
        std::fs::write(
            &manifest,
            text.replace("  stateBackend: s3\n", "  stateBackend: pg\n"),
        )
        .unwrap();
    }
}
