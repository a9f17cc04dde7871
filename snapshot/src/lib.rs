//! Consistent initial snapshots and incremental snapshots while streaming: the algorithms,
//! without I/O. The engine runs the queries these modules write and feeds the results back.
//!
//! - [`mode`]: `snapshot.mode` and what it asks for at a given start (snapshot or not,
//!   stream or not), from the stored offset and whether its position is still available.
//! - [`chunk`]: keyset chunk queries (`WHERE key > last ORDER BY key LIMIT n`), so a table
//!   is read in bounded pieces in primary-key order and a read can resume after any row.
//! - [`progress`]: which tables are done and the key of the last row delivered per table,
//!   kept in the source offset so it commits in the same Kafka transaction as the rows.
//! - [`marker`]: Debezium's `source.snapshot` values (`first`, `first_in_data_collection`,
//!   `true`, `last_in_data_collection`, `last`) for each row in delivery order.
//! - [`meter`]: rows read against the tables' estimated sizes, rate and time left, for
//!   logs, metrics and the CLI's progress bar.
//! - [`window`]: the DBLog watermark window, which lets a chunk read *while* the log is
//!   streamed be merged into the stream without going back in time (the read-only variant:
//!   PostgreSQL snapshot visibility instead of signal-table writes).

pub mod chunk;
pub mod marker;
pub mod meter;
pub mod mode;
pub mod progress;
pub mod signal;
pub mod window;

pub use chunk::{ChunkQuery, Dialect};
pub use marker::MarkerSequence;
pub use meter::{ProgressMeter, ProgressSummary, TableMeter};
pub use mode::{ModeError, SnapshotMode, StartPlan};
pub use progress::{ProgressError, SnapshotProgress, TableProgress};
pub use signal::{Signal, SignalError};
pub use window::{ChunkWindow, XidSnapshot};
