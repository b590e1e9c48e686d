//! A lean load generator for `GET /orders/{id}`: keep-alive HTTP/1.1
//! connections written by hand, so the measuring costs little of the CPU
//! the server needs (a full HTTP client would take a large share of two
//! cores).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::stats::Latencies;

pub struct ReadLoad {
    pub requests: u64,
    pub errors: u64,
    pub elapsed: Duration,
    pub latencies: Latencies,
}

pub async fn run(
    addr: SocketAddr,
    path: String,
    token: String,
    connections: usize,
    duration: Duration,
) -> ReadLoad {
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nAccept: application/json\r\n\r\n"
    )
    .into_bytes();
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let request = request.clone();
        tasks.push(tokio::spawn(async move {
            connection(addr, request, deadline).await
        }));
    }
    let mut load = ReadLoad {
        requests: 0,
        errors: 0,
        elapsed: Duration::ZERO,
        latencies: Latencies::default(),
    };
    for task in tasks {
        if let Ok((ok, errors, latencies)) = task.await {
            load.requests += ok;
            load.errors += errors;
            load.latencies.extend(latencies);
        }
    }
    load.elapsed = started.elapsed();
    load
}

async fn connection(
    addr: SocketAddr,
    request: Vec<u8>,
    deadline: Instant,
) -> (u64, u64, Latencies) {
    let mut ok = 0;
    let mut errors = 0;
    let mut latencies = Latencies::default();
    let mut buf = vec![0u8; 64 * 1024];
    'reconnect: while Instant::now() < deadline {
        let Ok(mut stream) = TcpStream::connect(addr).await else {
            errors += 1;
            continue;
        };
        let _ = stream.set_nodelay(true);
        while Instant::now() < deadline {
            let sent = Instant::now();
            if stream.write_all(&request).await.is_err() {
                errors += 1;
                continue 'reconnect;
            }
            match read_response(&mut stream, &mut buf).await {
                Some(200) => {
                    ok += 1;
                    latencies.push(sent.elapsed());
                }
                Some(_) => errors += 1,
                None => {
                    errors += 1;
                    continue 'reconnect;
                }
            }
        }
    }
    (ok, errors, latencies)
}

/// Reads one response with a Content-Length body; returns its status.
async fn read_response(stream: &mut TcpStream, buf: &mut [u8]) -> Option<u16> {
    let mut filled = 0;
    loop {
        let n = stream.read(&mut buf[filled..]).await.ok()?;
        if n == 0 {
            return None;
        }
        filled += n;
        let Some(head_end) = buf[..filled].windows(4).position(|w| w == b"\r\n\r\n") else {
            if filled == buf.len() {
                return None;
            }
            continue;
        };
        let head = std::str::from_utf8(&buf[..head_end]).ok()?;
        let status: u16 = head.split_whitespace().nth(1)?.parse().ok()?;
        let length: usize = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse().ok())
                    .flatten()
            })
            .unwrap_or(0);
        let total = head_end + 4 + length;
        if total > buf.len() {
            return None;
        }
        while filled < total {
            let n = stream.read(&mut buf[filled..total]).await.ok()?;
            if n == 0 {
                return None;
            }
            filled += n;
        }
        return Some(status);
    }
}
