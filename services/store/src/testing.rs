//! Fresh databases for tests, on both backends (enabled by the `testing` feature).
//!
//! Every test gets its own database — a SQLite file in a temporary folder, or
//! a new PostgreSQL database on the server named by `TEST_POSTGRES_URL`
//! (default `postgres://postgres@127.0.0.1:5432/postgres`) — so tests run in
//! parallel without seeing each other, and the database is dropped afterwards.

use crate::Store;

/// A database that exists for the lifetime of this value.
pub struct TestDatabase {
    /// URL to connect to it.
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Folder(std::path::PathBuf),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    /// A SQLite file in a new temporary folder.
    pub fn sqlite() -> Self {
        let folder = std::env::temp_dir().join(format!("smartville-test-{}", uuid::Uuid::now_v7().simple()));
        let url = format!("sqlite://{}", folder.join("engine.db").display());
        Self { url, cleanup: Cleanup::Folder(folder) }
    }

    /// A new database on the test PostgreSQL server.
    ///
    /// # Panics
    /// When the server cannot be reached: the test cannot run without it.
    pub async fn postgres() -> Self {
        let admin_url = std::env::var("TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        let name = format!("smartville_test_{}", uuid::Uuid::now_v7().simple());
        let admin = Store::connect(&admin_url).await.expect("the test PostgreSQL server must be running");
        sqlx::query(sqlx::AssertSqlSafe(format!("create database {name}")))
            .execute(admin.reader())
            .await
            .expect("create test database");
        admin.reader().close().await;
        let base = admin_url.rsplit_once('/').map_or(admin_url.as_str(), |(base, _)| base);
        Self { url: format!("{base}/{name}"), cleanup: Cleanup::Postgres { admin_url, name } }
    }

    /// A migrated store on this database.
    ///
    /// # Panics
    /// When connecting or migrating fails.
    pub async fn store(&self) -> Store {
        let store = Store::connect(&self.url).await.expect("connect to test database");
        store.migrate().await.expect("migrate test database");
        store
    }

    /// A store on this database migrated up to and including `version` only,
    /// for testing what a later migration does to existing data.
    ///
    /// # Panics
    /// When connecting or migrating fails.
    pub async fn store_at_version(&self, version: i64) -> Store {
        let store = Store::connect(&self.url).await.expect("connect to test database");
        crate::MIGRATOR.run_to(version, store.writer()).await.expect("migrate test database");
        store
    }
}

impl Store {
    /// The pool of readers behind this store, for a test that sets up or
    /// inspects rows with its own SQL.
    pub fn pool_for_tests(&self) -> &sqlx::AnyPool {
        self.reader()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Folder(folder) => {
                let _ = std::fs::remove_dir_all(folder);
            }
            Cleanup::Postgres { admin_url, name } => {
                // Drop runs outside async code, possibly inside a runtime: use a thread with its own.
                let (admin_url, name) = (admin_url.clone(), name.clone());
                let _ = std::thread::spawn(move || {
                    let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                        return;
                    };
                    runtime.block_on(async {
                        if let Ok(admin) = Store::connect(&admin_url).await {
                            let drop = format!("drop database if exists {name} with (force)");
                            let _ = sqlx::query(sqlx::AssertSqlSafe(drop)).execute(admin.reader()).await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// Defines each listed `async fn(TestDatabase)` as a test on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! test_on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name($crate::testing::TestDatabase::sqlite()).await
            })*
        }
        mod on_postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name($crate::testing::TestDatabase::postgres().await).await
            })*
        }
    };
}
