//! Debezium's `source.snapshot` marker for each snapshot row, in delivery order.
//!
//! Debezium marks the first row of the whole snapshot `first`, the last `last`, the first and
//! last rows of every other table `first_in_data_collection` / `last_in_data_collection`,
//! and the rest `true`. A row that is several of these gets the first that applies of:
//! `last` (last row of the last table), `first` (first row of the snapshot),
//! `last_in_data_collection`, `first_in_data_collection` — the order in which Debezium's
//! snapshot source applies them (so a one-row table in the middle is
//! `last_in_data_collection`).
//!
//! An interrupted snapshot that resumes does not repeat `first`: that row was delivered.

/// The marker values, independent of the envelope crate's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// `first`.
    First,
    /// `first_in_data_collection`.
    FirstInDataCollection,
    /// `true`.
    True,
    /// `last_in_data_collection`.
    LastInDataCollection,
    /// `last`.
    Last,
}

/// Hands out markers for a snapshot's rows.
#[derive(Debug, Clone)]
pub struct MarkerSequence {
    first_delivered: bool,
}

/// Where a row stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowPlace {
    /// The first row delivered for its table.
    pub first_in_table: bool,
    /// The last row of its table.
    pub last_in_table: bool,
    /// Its table is the last one still being read (so its last row ends the snapshot).
    pub last_table: bool,
}

impl MarkerSequence {
    /// A snapshot starting now; `resumed` when rows were delivered before a restart.
    pub fn new(resumed: bool) -> Self {
        Self {
            first_delivered: resumed,
        }
    }

    /// The marker of the next row delivered.
    pub fn next(&mut self, place: RowPlace) -> Marker {
        let first = !self.first_delivered;
        self.first_delivered = true;
        match () {
            () if place.last_in_table && place.last_table => Marker::Last,
            () if first => Marker::First,
            () if place.last_in_table => Marker::LastInDataCollection,
            () if place.first_in_table => Marker::FirstInDataCollection,
            () => Marker::True,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(first_in_table: bool, last_in_table: bool, last_table: bool) -> RowPlace {
        RowPlace {
            first_in_table,
            last_in_table,
            last_table,
        }
    }

    #[test]
    fn two_tables_of_three_rows() {
        let mut seq = MarkerSequence::new(false);
        let got: Vec<Marker> = [
            place(true, false, false),
            place(false, false, false),
            place(false, true, false),
            place(true, false, true),
            place(false, false, true),
            place(false, true, true),
        ]
        .into_iter()
        .map(|p| seq.next(p))
        .collect();
        use Marker::*;
        assert_eq!(
            got,
            [
                First,
                True,
                LastInDataCollection,
                FirstInDataCollection,
                True,
                Last
            ]
        );
    }

    #[test]
    fn one_row_tables_and_resumes() {
        let mut seq = MarkerSequence::new(false);
        assert_eq!(seq.next(place(true, true, false)), Marker::First);
        assert_eq!(
            seq.next(place(true, true, false)),
            Marker::LastInDataCollection
        );
        assert_eq!(seq.next(place(true, true, true)), Marker::Last);
        let mut resumed = MarkerSequence::new(true);
        assert_eq!(resumed.next(place(false, false, false)), Marker::True);
    }
}
