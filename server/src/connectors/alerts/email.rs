//! Alert digests by email, through the SMTP relay `MILEPOST_SMTP_URL` names (lettre's URL form:
//! `smtps://user:pass@host:465` for TLS, `smtp://host:587?tls=required` for STARTTLS, plain
//! `smtp://host:25` only on a trusted network).

use super::Digest;
use lettre::message::{header::ContentType, Mailbox, Message};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

#[derive(Clone)]
pub struct EmailChannel {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    pub from: Mailbox,
    pub to: Vec<Mailbox>,
}

impl EmailChannel {
    /// A channel sending through `smtp_url`; the URL is checked now, nothing is connected to.
    pub fn new(smtp_url: &str, from: Mailbox, to: Vec<Mailbox>) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| e.to_string())?
            .timeout(Some(std::time::Duration::from_secs(30)))
            .build();
        Ok(Self {
            transport,
            from,
            to,
        })
    }

    /// The message a digest makes: its title as the subject, its lines as plain text.
    pub fn message(&self, digest: &Digest, alerts_url: &str) -> Result<Message, String> {
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(digest.title())
            .header(ContentType::TEXT_PLAIN);
        for to in &self.to {
            builder = builder.to(to.clone());
        }
        builder
            .body(digest.text(alerts_url))
            .map_err(|e| format!("the digest could not be written as an email: {e}"))
    }

    pub async fn send(&self, digest: &Digest, alerts_url: &str) -> Result<(), String> {
        let message = self.message(digest, alerts_url)?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| format!("the SMTP relay refused or could not be reached: {e}"))
    }
}
