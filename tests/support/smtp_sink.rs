//! A real SMTP server on loopback that keeps every message it receives.
//!
//! Email tests send through lettre exactly as production does, over TCP,
//! so the SMTP conversation, the envelope and the rendered message are all
//! exercised; the sink then lets the test read what arrived. It speaks the
//! part of ESMTP a client needs (EHLO/HELO, AUTH PLAIN/LOGIN accepting any
//! credentials, MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT) and
//! nothing else: no TLS, no relaying.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::OwnedReadHalf;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::{JoinHandle, JoinSet};

/// One message as the sink received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// The envelope sender (`MAIL FROM`), without angle brackets.
    pub from: String,
    /// The envelope recipients (`RCPT TO`), without angle brackets.
    pub recipients: Vec<String>,
    /// The message after dot-unstuffing: headers, blank line, body.
    pub data: String,
    /// The `Subject` header, unfolded, as sent (not MIME-decoded).
    pub subject: Option<String>,
    /// Whether the client authenticated before sending.
    pub authenticated: bool,
}

impl ReceivedMail {
    /// The first header called `name` (case-insensitive), unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        header(&self.data, name)
    }

    /// Everything after the blank line that ends the headers.
    pub fn body(&self) -> &str {
        self.data
            .split_once("\r\n\r\n")
            .or_else(|| self.data.split_once("\n\n"))
            .map_or("", |(_, body)| body)
    }
}

pub struct SmtpSink {
    addr: SocketAddr,
    inbox: Arc<Inbox>,
    server: JoinHandle<()>,
}

#[derive(Default)]
struct Inbox {
    mails: Mutex<Vec<ReceivedMail>>,
    arrived: Notify,
}

impl Inbox {
    fn mails(&self) -> MutexGuard<'_, Vec<ReceivedMail>> {
        // A panicking session cannot leave the list half-written (push is
        // the only mutation), so a poisoned lock is still a good list.
        self.mails
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl SmtpSink {
    /// Listens on 127.0.0.1 on a free port.
    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding the SMTP sink to a loopback port");
        let addr = listener.local_addr().expect("the SMTP sink's address");
        let inbox = Arc::new(Inbox::default());
        let server = tokio::spawn(accept(listener, Arc::clone(&inbox)));
        SmtpSink {
            addr,
            inbox,
            server,
        }
    }

    /// `smtp://127.0.0.1:PORT`, for `EmailSender::from_url`.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every message received so far, oldest first.
    /// How many times each Message-ID arrived.
    pub fn message_id_counts(&self) -> std::collections::BTreeMap<String, usize> {
        let mut counts = std::collections::BTreeMap::new();
        for mail in self.messages() {
            *counts
                .entry(mail.header("Message-ID").expect("a Message-ID"))
                .or_default() += 1;
        }
        counts
    }

    pub fn messages(&self) -> Vec<ReceivedMail> {
        self.inbox.mails().clone()
    }

    /// Waits until at least `n` messages arrived or `timeout` passed, then
    /// returns all messages received (possibly fewer than `n`).
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // Registered before counting, so a message that lands between
            // the count and the wait still wakes us.
            let arrived = self.inbox.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            let mails = self.messages();
            if mails.len() >= n {
                return mails;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return self.messages();
            }
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        // Dropping the accept task drops its JoinSet, which ends every
        // open session too.
        self.server.abort();
    }
}

async fn accept(listener: TcpListener, inbox: Arc<Inbox>) {
    let mut sessions = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    sessions.spawn(session(stream, Arc::clone(&inbox)));
                }
                Err(error) => eprintln!("smtp sink: accept failed: {error}"),
            },
            Some(_) = sessions.join_next() => {}
        }
    }
}

#[derive(Default)]
struct Envelope {
    from: Option<String>,
    recipients: Vec<String>,
}

async fn session(stream: TcpStream, inbox: Arc<Inbox>) {
    if let Err(error) = converse(stream, &inbox).await {
        eprintln!("smtp sink: session ended: {error}");
    }
}

async fn converse(stream: TcpStream, inbox: &Inbox) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    write
        .write_all(b"220 orderly-smtp-sink ESMTP ready\r\n")
        .await?;
    let mut envelope = Envelope::default();
    let mut authenticated = false;
    while let Some(line) = read_line(&mut reader).await? {
        let command = line.to_ascii_uppercase();
        let verb = command.split_whitespace().next().unwrap_or("");
        let reply: &str = match verb {
            "EHLO" => {
                envelope = Envelope::default();
                "250-orderly-smtp-sink\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-AUTH PLAIN LOGIN\r\n250 SIZE 10485760\r\n"
            }
            "HELO" => {
                envelope = Envelope::default();
                "250 orderly-smtp-sink\r\n"
            }
            "AUTH" => {
                authenticate(&line, &mut reader, &mut write).await?;
                authenticated = true;
                "235 2.7.0 Authentication successful\r\n"
            }
            "MAIL" if command.starts_with("MAIL FROM:") => {
                envelope = Envelope {
                    from: Some(angle_address(&line["MAIL FROM:".len()..])),
                    recipients: Vec::new(),
                };
                "250 2.1.0 OK\r\n"
            }
            "RCPT" if command.starts_with("RCPT TO:") => {
                if envelope.from.is_none() {
                    "503 5.5.1 MAIL first\r\n"
                } else {
                    envelope
                        .recipients
                        .push(angle_address(&line["RCPT TO:".len()..]));
                    "250 2.1.5 OK\r\n"
                }
            }
            "DATA" if envelope.from.is_none() || envelope.recipients.is_empty() => {
                "503 5.5.1 MAIL and RCPT first\r\n"
            }
            "DATA" => {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let Some(data) = read_data(&mut reader).await? else {
                    return Ok(());
                };
                let envelope = std::mem::take(&mut envelope);
                inbox.mails().push(ReceivedMail {
                    from: envelope.from.unwrap_or_default(),
                    recipients: envelope.recipients,
                    subject: header(&data, "Subject"),
                    data,
                    authenticated,
                });
                inbox.arrived.notify_waiters();
                "250 2.0.0 OK queued\r\n"
            }
            "RSET" => {
                envelope = Envelope::default();
                "250 2.0.0 OK\r\n"
            }
            "NOOP" => "250 2.0.0 OK\r\n",
            "QUIT" => {
                write.write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(());
            }
            _ => "502 5.5.2 Command not implemented\r\n",
        };
        write.write_all(reply.as_bytes()).await?;
    }
    Ok(())
}

/// Accepts any credentials: the sink checks that a client can log in, not
/// who it is. Handles the initial-response and challenge forms.
async fn authenticate(
    line: &str,
    reader: &mut BufReader<OwnedReadHalf>,
    write: &mut tokio::net::tcp::OwnedWriteHalf,
) -> std::io::Result<()> {
    let mut words = line.split_whitespace().skip(1);
    let mechanism = words.next().unwrap_or("").to_ascii_uppercase();
    let initial = words.next();
    // Base64 of "Username:" and "Password:", the LOGIN mechanism's prompts.
    let prompts: &[&str] = match (mechanism.as_str(), initial) {
        ("PLAIN", Some(_)) => &[],
        ("PLAIN", None) => &["334 \r\n"],
        ("LOGIN", Some(_)) => &["334 UGFzc3dvcmQ6\r\n"],
        _ => &["334 VXNlcm5hbWU6\r\n", "334 UGFzc3dvcmQ6\r\n"],
    };
    for prompt in prompts {
        write.write_all(prompt.as_bytes()).await?;
        if read_line(reader).await?.is_none() {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
    }
    Ok(())
}

/// One line without its line ending, or `None` at end of stream.
async fn read_line(reader: &mut BufReader<OwnedReadHalf>) -> std::io::Result<Option<String>> {
    let mut raw = Vec::new();
    if reader.read_until(b'\n', &mut raw).await? == 0 {
        return Ok(None);
    }
    let line = String::from_utf8_lossy(&raw);
    Ok(Some(line.trim_end_matches(['\r', '\n']).to_owned()))
}

/// The message up to the lone `.` line, with the leading dot that the
/// client doubled on lines starting with `.` removed again.
async fn read_data(reader: &mut BufReader<OwnedReadHalf>) -> std::io::Result<Option<String>> {
    let mut data = Vec::new();
    loop {
        let mut raw = Vec::new();
        if reader.read_until(b'\n', &mut raw).await? == 0 {
            return Ok(None);
        }
        if raw == b".\r\n" || raw == b".\n" {
            return Ok(Some(String::from_utf8_lossy(&data).into_owned()));
        }
        let unstuffed = raw.strip_prefix(b".").unwrap_or(&raw);
        data.extend_from_slice(unstuffed);
    }
}

/// `<a@b> SIZE=123` → `a@b`.
fn angle_address(argument: &str) -> String {
    let argument = argument.trim();
    match (argument.find('<'), argument.find('>')) {
        (Some(open), Some(close)) if open < close => argument[open + 1..close].to_owned(),
        _ => argument.split_whitespace().next().unwrap_or("").to_owned(),
    }
}

/// The first header called `name` in `data`, with folded continuation lines
/// joined.
fn header(data: &str, name: &str) -> Option<String> {
    let mut found: Option<String> = None;
    for line in data.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(value) = found.as_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
            continue;
        }
        if found.is_some() {
            break;
        }
        if let Some((key, value)) = line.split_once(':')
            && key.trim().eq_ignore_ascii_case(name)
        {
            found = Some(value.trim().to_owned());
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_headers_are_unfolded_and_the_body_is_left_alone() {
        let data = "From: a@b\r\nSubject: Order 1\r\n  has shipped\r\nTo: c@d\r\n\r\nSubject: not a header\r\n";
        assert_eq!(
            header(data, "subject").as_deref(),
            Some("Order 1 has shipped")
        );
        assert_eq!(header(data, "to").as_deref(), Some("c@d"));
        assert_eq!(header(data, "x-missing"), None);
    }

    #[test]
    fn envelope_addresses_lose_their_brackets_and_parameters() {
        assert_eq!(angle_address(" <a@b> SIZE=12 BODY=8BITMIME"), "a@b");
        assert_eq!(angle_address("a@b"), "a@b");
    }

    /// Reads one (possibly multi-line) reply and checks its code.
    async fn expect_reply(reader: &mut BufReader<OwnedReadHalf>, code: &str) {
        loop {
            let line = read_line(reader).await.unwrap().unwrap();
            assert!(line.starts_with(code), "expected {code}, got {line}");
            // Multi-line replies continue with "250-" and end with "250 ".
            if line.as_bytes().get(3) != Some(&b'-') {
                return;
            }
        }
    }

    #[tokio::test]
    async fn a_raw_smtp_conversation_is_stored_with_dots_unstuffed() {
        let sink = SmtpSink::start().await;
        let stream = TcpStream::connect(sink.addr()).await.unwrap();
        let (read, mut write) = stream.into_split();
        let mut reader = BufReader::new(read);
        expect_reply(&mut reader, "220").await;
        write.write_all(b"EHLO test\r\n").await.unwrap();
        expect_reply(&mut reader, "250").await;
        write
            .write_all(b"MAIL FROM:<shop@example.com>\r\n")
            .await
            .unwrap();
        expect_reply(&mut reader, "250").await;
        write
            .write_all(b"RCPT TO:<asha@example.com>\r\n")
            .await
            .unwrap();
        expect_reply(&mut reader, "250").await;
        write.write_all(b"DATA\r\n").await.unwrap();
        expect_reply(&mut reader, "354").await;
        write
            .write_all(b"Subject: hi\r\n\r\n..leading dot\r\nend\r\n.\r\n")
            .await
            .unwrap();
        expect_reply(&mut reader, "250").await;
        write.write_all(b"QUIT\r\n").await.unwrap();
        expect_reply(&mut reader, "221").await;

        let mails = sink.wait_for(1, Duration::from_secs(5)).await;
        assert_eq!(mails.len(), 1);
        assert_eq!(mails[0].from, "shop@example.com");
        assert_eq!(mails[0].recipients, ["asha@example.com"]);
        assert_eq!(mails[0].subject.as_deref(), Some("hi"));
        assert_eq!(mails[0].body(), ".leading dot\r\nend\r\n");
    }
}
