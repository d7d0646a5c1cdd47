//! A loopback PostgreSQL cluster shared by the tests of one test binary (feature `pg`):
//! node 0 is the catalog server, nodes 1 and 2 are shards. Each test makes its own databases
//! ([`fresh_db`]) so tests in one binary do not see each other's rows.
//!
//! Without PostgreSQL's server binaries the pg tests fail with a message saying how to install
//! them: `--features pg` asks for them.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use interlog::pg::local::LocalCluster;

/// The cluster of this test binary (started on first use, stopped when the binary exits).
pub fn cluster() -> &'static LocalCluster {
    static CLUSTER: OnceLock<LocalCluster> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        LocalCluster::start(3)
            .unwrap_or_else(|e| panic!("the pg tests need local PostgreSQL servers: {e}"))
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
