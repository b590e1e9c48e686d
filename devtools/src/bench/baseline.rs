//! The same-run baseline of the read benchmark: a bare axum server on this
//! machine answering every request with a fixed JSON body of the size of
//! the order the benchmark reads, so `GET /orders/{id}` is reported as a
//! fraction of what axum alone serves here and now, not against a figure
//! from another machine or another day.

use std::net::SocketAddr;

use axum::Router;
use axum::http::header;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The path the bare server answers on.
pub const PATH: &str = "/bare";

pub struct BareServer {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl BareServer {
    /// Serves `body` as `application/json` on a loopback port.
    pub async fn start(body: Vec<u8>) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let app = Router::new().route(
            PATH,
            get(move || {
                let body = body.clone();
                async move { ([(header::CONTENT_TYPE, "application/json")], body) }
            }),
        );
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { addr, task })
    }
}

impl Drop for BareServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
