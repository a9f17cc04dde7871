//! Reading a connector configuration into a flat property map: Java `.properties` files,
//! Kafka Connect's JSON body (`{"name": …, "config": {…}}`) or a flat JSON object, and
//! Connect's config-provider indirections `${env:VAR}` and `${file:path:key}`.
//!
//! # Why a flat map first
//! Every format ends up as Connect's `Map<String, String>`, so one typed parser
//! ([`super::ConnectorConfig::from_properties`]) validates them all the same way, and a
//! REST body, a file and a test fixture can never disagree on what a key means.

use std::collections::BTreeMap;
use std::path::Path;

use super::ConfigError;

/// A connector's properties, ordered so listings and errors are stable.
pub type Properties = BTreeMap<String, String>;

/// Reads a configuration file: TOML (`.toml`), YAML (`.yaml`, `.yml`), JSON when it starts
/// with `{`, Java properties otherwise. Indirections are resolved.
pub fn load_file(path: &Path) -> Result<Properties, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
        path: path.display().to_string(),
        detail: e.to_string(),
    })?;
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let structured = match extension.as_deref() {
        Some("toml") => Some(parse_toml(&text)),
        Some("yaml" | "yml") => Some(parse_yaml(&text)),
        _ => None,
    };
    let properties = if let Some(parsed) = structured {
        parsed.map_err(|detail| ConfigError::File {
            path: path.display().to_string(),
            detail,
        })?
    } else if text.trim_start().starts_with('{') {
        parse_json(&text).map_err(|detail| ConfigError::File {
            path: path.display().to_string(),
            detail,
        })?
    } else {
        parse_properties(&text)
    };
    resolve_indirections(properties)
}

/// Parses Connect's REST body `{"name": "...", "config": {...}}` (the name is copied into
/// `name` unless the config has one) or a flat object. Numbers and booleans become their
/// text, as Connect's REST layer does; nested objects and arrays are refused.
pub fn parse_json(text: &str) -> Result<Properties, String> {
    let root: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let serde_json::Value::Object(mut root) = root else {
        return Err("expected a JSON object".to_owned());
    };
    let (name, object) = match root.remove("config") {
        Some(serde_json::Value::Object(config)) => (root.remove("name"), config),
        Some(_) => return Err("\"config\" must be an object".to_owned()),
        None => (None, root),
    };
    let mut properties = Properties::new();
    for (key, value) in object {
        let text = match value {
            serde_json::Value::String(s) => s,
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            serde_json::Value::Null => continue,
            _ => {
                return Err(format!(
                    "property '{key}' must be a string, number or boolean"
                ));
            }
        };
        properties.insert(key, text);
    }
    if let Some(serde_json::Value::String(name)) = name {
        properties.entry("name".to_owned()).or_insert(name);
    }
    Ok(properties)
}

/// Parses TOML: a flat table of properties, or `name = …` with a `[config]` table (Connect's
/// body). Dotted keys (`database.hostname = "db"`) are TOML tables and are joined back into
/// property names; arrays become comma-separated lists.
pub fn parse_toml(text: &str) -> Result<Properties, String> {
    let value: serde_json::Value =
        toml::from_str(text).map_err(|e| format!("not valid TOML: {e}"))?;
    parse_structured(value)
}

/// Parses YAML, with the same shapes as [`parse_toml`] (nested maps are joined with `.`).
pub fn parse_yaml(text: &str) -> Result<Properties, String> {
    let value: serde_json::Value =
        serde_yaml_ng::from_str(text).map_err(|e| format!("not valid YAML: {e}"))?;
    parse_structured(value)
}

/// A TOML or YAML document as properties: `config` holds them when present (with `name`
/// beside it), nested maps are flattened with `.`, lists joined with `,`.
fn parse_structured(root: serde_json::Value) -> Result<Properties, String> {
    let serde_json::Value::Object(mut root) = root else {
        return Err("expected a table/map of properties at the top".to_owned());
    };
    let (name, object) = match root.remove("config") {
        Some(serde_json::Value::Object(config)) => (root.remove("name"), config),
        Some(_) => return Err("\"config\" must be a table/map".to_owned()),
        None => (None, root),
    };
    let mut properties = Properties::new();
    for (key, value) in object {
        flatten(&key, value, &mut properties)?;
    }
    if let Some(serde_json::Value::String(name)) = name {
        properties.entry("name".to_owned()).or_insert(name);
    }
    Ok(properties)
}

fn flatten(key: &str, value: serde_json::Value, out: &mut Properties) -> Result<(), String> {
    use serde_json::Value;
    let scalar = |value: &Value| -> Option<String> {
        match value {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    };
    match value {
        Value::Null => {}
        Value::Object(map) => {
            for (sub, value) in map {
                flatten(&format!("{key}.{sub}"), value, out)?;
            }
        }
        Value::Array(items) => {
            let texts: Option<Vec<String>> = items.iter().map(scalar).collect();
            let texts = texts.ok_or_else(|| {
                format!("property '{key}': a list may hold only strings, numbers and booleans")
            })?;
            out.insert(key.to_owned(), texts.join(","));
        }
        other => {
            if let Some(text) = scalar(&other) {
                out.insert(key.to_owned(), text);
            }
        }
    }
    Ok(())
}

/// Parses Java `.properties` text: `key=value`, `key: value` or `key value`; `#` and `!`
/// comments; a trailing backslash continues the line; `\t`, `\n`, `\r`, `\f`, `\uXXXX` and
/// escaped separators. Later keys override earlier ones, as `java.util.Properties` does.
pub fn parse_properties(text: &str) -> Properties {
    let mut properties = Properties::new();
    let mut logical = String::new();
    for raw in text.lines() {
        let line = raw.trim_start();
        if logical.is_empty() && (line.is_empty() || line.starts_with('#') || line.starts_with('!'))
        {
            continue;
        }
        if ends_with_odd_backslashes(line) {
            logical.push_str(&line[..line.len() - 1]);
            continue;
        }
        logical.push_str(line);
        let (key, value) = split_entry(&logical);
        properties.insert(unescape(key), unescape(value));
        logical.clear();
    }
    if !logical.is_empty() {
        let (key, value) = split_entry(&logical);
        properties.insert(unescape(key), unescape(value));
    }
    properties
}

fn ends_with_odd_backslashes(line: &str) -> bool {
    line.bytes().rev().take_while(|&b| b == b'\\').count() % 2 == 1
}

/// Splits at the first unescaped `=`, `:` or whitespace; the value has its leading
/// whitespace (and one separator) removed.
fn split_entry(line: &str) -> (&str, &str) {
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '=' | ':' | ' ' | '\t' | '\u{c}' => {
                let key = &line[..i];
                let rest = line[i..].trim_start_matches([' ', '\t', '\u{c}']);
                let rest = match rest.chars().next() {
                    Some('=' | ':') if c.is_whitespace() => rest[1..].trim_start(),
                    _ if !c.is_whitespace() => rest[c.len_utf8()..].trim_start(),
                    _ => rest,
                };
                return (key, rest);
            }
            _ => {}
        }
    }
    (line, "")
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(decoded) => out.push(decoded),
                    None => {
                        out.push_str("\\u");
                        out.push_str(&hex);
                    }
                }
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// Replaces `${env:VAR}` with the environment variable and `${file:/path:key}` with `key`
/// from that properties file, as Kafka Connect's `EnvVarConfigProvider` and
/// `FileConfigProvider` do. A missing variable, file or key is an error naming the
/// property, so a secret never silently becomes an empty string.
pub fn resolve_indirections(mut properties: Properties) -> Result<Properties, ConfigError> {
    let mut files: BTreeMap<String, Properties> = BTreeMap::new();
    for (key, value) in properties.iter_mut() {
        if !value.contains("${") {
            continue;
        }
        let mut resolved = String::with_capacity(value.len());
        let mut rest = value.as_str();
        while let Some(start) = rest.find("${") {
            resolved.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                return Err(bad_indirection(key, value, "unterminated '${'"));
            };
            let reference = &after[..end];
            resolved.push_str(&lookup(key, value, reference, &mut files)?);
            rest = &after[end + 1..];
        }
        resolved.push_str(rest);
        *value = resolved;
    }
    Ok(properties)
}

fn lookup(
    key: &str,
    value: &str,
    reference: &str,
    files: &mut BTreeMap<String, Properties>,
) -> Result<String, ConfigError> {
    if let Some(var) = reference.strip_prefix("env:") {
        return std::env::var(var).map_err(|_| {
            bad_indirection(
                key,
                value,
                &format!("environment variable '{var}' is not set"),
            )
        });
    }
    if let Some(spec) = reference.strip_prefix("file:") {
        let Some((path, wanted)) = spec.rsplit_once(':') else {
            return Err(bad_indirection(key, value, "expected ${file:<path>:<key>}"));
        };
        if !files.contains_key(path) {
            let text = std::fs::read_to_string(path)
                .map_err(|e| bad_indirection(key, value, &format!("cannot read '{path}': {e}")))?;
            files.insert(path.to_owned(), parse_properties(&text));
        }
        return files
            .get(path)
            .and_then(|f| f.get(wanted))
            .cloned()
            .ok_or_else(|| {
                bad_indirection(key, value, &format!("'{path}' has no key '{wanted}'"))
            });
    }
    Err(bad_indirection(
        key,
        value,
        "unknown config provider (supported: env, file)",
    ))
}

fn bad_indirection(key: &str, value: &str, detail: &str) -> ConfigError {
    // The value may hold the reference only, never the secret it points to: safe to show.
    ConfigError::Indirection {
        key: key.to_owned(),
        reference: value.to_owned(),
        detail: detail.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_and_yaml_give_the_same_properties_as_a_properties_file() {
        let expected = parse_properties(
            "name=inventory-connector\n\
             connector.class=io.debezium.connector.postgresql.PostgresConnector\n\
             database.hostname=db\ndatabase.port=5432\n\
             table.include.list=inventory.customers,inventory.orders\n\
             tombstones.on.delete=false\n",
        );
        let toml = parse_toml(
            r#"
name = "inventory-connector"
[config]
"connector.class" = "io.debezium.connector.postgresql.PostgresConnector"
database.hostname = "db"
database.port = 5432
"table.include.list" = ["inventory.customers", "inventory.orders"]
"tombstones.on.delete" = false
"#,
        )
        .unwrap();
        assert_eq!(toml, expected);
        let yaml = parse_yaml(
            "connector.class: io.debezium.connector.postgresql.PostgresConnector\n\
             name: inventory-connector\n\
             database:\n  hostname: db\n  port: 5432\n\
             table.include.list: [inventory.customers, inventory.orders]\n\
             tombstones.on.delete: false\n",
        )
        .unwrap();
        assert_eq!(yaml, expected);
        assert!(parse_yaml("- a\n- b\n").unwrap_err().contains("top"));
        assert!(parse_toml("x = [{a = 1}]").unwrap_err().contains("'x'"));
        assert!(parse_toml("x = ").unwrap_err().contains("TOML"));
    }

    #[test]
    fn java_properties_syntax() {
        let text = "# comment\n! also\n a=1\nb : two words \nc three\nd=multi\\\n    line\ne\\=x=y\nf=\\u00e9\\t!\n";
        let p = parse_properties(text);
        assert_eq!(p["a"], "1");
        assert_eq!(p["b"], "two words ");
        assert_eq!(p["c"], "three");
        assert_eq!(p["d"], "multiline");
        assert_eq!(p["e=x"], "y");
        assert_eq!(p["f"], "é\t!");
    }

    #[test]
    fn connect_rest_body_and_flat_json() {
        let p = parse_json(r#"{"name":"inv","config":{"database.port":5432,"x":true,"n":null}}"#)
            .unwrap();
        assert_eq!(p["name"], "inv");
        assert_eq!(p["database.port"], "5432");
        assert_eq!(p["x"], "true");
        assert!(!p.contains_key("n"));
        assert!(parse_json(r#"{"a":{"b":1}}"#).unwrap_err().contains("'a'"));
    }

    #[test]
    fn indirections_resolve_or_name_the_property() {
        let dir = std::env::temp_dir().join(format!("tributary-props-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("secrets.properties");
        std::fs::write(&file, "db.password=s3cret\n").unwrap();
        let mut p = Properties::new();
        p.insert(
            "database.password".into(),
            format!("${{file:{}:db.password}}", file.display()),
        );
        p.insert("home".into(), "${env:PATH}/x".into());
        let resolved = resolve_indirections(p).unwrap();
        assert_eq!(resolved["database.password"], "s3cret");
        assert!(resolved["home"].ends_with("/x") && resolved["home"].len() > 2);

        let mut p = Properties::new();
        p.insert(
            "database.user".into(),
            "${env:TRIBUTARY_SURELY_UNSET_VAR}".into(),
        );
        let err = resolve_indirections(p).unwrap_err().to_string();
        assert!(
            err.contains("database.user") && err.contains("TRIBUTARY_SURELY_UNSET_VAR"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
