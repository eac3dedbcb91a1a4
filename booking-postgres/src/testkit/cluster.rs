//! A private PostgreSQL server for tests that must stop, crash or
//! reconfigure it: it runs from a temporary directory on a free loopback
//! port with the installed PostgreSQL's own programs, and is removed when
//! dropped.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A PostgreSQL server of the test's own. Its superuser is `postgres`,
/// with trust authentication on 127.0.0.1 only. `fsync` is off: tests crash
/// the server, never the machine, and committed work survives that through
/// the write-ahead log in the operating system's cache.
#[derive(Debug)]
pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    /// When the tests run as root (which PostgreSQL refuses), the server
    /// runs as this user.
    run_as: Option<String>,
}

/// A server certificate and its private key, PEM-encoded.
#[derive(Clone, Debug)]
pub struct ServerCertificate {
    /// The certificate chain.
    pub cert_pem: String,
    /// The private key.
    pub key_pem: String,
}

impl Cluster {
    /// Initializes and starts a server.
    ///
    /// # Panics
    ///
    /// When PostgreSQL's programs are not installed (saying how to get
    /// them), or the server does not start (showing its log).
    pub fn start() -> Self {
        Self::start_with(None)
    }

    /// Initializes and starts a server that offers TLS with `certificate`.
    ///
    /// # Panics
    ///
    /// As [`Cluster::start`].
    pub fn start_with_tls(certificate: &ServerCertificate) -> Self {
        Self::start_with(Some(certificate))
    }

    fn start_with(certificate: Option<&ServerCertificate>) -> Self {
        let bin = bin_dir();
        let run_as = running_as_root().then(|| "postgres".to_owned());
        let dir = tempfile::Builder::new()
            .prefix("booking-pg-")
            .tempdir()
            .expect("a temporary directory for the test server");
        let cluster = Self {
            port: free_port(),
            dir,
            bin,
            run_as,
        };
        cluster.give_to_server_user(cluster.dir.path());
        cluster.run(
            "initdb",
            &[
                "--pgdata",
                &cluster.data().display().to_string(),
                "--username=postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-sync",
            ],
        );
        let mut settings = format!(
            "port = {}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n\
             fsync = off\nmax_connections = 120\n",
            cluster.port
        );
        if let Some(certificate) = certificate {
            let data = cluster.data();
            std::fs::write(data.join("server.crt"), &certificate.cert_pem).unwrap();
            std::fs::write(data.join("server.key"), &certificate.key_pem).unwrap();
            restrict(&data.join("server.key"));
            cluster.give_to_server_user(&data.join("server.crt"));
            cluster.give_to_server_user(&data.join("server.key"));
            settings.push_str("ssl = on\n");
        }
        let conf = cluster.data().join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf).expect("initdb wrote postgresql.conf");
        text.push_str(&settings);
        std::fs::write(&conf, text).unwrap();
        cluster.start_again();
        cluster
    }

    /// The URL of its `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// The loopback port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server the hard way (`pg_ctl stop -m immediate`): every
    /// backend is killed at once, as in a crash; committed work survives
    /// through the write-ahead log.
    ///
    /// # Panics
    ///
    /// When `pg_ctl` fails.
    pub fn crash(&self) {
        self.pg_ctl(&["stop", "-m", "immediate"]);
    }

    /// Starts the stopped server again (on the same port), waiting until it
    /// accepts connections.
    ///
    /// # Panics
    ///
    /// When it does not start, showing its log.
    pub fn start_again(&self) {
        let log = self.dir.path().join("server.log");
        let output = self
            .command("pg_ctl")
            .args(self.pg_ctl_args(&["start", "-l"]))
            .arg(&log)
            .output();
        let ok = output.as_ref().is_ok_and(|o| o.status.success());
        if !ok {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("the test server did not start: {output:?}\n--- its log ---\n{log}");
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn pg_ctl_args(&self, args: &[&str]) -> Vec<String> {
        let mut all = vec![
            "--pgdata".to_owned(),
            self.data().display().to_string(),
            "--wait".to_owned(),
        ];
        all.extend(args.iter().map(|&a| a.to_owned()));
        all
    }

    fn pg_ctl(&self, args: &[&str]) {
        self.run(
            "pg_ctl",
            &self
                .pg_ctl_args(args)
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        );
    }

    /// `program` from PostgreSQL's directory, as the server's user.
    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        match &self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(program);
                command
            }
            None => Command::new(program),
        }
    }

    fn run(&self, program: &str, args: &[&str]) -> Output {
        let output = self
            .command(program)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
        assert!(
            output.status.success(),
            "{program} {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    fn give_to_server_user(&self, path: &Path) {
        if let Some(user) = &self.run_as {
            let ok = Command::new("chown")
                .arg(format!("{user}:"))
                .arg(path)
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "cannot give {} to the user {user}", path.display());
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .args(self.pg_ctl_args(&["stop", "-m", "immediate"]))
            .output();
    }
}

/// Makes `path` readable by its owner only, as PostgreSQL demands of keys.
fn restrict(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// PostgreSQL's program directory: `BOOKING_PG_BINDIR`, else the newest
/// `/usr/lib/postgresql/*/bin` (Debian's layout), else wherever `initdb`
/// is on the `PATH`.
fn bin_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("BOOKING_PG_BINDIR") {
        return PathBuf::from(dir);
    }
    let mut debian: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join("bin"))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    debian.sort_by_key(|bin| {
        bin.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
    });
    if let Some(newest) = debian.pop() {
        return newest;
    }
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .find(|dir| dir.join("initdb").exists())
        .unwrap_or_else(|| {
            panic!(
                "this test starts a PostgreSQL server of its own and needs PostgreSQL's \
                 programs (initdb, pg_ctl): install them (Debian: apt-get install postgresql) \
                 or point BOOKING_PG_BINDIR at their directory"
            )
        })
}

fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    // /proc/self belongs to the process's effective user.
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
        .port()
}
