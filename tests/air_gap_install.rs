//! An air-gap bundle installed and upgraded for real, as a customer does it:
//! a Docker engine of the test's own (Debian's docker.io, its own data and
//! exec roots and socket, no bridge, no iptables, nothing pulled), stand-in
//! images built here from busybox and saved into the bundle by `sitectl
//! bundle` itself, the bundle unpacked with tar into an empty folder and its
//! scripts run. The stand-in app records its release in the site's files
//! volume and answers /healthz; the stand-in Postgres creates its data once.
//! One engine and one installation serve every assertion, in order.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::air_gap::{Bundling, pin, said};
use crate::common::require_tool;

/// A Docker engine of the test's own, stopped and its folders removed when
/// dropped.
struct Engine {
    dir: PathBuf,
    child: Child,
    host: String,
}

impl Engine {
    fn start(dir: &Path) -> Engine {
        for (tool, package) in [
            ("dockerd", "docker.io"),
            ("docker", "docker.io"),
            ("docker-compose", "docker-compose"),
        ] {
            require_tool(tool, &format!("apt-get install {package}"));
        }
        // Short paths: a unix socket's path has a 108-byte limit.
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir).unwrap();
        let socket = dir.join("docker.sock");
        let log = std::fs::File::create(dir.join("dockerd.log")).unwrap();
        let child = Command::new("dockerd")
            .arg("--data-root")
            .arg(dir.join("data"))
            .arg("--exec-root")
            .arg(dir.join("exec"))
            .arg("--pidfile")
            .arg(dir.join("dockerd.pid"))
            .arg("--host")
            .arg(format!("unix://{}", socket.display()))
            // No bridge and no iptables: the engine changes nothing of the
            // machine's network. No userland proxy: a published port binds
            // nothing on this host, so the site's 8080 cannot collide.
            .args([
                "--iptables=false",
                "--ip6tables=false",
                "--bridge=none",
                "--userland-proxy=false",
            ])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("dockerd cannot start (it needs root)");
        let engine = Engine {
            dir: dir.to_path_buf(),
            child,
            host: format!("unix://{}", socket.display()),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while !engine.docker(&["version"]).status.success() {
            assert!(
                Instant::now() < deadline,
                "dockerd did not answer within a minute:\n{}",
                std::fs::read_to_string(dir.join("dockerd.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(300));
        }
        engine
    }

    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        command.env("DOCKER_HOST", &self.host);
        command
    }

    fn docker(&self, args: &[&str]) -> Output {
        self.command("docker").args(args).output().unwrap()
    }

    fn docker_ok(&self, args: &[&str]) -> String {
        let output = self.docker(args);
        assert!(
            output.status.success(),
            "docker {args:?}: {}",
            said(&output)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }

    /// Builds a stand-in image from `rootfs` (plus busybox) and returns its ID.
    fn build(&self, context: &Path, tag: &str) -> String {
        let output = self
            .command("docker")
            .args(["build", "--quiet", "--tag", tag])
            .arg(context)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "docker build {tag}: {}",
            said(&output)
        );
        self.docker_ok(&["image", "inspect", "--format", "{{.Id}}", tag])
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        // Whatever a failed assertion left running, then the engine itself,
        // gracefully, so that it unmounts what it mounted.
        if let Ok(ids) = self.command("docker").args(["ps", "-aq"]).output() {
            let ids = String::from_utf8_lossy(&ids.stdout).to_string();
            let ids: Vec<&str> = ids.split_whitespace().collect();
            if !ids.is_empty() {
                let _ = self
                    .command("docker")
                    .args(["rm", "-f"])
                    .args(&ids)
                    .output();
            }
        }
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn executable(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A build context: busybox and its applets, plus `files`, for `dockerfile`.
fn context(dir: &Path, files: &[(&str, &str)], dockerfile: &str) -> PathBuf {
    require_tool("busybox", "apt-get install busybox-static");
    let rootfs = dir.join("rootfs");
    std::fs::create_dir_all(rootfs.join("bin")).unwrap();
    std::fs::copy("/bin/busybox", rootfs.join("bin/busybox")).expect(
        "/bin/busybox: apt-get install busybox-static (a static busybox is the stand-in images' whole system)",
    );
    for applet in [
        "sh", "sleep", "httpd", "wget", "mkdir", "cat", "test", "echo", "kill",
    ] {
        std::os::unix::fs::symlink("busybox", rootfs.join("bin").join(applet)).unwrap();
    }
    for (path, text) in files {
        executable(&rootfs.join(path), text);
    }
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::write(dir.join("data/.keep"), "").unwrap();
    std::fs::write(dir.join("Dockerfile"), dockerfile).unwrap();
    dir.to_path_buf()
}

const APP: &str = r#"#!/bin/sh
# Stand-in for the application (and its worker): records its release and
# seats in the files volume, answers /healthz, and refuses to start without
# a license key.
set -e
[ -n "$LICENSE_KEY" ] || { echo "no LICENSE_KEY" >&2; exit 1; }
if [ "$1" != worker ]; then echo "$APP_RELEASE seats=$SITE_SEATS" >> /data/history; fi
# As PID 1, a stop's SIGTERM reaches only a process that handles it.
httpd -f -p 8080 -h /www & served=$!
trap 'kill $served; exit 0' TERM INT
wait $served
"#;

const CURL: &str = r#"#!/bin/sh
# Stand-in for curl in the health check: fetches the last argument.
for url; do :; done
exec wget -q -O /dev/null "$url"
"#;

const POSTGRES: &str = r#"#!/bin/sh
# Stand-in for Postgres: creates its data folder once, then idles.
set -e
mkdir -p "$PGDATA"
[ -f "$PGDATA/PG_VERSION" ] || echo "16 created for $POSTGRES_DB" > "$PGDATA/PG_VERSION"
sleep 2147483647 & idle=$!
trap 'kill $idle; exit 0' TERM INT
wait $idle
"#;

const PG_ISREADY: &str = "#!/bin/sh\ntest -f \"$PGDATA/PG_VERSION\"\n";

fn app_image(engine: &Engine, dir: &Path, release: &str) -> String {
    let context = context(
        dir,
        &[
            ("bin/app", APP),
            ("usr/bin/curl", CURL),
            ("www/healthz", "ok\n"),
        ],
        &format!(
            "FROM scratch\nCOPY rootfs/ /\nCOPY --chown=10001:10001 data /data\n\
             ENV PATH=/usr/bin:/bin APP_RELEASE={release}\nENTRYPOINT [\"/bin/app\"]\n"
        ),
    );
    engine.build(&context, &format!("stand-in/app:{release}"))
}

fn postgres_image(engine: &Engine, dir: &Path) -> String {
    let context = context(
        dir,
        &[
            ("bin/postgres", POSTGRES),
            ("usr/local/bin/pg_isready", PG_ISREADY),
        ],
        "FROM scratch\nCOPY rootfs/ /\nENV PATH=/usr/local/bin:/bin\nENTRYPOINT [\"/bin/postgres\"]\n",
    );
    engine.build(&context, "stand-in/postgres:16.4")
}

/// Unpacks `archive` with GNU tar into the empty folder `into`; the
/// bundle's folder inside it.
fn unpack(archive: &Path, into: &Path) -> PathBuf {
    std::fs::create_dir_all(into).unwrap();
    let output = Command::new("tar")
        .arg("-xzf")
        .arg(archive)
        .arg("-C")
        .arg(into)
        .output()
        .unwrap();
    assert!(output.status.success(), "tar: {}", said(&output));
    let mut inside: Vec<PathBuf> = std::fs::read_dir(into)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(inside.len(), 1, "one top folder: {inside:?}");
    inside.pop().unwrap()
}

fn script(engine: &Engine, bundle: &Path, name: &str, args: &[&Path], public: &Path) -> Output {
    let mut command = engine.command(bundle.join(name).to_str().unwrap());
    let mut flags = ["--dir", "--out"].iter();
    for arg in args {
        command.arg(flags.next().unwrap()).arg(arg);
    }
    if name != "collect-diagnostics.sh" {
        command
            .arg("--public-key")
            .arg(public)
            .args(["--timeout", "180"]);
    }
    command.output().unwrap()
}

/// The files volume's history, as the stand-in app wrote it.
fn history(engine: &Engine, image: &str) -> String {
    engine.docker_ok(&[
        "run",
        "--rm",
        "--network",
        "none",
        "--volume",
        "umbrella-airgap-data-files:/data:ro",
        "--entrypoint",
        "cat",
        image,
        "/data/history",
    ])
}

fn postgres_marker(engine: &Engine, image: &str) -> String {
    engine.docker_ok(&[
        "run",
        "--rm",
        "--network",
        "none",
        "--volume",
        "umbrella-airgap-data:/pg:ro",
        "--entrypoint",
        "cat",
        image,
        "/pg/pgdata/PG_VERSION",
    ])
}

fn health(engine: &Engine, container: &str) -> String {
    engine.docker_ok(&["inspect", "--format", "{{.State.Health.Status}}", container])
}

#[test]
fn an_air_gap_bundle_installs_and_upgrades_with_the_real_docker_engine_and_keeps_the_data() {
    let bundling = Bundling::new("air-gap-install");
    // The license must outlive this test's real clock: the scripts judge
    // it by the host's date.
    bundling
        .repo
        .edit("umbrella-airgap.yaml", "end: 2027-02-28", "end: 2036-02-28");
    let work = PathBuf::from(format!("/tmp/sitectl-ag-{}", std::process::id()));
    let engine = Engine::start(&work.join("engine"));
    let old = app_image(&engine, &work.join("build/app-old"), "2026.11.1");
    let new = app_image(&engine, &work.join("build/app-new"), "2026.12.0");
    let postgres = postgres_image(&engine, &work.join("build/postgres"));
    pin(&bundling.repo, "app", "2026.11.1", &old);
    pin(&bundling.repo, "app", "2026.12.0", &new);
    pin(&bundling.repo, "postgres", "16.4", &postgres);

    // Two releases, each bundled by `docker image save` from this engine.
    let bundle = |out: &Path, today: &str| {
        let mut command = engine.command(env!("CARGO_BIN_EXE_sitectl"));
        command
            .current_dir(&bundling.repo.0)
            .env("NO_COLOR", "1")
            .env("SITECTL_TODAY", today)
            .args(["bundle", "umbrella-airgap", "--key"])
            .arg(&bundling.private)
            .arg("--out")
            .arg(out);
        let output = command.output().unwrap();
        assert!(output.status.success(), "{}", said(&output));
    };
    let first = work.join("umbrella-1.tar.gz");
    bundle(&first, "2026-11-22");
    bundling.repo.edit(
        "umbrella-airgap.yaml",
        "version: \"2026.11.1\"",
        "version: \"2026.12.0\"",
    );
    bundling
        .repo
        .edit("umbrella-airgap.yaml", "seats: 300", "seats: 400");
    let second = work.join("umbrella-2.tar.gz");
    bundle(&second, "2026-11-29");
    // An old bundle whose license has ended since.
    bundling
        .repo
        .edit("umbrella-airgap.yaml", "end: 2036-02-28", "end: 2026-06-30");
    let expired = work.join("umbrella-expired.tar.gz");
    bundle(&expired, "2026-04-01");

    // The customer's engine has none of our images: only the bundles do.
    engine.docker_ok(&[
        "image",
        "rm",
        "stand-in/app:2026.11.1",
        "stand-in/app:2026.12.0",
        "stand-in/postgres:16.4",
    ]);
    let public = &bundling.public;
    let installation = work.join("opt/umbrella-airgap");

    // Install.
    let first = unpack(&first, &work.join("unpacked-1"));
    let installed = script(&engine, &first, "install.sh", &[&installation], public);
    assert!(
        installed.status.success(),
        "install.sh: {}",
        said(&installed)
    );
    assert!(said(&installed).contains("installed umbrella-airgap 2026.11.1"));
    assert_eq!(health(&engine, "umbrella-airgap_app_1"), "healthy");
    assert_eq!(history(&engine, &old), "2026.11.1 seats=300");
    let created = postgres_marker(&engine, &old);
    assert!(created.starts_with("16 created for"), "{created}");
    let env = std::fs::read_to_string(installation.join(".env")).unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(installation.join(".env"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o077, 0, ".env holds secrets: its owner's alone");
    let password = env
        .lines()
        .find_map(|l| l.strip_prefix("POSTGRES_PASSWORD="))
        .unwrap()
        .to_string();
    assert_eq!(password.len(), 48, "a password was chosen: {env}");
    // A second install over it is refused: that is the upgrade's job.
    let again = script(&engine, &first, "install.sh", &[&installation], public);
    assert_eq!(again.status.code(), Some(1), "{}", said(&again));
    assert!(
        said(&again).contains("run ./upgrade.sh"),
        "{}",
        said(&again)
    );

    // One byte of the new release's app image changed: refused, and
    // nothing of it is loaded.
    let tampered = unpack(&second, &work.join("unpacked-tampered"));
    let image = tampered.join("images/app-2026.12.0.tar");
    let mut bytes = std::fs::read(&image).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x20;
    std::fs::write(&image, bytes).unwrap();
    let refused = script(&engine, &tampered, "upgrade.sh", &[&installation], public);
    assert_eq!(refused.status.code(), Some(1), "{}", said(&refused));
    assert!(
        said(&refused).contains("differs from the one that was signed"),
        "{}",
        said(&refused)
    );
    assert!(
        !engine.docker(&["image", "inspect", &new]).status.success(),
        "the tampered release's image was loaded"
    );

    // An expired license: refused, nothing loaded, the site untouched.
    let expired = unpack(&expired, &work.join("unpacked-expired"));
    let refused = script(&engine, &expired, "upgrade.sh", &[&installation], public);
    assert_eq!(refused.status.code(), Some(1), "{}", said(&refused));
    assert!(
        said(&refused).contains("the license expired on 2026-06-30"),
        "{}",
        said(&refused)
    );
    assert_eq!(history(&engine, &old), "2026.11.1 seats=300");

    // Upgrade: the new release with more seats, the data kept.
    let second = unpack(&second, &work.join("unpacked-2"));
    let upgraded = script(&engine, &second, "upgrade.sh", &[&installation], public);
    assert!(upgraded.status.success(), "upgrade.sh: {}", said(&upgraded));
    assert!(said(&upgraded).contains("upgraded umbrella-airgap from 2026.11.1 to 2026.12.0"));
    assert_eq!(health(&engine, "umbrella-airgap_app_1"), "healthy");
    assert_eq!(
        history(&engine, &new),
        "2026.11.1 seats=300\n2026.12.0 seats=400",
        "the files volume lost data across the upgrade"
    );
    assert_eq!(
        postgres_marker(&engine, &new),
        created,
        "Postgres' data was recreated"
    );
    let running = engine.docker_ok(&["inspect", "--format", "{{.Image}}", "umbrella-airgap_app_1"]);
    assert_eq!(
        running, new,
        "the app runs the pinned image of the new release"
    );
    let env_after = std::fs::read_to_string(installation.join(".env")).unwrap();
    assert!(
        env_after.contains(&format!("POSTGRES_PASSWORD={password}")),
        "the password was kept"
    );
    assert!(installation.join("compose.yaml.previous").is_file());

    // Diagnostics: collected, every secret redacted.
    let diagnostics = work.join("diagnostics.tar.gz");
    let collected = script(
        &engine,
        &second,
        "collect-diagnostics.sh",
        &[&installation, &diagnostics],
        public,
    );
    assert!(collected.status.success(), "{}", said(&collected));
    let listing = unpack(&diagnostics, &work.join("diagnostics"));
    let license = std::fs::read_to_string(second.join("license/license.jwt")).unwrap();
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(&listing).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        assert!(
            !text.contains(&password),
            "{name} shows the database password"
        );
        assert!(
            !text.contains(license.trim()),
            "{name} shows the license key"
        );
        seen.push(name);
    }
    seen.sort();
    for expected in [
        "compose-config.yaml",
        "compose-logs.txt",
        "containers.json",
        "docker-version.txt",
    ] {
        assert!(
            seen.iter().any(|s| s == expected),
            "{expected} not collected: {seen:?}"
        );
    }
    let config = std::fs::read_to_string(listing.join("compose-config.yaml")).unwrap();
    assert!(config.contains("[REDACTED]"), "{config}");
    let inspected = std::fs::read_to_string(listing.join("containers.json")).unwrap();
    assert!(inspected.contains("umbrella-airgap_app_1"), "{inspected}");

    // The customer removes it all; the test's engine and folders go too.
    let down = engine
        .command("docker-compose")
        .current_dir(&installation)
        .args(["--project-name", "umbrella-airgap", "down", "--volumes"])
        .output()
        .unwrap();
    assert!(down.status.success(), "{}", said(&down));
    drop(engine);
    let _ = std::fs::remove_dir_all(&work);
}
