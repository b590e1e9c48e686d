//! What a customer told us about themselves: what they like to buy and how
//! they want to hear from us.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// Shopping preferences, used to rank recommendations.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
pub struct Preferences {
    pub organic: bool,
    pub seasonal: bool,
    pub local: bool,
}

/// A way of reaching a customer.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum NotificationChannel {
    Email,
    Sms,
    Push,
    InApp,
}

impl NotificationChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationChannel::Email => "email",
            NotificationChannel::Sms => "sms",
            NotificationChannel::Push => "push",
            NotificationChannel::InApp => "in_app",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "email" => Some(NotificationChannel::Email),
            "sms" => Some(NotificationChannel::Sms),
            "push" => Some(NotificationChannel::Push),
            "in_app" => Some(NotificationChannel::InApp),
            _ => None,
        }
    }
}

/// The channels a customer wants, without repeats. The in-app inbox is
/// always among them: it is the record of everything that happened to an
/// order, so it cannot be switched off.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(from = "Vec<NotificationChannel>", into = "Vec<NotificationChannel>")]
#[schema(value_type = Vec<NotificationChannel>)]
pub struct NotificationChannels(BTreeSet<NotificationChannel>);

impl NotificationChannels {
    pub fn new(channels: impl IntoIterator<Item = NotificationChannel>) -> Self {
        let mut set: BTreeSet<_> = channels.into_iter().collect();
        set.insert(NotificationChannel::InApp);
        Self(set)
    }

    pub fn contains(&self, channel: NotificationChannel) -> bool {
        self.0.contains(&channel)
    }

    pub fn iter(&self) -> impl Iterator<Item = NotificationChannel> + '_ {
        self.0.iter().copied()
    }
}

/// Email and the inbox: what a new account starts with.
impl Default for NotificationChannels {
    fn default() -> Self {
        Self::new([NotificationChannel::Email])
    }
}

impl From<Vec<NotificationChannel>> for NotificationChannels {
    fn from(channels: Vec<NotificationChannel>) -> Self {
        Self::new(channels)
    }
}

impl From<NotificationChannels> for Vec<NotificationChannel> {
    fn from(channels: NotificationChannels) -> Self {
        channels.0.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inbox_cannot_be_switched_off_and_repeats_collapse() {
        let channels: NotificationChannels =
            serde_json::from_value(serde_json::json!(["sms", "sms"])).unwrap();
        assert!(channels.contains(NotificationChannel::InApp));
        assert_eq!(
            serde_json::to_value(&channels).unwrap(),
            serde_json::json!(["sms", "in_app"])
        );
    }

    #[test]
    fn an_unknown_channel_is_refused() {
        assert!(
            serde_json::from_value::<NotificationChannels>(serde_json::json!(["fax"])).is_err()
        );
        assert_eq!(NotificationChannel::parse("fax"), None);
        for channel in [
            NotificationChannel::Email,
            NotificationChannel::Sms,
            NotificationChannel::Push,
            NotificationChannel::InApp,
        ] {
            assert_eq!(NotificationChannel::parse(channel.as_str()), Some(channel));
        }
    }
}
