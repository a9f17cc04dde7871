//! Consistent initial snapshots and incremental snapshots while streaming.
//!
//! An initial snapshot reads every captured table at one consistent point and hands over to
//! the log stream at exactly that point, with no gap and no duplicate; an incremental
//! snapshot re-reads tables in primary-key chunks while the stream keeps flowing.
//!
//! Status: the crate is laid out by the foundation; the algorithms arrive with the snapshot
//! issue.
