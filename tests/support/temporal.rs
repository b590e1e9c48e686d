//! The Temporal dev server shared by every test of one process.
//!
//! It is started once, from a thread that lives as long as the process,
//! through `WorkflowEnvironment::start_local` with the CLI installed by
//! `scripts/bootstrap`. The CLI is launched through a wrapper that asks the
//! kernel to stop it when that thread ends, so no server outlives the tests.

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::OnceLock;

use temporalio_sdk::testing::{EphemeralExe, LocalWorkflowEnvironmentOptions, WorkflowEnvironment};

use orderly_devtools::dev_server::locate_temporal_bin;
use orderly_workflows::SEARCH_ATTRIBUTES;

static SERVER: OnceLock<String> = OnceLock::new();

/// `host:port` of the shared server, starting it on first use.
pub fn address() -> &'static str {
    SERVER.get_or_init(start)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A script that execs the CLI with a parent-death signal.
fn wrapper() -> PathBuf {
    let temporal = locate_temporal_bin();
    let path = std::env::temp_dir().join(format!("orderly-temporal-{}.sh", std::process::id()));
    let script = format!(
        "#!/bin/sh\nexec setpriv --pdeathsig KILL {} \"$@\"\n",
        temporal.display()
    );
    std::fs::write(&path, script).expect("writing the temporal wrapper");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .expect("making the wrapper executable");
    }
    path
}

fn start() -> String {
    let port = free_port();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("temporal-dev-server".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for the dev server");
            runtime.block_on(async move {
                let extra_args = SEARCH_ATTRIBUTES
                    .iter()
                    .flat_map(|(name, kind)| {
                        ["--search-attribute".to_owned(), format!("{name}={kind}")]
                    })
                    .chain(["--headless".to_owned()])
                    .collect();
                let options = LocalWorkflowEnvironmentOptions::builder()
                    .server_executable(EphemeralExe::ExistingPath(wrapper().display().to_string()))
                    .port(port)
                    .extra_args(extra_args)
                    .build();
                match WorkflowEnvironment::start_local(options).await {
                    Ok(env) => {
                        let _ = ready_tx.send(Ok(()));
                        // Holding the environment keeps the server up.
                        let _env = env;
                        std::future::pending::<()>().await;
                    }
                    Err(err) => {
                        let _ = ready_tx.send(Err(err.to_string()));
                    }
                }
            });
        })
        .expect("spawning the dev server thread");
    match ready_rx.recv() {
        Ok(Ok(())) => format!("127.0.0.1:{port}"),
        Ok(Err(err)) => panic!("the Temporal dev server did not start: {err}"),
        Err(_) => panic!("the Temporal dev server thread died"),
    }
}
