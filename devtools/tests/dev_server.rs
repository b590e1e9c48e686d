//! Runs the real Temporal CLI dev server through `DevServer`, as `orderly dev`
//! and the integration tests do, to prove the options reach the server, that
//! shutdown really frees its port, and that a server shared by a test binary
//! outlives the runtime that started it but not the process that owns it.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use orderly_devtools::dev_server::{
    DevServer, DevServerError, DevServerOptions, locate_temporal_bin,
};
use tokio::net::TcpStream;
use tokio::process::Command;

#[tokio::test]
async fn persistent_server_registers_search_attributes_and_frees_its_port() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A nested path also checks that a missing database directory is created.
    let db_file = dir.path().join("state").join("temporal.db");
    let server = DevServer::start(DevServerOptions {
        db_file: Some(db_file.clone()),
        namespace: "orderly-test".to_owned(),
        search_attributes: vec![("OrderStatus".to_owned(), "Keyword".to_owned())],
        ..DevServerOptions::default()
    })
    .await
    .expect("dev server starts");

    let address = server.address().to_owned();
    assert!(address.starts_with("127.0.0.1:"), "{address}");
    assert_eq!(server.ui_url(), None, "no UI was asked for");
    assert!(db_file.is_file(), "state is kept in {}", db_file.display());

    let listed = Command::new(locate_temporal_bin())
        .args(["operator", "search-attribute", "list"])
        .args(["--address", &address, "--namespace", "orderly-test"])
        .args(["--disable-config-env", "--disable-config-file"])
        .stdin(Stdio::null())
        .output()
        .await
        .expect("temporal CLI runs");
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed
            .lines()
            .any(|line| line.split_whitespace().collect::<Vec<_>>() == ["OrderStatus", "Keyword"]),
        "OrderStatus missing from:\n{listed}"
    );

    let status = tokio::time::timeout(Duration::from_secs(15), server.shutdown())
        .await
        .expect("shutdown within SIGTERM grace plus kill")
        .expect("shutdown succeeds");
    assert!(status.success(), "SIGTERM is a clean stop, got {status}");
    assert!(
        TcpStream::connect(&address).await.is_err(),
        "{address} still accepts connections after shutdown"
    );
}

#[tokio::test]
async fn server_with_ui_reports_its_url() {
    let server = DevServer::start(DevServerOptions {
        ui_port: Some(0),
        ..DevServerOptions::default()
    })
    .await
    .expect("dev server starts");

    let ui_url = server.ui_url().expect("a UI was asked for").to_owned();
    let ui_address = ui_url.strip_prefix("http://").expect("http URL");
    assert!(ui_address.starts_with("127.0.0.1:"), "{ui_url}");
    assert_ne!(ui_address, server.address());
    TcpStream::connect(ui_address)
        .await
        .expect("the UI listens once the server is ready");

    server.shutdown().await.expect("shutdown succeeds");
}

#[tokio::test]
async fn missing_binary_is_a_spawn_error() {
    let err = DevServer::start(DevServerOptions {
        temporal_bin: "/nonexistent/temporal".into(),
        ..DevServerOptions::default()
    })
    .await
    .expect_err("there is no such binary");
    assert!(matches!(err, DevServerError::Spawn { .. }), "{err:?}");
}

#[tokio::test]
async fn server_that_cannot_start_reports_its_output() {
    let err = DevServer::start(DevServerOptions {
        search_attributes: vec![("OrderStatus".to_owned(), "NoSuchType".to_owned())],
        ..DevServerOptions::default()
    })
    .await
    .expect_err("an unknown search attribute type is refused");
    let DevServerError::Exited { output, .. } = &err else {
        panic!("expected Exited, got {err:?}");
    };
    assert!(output.contains("NoSuchType"), "{output}");
}

#[test]
fn server_outlives_the_runtime_that_started_it() {
    let server = tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(DevServer::start(DevServerOptions::default()))
        .expect("dev server starts");

    let status = tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(async {
            TcpStream::connect(server.address())
                .await
                .expect("still serving after its runtime is gone");
            server.shutdown().await
        })
        .expect("shutdown from another runtime succeeds");
    assert!(status.success(), "{status}");
}

/// Set in the child process of `server_dies_with_a_killed_owner`.
const OWNER_ENV: &str = "ORDERLY_DEV_SERVER_TEST_OWNER";

#[test]
fn server_dies_with_a_killed_owner() {
    let mut owner = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "owner_that_never_stops_its_server",
            "--nocapture",
        ])
        .env(OWNER_ENV, "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("test binary runs");
    let stdout = BufReader::new(owner.stdout.take().expect("piped stdout"));
    let address = stdout
        .lines()
        .map_while(Result::ok)
        .find_map(|line| line.strip_prefix("DEV SERVER ").map(str::to_owned))
        .expect("owner reports its server's address");

    // The server logs a few lines just after it starts; killed during those
    // it would die of SIGPIPE and hide a missing parent-death signal.
    std::thread::sleep(Duration::from_secs(3));
    // SIGKILL: no destructor runs, as when a test binary is killed or aborts.
    owner.kill().expect("kill owner");
    owner.wait().expect("reap owner");

    let deadline = Instant::now() + Duration::from_secs(15);
    while std::net::TcpStream::connect(&address).is_ok() {
        assert!(
            Instant::now() < deadline,
            "server at {address} outlived its killed owner"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Not a test on its own: the owner process of `server_dies_with_a_killed_owner`.
#[tokio::test]
async fn owner_that_never_stops_its_server() {
    if std::env::var_os(OWNER_ENV).is_none() {
        return;
    }
    let server = DevServer::start(DevServerOptions::default())
        .await
        .expect("dev server starts");
    println!("DEV SERVER {}", server.address());
    tokio::time::sleep(Duration::from_secs(120)).await;
    drop(server);
}
