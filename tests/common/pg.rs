//! A loopback PostgreSQL cluster shared by the tests of one test binary (feature `pg`):
//! node 0 is the catalog server, nodes 1 and 2 are shards. Each test makes its own databases
//! ([`fresh_db`]) so tests in one binary do not see each other's rows.
//!
//! Without PostgreSQL's server binaries the pg tests fail with a message saying how to install
//! them: `--features pg` asks for them.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use interlog::pg::local::LocalCluster;

static CLUSTER: OnceLock<LocalCluster> = OnceLock::new();

/// Stops the servers and deletes their directory when the test binary exits (a `static` is
/// never dropped).
extern "C" fn shut_down_cluster() {
    if let Some(c) = CLUSTER.get() {
        let _ = std::panic::catch_unwind(|| c.shutdown());
    }
}

/// The cluster of this test binary (started on first use, stopped and deleted when the binary
/// exits).
pub fn cluster() -> &'static LocalCluster {
    CLUSTER.get_or_init(|| {
        let c = LocalCluster::start(3)
            .unwrap_or_else(|e| panic!("the pg tests need local PostgreSQL servers: {e}"));
        // SAFETY: registers a plain function to run at exit; it only reads the `static`.
        unsafe { libc::atexit(shut_down_cluster) };
        c
    })
}

/// Creates an empty database on node `node` and returns its URL.
pub fn fresh_db(node: usize, tag: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "t_{}_{}_{}",
        tag,
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let c = cluster();
    let mut admin = interlog::pg::connect(&c.url(node)).expect("connect to the local server");
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create a test database");
    c.url_db(node, &name)
}
