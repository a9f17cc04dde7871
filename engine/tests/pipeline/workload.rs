//! The crash workload shared by both databases: source transaction `i` inserts row `i`;
//! every third also updates row `i-1`, every fifth deletes row `i-2`. Each row therefore
//! yields exactly `c`, then `u` if updated, then `d` and a tombstone if deleted.

use std::path::Path;
use std::time::Duration;

use crate::support::{Engine, Record};

/// The SQL of source transaction `i` (1-based).
pub(crate) fn transaction(i: u32) -> String {
    let mut sql = format!("BEGIN; INSERT INTO seq VALUES ({i}, 0);");
    if i.is_multiple_of(3) && i > 1 {
        sql.push_str(&format!(" UPDATE seq SET n = 1 WHERE id = {};", i - 1));
    }
    if i.is_multiple_of(5) && i > 2 {
        sql.push_str(&format!(" DELETE FROM seq WHERE id = {};", i - 2));
    }
    sql.push_str(" COMMIT;\n");
    sql
}

/// The events row `id` must produce, in order (`-` is the tombstone).
pub(crate) fn expected_events(id: u32, transactions: u32) -> Vec<&'static str> {
    let mut events = vec!["c"];
    if (id + 1).is_multiple_of(3) && id < transactions {
        events.push("u");
    }
    if (id + 2).is_multiple_of(5) && id + 2 <= transactions {
        events.extend(["d", "-"]);
    }
    events
}

/// Records the workload produces in total.
pub(crate) fn expected_total(transactions: u32) -> usize {
    (1..=transactions)
        .map(|id| expected_events(id, transactions).len())
        .sum()
}

/// `count|sum(n)` of the table after the workload.
pub(crate) fn expected_table(transactions: u32) -> String {
    let events: Vec<_> = (1..=transactions)
        .map(|id| expected_events(id, transactions))
        .collect();
    let rows = events.iter().filter(|e| !e.contains(&"d")).count();
    let sum = events
        .iter()
        .filter(|e| !e.contains(&"d") && e.contains(&"u"))
        .count();
    format!("{rows}|{sum}")
}

/// A seed for the kill schedule, printed so a failure can be replayed.
pub(crate) fn seed() -> u32 {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    eprintln!("kill schedule seed: {seed}");
    seed
}

/// Every key saw exactly its expected events, in order, and nothing else arrived.
pub(crate) fn assert_exactly_once(all: &[Record], transactions: u32, seed: u32) {
    let mut seen: Vec<Vec<&str>> = vec![Vec::new(); transactions as usize];
    for record in all {
        let id = record.key.as_ref().unwrap()["payload"]["id"]
            .as_u64()
            .unwrap() as usize;
        seen[id - 1].push(record.op().unwrap_or("-"));
    }
    for (i, seen) in seen.iter().enumerate() {
        let id = u32::try_from(i + 1).unwrap();
        assert_eq!(
            seen,
            &expected_events(id, transactions),
            "row {id} (seed {seed})"
        );
    }
    assert_eq!(all.len(), expected_total(transactions), "seed {seed}");
}

/// SIGKILLs `engine` `kills` times, 0.3-1.8 s apart on a schedule drawn from `seed`,
/// restarting it on the same configuration each time; returns the running last one.
pub(crate) fn kill_and_restart(
    mut engine: Engine,
    dir: &Path,
    properties: &[(String, String)],
    kills: u32,
    seed: u32,
) -> Engine {
    let mut random = seed;
    for _ in 0..kills {
        random = random.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        std::thread::sleep(Duration::from_millis(300 + u64::from(random % 1500)));
        engine.kill();
        engine = Engine::run(dir, properties);
    }
    engine
}
