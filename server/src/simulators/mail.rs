//! A stand-in SMTP relay for the tests: it speaks the part of SMTP (RFC 5321) a client sending
//! plain-text mail uses (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT; no TLS, no AUTH) and keeps
//! every message it accepted, so a test reads what Milepost emailed. It can be told to refuse
//! mail (a 451 to MAIL FROM) to show retries.

use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// One accepted message.
#[derive(Clone, Debug, Default)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent after DATA (headers and body), dot-stuffing undone.
    pub data: String,
}

impl Mail {
    /// The value of header `name` (first occurrence, unfolded).
    pub fn header(&self, name: &str) -> Option<String> {
        let prefix = format!("{}:", name.to_ascii_lowercase());
        let mut lines = self.data.split("\r\n").peekable();
        while let Some(line) = lines.next() {
            if line.is_empty() {
                return None;
            }
            if line.to_ascii_lowercase().starts_with(&prefix) {
                let mut value = line[prefix.len()..].trim().to_string();
                while let Some(next) = lines.peek().filter(|l| l.starts_with([' ', '\t'])) {
                    value.push(' ');
                    value.push_str(next.trim());
                    lines.next();
                }
                return Some(value);
            }
        }
        None
    }

    /// The body after the headers.
    pub fn body(&self) -> &str {
        self.data
            .split_once("\r\n\r\n")
            .map(|(_, b)| b)
            .unwrap_or("")
    }
}

#[derive(Default)]
struct State {
    mails: Vec<Mail>,
    refuse: bool,
}

pub struct SmtpStandIn {
    pub port: u16,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl SmtpStandIn {
    pub async fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(session(stream, shared.clone()));
            }
        });
        Ok(Self { port, state, task })
    }

    /// `smtp://127.0.0.1:<port>`: plain SMTP, as lettre's URL form writes it.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.state.lock().expect("mail state").mails.clone()
    }

    /// While true, every MAIL FROM is answered 451 (a transient refusal).
    pub fn refuse(&self, refuse: bool) {
        self.state.lock().expect("mail state").refuse = refuse;
    }
}

impl Drop for SmtpStandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn session(stream: TcpStream, state: Arc<Mutex<State>>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    if !send(&mut write, "220 smtp.stand-in ESMTP").await {
        return;
    }
    let mut mail = Mail::default();
    let mut line = String::new();
    loop {
        line.clear();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let command = line.trim_end().to_string();
        let upper = command.to_ascii_uppercase();
        let answer = if upper.starts_with("EHLO") {
            "250-smtp.stand-in\r\n250 8BITMIME".to_string()
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            "250 OK".to_string()
        } else if upper.starts_with("RSET") {
            mail = Mail::default();
            "250 OK".to_string()
        } else if upper.starts_with("MAIL FROM:") {
            if state.lock().expect("mail state").refuse {
                "451 4.3.0 try again later".to_string()
            } else {
                mail = Mail {
                    from: address(&command["MAIL FROM:".len()..]),
                    ..Mail::default()
                };
                "250 OK".to_string()
            }
        } else if upper.starts_with("RCPT TO:") {
            mail.to.push(address(&command["RCPT TO:".len()..]));
            "250 OK".to_string()
        } else if upper == "DATA" {
            if !send(&mut write, "354 end with <CRLF>.<CRLF>").await {
                return;
            }
            let mut data = String::new();
            loop {
                line.clear();
                match lines.read_line(&mut line).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                let text = line.strip_prefix('.').unwrap_or(&line);
                data.push_str(text);
            }
            mail.data = data;
            state
                .lock()
                .expect("mail state")
                .mails
                .push(std::mem::take(&mut mail));
            "250 OK queued".to_string()
        } else if upper.starts_with("QUIT") {
            let _ = send(&mut write, "221 bye").await;
            return;
        } else {
            "502 command not implemented".to_string()
        };
        if !send(&mut write, &answer).await {
            return;
        }
    }
}

/// Writes one reply; false when the client has gone.
async fn send(w: &mut tokio::net::tcp::OwnedWriteHalf, text: &str) -> bool {
    w.write_all(format!("{text}\r\n").as_bytes()).await.is_ok()
}

/// The address inside `<…>` of a MAIL or RCPT argument.
fn address(argument: &str) -> String {
    let a = argument.trim();
    a.split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(inside, _)| inside.to_string())
        .unwrap_or_else(|| a.to_string())
}
