//! `snapshot.mode`: whether a start takes a snapshot, of what kind, and whether it streams.
//!
//! The decision depends on three things only: the mode, what the stored offset says (nothing,
//! a snapshot still running, or streaming) and whether the stored position can still be
//! resumed on the server. [`SnapshotMode::plan`] is that table; the engine supplies the
//! facts and carries out the answer.

/// Debezium's `snapshot.mode` values that Tributary implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SnapshotMode {
    /// `initial`: snapshot when there is no stored offset, then stream.
    #[default]
    Initial,
    /// `initial_only`: snapshot when there is no stored offset, then stop.
    InitialOnly,
    /// `no_data` (Debezium's older `never` and `schema_only`): never read table data, only
    /// stream (MySQL/MariaDB still record the schema).
    NoData,
    /// `when_needed`: snapshot when there is no stored offset or its position is no longer
    /// on the server; otherwise stream.
    WhenNeeded,
    /// `always`: snapshot at every start, then stream.
    Always,
}

/// A `snapshot.mode` value Tributary does not accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid value '{value}' for property 'snapshot.mode': allowed: initial, initial_only, \
     no_data (also never, schema_only), when_needed, always{hint}"
)]
pub struct ModeError {
    /// The value given.
    pub value: String,
    /// More about why, for values Debezium has and Tributary does not.
    pub hint: &'static str,
}

/// What the stored offset says about the last run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// No offset: a new connector.
    Nothing,
    /// An offset with a snapshot that had not finished.
    SnapshotRunning,
    /// An offset of a finished snapshot, or of streaming.
    Streaming,
}

/// How this start reads table data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotStart {
    /// No table data.
    None,
    /// A new consistent snapshot at a new stream position (a new slot with an exported
    /// snapshot; a consistent-snapshot transaction at a binlog position). Any stored
    /// offset is discarded.
    Fresh,
    /// The stored snapshot's remaining tables and chunks, read while streaming from the
    /// stored position and merged through watermark windows.
    Resume,
    /// Every captured table again, read while streaming from the stored position (through
    /// watermark windows, as an incremental snapshot).
    WhileStreaming,
}

/// What a start does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartPlan {
    /// Which snapshot, if any.
    pub snapshot: SnapshotStart,
    /// Whether the log is streamed (after a fresh snapshot, or alongside the others).
    pub stream: bool,
}

/// The stored position cannot be resumed and the mode does not allow a new snapshot: the
/// engine reports its own, more precise, position error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PositionLost;

impl SnapshotMode {
    /// Reads a `snapshot.mode` value.
    pub fn parse(value: &str) -> Result<Self, ModeError> {
        let error = |hint| ModeError {
            value: value.to_owned(),
            hint,
        };
        match value {
            "initial" => Ok(Self::Initial),
            "initial_only" => Ok(Self::InitialOnly),
            "no_data" | "never" | "schema_only" => Ok(Self::NoData),
            "when_needed" => Ok(Self::WhenNeeded),
            "always" => Ok(Self::Always),
            "recovery" | "schema_only_recovery" => Err(error(
                " (recovery rebuilds a lost schema history; Tributary's history is recovered \
                 from its topic, and a lost one needs a new snapshot: use when_needed)",
            )),
            "configuration_based" | "custom" => Err(error(
                " (snapshotter plug-ins are Java classes; use one of the built-in modes)",
            )),
            _ => Err(error("")),
        }
    }

    /// The Debezium name of the mode.
    pub fn name(self) -> &'static str {
        match self {
            Self::Initial => "initial",
            Self::InitialOnly => "initial_only",
            Self::NoData => "no_data",
            Self::WhenNeeded => "when_needed",
            Self::Always => "always",
        }
    }

    /// What a start does, given the stored offset and whether its position is still
    /// available on the server (ignored when nothing is stored).
    pub fn plan(self, stored: Stored, position_available: bool) -> Result<StartPlan, PositionLost> {
        let stream = self != Self::InitialOnly;
        let plan = |snapshot| StartPlan { snapshot, stream };
        if stored != Stored::Nothing && !position_available {
            return match self {
                Self::WhenNeeded | Self::Always => Ok(plan(SnapshotStart::Fresh)),
                // A finished initial_only connector has nothing left to read.
                Self::InitialOnly if stored == Stored::Streaming => Ok(plan(SnapshotStart::None)),
                _ => Err(PositionLost),
            };
        }
        Ok(match (self, stored) {
            // A stored snapshot in progress resumes in every mode: under no_data it is an
            // incremental one (or an initial one a user started before switching modes),
            // and its progress is as much the connector's state as the position.
            (_, Stored::SnapshotRunning) => plan(SnapshotStart::Resume),
            (Self::NoData, _) => plan(SnapshotStart::None),
            (_, Stored::Nothing) => plan(SnapshotStart::Fresh),
            (Self::Always, Stored::Streaming) => plan(SnapshotStart::WhileStreaming),
            (_, Stored::Streaming) => plan(SnapshotStart::None),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debezium_names_and_aliases_parse() {
        for (text, mode) in [
            ("initial", SnapshotMode::Initial),
            ("initial_only", SnapshotMode::InitialOnly),
            ("no_data", SnapshotMode::NoData),
            ("never", SnapshotMode::NoData),
            ("schema_only", SnapshotMode::NoData),
            ("when_needed", SnapshotMode::WhenNeeded),
            ("always", SnapshotMode::Always),
        ] {
            assert_eq!(SnapshotMode::parse(text), Ok(mode), "{text}");
        }
    }

    #[test]
    fn unsupported_modes_name_the_key_and_say_why() {
        let err = SnapshotMode::parse("schema_only_recovery").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("'snapshot.mode'"), "{text}");
        assert!(text.contains("when_needed"), "{text}");
        let err = SnapshotMode::parse("Initial").unwrap_err();
        assert!(err.to_string().contains("'Initial'"));
    }

    #[test]
    fn the_decision_table() {
        use SnapshotStart::*;
        use Stored::*;
        let run = |mode: SnapshotMode, stored, available| mode.plan(stored, available);
        let streams = |snapshot| {
            Ok(StartPlan {
                snapshot,
                stream: true,
            })
        };
        let stops = |snapshot| {
            Ok(StartPlan {
                snapshot,
                stream: false,
            })
        };
        // A new connector.
        assert_eq!(run(SnapshotMode::Initial, Nothing, true), streams(Fresh));
        assert_eq!(run(SnapshotMode::InitialOnly, Nothing, true), stops(Fresh));
        assert_eq!(run(SnapshotMode::NoData, Nothing, true), streams(None));
        assert_eq!(run(SnapshotMode::WhenNeeded, Nothing, true), streams(Fresh));
        assert_eq!(run(SnapshotMode::Always, Nothing, true), streams(Fresh));
        // A snapshot was interrupted.
        assert_eq!(
            run(SnapshotMode::Initial, SnapshotRunning, true),
            streams(Resume)
        );
        assert_eq!(
            run(SnapshotMode::InitialOnly, SnapshotRunning, true),
            stops(Resume)
        );
        // An incremental snapshot (the usual one under no_data) survives restarts.
        assert_eq!(
            run(SnapshotMode::NoData, SnapshotRunning, true),
            streams(Resume)
        );
        // A restart while streaming.
        assert_eq!(run(SnapshotMode::Initial, Streaming, true), streams(None));
        assert_eq!(run(SnapshotMode::InitialOnly, Streaming, true), stops(None));
        assert_eq!(
            run(SnapshotMode::WhenNeeded, Streaming, true),
            streams(None)
        );
        assert_eq!(
            run(SnapshotMode::Always, Streaming, true),
            streams(WhileStreaming)
        );
        // The stored position is gone.
        assert_eq!(
            run(SnapshotMode::Initial, Streaming, false),
            Err(PositionLost)
        );
        assert_eq!(
            run(SnapshotMode::NoData, Streaming, false),
            Err(PositionLost)
        );
        assert_eq!(
            run(SnapshotMode::WhenNeeded, Streaming, false),
            streams(Fresh)
        );
        assert_eq!(
            run(SnapshotMode::WhenNeeded, SnapshotRunning, false),
            streams(Fresh)
        );
        assert_eq!(run(SnapshotMode::Always, Streaming, false), streams(Fresh));
        assert_eq!(
            run(SnapshotMode::InitialOnly, Streaming, false),
            stops(None)
        );
        // Nothing stored: availability does not matter.
        assert_eq!(run(SnapshotMode::Initial, Nothing, false), streams(Fresh));
    }
}
