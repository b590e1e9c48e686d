//! The message log the sandbox SMS and push gateways write instead of
//! reaching a phone.

use orderly_store::{NewSandboxMessage, Store};

use crate::ChannelError;

/// Delivers `message` unless its key was delivered before; either way the
/// send succeeded. The sandbox's own storage failing is, to the caller, the
/// provider being unavailable.
pub(crate) async fn record(store: &Store, message: NewSandboxMessage) -> Result<(), ChannelError> {
    store
        .sandbox()
        .record_sandbox_message(&message)
        .await
        .map(drop)
        .map_err(|e| {
            ChannelError::Transient(format!("sandbox {} outbox: {e}", message.channel.as_str()))
        })
}

#[cfg(test)]
pub(crate) mod tests {
    use orderly_domain::NotificationChannel;
    use orderly_store::Store;

    pub(crate) async fn memory_store() -> Store {
        let store = Store::connect("sqlite::memory:").await.unwrap();
        store.migrate().await.unwrap();
        store
    }

    /// (recipient, body) of what `channel` delivered, newest first.
    pub(crate) async fn outbox(
        store: &Store,
        channel: NotificationChannel,
    ) -> Vec<(String, String)> {
        store
            .sandbox()
            .sandbox_messages(Some(channel), None, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|message| (message.recipient, message.body))
            .collect()
    }
}
