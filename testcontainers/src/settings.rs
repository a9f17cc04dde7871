//! Ordered server settings where a later value for the same name replaces the earlier one.

/// Server settings as `name = value` pairs, in the order first given.
#[derive(Debug, Clone, Default)]
pub(crate) struct Settings {
    entries: Vec<(String, Option<String>)>,
}

impl Settings {
    /// Sets `name` to `value`, replacing an earlier value. `None` removes the setting so the
    /// server's built-in default applies (e.g. no `log-bin` at all).
    pub(crate) fn set(&mut self, name: &str, value: Option<String>) {
        let name = normalise(name);
        match self.entries.iter_mut().find(|(n, _)| *n == name) {
            Some(entry) => entry.1 = value,
            None => self.entries.push((name, value)),
        }
    }

    /// Like [`Settings::set`], but keeps `name` as given: for servers whose setting names
    /// contain dashes that mean something (Quarkus: `quarkus.http.port`, `min-size`).
    pub(crate) fn set_exact(&mut self, name: &str, value: Option<String>) {
        let name = name.trim().to_owned();
        match self.entries.iter_mut().find(|(n, _)| *n == name) {
            Some(entry) => entry.1 = value,
            None => self.entries.push((name, value)),
        }
    }

    /// The settings still in force, in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries
            .iter()
            .filter_map(|(n, v)| v.as_deref().map(|v| (n.as_str(), v)))
    }
}

/// Both servers accept `a_b` and `a-b` for the same setting; store one spelling.
fn normalise(name: &str) -> String {
    name.trim().replace('-', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_value_replaces_and_none_removes() {
        let mut s = Settings::default();
        s.set("wal_level", Some("logical".into()));
        s.set("port", Some("1".into()));
        s.set("wal-level", Some("replica".into()));
        s.set("port", None);
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![("wal_level", "replica")]);
    }

    #[test]
    fn exact_names_keep_their_dashes() {
        let mut s = Settings::default();
        s.set_exact("quarkus.datasource.jdbc.min-size", Some("1".into()));
        s.set_exact("quarkus.datasource.jdbc.min-size", Some("2".into()));
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            vec![("quarkus.datasource.jdbc.min-size", "2")]
        );
    }
}
