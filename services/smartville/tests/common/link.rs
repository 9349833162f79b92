//! A TCP link between the engine and a dependency that a test can cut, the
//! way a database restart or a network fault cuts it: while down, open
//! connections are dropped and new ones refused (the port is closed), so the
//! engine sees exactly what it sees when PostgreSQL or Redis stops.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A cuttable link listening on a loopback port and forwarding to `target`.
pub struct Link {
    /// Where the engine connects.
    pub address: SocketAddr,
    target: SocketAddr,
    /// `true` while the link is up; connections end when it turns `false`.
    up: Arc<watch::Sender<bool>>,
    accepting: Option<JoinHandle<()>>,
}

impl Link {
    /// A link to `target`, up.
    pub async fn to(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let up = Arc::new(watch::channel(true).0);
        let accepting = Some(tokio::spawn(accept(listener, target, up.clone())));
        Self { address, target, up, accepting }
    }

    /// Drops every open connection and refuses new ones.
    pub fn cut(&mut self) {
        self.up.send_replace(false);
        if let Some(accepting) = self.accepting.take() {
            accepting.abort();
        }
    }

    /// Accepts connections again, on the same port.
    pub async fn restore(&mut self) {
        self.up.send_replace(true);
        let listener = loop {
            // The aborted accept loop releases the port once its task is dropped.
            match TcpListener::bind(self.address).await {
                Ok(listener) => break listener,
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
            }
        };
        self.accepting = Some(tokio::spawn(accept(listener, self.target, self.up.clone())));
    }

    /// A link in front of the server of `url` (`postgres://…` or `redis://…`), and the URL
    /// that reaches the same server through it.
    pub async fn in_front_of(url: &str) -> (Self, String) {
        let authority = url.split_once("://").unwrap().1.split('/').next().unwrap();
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let target = tokio::net::lookup_host(host_port).await.unwrap().next().unwrap();
        let link = Self::to(target).await;
        let through = link.url(url);
        (link, through)
    }

    /// `url` with its host and port replaced by this link's.
    pub fn url(&self, url: &str) -> String {
        let (scheme, rest) = url.split_once("://").unwrap();
        let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
        let credentials = authority.rsplit_once('@').map(|(c, _)| format!("{c}@")).unwrap_or_default();
        let slash = if path.is_empty() && !url.ends_with('/') { "" } else { "/" };
        format!("{scheme}://{credentials}{}{slash}{path}", self.address)
    }
}

async fn accept(listener: TcpListener, target: SocketAddr, up: Arc<watch::Sender<bool>>) {
    while let Ok((client, _)) = listener.accept().await {
        let mut down = up.subscribe();
        tokio::spawn(async move {
            let Ok(server) = TcpStream::connect(target).await else { return };
            let (mut client, mut server) = (client, server);
            tokio::select! {
                _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                _ = down.wait_for(|up| !*up) => {}
            }
        });
    }
}
