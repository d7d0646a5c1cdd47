//! Loopback PostgreSQL servers started from the machine's PostgreSQL binaries: for the test
//! suite, the benchmarks and trying the backend out. Servers listen on 127.0.0.1 only, on free
//! ports, with their data and sockets in one temporary directory that goes away with the
//! [`LocalCluster`] (which stops its servers with `-m immediate` when dropped).
//!
//! As root (CI), `initdb` and `pg_ctl` run as the `postgres` user through `runuser`, since
//! PostgreSQL refuses to run as root. The binaries are looked up in `INTERLOG_PG_BIN`, then the
//! newest `/usr/lib/postgresql/*/bin`, then `PATH`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::PgError;

/// A set of local servers (node 0, 1, …) under one temporary directory.
#[derive(Debug)]
pub struct LocalCluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    as_postgres: bool,
    ports: Vec<u16>,
}

/// Where the PostgreSQL server binaries are, if anywhere.
pub fn find_bin() -> Option<PathBuf> {
    if let Some(b) = std::env::var_os("INTERLOG_PG_BIN") {
        let b = PathBuf::from(b);
        return b.join("initdb").exists().then_some(b);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, b)) = versions.pop() {
        return Some(b);
    }
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p).find(|d| d.join("initdb").exists() && d.join("pg_ctl").exists())
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> Result<u16, PgError> {
    let l = TcpListener::bind("127.0.0.1:0")
        .map_err(|e| PgError::Local(format!("no free loopback port: {e}")))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| PgError::Local(e.to_string()))
}

impl LocalCluster {
    /// Starts `n` servers (fsync on, `max_prepared_transactions` 64, `wal_level` logical).
    pub fn start(n: usize) -> Result<LocalCluster, PgError> {
        let bin = find_bin().ok_or_else(|| {
            PgError::Local(
                "no PostgreSQL server binaries (initdb, pg_ctl) found — install them \
                 (`apt-get install -y postgresql-15`) or set INTERLOG_PG_BIN"
                    .into(),
            )
        })?;
        let dir = tempfile::Builder::new()
            .prefix("interlog-pg-")
            .tempdir()
            .map_err(|e| PgError::Local(format!("temporary directory: {e}")))?;
        let as_postgres = is_root();
        let mut cluster = LocalCluster {
            dir,
            bin,
            as_postgres,
            ports: Vec::new(),
        };
        if as_postgres {
            cluster.run_plain(
                "chown",
                &["postgres".as_ref(), cluster.dir.path().as_os_str()],
            )?;
        }
        for i in 0..n {
            let data = cluster.data_dir(i);
            cluster.run_pg(
                "initdb",
                &[
                    "-D".as_ref(),
                    data.as_os_str(),
                    "-U".as_ref(),
                    "postgres".as_ref(),
                    "-A".as_ref(),
                    "trust".as_ref(),
                    "--no-sync".as_ref(),
                ],
            )?;
            cluster.ports.push(free_port()?);
            cluster.start_node(i)?;
        }
        Ok(cluster)
    }

    fn data_dir(&self, i: usize) -> PathBuf {
        self.dir.path().join(format!("n{i}"))
    }

    /// The directory holding the servers' data, logs and sockets.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Number of servers.
    pub fn len(&self) -> usize {
        self.ports.len()
    }

    /// True when no server was started.
    pub fn is_empty(&self) -> bool {
        self.ports.is_empty()
    }

    /// The URL of node `i`'s `postgres` database.
    pub fn url(&self, i: usize) -> String {
        self.url_db(i, "postgres")
    }

    /// The URL of database `db` on node `i`.
    pub fn url_db(&self, i: usize, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.ports[i])
    }

    /// Starts node `i` (again, after [`LocalCluster::stop_immediate`]).
    pub fn start_node(&self, i: usize) -> Result<(), PgError> {
        let data = self.data_dir(i);
        let log = self.dir.path().join(format!("n{i}.log"));
        let opts = format!(
            "-c listen_addresses=127.0.0.1 -c port={} -c unix_socket_directories={} \
             -c max_prepared_transactions=64 -c wal_level=logical -c fsync=on \
             -c max_connections=100",
            self.ports[i],
            self.dir.path().display()
        );
        self.run_pg(
            "pg_ctl",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-l".as_ref(),
                log.as_os_str(),
                "-w".as_ref(),
                "-o".as_ref(),
                opts.as_ref(),
                "start".as_ref(),
            ],
        )
    }

    /// Stops node `i` the way a power cut would (`pg_ctl -m immediate`): no checkpoint, the
    /// next start replays the WAL.
    pub fn stop_immediate(&self, i: usize) -> Result<(), PgError> {
        let data = self.data_dir(i);
        self.run_pg(
            "pg_ctl",
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-m".as_ref(),
                "immediate".as_ref(),
                "-w".as_ref(),
                "stop".as_ref(),
            ],
        )
    }

    fn run_pg(&self, tool: &str, args: &[&std::ffi::OsStr]) -> Result<(), PgError> {
        let exe = self.bin.join(tool);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        cmd.args(args).current_dir(self.dir.path());
        let out = cmd
            .output()
            .map_err(|e| PgError::Local(format!("{}: {e}", exe.display())))?;
        if !out.status.success() {
            return Err(PgError::Local(format!(
                "{tool} failed ({}): {}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        Ok(())
    }

    fn run_plain(&self, tool: &str, args: &[&std::ffi::OsStr]) -> Result<(), PgError> {
        let out = Command::new(tool)
            .args(args)
            .output()
            .map_err(|e| PgError::Local(format!("{tool}: {e}")))?;
        if !out.status.success() {
            return Err(PgError::Local(format!(
                "{tool} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        Ok(())
    }
}

impl LocalCluster {
    /// Stops every server and deletes the cluster's directory — for a cluster that is never
    /// dropped (the one a test binary shares lives in a `static`, and statics are not dropped:
    /// each test binary left its 1.3 GB directory in the temporary directory). Best effort;
    /// using the cluster afterwards fails.
    pub fn shutdown(&self) {
        for i in 0..self.ports.len() {
            let _ = self.stop_immediate(i);
        }
        let _ = std::fs::remove_dir_all(self.dir.path());
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        for i in 0..self.ports.len() {
            let _ = self.stop_immediate(i);
        }
    }
}
