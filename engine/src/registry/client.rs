//! A blocking client for Confluent's schema registry REST API.
//!
//! # Calls
//! - register: `POST /subjects/{subject}/versions` `{"schema":"<json>"}` → `{"id":N}`
//!   (idempotent: an already registered schema answers its existing id);
//! - look up (with `auto.register.schemas=false`): `POST /subjects/{subject}` with the same
//!   body → `{"subject","version","id","schema"}`, 404 when the subject or the schema under
//!   it is unknown;
//! - fetch by id: `GET /schemas/ids/{id}` → `{"schema":"<json>"}`;
//! - compatibility: `PUT /config/{subject}` `{"compatibility":"BACKWARD"}`.
//!
//! Requests and answers use `application/vnd.schemaregistry.v1+json`; errors have the body
//! `{"error_code":…, "message":…}`, whose message every [`RegistryError`] keeps.
//!
//! # Caching
//! Each (subject, schema text) → id and id → schema is asked once per client: the sink calls
//! this once per table schema version, and a restart re-learns ids in one call each.
//!
//! # Blocking
//! `ureq` blocks the calling thread; call from the sink's thread or `spawn_blocking`, never
//! on the async executor. Connect and whole-request timeouts bound every call.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::Deserialize;

/// How often [`SchemaRegistryClient::id_for`] retries a transient failure.
const RETRIES: u32 = 3;
/// The first retry's delay; each further retry waits one more step.
const RETRY_BACKOFF: Duration = Duration::from_millis(250);

/// The content type of every request and answer.
pub const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// The subject of a topic's keys under Confluent's default `TopicNameStrategy`.
pub fn key_subject(topic: &str) -> String {
    format!("{topic}-key")
}

/// The subject of a topic's values under Confluent's default `TopicNameStrategy`.
pub fn value_subject(topic: &str) -> String {
    format!("{topic}-value")
}

/// Credentials for HTTP basic authentication (`basic.auth.user.info=user:password`).
#[derive(Clone, PartialEq, Eq)]
pub struct BasicAuth {
    user: String,
    password: String,
}

impl fmt::Debug for BasicAuth {
    /// Leaves the password out, so configurations can be logged.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BasicAuth")
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .finish()
    }
}

impl BasicAuth {
    /// Credentials from a user name and password.
    pub fn new(user: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            user: user.into(),
            password: password.into(),
        }
    }

    /// Parses Confluent's `basic.auth.user.info` form, `user:password` (split at the first
    /// colon, so passwords may contain colons).
    pub fn from_user_info(user_info: &str) -> Result<Self, RegistryError> {
        match user_info.split_once(':') {
            Some((user, password)) if !user.is_empty() => Ok(Self::new(user, password)),
            _ => Err(RegistryError::Config {
                detail: "basic.auth.user.info must be `user:password` with a non-empty user".into(),
            }),
        }
    }

    /// The `Authorization` header value: `Basic base64(user:password)` (RFC 7617).
    pub fn header_value(&self) -> String {
        let mut out = String::from("Basic ");
        base64_into(
            format!("{}:{}", self.user, self.password).as_bytes(),
            &mut out,
        );
        out
    }
}

/// Standard base64 with padding; one header per client, so a small local encoder beats a
/// dependency.
pub(crate) fn base64_into(bytes: &[u8], out: &mut String) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
}

/// Schema registry settings (Confluent's `schema.registry.*` converter properties).
#[derive(Debug, Clone)]
pub struct RegistryConfig {
    /// `schema.registry.url`, e.g. `http://registry:8081` (plain HTTP: this build has no
    /// TLS client for the registry).
    pub url: String,
    /// `basic.auth.user.info` with `basic.auth.credentials.source=USER_INFO`.
    pub basic_auth: Option<BasicAuth>,
    /// `auto.register.schemas` (Confluent's default: true). When false, schemas must be
    /// registered beforehand and are only looked up.
    pub auto_register: bool,
    /// How long to wait for the TCP connection.
    pub connect_timeout: Duration,
    /// How long one whole request may take.
    pub request_timeout: Duration,
}

impl RegistryConfig {
    /// Settings for `url` with Confluent's defaults: auto-register on, no authentication,
    /// 10 s to connect, 30 s per request.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            basic_auth: None,
            auto_register: true,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// Why a registry call failed. Every variant says what was asked; those from the registry
/// keep its own message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// The settings are unusable.
    #[error("schema registry configuration: {detail}")]
    Config {
        /// What is wrong and how to fix it.
        detail: String,
    },
    /// The registry could not be reached or did not answer in time.
    #[error(
        "schema registry {operation} at {url} failed: {detail}; check that the registry is up and reachable"
    )]
    Transport {
        /// What was being done.
        operation: String,
        /// The request URL.
        url: String,
        /// The client's error.
        detail: String,
        /// Whether a retry can help (false for a malformed URL or a TLS-only setting).
        transient: bool,
    },
    /// The schema breaks the subject's compatibility rule (HTTP 409).
    #[error(
        "schema registry rejected the schema for subject {subject} as incompatible: {message}; make the change compatible (e.g. give new fields defaults) or change the subject's compatibility level"
    )]
    Incompatible {
        /// The subject.
        subject: String,
        /// The registry's own message.
        message: String,
    },
    /// The registry refused the schema itself (HTTP 422).
    #[error("schema registry rejected the schema for subject {subject} as invalid: {message}")]
    InvalidSchema {
        /// The subject.
        subject: String,
        /// The registry's own message.
        message: String,
    },
    /// With `auto.register.schemas=false`, the schema is not registered under the subject.
    #[error(
        "schema for subject {subject} is not registered and auto.register.schemas=false: {message}; register the schema first or enable auto.register.schemas"
    )]
    NotRegistered {
        /// The subject.
        subject: String,
        /// The registry's own message.
        message: String,
    },
    /// The registry knows no schema with this id.
    #[error("schema registry has no schema with id {id}: {message}")]
    UnknownId {
        /// The schema id.
        id: u32,
        /// The registry's own message.
        message: String,
    },
    /// The registry refused the credentials (HTTP 401/403).
    #[error(
        "schema registry refused access for {operation} (HTTP {status}): {message}; check basic.auth.user.info"
    )]
    Unauthorized {
        /// What was being done.
        operation: String,
        /// 401 or 403.
        status: u16,
        /// The registry's own message.
        message: String,
    },
    /// Any other error answer.
    #[error(
        "schema registry {operation} answered HTTP {status} (error code {error_code}): {message}"
    )]
    Http {
        /// What was being done.
        operation: String,
        /// The HTTP status.
        status: u16,
        /// The registry's `error_code` (0 when absent).
        error_code: i64,
        /// The registry's own message, or the raw body.
        message: String,
    },
    /// A success answer without the expected JSON.
    #[error("schema registry {operation} answered something unexpected: {detail}")]
    InvalidResponse {
        /// What was being done.
        operation: String,
        /// What was wrong, with the start of the body.
        detail: String,
    },
}

impl RegistryError {
    /// Whether retrying the same call can succeed: transport failures, timeouts, 5xx, 408 and
    /// 429 answers, and unexpected bodies (unknown errors count as transient).
    pub fn is_transient(&self) -> bool {
        match self {
            RegistryError::Transport { transient, .. } => *transient,
            RegistryError::Http { status, .. } => {
                *status >= 500 || *status == 408 || *status == 429
            }
            RegistryError::InvalidResponse { .. } => true,
            RegistryError::Config { .. }
            | RegistryError::Incompatible { .. }
            | RegistryError::InvalidSchema { .. }
            | RegistryError::NotRegistered { .. }
            | RegistryError::UnknownId { .. }
            | RegistryError::Unauthorized { .. } => false,
        }
    }

    /// The registry's own message, when the error came from an answer.
    pub fn registry_message(&self) -> Option<&str> {
        match self {
            RegistryError::Incompatible { message, .. }
            | RegistryError::InvalidSchema { message, .. }
            | RegistryError::NotRegistered { message, .. }
            | RegistryError::UnknownId { message, .. }
            | RegistryError::Unauthorized { message, .. }
            | RegistryError::Http { message, .. } => Some(message),
            _ => None,
        }
    }
}

#[derive(Deserialize)]
struct IdAnswer {
    id: u32,
}

#[derive(Deserialize)]
struct SchemaAnswer {
    schema: String,
}

#[derive(Deserialize)]
struct ErrorAnswer {
    #[serde(default)]
    error_code: i64,
    #[serde(default)]
    message: String,
}

/// The body of a request whose answer was not a success.
struct Failure {
    status: u16,
    error_code: i64,
    message: String,
}

/// A blocking, caching schema registry client; cheap to share behind an `Arc`.
pub struct SchemaRegistryClient {
    agent: ureq::Agent,
    base: String,
    authorization: Option<String>,
    auto_register: bool,
    /// subject → schema text → id.
    ids: Mutex<HashMap<String, HashMap<String, u32>>>,
    /// id → schema text.
    schemas: Mutex<HashMap<u32, Arc<str>>>,
}

impl fmt::Debug for SchemaRegistryClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SchemaRegistryClient")
            .field("url", &self.base)
            .field("basic_auth", &self.authorization.is_some())
            .field("auto_register", &self.auto_register)
            .finish_non_exhaustive()
    }
}

/// Percent-encodes a path segment (everything but RFC 3986 unreserved characters).
fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn truncated(text: &str) -> String {
    text.chars().take(200).collect()
}

impl SchemaRegistryClient {
    /// A client for `config`; makes no request yet.
    pub fn new(config: &RegistryConfig) -> Result<Self, RegistryError> {
        let base = config.url.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(RegistryError::Config {
                detail: format!(
                    "schema.registry.url {:?} must start with http:// or https://",
                    config.url
                ),
            });
        }
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(config.connect_timeout))
            .timeout_global(Some(config.request_timeout))
            .build()
            .into();
        Ok(Self {
            agent,
            base,
            authorization: config.basic_auth.as_ref().map(BasicAuth::header_value),
            auto_register: config.auto_register,
            ids: Mutex::new(HashMap::new()),
            schemas: Mutex::new(HashMap::new()),
        })
    }

    /// The registry's base URL.
    pub fn url(&self) -> &str {
        &self.base
    }

    /// The id of `schema` under `subject`: registered when `auto.register.schemas` is on,
    /// looked up otherwise. Cached per (subject, schema).
    pub fn id_for(&self, subject: &str, schema: &str) -> Result<u32, RegistryError> {
        if let Some(id) = self.cached_id(subject, schema) {
            return Ok(id);
        }
        // Both calls are idempotent, so a transient failure (a 5xx while the registry's
        // store is busy, a dropped connection) is retried a few times before it is reported.
        let mut attempt = 0;
        loop {
            let result = if self.auto_register {
                self.register(subject, schema)
            } else {
                self.lookup(subject, schema)
            };
            match result {
                Err(err) if err.is_transient() && attempt < RETRIES => {
                    attempt += 1;
                    std::thread::sleep(RETRY_BACKOFF * attempt);
                }
                other => return other,
            }
        }
    }

    fn cached_id(&self, subject: &str, schema: &str) -> Option<u32> {
        let ids = self.ids.lock().unwrap_or_else(PoisonError::into_inner);
        ids.get(subject).and_then(|m| m.get(schema)).copied()
    }

    fn remember(&self, subject: &str, schema: &str, id: u32) {
        self.ids
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(subject.to_owned())
            .or_default()
            .insert(schema.to_owned(), id);
        self.schemas
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(id)
            .or_insert_with(|| Arc::from(schema));
    }

    /// Registers `schema` (Avro JSON) under `subject` and returns its id.
    pub fn register(&self, subject: &str, schema: &str) -> Result<u32, RegistryError> {
        let operation = format!("registration under subject {subject}");
        let url = format!(
            "{}/subjects/{}/versions",
            self.base,
            encode_segment(subject)
        );
        let body = serde_json::json!({ "schema": schema }).to_string();
        let answer = self.call("POST", &url, Some(&body), &operation)?;
        let id = match answer {
            Ok(text) => parse::<IdAnswer>(&text, &operation)?.id,
            Err(f) => return Err(self.classify(f, subject, &operation)),
        };
        self.remember(subject, schema, id);
        Ok(id)
    }

    /// Looks up the id of `schema` already registered under `subject`.
    pub fn lookup(&self, subject: &str, schema: &str) -> Result<u32, RegistryError> {
        let operation = format!("lookup under subject {subject}");
        let url = format!("{}/subjects/{}", self.base, encode_segment(subject));
        let body = serde_json::json!({ "schema": schema }).to_string();
        let answer = self.call("POST", &url, Some(&body), &operation)?;
        let id = match answer {
            Ok(text) => parse::<IdAnswer>(&text, &operation)?.id,
            Err(f) if f.status == 404 => {
                return Err(RegistryError::NotRegistered {
                    subject: subject.to_owned(),
                    message: f.message,
                });
            }
            Err(f) => return Err(self.classify(f, subject, &operation)),
        };
        self.remember(subject, schema, id);
        Ok(id)
    }

    /// The schema text registered with `id` (cached).
    pub fn schema_by_id(&self, id: u32) -> Result<Arc<str>, RegistryError> {
        if let Some(s) = self
            .schemas
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
        {
            return Ok(Arc::clone(s));
        }
        let operation = format!("fetch of schema id {id}");
        let url = format!("{}/schemas/ids/{id}", self.base);
        let schema: Arc<str> = match self.call("GET", &url, None, &operation)? {
            Ok(text) => parse::<SchemaAnswer>(&text, &operation)?.schema.into(),
            Err(f) if f.status == 404 => {
                return Err(RegistryError::UnknownId {
                    id,
                    message: f.message,
                });
            }
            Err(f) => return Err(self.classify(f, "", &operation)),
        };
        self.schemas
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, Arc::clone(&schema));
        Ok(schema)
    }

    /// Sets `subject`'s compatibility level (`BACKWARD`, `FORWARD`, `FULL`, `NONE`, …).
    pub fn set_compatibility(&self, subject: &str, level: &str) -> Result<(), RegistryError> {
        let operation = format!("compatibility update of subject {subject}");
        let url = format!("{}/config/{}", self.base, encode_segment(subject));
        let body = serde_json::json!({ "compatibility": level }).to_string();
        match self.call("PUT", &url, Some(&body), &operation)? {
            Ok(_) => Ok(()),
            Err(f) => Err(self.classify(f, subject, &operation)),
        }
    }

    /// Maps an error answer to its variant.
    fn classify(&self, f: Failure, subject: &str, operation: &str) -> RegistryError {
        match f.status {
            409 => RegistryError::Incompatible {
                subject: subject.to_owned(),
                message: f.message,
            },
            422 => RegistryError::InvalidSchema {
                subject: subject.to_owned(),
                message: f.message,
            },
            401 | 403 => RegistryError::Unauthorized {
                operation: operation.to_owned(),
                status: f.status,
                message: f.message,
            },
            status => RegistryError::Http {
                operation: operation.to_owned(),
                status,
                error_code: f.error_code,
                message: f.message,
            },
        }
    }

    /// One request: `Ok(Ok(body))` on 2xx, `Ok(Err(failure))` on an error answer, `Err` when
    /// no answer came.
    fn call(
        &self,
        method: &str,
        url: &str,
        body: Option<&str>,
        operation: &str,
    ) -> Result<Result<String, Failure>, RegistryError> {
        let transport = |err: ureq::Error| {
            // A malformed URL or an https URL without a TLS client will not heal by itself.
            let transient = !matches!(
                err,
                ureq::Error::BadUri(_)
                    | ureq::Error::Http(_)
                    | ureq::Error::RequireHttpsOnly(_)
                    | ureq::Error::TlsRequired
                    | ureq::Error::InvalidProxyUrl
            );
            RegistryError::Transport {
                operation: operation.to_owned(),
                url: url.to_owned(),
                detail: err.to_string(),
                transient,
            }
        };
        let auth = self.authorization.as_deref();
        let result = match (method, body) {
            ("GET", _) => {
                let mut req = self.agent.get(url).header("Accept", CONTENT_TYPE);
                if let Some(a) = auth {
                    req = req.header("Authorization", a);
                }
                req.call()
            }
            (_, body) => {
                let mut req = if method == "PUT" {
                    self.agent.put(url)
                } else {
                    self.agent.post(url)
                };
                req = req
                    .header("Content-Type", CONTENT_TYPE)
                    .header("Accept", CONTENT_TYPE);
                if let Some(a) = auth {
                    req = req.header("Authorization", a);
                }
                req.send(body.unwrap_or(""))
            }
        };
        let mut response = result.map_err(transport)?;
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().map_err(transport)?;
        if (200..300).contains(&status) {
            return Ok(Ok(text));
        }
        let failure = match serde_json::from_str::<ErrorAnswer>(&text) {
            Ok(e) if !e.message.is_empty() => Failure {
                status,
                error_code: e.error_code,
                message: e.message,
            },
            Ok(e) => Failure {
                status,
                error_code: e.error_code,
                message: truncated(&text),
            },
            Err(_) => Failure {
                status,
                error_code: 0,
                message: truncated(&text),
            },
        };
        Ok(Err(failure))
    }
}

fn parse<T: serde::de::DeserializeOwned>(text: &str, operation: &str) -> Result<T, RegistryError> {
    serde_json::from_str(text).map_err(|err| RegistryError::InvalidResponse {
        operation: operation.to_owned(),
        detail: format!("{err} in {:?}", truncated(text)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_header_is_rfc7617() {
        // RFC 7617 section 2's example: Aladdin / open sesame.
        let auth = BasicAuth::new("Aladdin", "open sesame");
        assert_eq!(auth.header_value(), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        let auth = BasicAuth::from_user_info("user:pa:ss").unwrap();
        assert_eq!(auth, BasicAuth::new("user", "pa:ss"));
        assert_eq!(BasicAuth::new("a", "").header_value(), "Basic YTo=");
        assert_eq!(BasicAuth::new("ab", "").header_value(), "Basic YWI6");
        assert!(BasicAuth::from_user_info("nocolon").is_err());
        assert!(BasicAuth::from_user_info(":x").is_err());
        assert!(!format!("{auth:?}").contains("pa:ss"));
    }

    #[test]
    fn subjects_follow_topic_name_strategy() {
        assert_eq!(key_subject("db.public.t"), "db.public.t-key");
        assert_eq!(value_subject("db.public.t"), "db.public.t-value");
        assert_eq!(encode_segment("a.b-c_d"), "a.b-c_d");
        assert_eq!(encode_segment("a/b c"), "a%2Fb%20c");
    }

    #[test]
    fn transient_classification() {
        let http = |status| RegistryError::Http {
            operation: "x".into(),
            status,
            error_code: 0,
            message: String::new(),
        };
        assert!(http(503).is_transient());
        assert!(http(429).is_transient());
        assert!(!http(400).is_transient());
        let incompatible = RegistryError::Incompatible {
            subject: "t-value".into(),
            message: "Incompatible schema".into(),
        };
        assert!(!incompatible.is_transient());
        assert_eq!(incompatible.registry_message(), Some("Incompatible schema"));
        assert!(
            SchemaRegistryClient::new(&RegistryConfig::new("ftp://x")).is_err(),
            "non-http URL"
        );
    }

    #[test]
    fn unreachable_registry_is_a_transient_error() {
        // Port 9 (discard) on loopback is closed on test machines: the connection is refused.
        let mut config = RegistryConfig::new("http://127.0.0.1:9");
        config.connect_timeout = Duration::from_secs(2);
        config.request_timeout = Duration::from_secs(2);
        let client = SchemaRegistryClient::new(&config).unwrap();
        let err = client.register("t-value", "\"int\"").unwrap_err();
        assert!(err.is_transient(), "{err}");
        assert!(
            err.to_string()
                .contains("registration under subject t-value"),
            "{err}"
        );
    }
}
