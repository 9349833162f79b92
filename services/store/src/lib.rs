//! Storage for the engine: one implementation, two databases.
//!
//! The engine runs on a SQLite file by default and on PostgreSQL in
//! production. Both are reached through sqlx's `Any` driver with portable SQL
//! (`$n` placeholders, `on conflict`, `returning`, text ids and epoch-millisecond
//! times), so every query exists once and one behavioural test suite checks
//! both backends. Where the two differ, it is handled here, in one place:
//!
//! - the URL scheme chooses the backend (`sqlite:` or `postgres://`); any
//!   other scheme is an error;
//! - SQLite has one writer at a time: write transactions go through a pool of
//!   one connection (writers wait their turn in the pool, in order, instead of
//!   polling in SQLite's busy handler) and start with `BEGIN IMMEDIATE`, taking
//!   the write lock up front (a deferred transaction that reads and then
//!   writes can fail with `SQLITE_BUSY` instead of waiting for the lock);
//! - PostgreSQL keeps the compact traces out of line without compressing them,
//!   and plans without bitmap scans (see [`Store::connect`]).
//!
//! Callers never choose a pool: functions that read take the [`Store`] (and
//! read on its pool of readers), functions that write take a transaction from
//! [`Store::begin`], or the [`Store`] for a single statement (sent to its
//! writer).
//!
//! The busy paths work on batches: a morning rush stores, decides and credits
//! many trips per statement and per commit (see the engine's docs). SQL built
//! at run time for a batch or a list of ids goes through one helper (`sql`).
//!
//! Modules follow the data: [`ids`] (one type per kind of id), [`tenancy`]
//! (tenants, merchants), [`campaigns`] (lifecycle, versions of the rules,
//! audience, enrolments, funding), [`schools`] (schools, classes, teachers,
//! join codes), [`staff`] (the people who run a tenant) with [`audit`] (what
//! they did), [`participants`] (joining), [`sessions`] (refresh tokens of
//! both), [`trips`] (submissions and decisions) with [`lifecycle`] (a trip's
//! states and the rules on them), [`reviews`] (the review queue, reviewers'
//! decisions, appeals), [`sources`] (the systems that send readings, with
//! their API keys), [`households`] (known by a pseudonymous reference) and
//! their [`readings`], [`outbox`] (events to publish), [`ledger`]
//! (double-entry transfers and balances with their invariants) and
//! [`privacy`] (how long traces are kept, what an export reads).

/// Declares a closed set of names stored as text (a status, a category):
/// the enum with its serde names, `ALL`, `as_str` and the `TryFrom<String>`
/// that reads a row (an unknown name in the database is an error, not a default).
macro_rules! stored_names {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The stable name, as stored and serialised.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }

            /// The value of a stored or typed name.
            pub fn from_name(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|value| value.as_str() == name)
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;

            fn try_from(name: String) -> Result<Self, String> {
                Self::from_name(&name).ok_or_else(|| format!("{name:?} is not a {}", stringify!($name)))
            }
        }
    };
}

pub mod audit;
pub mod campaigns;
pub mod causes;
pub mod households;
pub mod ids;
pub mod ledger;
pub mod lifecycle;
pub mod litter;
pub mod merchants;
pub mod offers;
pub mod outbox;
pub mod participants;
pub mod privacy;
pub mod readings;
pub mod reports;
pub mod reviews;
pub mod savings;
pub mod schools;
pub mod sessions;
pub mod settlements;
pub mod simulations;
pub mod sources;
mod sql;
pub mod staff;
pub mod tenancy;
#[cfg(feature = "testing")]
pub mod testing;
pub mod trips;
pub mod vouchers;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, Executor, Transaction};

/// A transaction on either backend.
pub type Tx = Transaction<'static, Any>;

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file (WAL mode).
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// The backend a connection (or a transaction, which derefs to one) talks to.
    pub(crate) fn of(connection: &sqlx::AnyConnection) -> Self {
        if connection.backend_name() == <sqlx::Sqlite as sqlx::Database>::NAME { Self::Sqlite } else { Self::Postgres }
    }
}

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL names a scheme we do not support.
    #[error("unsupported database URL scheme in {0:?}: use sqlite:PATH or postgres://...")]
    UnsupportedScheme(String),
    /// The database reported an error.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Running the migrations failed.
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// A row that must exist does not.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A write contradicts what is stored (e.g. the same transfer id with other fields).
    #[error("conflict: {0}")]
    Conflict(String),
    /// A value stored or bound as JSON (a decision, a batch of rows) could not be written.
    #[error("could not be written as JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A ledger invariant would be broken (a wallet or a budget would go negative).
    #[error("insufficient funds in account {account}: balance {balance}, needed {needed}")]
    InsufficientFunds {
        /// The account that would go negative.
        account: String,
        /// Its balance.
        balance: i64,
        /// The amount asked for.
        needed: i64,
    },
}

impl StoreError {
    /// Whether the database could not be reached (down, restarting, out of
    /// connections) rather than refusing the request: worth retrying later,
    /// so the API answers 503 with `Retry-After` instead of 500.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Self::Database(sqlx::Error::Database(error)) => {
                // SQLSTATE class 08 (connection exception) and 57 (operator intervention:
                // the server is shutting down or not yet accepting connections).
                error.code().is_some_and(|code| code.starts_with("08") || code.starts_with("57"))
            }
            Self::Database(
                sqlx::Error::Io(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed
                | sqlx::Error::Protocol(_),
            ) => true,
            _ => false,
        }
    }
}

/// How long a statement waits for a connection before the store reports the
/// database unavailable. While PostgreSQL is down, sqlx retries connecting
/// with a back-off of up to a fifth of this: short enough that an upload gets
/// its 503 quickly, and that the first attempt after the database is back
/// comes within a second.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// The migrations under `migrations/`, embedded in the binary.
pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");

/// A connection pool to the engine's database. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    /// Reads (and, on PostgreSQL, everything).
    pool: AnyPool,
    /// Writes: on SQLite one connection, so writers queue in the pool instead of sleeping in
    /// SQLite's busy handler; on PostgreSQL the same pool as `pool`.
    writer: AnyPool,
    backend: Backend,
}

impl Store {
    /// Connects to `url` (`sqlite:PATH` or `postgres://…`). A SQLite file and
    /// its folder are created when missing.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedScheme(url.split(':').next().unwrap_or_default().to_owned()));
        };
        let (pool, writer) = match backend {
            Backend::Sqlite => {
                let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
                let path = path.split('?').next().unwrap_or(path);
                if let Some(dir) = std::path::Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
                }
                let url = if url.contains('?') { url.to_owned() } else { format!("{url}?mode=rwc") };
                let writer = sqlite_pool(&url, 1).await?;
                (sqlite_pool(&url, 8).await?, writer)
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // Every query of the engine reads a short index range. Where a table
                            // grew faster than autovacuum analyses it (a fresh database in its
                            // first busy minutes), the planner, trusting statistics of a nearly
                            // empty table, fetched every ride of an area as a bitmap and sorted it
                            // instead of walking the index for the latest few: measured 20 ms
                            // instead of 0.3 ms per decision.
                            conn.execute("set enable_bitmapscan = off").await?;
                            Ok(())
                        })
                    })
                    .connect(url)
                    .await?;
                (pool.clone(), pool)
            }
        };
        Ok(Self { pool, writer, backend })
    }

    /// Brings the schema up to date (idempotent).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.writer).await?;
        if self.backend == Backend::Postgres {
            // The compact trace hardly compresses: store it out of line without trying.
            sqlx::query("alter table trip_traces alter column trace set storage external")
                .execute(&self.writer)
                .await?;
        }
        Ok(())
    }

    /// The backend behind this store.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool for reads outside a transaction.
    pub(crate) fn reader(&self) -> &AnyPool {
        &self.pool
    }

    /// The pool for a single write statement outside a transaction (on SQLite, the one writer).
    pub(crate) fn writer(&self) -> &AnyPool {
        &self.writer
    }

    /// Starts a write transaction (see the crate docs for SQLite's single writer).
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(match self.backend {
            Backend::Sqlite => self.writer.begin_with("begin immediate").await?,
            Backend::Postgres => self.writer.begin().await?,
        })
    }

    /// Whether the database answers, for `/readyz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("select 1").execute(&self.pool).await?;
        Ok(())
    }
}

/// A pool of `size` connections to a SQLite file in WAL mode.
async fn sqlite_pool(url: &str, size: u32) -> Result<AnyPool, StoreError> {
    Ok(AnyPoolOptions::new()
        .max_connections(size)
        .after_connect(|conn, _| {
            Box::pin(async move {
                // WAL lets readers work while the writer commits; the busy timeout covers the
                // rare writer of another process (an operator command).
                conn.execute("pragma journal_mode = wal; pragma busy_timeout = 10000; pragma foreign_keys = on")
                    .await?;
                Ok(())
            })
        })
        .connect_with(AnyConnectOptions::from_str(url)?)
        .await?)
}

/// Milliseconds since the Unix epoch, the engine's time representation in storage.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A new time-ordered public id (UUIDv7).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
