//! What customers are told, on which channel, exactly once: the inbox, email over real SMTP, SMS and push.

mod channels;
mod email;
mod notifications;
