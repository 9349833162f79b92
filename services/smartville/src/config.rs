//! Configuration from environment variables (12-factor); see `.env.example`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use axum::http::HeaderName;
use smartville_mobile_api::ApiSettings;
use smartville_mobile_api::limits::{LimitSettings, Rate};

use crate::http::HttpLimits;
use crate::mqtt_bridge::MqttSettings;

/// Everything a process needs to know, read once at start.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the embedded default keeps its database and signing key.
    pub data_dir: PathBuf,
    /// Where pictures are kept: every process serving the API must see the same folder.
    pub files_dir: PathBuf,
    /// `sqlite:…` or `postgres://…`.
    pub database_url: String,
    /// Redis Streams for the bus; in-process when absent.
    pub redis_url: Option<String>,
    /// Prefix of the bus topics, so deployments can share a Redis.
    pub bus_namespace: String,
    /// How long a message may stay unacknowledged at a consumer before another takes it over.
    pub bus_reclaim_idle: Duration,
    /// Address of the HTTP listener (API and operations endpoints).
    pub listen: SocketAddr,
    /// The token signing key (PKCS#8 PEM); generated in the data folder when absent.
    pub signing_key_pem: Option<String>,
    /// API limits and token lifetimes.
    pub api: ApiSettings,
    /// Time limits of connections and requests.
    pub http: HttpLimits,
    /// Consumers per worker component in this process.
    pub workers: usize,
    /// Seed the demo town into an empty database.
    pub seed_demo: bool,
    /// `json` (production) or `text` logs.
    pub log_json: bool,
    /// The MQTT broker the bridge takes readings from.
    pub mqtt: MqttSettings,
}

impl Config {
    /// Reads the configuration from the environment.
    pub fn from_env() -> Result<Self> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let data_dir = PathBuf::from(var("SMARTVILLE_DATA_DIR").unwrap_or_else(|| "data".into()));
        let database_url =
            var("DATABASE_URL").unwrap_or_else(|| format!("sqlite://{}", data_dir.join("smartville.db").display()));
        let number = |name: &str, default: u64| -> Result<u64> {
            var(name)
                .map_or(Ok(default), |v| v.parse().with_context(|| format!("{name} must be a whole number, not {v:?}")))
        };
        let rate = |name: &str, default: Rate| -> Result<Rate> {
            var(name).map_or(Ok(default), |v| v.parse().map_err(|e: String| anyhow::anyhow!("{name}: {e}")))
        };
        let defaults = LimitSettings::default();
        let limits = LimitSettings {
            joins_per_address: rate("SMARTVILLE_LIMIT_JOINS_PER_ADDRESS", defaults.joins_per_address)?,
            joins_per_code: rate("SMARTVILLE_LIMIT_JOINS_PER_CODE", defaults.joins_per_code)?,
            wrong_codes_per_address: rate(
                "SMARTVILLE_LIMIT_WRONG_CODES_PER_ADDRESS",
                defaults.wrong_codes_per_address,
            )?,
            refreshes_per_session: rate("SMARTVILLE_LIMIT_REFRESHES_PER_SESSION", defaults.refreshes_per_session)?,
            uploads_per_participant: rate(
                "SMARTVILLE_LIMIT_UPLOADS_PER_PARTICIPANT",
                defaults.uploads_per_participant,
            )?,
            logins_per_account: rate("SMARTVILLE_LIMIT_LOGINS_PER_ACCOUNT", defaults.logins_per_account)?,
            logins_per_address: rate("SMARTVILLE_LIMIT_LOGINS_PER_ADDRESS", defaults.logins_per_address)?,
            wrong_code_penalty: Duration::from_secs(number(
                "SMARTVILLE_LIMIT_WRONG_CODE_PENALTY_S",
                defaults.wrong_code_penalty.as_secs(),
            )?),
        };
        let client_address_header = var("SMARTVILLE_CLIENT_ADDRESS_HEADER")
            .map(|name| name.parse::<HeaderName>())
            .transpose()
            .context("SMARTVILLE_CLIENT_ADDRESS_HEADER must be a header name such as x-forwarded-for")?;
        let api = ApiSettings {
            max_body_bytes: usize::try_from(number("SMARTVILLE_MAX_BODY_BYTES", 2 * 1024 * 1024)?)?,
            access_token_ttl: Duration::from_secs(number("SMARTVILLE_ACCESS_TOKEN_TTL_S", 15 * 60)?),
            refresh_token_ttl: Duration::from_secs(number("SMARTVILLE_REFRESH_TOKEN_TTL_S", 30 * 24 * 3600)?),
            limits,
            client_address_header,
            ..ApiSettings::default()
        };
        let log_json = match var("SMARTVILLE_LOG_FORMAT").as_deref() {
            None | Some("json") => true,
            Some("text") => false,
            Some(other) => bail!("SMARTVILLE_LOG_FORMAT must be json or text, not {other:?}"),
        };
        let signing_key_pem = match (var("SMARTVILLE_SIGNING_KEY"), var("SMARTVILLE_SIGNING_KEY_FILE")) {
            (Some(pem), _) => Some(pem),
            (None, Some(path)) => Some(std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?),
            (None, None) => None,
        };
        Ok(Self {
            listen: var("SMARTVILLE_LISTEN")
                .unwrap_or_else(|| "127.0.0.1:8080".into())
                .parse()
                .context("SMARTVILLE_LISTEN must be an address such as 127.0.0.1:8080")?,
            redis_url: var("REDIS_URL"),
            bus_namespace: var("SMARTVILLE_BUS_NAMESPACE").unwrap_or_default(),
            bus_reclaim_idle: Duration::from_millis(number("SMARTVILLE_BUS_RECLAIM_IDLE_MS", 30_000)?),
            signing_key_pem,
            http: HttpLimits {
                request_timeout: Duration::from_secs(number("SMARTVILLE_REQUEST_TIMEOUT_S", 30)?),
                header_read_timeout: Duration::from_secs(number("SMARTVILLE_HEADER_READ_TIMEOUT_S", 10)?),
                body_idle_timeout: Duration::from_secs(number("SMARTVILLE_BODY_IDLE_TIMEOUT_S", 10)?),
            },
            workers: usize::try_from(number("SMARTVILLE_WORKERS", 16)?)?.max(1),
            seed_demo: var("SMARTVILLE_SEED_DEMO").is_none_or(|v| v != "false" && v != "0"),
            files_dir: var("SMARTVILLE_FILES_DIR").map_or_else(|| data_dir.join("files"), PathBuf::from),
            data_dir,
            database_url,
            api,
            log_json,
            mqtt: MqttSettings {
                url: var("SMARTVILLE_MQTT_URL").unwrap_or_else(|| "mqtt://127.0.0.1:1883".into()),
                client_id: var("SMARTVILLE_MQTT_CLIENT_ID").unwrap_or_else(|| "smartville-mqtt-bridge".into()),
            },
        })
    }
}
