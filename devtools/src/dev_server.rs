//! The Temporal CLI's dev server (`temporal server start-dev`) run as a child
//! process: the Temporal that `orderly dev` and the test suite talk to.
//!
//! It is a complete Temporal server (SQLite persistence, optional Web UI) in
//! the one binary that `scripts/bootstrap` installs, so running orderly needs
//! neither Docker nor a network. [`DevServer::start`] returns only once the
//! namespace answers requests, so a client can connect straight away, and the
//! server never outlives its owner: dropping a [`DevServer`] kills it.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::net::{Ipv4Addr, TcpListener};
use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio::runtime::{self, Handle};
use tokio::time::{Instant, sleep, timeout, timeout_at};

/// Environment variable naming the `temporal` binary to run, overriding the
/// search of [`locate_temporal_bin`].
pub const TEMPORAL_BIN_ENV: &str = "ORDERLY_TEMPORAL_BIN";

/// Where `scripts/bootstrap` installs the CLI, relative to the workspace root.
const BOOTSTRAPPED_BIN: &str = ".tools/venv/bin/temporal";

/// The server listens on loopback only: it has no authentication.
const HOST: Ipv4Addr = Ipv4Addr::LOCALHOST;

/// A cold start on a SQLite file takes a few seconds on two busy cores; a
/// minute means it is not coming up at all.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
const READY_POLL: Duration = Duration::from_millis(100);
const PROBE_TIMEOUT: &str = "5s";
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// How much of the server's output an error carries: enough for the reason it
/// failed to start, not the whole log.
const OUTPUT_TAIL_LINES: usize = 40;

/// The server's own log threshold (`--log-level`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogLevel {
    Debug,
    Info,
    #[default]
    Warn,
    Error,
    Never,
}

impl LogLevel {
    fn as_arg(self) -> &'static str {
        match self {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
            LogLevel::Never => "never",
        }
    }
}

/// How to run the dev server.
#[derive(Debug, Clone)]
pub struct DevServerOptions {
    /// The Temporal CLI binary.
    pub temporal_bin: PathBuf,
    /// Front-end gRPC port; 0 picks a free one.
    pub port: u16,
    /// Web UI port (0 picks a free one); `None` runs headless.
    pub ui_port: Option<u16>,
    /// The codec server the Web UI decodes payloads with, if any.
    pub ui_codec_endpoint: Option<String>,
    /// SQLite file to keep state in across restarts; `None` keeps it in
    /// memory. A missing parent directory is created.
    pub db_file: Option<PathBuf>,
    /// Namespace created at launch and waited for.
    pub namespace: String,
    /// Custom search attributes as (name, type), e.g. `("OrderStatus",
    /// "Keyword")`. Server 1.32 pre-registers none, and upserting an
    /// unregistered one fails the workflow task.
    pub search_attributes: Vec<(String, String)>,
    /// The server's log threshold. What it logs goes to `tracing` under the
    /// target `temporal`.
    pub log_level: LogLevel,
}

impl Default for DevServerOptions {
    /// A headless, in-memory server on a free port, serving `default`, run
    /// from the binary [`locate_temporal_bin`] finds.
    fn default() -> Self {
        DevServerOptions {
            temporal_bin: locate_temporal_bin(),
            port: 0,
            ui_port: None,
            ui_codec_endpoint: None,
            db_file: None,
            namespace: "default".to_owned(),
            search_attributes: Vec::new(),
            log_level: LogLevel::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DevServerError {
    #[error("no free port on {HOST}")]
    NoFreePort(#[source] io::Error),
    #[error("cannot create the directory of the dev server's database {path}")]
    DatabaseDir {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot run the Temporal CLI {bin} (run scripts/bootstrap, or set {TEMPORAL_BIN_ENV})")]
    Spawn {
        bin: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("the Temporal dev server exited while starting ({status}); its last output:\n{output}")]
    Exited { status: ExitStatus, output: String },
    #[error(
        "the Temporal dev server at {address} did not serve namespace {namespace} within {waited:?}; its last output:\n{output}"
    )]
    NotReady {
        address: String,
        namespace: String,
        waited: Duration,
        output: String,
    },
    #[error("lost track of the Temporal dev server process")]
    Process(#[source] io::Error),
    #[error("cannot start the thread that hosts Temporal dev server processes")]
    ProcessHost(#[source] io::Error),
}

/// A running dev server. Dropping it kills the process at once; call
/// [`DevServer::shutdown`] to let it stop cleanly.
///
/// It does not depend on the Tokio runtime that started it, so one server can
/// be kept in a `static` and shared by every test of a binary. Such a server is
/// never dropped; on Linux it is sent SIGTERM when this process exits, so it
/// does not linger after the tests.
#[derive(Debug)]
pub struct DevServer {
    child: Child,
    temporal_bin: PathBuf,
    address: String,
    ui_url: Option<String>,
    namespace: String,
    output: Arc<OutputLog>,
}

impl DevServer {
    /// Spawns the server and waits until its namespace answers requests.
    pub async fn start(opts: DevServerOptions) -> Result<DevServer, DevServerError> {
        let (port, ui_port) = reserve_ports(opts.port, opts.ui_port)?;
        if let Some(dir) = opts.db_file.as_ref().and_then(|f| f.parent()) {
            // The CLI refuses a database file whose directory is missing.
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).map_err(|source| DevServerError::DatabaseDir {
                    path: dir.to_owned(),
                    source,
                })?;
            }
        }

        let mut command = Command::new(&opts.temporal_bin);
        command
            .args(["server", "start-dev", "--ip", &HOST.to_string()])
            .args(["--port", &port.to_string()]);
        match ui_port {
            // The UI's news feed is fetched from the internet, which these
            // machines do not reach.
            Some(ui_port) => command
                .args(["--ui-port", &ui_port.to_string()])
                .arg("--ui-disable-news-fetch"),
            None => command.arg("--headless"),
        };
        if let (Some(_), Some(endpoint)) = (ui_port, &opts.ui_codec_endpoint) {
            command.args(["--ui-codec-endpoint", endpoint]);
        }
        if let Some(db_file) = &opts.db_file {
            command.arg("--db-filename").arg(db_file);
        }
        command.args(["--namespace", &opts.namespace]);
        for (name, kind) in &opts.search_attributes {
            command
                .arg("--search-attribute")
                .arg(format!("{name}={kind}"));
        }
        command
            .args(["--log-level", opts.log_level.as_arg()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        die_with_parent_thread(&mut command);

        let spawned = process_host()?
            .spawn(async move { command.spawn() })
            .await
            .map_err(io::Error::other)
            .and_then(|spawned| spawned);
        let mut child = spawned.map_err(|source| DevServerError::Spawn {
            bin: opts.temporal_bin.clone(),
            source,
        })?;
        let output = Arc::new(OutputLog::default());
        let mut readers = Vec::new();
        if let Some(stdout) = child.stdout.take() {
            let fd = stdout.into_owned_fd().map_err(DevServerError::Process)?;
            readers.push(forward_output(fd, Stream::Stdout, &output));
        }
        if let Some(stderr) = child.stderr.take() {
            let fd = stderr.into_owned_fd().map_err(DevServerError::Process)?;
            readers.push(forward_output(fd, Stream::Stderr, &output));
        }

        let mut server = DevServer {
            child,
            temporal_bin: opts.temporal_bin,
            address: format!("{HOST}:{port}"),
            ui_url: ui_port.map(|ui_port| format!("http://{HOST}:{ui_port}")),
            namespace: opts.namespace,
            output,
        };
        server.wait_until_ready(readers).await?;
        Ok(server)
    }

    /// The front-end gRPC address, `127.0.0.1:PORT`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The Web UI's address, or `None` when headless.
    pub fn ui_url(&self) -> Option<&str> {
        self.ui_url.as_deref()
    }

    /// The namespace that [`DevServer::start`] waited for.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// Stops the server: SIGTERM, then SIGKILL if it is still running after
    /// ten seconds.
    pub async fn shutdown(mut self) -> Result<ExitStatus, DevServerError> {
        // Its complaints about connections closing under it are expected now.
        self.output.stopping.store(true, Ordering::Relaxed);
        if let Some(status) = self.child.try_wait().map_err(DevServerError::Process)? {
            return Ok(status);
        }
        if let Some(pid) = self.child.id().and_then(|id| i32::try_from(id).ok()) {
            // An error means it exited on its own meanwhile; the wait below
            // reaps it either way.
            let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
        }
        if let Ok(status) = timeout(SHUTDOWN_GRACE, self.child.wait()).await {
            return status.map_err(DevServerError::Process);
        }
        tracing::warn!(
            address = %self.address,
            "Temporal dev server ignored SIGTERM for {SHUTDOWN_GRACE:?}; killing it"
        );
        self.child.kill().await.map_err(DevServerError::Process)?;
        self.child.wait().await.map_err(DevServerError::Process)
    }

    async fn wait_until_ready(
        &mut self,
        readers: Vec<thread::JoinHandle<()>>,
    ) -> Result<(), DevServerError> {
        let started = Instant::now();
        let deadline = started + READY_TIMEOUT;
        let mut port_open = false;
        loop {
            if let Some(status) = self.child.try_wait().map_err(DevServerError::Process)? {
                // Its last words, usually the reason, are still in the pipes.
                for reader in readers {
                    let _ = tokio::task::spawn_blocking(move || reader.join()).await;
                }
                return Err(DevServerError::Exited {
                    status,
                    output: self.output.tail(),
                });
            }
            // The port opens well before the namespace is usable; probing
            // with the CLI only after that keeps the startup poll cheap.
            port_open = port_open || TcpStream::connect(&self.address).await.is_ok();
            if port_open && self.namespace_answers(deadline).await {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(DevServerError::NotReady {
                    address: self.address.clone(),
                    namespace: self.namespace.clone(),
                    waited: started.elapsed(),
                    output: self.output.tail(),
                });
            }
            sleep(READY_POLL).await;
        }
    }

    /// Asks the real CLI, so "ready" means what a client will see.
    async fn namespace_answers(&self, deadline: Instant) -> bool {
        let probe = Command::new(&self.temporal_bin)
            .args(["operator", "namespace", "describe"])
            .args(["--namespace", &self.namespace, "--address", &self.address])
            .args(["--command-timeout", PROBE_TIMEOUT])
            // A developer's TEMPORAL_* variables or CLI profile (TLS, API key,
            // another address) must not leak into a probe of this server.
            .args(["--disable-config-env", "--disable-config-file"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .status();
        matches!(timeout_at(deadline, probe).await, Ok(Ok(status)) if status.success())
    }
}

/// Finds the Temporal CLI: `$ORDERLY_TEMPORAL_BIN`, else the one
/// `scripts/bootstrap` installed in the nearest enclosing workspace of the
/// current directory, else `temporal` from `PATH`.
pub fn locate_temporal_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os(TEMPORAL_BIN_ENV).filter(|bin| !bin.is_empty()) {
        return PathBuf::from(bin);
    }
    if let Ok(cwd) = std::env::current_dir()
        && let Some(bin) = cwd
            .ancestors()
            .map(|dir| dir.join(BOOTSTRAPPED_BIN))
            .find(|bin| bin.is_file())
    {
        return bin;
    }
    PathBuf::from("temporal")
}

/// Turns each 0 into a free port. The listeners stay bound until both ports
/// are chosen so the two cannot come out equal.
fn reserve_ports(port: u16, ui_port: Option<u16>) -> Result<(u16, Option<u16>), DevServerError> {
    let mut held = Vec::new();
    let mut reserve = |wanted: u16| -> Result<u16, DevServerError> {
        if wanted != 0 {
            return Ok(wanted);
        }
        let listener = TcpListener::bind((HOST, 0)).map_err(DevServerError::NoFreePort)?;
        let port = listener
            .local_addr()
            .map_err(DevServerError::NoFreePort)?
            .port();
        held.push(listener);
        Ok(port)
    };
    let port = reserve(port)?;
    let ui_port = ui_port.map(&mut reserve).transpose()?;
    Ok((port, ui_port))
}

/// The runtime that spawns and owns every server process, on a thread that
/// lives as long as this process.
///
/// Two things tie a child to where it was spawned: Tokio watches for its exit
/// through the spawning runtime, and Linux delivers the parent-death signal
/// when the spawning *thread* exits. Spawning on a test's runtime would make a
/// shared server unreachable, or killed, as soon as that one test ended.
fn process_host() -> Result<Handle, DevServerError> {
    static HOST: Mutex<Option<Handle>> = Mutex::new(None);
    let mut host = HOST.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(handle) = host.as_ref() {
        return Ok(handle.clone());
    }
    let runtime = runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(DevServerError::ProcessHost)?;
    let handle = runtime.handle().clone();
    thread::Builder::new()
        .name("temporal-dev-server".to_owned())
        .spawn(move || runtime.block_on(std::future::pending::<()>()))
        .map_err(DevServerError::ProcessHost)?;
    *host = Some(handle.clone());
    Ok(handle)
}

/// Has the kernel SIGTERM the server when its spawning thread, the process
/// host, exits: when this process ends, however it ends, even by SIGKILL.
#[cfg(target_os = "linux")]
fn die_with_parent_thread(command: &mut Command) {
    // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
    unsafe {
        command
            .pre_exec(|| nix::sys::prctl::set_pdeathsig(Signal::SIGTERM).map_err(io::Error::from));
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent_thread(_command: &mut Command) {}

#[derive(Debug, Clone, Copy)]
enum Stream {
    Stdout,
    Stderr,
}

/// The server's recent output, kept for errors, and whether a shutdown has
/// begun.
#[derive(Debug, Default)]
struct OutputLog {
    tail: Mutex<VecDeque<String>>,
    stopping: AtomicBool,
}

impl OutputLog {
    fn push(&self, line: String) {
        let mut tail = self.tail.lock().unwrap_or_else(PoisonError::into_inner);
        if tail.len() == OUTPUT_TAIL_LINES {
            tail.pop_front();
        }
        tail.push_back(line);
    }

    fn tail(&self) -> String {
        let tail = self.tail.lock().unwrap_or_else(PoisonError::into_inner);
        tail.iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Relays one of the server's pipes into `tracing` on a plain thread rather
/// than a Tokio task: a server shared across tests outlives the runtime that
/// started it, and the server dies of SIGPIPE if nobody reads its output.
fn forward_output(fd: OwnedFd, stream: Stream, output: &Arc<OutputLog>) -> thread::JoinHandle<()> {
    let output = Arc::clone(output);
    thread::spawn(move || {
        // Bytes, not `lines()`: one line of invalid UTF-8 must not end the
        // reading, and with it the server.
        for line in BufReader::new(File::from(fd)).split(b'\n') {
            let Ok(line) = line else { return };
            let line = String::from_utf8_lossy(&line).into_owned();
            log_line(&line, stream, output.stopping.load(Ordering::Relaxed));
            output.push(line);
        }
    })
}

/// Keeps the server's own severity: its log lines are `key=value` text with a
/// `level=`; anything else on stderr is the CLI reporting a failure.
fn log_line(line: &str, stream: Stream, stopping: bool) {
    if stopping || line.trim().is_empty() {
        tracing::debug!(target: "temporal", "{line}");
        return;
    }
    match stream {
        Stream::Stdout => tracing::debug!(target: "temporal", "{line}"),
        Stream::Stderr if line.contains("level=ERROR") => {
            tracing::error!(target: "temporal", "{line}")
        }
        Stream::Stderr if line.contains("level=WARN") => {
            tracing::warn!(target: "temporal", "{line}")
        }
        Stream::Stderr if line.contains("level=") => tracing::info!(target: "temporal", "{line}"),
        Stream::Stderr => tracing::warn!(target: "temporal", "{line}"),
    }
}
