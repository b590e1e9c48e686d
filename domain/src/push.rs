//! The devices a customer registered for push notifications.
//!
//! A device is known by the opaque token its platform's push service handed
//! the app (APNs, FCM, Web Push). Tokens are only checked for what every
//! service agrees on, so a real token from any of them is accepted: printable
//! ASCII of bounded length, which also keeps them safe to log and store.

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// Which push service a device is reached through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PushPlatform {
    Ios,
    Android,
    Web,
}

impl PushPlatform {
    pub fn as_str(self) -> &'static str {
        match self {
            PushPlatform::Ios => "ios",
            PushPlatform::Android => "android",
            PushPlatform::Web => "web",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [PushPlatform::Ios, PushPlatform::Android, PushPlatform::Web]
            .into_iter()
            .find(|platform| platform.as_str() == raw)
    }
}

/// A push service's token for one installation of the app: 1 to
/// [`DeviceToken::MAX_LEN`] printable ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "f3b2c1d0e9a8")]
pub struct DeviceToken(String);

impl DeviceToken {
    /// Web Push subscriptions, the longest of the three, stay well below.
    pub const MAX_LEN: usize = 4096;

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let printable = raw.bytes().all(|b| b.is_ascii_graphic() || b == b' ');
        if !raw.is_empty() && raw.len() <= Self::MAX_LEN && printable {
            Ok(Self(raw.to_owned()))
        } else {
            Err(DomainError::new(
                "token",
                format!("must be 1 to {} printable ASCII characters", Self::MAX_LEN),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for DeviceToken {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<DeviceToken> for String {
    fn from(value: DeviceToken) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_one_to_4096_printable_ascii_characters() {
        assert!(DeviceToken::parse("a").is_ok());
        assert!(DeviceToken::parse(&"x".repeat(DeviceToken::MAX_LEN)).is_ok());
        for bad in [
            String::new(),
            "x".repeat(DeviceToken::MAX_LEN + 1),
            "tab\there".into(),
            "new\nline".into(),
            "caf\u{e9}".into(),
        ] {
            let error = DeviceToken::parse(&bad).unwrap_err();
            assert_eq!(error.field, "token", "{bad:?}");
        }
    }

    #[test]
    fn platforms_read_back_what_they_write() {
        for platform in [PushPlatform::Ios, PushPlatform::Android, PushPlatform::Web] {
            assert_eq!(PushPlatform::parse(platform.as_str()), Some(platform));
            assert_eq!(serde_json::to_value(platform).unwrap(), platform.as_str());
        }
        assert_eq!(PushPlatform::parse("blackberry"), None);
    }
}
