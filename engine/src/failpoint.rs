//! Named crash points for the crash tests, armed by the `TRIBUTARY_FAILPOINTS` environment
//! variable: `name=n[,name=n…]` aborts the process (as a SIGKILL would end it) when point
//! `name` is reached for the `n`th time. Unset, each point costs one relaxed atomic load.
//!
//! Points:
//! - `pg-snapshot-committed`: after a Kafka transaction holding PostgreSQL snapshot rows
//!   committed, with the snapshot not finished — the moment a real crash would leave a
//!   partly delivered snapshot.
//! - `mysql-snapshot-committed`: the same for a MySQL/MariaDB snapshot.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

/// The environment variable that arms failpoints.
pub const ENV: &str = "TRIBUTARY_FAILPOINTS";

struct Armed {
    /// Point → (hits so far, hit that aborts).
    points: Mutex<HashMap<String, (u64, u64)>>,
    any: AtomicU64,
}

fn armed() -> &'static Armed {
    static ARMED: OnceLock<Armed> = OnceLock::new();
    ARMED.get_or_init(|| {
        let points: HashMap<String, (u64, u64)> = std::env::var(ENV)
            .unwrap_or_default()
            .split(',')
            .filter_map(|entry| {
                let (name, n) = entry.split_once('=')?;
                Some((name.trim().to_owned(), (0, n.trim().parse().ok()?)))
            })
            .collect();
        Armed {
            any: AtomicU64::new(u64::from(!points.is_empty())),
            points: Mutex::new(points),
        }
    })
}

/// Reaches point `name`: aborts the process if it is armed and this is its `n`th hit.
pub fn hit(name: &str) {
    let armed = armed();
    if armed.any.load(Ordering::Relaxed) == 0 {
        return;
    }
    let Ok(mut points) = armed.points.lock() else {
        return;
    };
    if let Some((hits, at)) = points.get_mut(name) {
        *hits += 1;
        if *hits == *at {
            tracing::error!(failpoint = name, hit = *hits, "failpoint reached: aborting");
            std::process::abort();
        }
    }
}
