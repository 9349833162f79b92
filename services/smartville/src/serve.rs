//! `smartville serve`: one binary, many targets (the Grafana Loki model).
//!
//! `--target all` (the default) runs every component in one process;
//! `--target mobile-api,relay` or `--target scoring` run some of them, so
//! each can be scaled on its own. The same code paths run either way: the
//! components only meet through the database and the bus.

use std::sync::Arc;

use anyhow::{Context, Result};
use axum::Router;
use axum::routing::get;
use smartville_auth::Signer;
use smartville_bus::{Bus, BusConfig};
use smartville_engine::files::DiskFiles;
use smartville_engine::ingest::Ingest;
use smartville_engine::{
    Engine, EngineError, Shutdown, budget, demo, ledger, relay, reports, retention, savings, scoring, vouchers,
};
use smartville_mobile_api::ApiState;
use smartville_mobile_api::limits::Limiter;
use smartville_mobile_api::settled::SettledWatch;
use smartville_store::{Store, StoreError};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::component::Component;
use crate::config::Config;
use crate::http;
use crate::mqtt_bridge;
use crate::ops::{self, Readiness};

/// Connects to the database (migrating it) and the bus.
pub async fn connect(config: &Config) -> Result<Engine> {
    let store = Store::connect(&config.database_url)
        .await
        .with_context(|| format!("connecting to {}", redact(&config.database_url)))?;
    store.migrate().await.context("migrating the database")?;
    let bus_config = BusConfig { reclaim_idle: config.bus_reclaim_idle, ..BusConfig::default() };
    let bus = Bus::connect(config.redis_url.as_deref(), bus_config).await.context("connecting to the bus")?;
    Ok(Engine::new(store, bus, &config.bus_namespace))
}

/// A URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}://…@{}", &url[..scheme], &url[at + 1..]),
        _ => url.to_owned(),
    }
}

/// A running process: its HTTP listener and its component tasks.
pub struct Application {
    listener: TcpListener,
    router: Router,
    limits: http::HttpLimits,
    tasks: JoinSet<()>,
    stop: watch::Sender<bool>,
    shutdown: Shutdown,
    /// The engine (tests use it to look inside).
    pub engine: Engine,
}

impl Application {
    /// Builds the process for `targets` on an already-bound listener (port 0 in tests).
    pub async fn build(config: &Config, targets: &[Component], listener: TcpListener) -> Result<Self> {
        ops::metrics_handle(); // install the recorder before anything records
        let engine = connect(config).await?;
        // The process that serves the app seeds the demo town; when several
        // start together, the one that loses the race finds it seeded.
        if config.seed_demo && targets.contains(&Component::MobileApi) {
            match demo::seed_if_empty(&engine).await {
                Ok(Some(town)) => {
                    tracing::info!(join_code = %town.join_code, tenant = %town.tenant_id, "seeded the demo town")
                }
                Ok(None) => {}
                Err(EngineError::Store(StoreError::Conflict(_))) => {
                    tracing::info!("the demo town was seeded by another process")
                }
                Err(error) => return Err(error.into()),
            }
        }
        let (stop, shutdown) = Shutdown::new();
        let readiness = Readiness { engine: engine.clone(), components: targets.to_vec() };
        let mut router = Router::new()
            .route("/healthz", get(ops::healthz))
            .route("/readyz", get(ops::readyz).with_state(readiness))
            .route("/metrics", get(ops::metrics));
        let mut tasks = JoinSet::new();
        for &component in targets {
            match component {
                Component::MobileApi => {
                    let signer = match &config.signing_key_pem {
                        Some(pem) => Signer::from_private_pem(pem)?,
                        None => Signer::load_or_create(&config.data_dir.join("signing-key.pem"))?,
                    };
                    let limits = config.api.limits.clone();
                    let limiter = match &config.redis_url {
                        Some(url) => Limiter::in_redis(limits, url, &config.bus_namespace)
                            .await
                            .context("connecting to Redis for the rate limits")?,
                        None => Limiter::in_memory(limits),
                    };
                    let limiter = Arc::new(limiter);
                    tasks.spawn(forget_idle_buckets(limiter.clone(), shutdown.clone()));
                    let state = ApiState {
                        engine: engine.clone(),
                        ingest: Ingest::start(&engine),
                        verifier: Arc::new(signer.verifier(config.api.access_token_ttl)?),
                        signer: Arc::new(signer),
                        settings: Arc::new(config.api.clone()),
                        settled: SettledWatch::start(engine.store.clone()),
                        limiter,
                        files: Arc::new(DiskFiles::new(&config.files_dir)),
                    };
                    router = router.merge(smartville_mobile_api::router(state));
                }
                Component::Relay => {
                    spawn(&mut tasks, "relay", relay::run(engine.clone(), shutdown.clone()));
                    spawn(&mut tasks, "retention", retention::run(engine.clone(), shutdown.clone()));
                    spawn(&mut tasks, "voucher expiry", vouchers::run_expiry(engine.clone(), shutdown.clone()));
                    spawn(&mut tasks, "budget forecasts", budget::run(engine.clone(), shutdown.clone()));
                    let engine = engine.clone();
                    spawn(&mut tasks, "reports", async move { reports::count_earlier_rides(&engine).await.map(drop) });
                }
                Component::Scoring => {
                    for i in 0..config.workers {
                        let name = format!("scoring-{}-{i}", std::process::id());
                        spawn(&mut tasks, "scoring", scoring::run(engine.clone(), name, shutdown.clone()));
                    }
                    spawn(&mut tasks, "savings closes", savings::run(engine.clone(), shutdown.clone()));
                }
                Component::Ledger => {
                    for i in 0..config.workers {
                        let name = format!("ledger-{}-{i}", std::process::id());
                        spawn(&mut tasks, "ledger", ledger::run(engine.clone(), name, shutdown.clone()));
                    }
                    let name = format!("ledger-savings-{}", std::process::id());
                    spawn(&mut tasks, "ledger savings", ledger::run_savings(engine.clone(), name, shutdown.clone()));
                }
                Component::MqttBridge => {
                    let options = config.mqtt.options()?;
                    spawn(&mut tasks, "mqtt bridge", mqtt_bridge::run(engine.clone(), options, shutdown.clone()));
                }
            }
        }
        tasks.spawn(ops::sample_backlogs(engine.clone(), shutdown.clone()));
        let router = http::with_layers(router, config.http);
        Ok(Self { listener, router, limits: config.http, tasks, stop, shutdown, engine })
    }

    /// The address the HTTP listener is bound to.
    pub fn address(&self) -> std::io::Result<std::net::SocketAddr> {
        self.listener.local_addr()
    }

    /// A handle that stops the process when sent `true`.
    pub fn stopper(&self) -> watch::Sender<bool> {
        self.stop.clone()
    }

    /// Serves until the stop signal, then lets in-flight requests and messages finish.
    pub async fn run_until_stopped(self) -> Result<()> {
        let Self { listener, router, limits, mut tasks, shutdown, stop: _stop, .. } = self;
        http::serve(listener, router, limits, shutdown).await;
        while let Some(result) = tasks.join_next().await {
            if let Err(error) = result {
                tracing::error!(%error, "a component task failed");
            }
        }
        Ok(())
    }
}

/// Lets the in-memory rate-limit buckets of clients that went quiet go, every minute.
async fn forget_idle_buckets(limiter: Arc<Limiter>, shutdown: Shutdown) {
    while !shutdown.is_requested() {
        tokio::select! {
            () = tokio::time::sleep(std::time::Duration::from_secs(60)) => limiter.forget_idle(),
            () = shutdown.clone().requested() => {}
        }
    }
}

fn spawn(
    tasks: &mut JoinSet<()>,
    name: &'static str,
    task: impl Future<Output = Result<(), EngineError>> + Send + 'static,
) {
    tasks.spawn(async move {
        if let Err(error) = task.await {
            tracing::error!(component = name, %error, "component stopped with an error");
        }
    });
}

/// Runs `smartville serve` until SIGTERM or Ctrl-C.
pub async fn serve(config: Config, targets: &str) -> Result<()> {
    let targets = Component::parse_targets(targets)?;
    let listener = TcpListener::bind(config.listen).await.with_context(|| format!("binding {}", config.listen))?;
    let app = Application::build(&config, &targets, listener).await?;
    let names: Vec<_> = targets.iter().map(|c| c.name()).collect();
    tracing::info!(address = %app.address()?, targets = ?names, "serving");
    if targets.contains(&Component::MobileApi) && config.seed_demo {
        println!("Smartville is listening on http://{} — demo join code: {}", app.address()?, demo::JOIN_CODE);
    }
    let stop = app.stopper();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutting down");
        let _ = stop.send(true);
    });
    app.run_until_stopped().await
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(term) => term,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
