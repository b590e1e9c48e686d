//! The Temporal dev server shared by every test of one process.
//!
//! It is started once, on first use, through [`DevServer`], which waits up to
//! a minute for the namespace to answer: a test binary starts while others
//! are still compiling or running, and on two busy cores the CLI can take
//! well over the few seconds the SDK's own launcher allows. The server is
//! never dropped; it is stopped when the test process exits.

use std::sync::OnceLock;

use orderly_devtools::dev_server::{DevServer, DevServerError, DevServerOptions};
use orderly_workflows::SEARCH_ATTRIBUTES;

static SERVER: OnceLock<DevServer> = OnceLock::new();

/// `host:port` of the shared server, starting it on first use.
pub fn address() -> &'static str {
    SERVER.get_or_init(start).address()
}

/// Attempts at starting the server. The CLI sets up its internal services
/// on ports of its own choosing, and on a busy machine a port can be taken
/// between its choice and its bind: the server then exits at once, and a new
/// attempt chooses again.
const START_ATTEMPTS: u32 = 3;

fn start() -> DevServer {
    let options = DevServerOptions {
        search_attributes: SEARCH_ATTRIBUTES
            .iter()
            .map(|(name, kind)| ((*name).to_owned(), (*kind).to_owned()))
            .collect(),
        ..DevServerOptions::default()
    };
    let mut attempt = 1;
    loop {
        match start_once(options.clone()) {
            Ok(server) => return server,
            Err(DevServerError::Exited { .. }) if attempt < START_ATTEMPTS => attempt += 1,
            Err(err) => panic!("the Temporal dev server did not start: {err}"),
        }
    }
}

fn start_once(options: DevServerOptions) -> Result<DevServer, DevServerError> {
    // A runtime of its own: the caller may be inside a test's runtime, which
    // cannot block on another future.
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime to start the dev server")
            .block_on(DevServer::start(options))
    })
    .join()
    .expect("the dev server thread")
}
