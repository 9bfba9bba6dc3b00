//! Scratch Postgres databases on a loopback server, one per test or benchmark run.

use std::time::Duration;

/// `url` if it names a Postgres server on loopback that accepts a connection within a
/// second; `None` if nothing answers. Panics on a non-loopback host: tests and benchmarks
/// only talk to servers on this machine.
pub fn loopback_server(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).unwrap_or_else(|e| panic!("{url} is not a URL: {e}"));
    let host = parsed.host_str().unwrap_or("127.0.0.1").to_owned();
    assert!(
        matches!(host.as_str(), "127.0.0.1" | "localhost" | "::1" | "[::1]"),
        "tests and benchmarks only talk to loopback, not {host}"
    );
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], parsed.port().unwrap_or(5432)));
    std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1))
        .is_ok()
        .then(|| url.to_owned())
}

/// The Postgres server tests create their databases on: `REFNET_TEST_DATABASE_URL`,
/// else the local server at 127.0.0.1:5432, checked once per process. When none answers,
/// callers skip their Postgres variants (a message says so), unless
/// `REFNET_TEST_REQUIRE_PG=1` (CI) makes that a failure.
pub fn test_server() -> Option<String> {
    static CHECKED: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    CHECKED
        .get_or_init(|| {
            let url = std::env::var("REFNET_TEST_DATABASE_URL")
                .ok()
                .filter(|u| !u.is_empty())
                .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
            if let Some(up) = loopback_server(&url) {
                return Some(up);
            }
            super::skip_group(
                "Postgres variants",
                "no server answers at REFNET_TEST_DATABASE_URL (or 127.0.0.1:5432)",
                "REFNET_TEST_REQUIRE_PG",
            );
            None
        })
        .clone()
}

/// A database of its own on the server at `admin`, dropped (with its connections) when
/// this value is.
pub struct ScratchDb {
    admin: String,
    name: String,
    pub url: String,
}

impl ScratchDb {
    /// Creates `<prefix>_<ulid>` on the server at `admin`.
    pub async fn create(admin: &str, prefix: &str) -> Self {
        let name = format!("{prefix}_{}", ulid::Ulid::new().to_string().to_lowercase());
        let pool = admin_pool(admin).await.expect("connect to the local Postgres server");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&pool)
            .await
            .expect("create a scratch database");
        pool.close().await;
        let mut url = url::Url::parse(admin).expect("admin url");
        url.set_path(&name);
        Self {
            admin: admin.to_owned(),
            name,
            url: url.to_string(),
        }
    }
}

/// One connection to the server at `admin`, for creating and dropping databases.
async fn admin_pool(admin: &str) -> Result<sqlx::PgPool, sqlx::Error> {
    crate::store::pool_options().max_connections(1).connect(admin).await
}

impl Drop for ScratchDb {
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let name = self.name.clone();
        // Drop may run inside a runtime: use a thread with a runtime of its own.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            rt.block_on(async {
                if let Ok(pool) = admin_pool(&admin).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&pool)
                    .await;
                    pool.close().await;
                }
            });
        })
        .join();
    }
}
