//! The rules an account's email, password and name must meet.
//!
//! Shared by registration and by the admin seeding of the binary, so an
//! account created either way obeys the same rules.

use crate::problem::FieldError;

pub const PASSWORD_MIN_CHARS: usize = 8;
pub const PASSWORD_MAX_CHARS: usize = 128;
const NAME_MAX_CHARS: usize = 100;

/// Emails are compared case-insensitively, so they are kept lower-cased.
pub fn normalize_email(raw: &str) -> String {
    raw.trim().to_lowercase()
}

/// A pragmatic check: one `@`, a non-empty local part, a dotted domain of
/// non-empty labels, no spaces, and RFC 5321's length limits. Whether the
/// mailbox exists is only known by writing to it.
pub fn check_email(email: &str, errors: &mut Vec<FieldError>) {
    let valid = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && local.len() <= 64
                && !domain.contains('@')
                && domain.contains('.')
                && domain.split('.').all(|label| {
                    !label.is_empty()
                        && !label.starts_with('-')
                        && !label.ends_with('-')
                        && label.chars().all(|c| c.is_alphanumeric() || c == '-')
                })
        });
    if !valid {
        errors.push(FieldError::new(
            "email",
            "must be an email address such as name@example.com",
        ));
    }
}

pub fn check_password(password: &str, errors: &mut Vec<FieldError>) {
    let chars = password.chars().count();
    if !(PASSWORD_MIN_CHARS..=PASSWORD_MAX_CHARS).contains(&chars) {
        errors.push(FieldError::new(
            "password",
            format!("must be between {PASSWORD_MIN_CHARS} and {PASSWORD_MAX_CHARS} characters"),
        ));
    }
}

pub fn check_name(name: &str, errors: &mut Vec<FieldError>) {
    let chars = name.chars().count();
    if chars == 0 || chars > NAME_MAX_CHARS || name.chars().any(char::is_control) {
        errors.push(FieldError::new(
            "name",
            format!("must be 1 to {NAME_MAX_CHARS} printable characters"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email_ok(raw: &str) -> bool {
        let mut errors = Vec::new();
        check_email(&normalize_email(raw), &mut errors);
        errors.is_empty()
    }

    #[test]
    fn ordinary_addresses_are_accepted_in_any_case() {
        assert!(email_ok("asha@example.com"));
        assert!(email_ok("  Asha.Rao+orders@Mail.Example.IN "));
        assert_eq!(normalize_email(" Asha@Example.COM "), "asha@example.com");
    }

    #[test]
    fn addresses_without_a_proper_domain_are_refused() {
        for bad in [
            "",
            "asha",
            "asha@",
            "@example.com",
            "asha@example",
            "asha@exa mple.com",
            "a@b@c.com",
            "asha@.com",
            "asha@example..com",
        ] {
            assert!(!email_ok(bad), "{bad:?} was accepted");
        }
    }

    #[test]
    fn passwords_are_counted_in_characters_not_bytes() {
        let mut errors = Vec::new();
        check_password("ééééééé", &mut errors);
        assert_eq!(errors.len(), 1, "7 characters must be too short");
        errors.clear();
        check_password("éééééééé", &mut errors);
        assert!(errors.is_empty());
        check_password(&"x".repeat(129), &mut errors);
        assert_eq!(errors[0].field, "password");
    }

    #[test]
    fn a_blank_name_is_refused() {
        let mut errors = Vec::new();
        check_name("", &mut errors);
        assert_eq!(errors[0].field, "name");
    }
}
