//! The password reset email.

use crate::Rendered;

/// The reset email. Plain ASCII with short lines, so it travels unencoded
/// and the code can be copied as it is.
pub fn password_reset_email(name: &str, token: &str, minutes: i64) -> Rendered {
    Rendered {
        subject: "Reset your orderly password".to_owned(),
        body: format!(
            "Hello {name},\n\n\
             someone, hopefully you, asked to reset the password of your\n\
             orderly account. To choose a new one, send this code with your\n\
             new password to POST /v1/auth/password-reset/confirm:\n\n\
             reset-code: {token}\n\n\
             The code works once, for {minutes} minutes. If you did not ask\n\
             for it, ignore this email: your password stays as it is.\n"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_email_carries_the_code_on_a_line_of_its_own() {
        let rendered = password_reset_email("Asha", "abc-DEF_123", 30);
        assert!(
            rendered
                .body
                .lines()
                .any(|line| line == "reset-code: abc-DEF_123"),
            "{}",
            rendered.body
        );
        assert!(rendered.body.contains("30 minutes"));
        assert!(rendered.body.lines().all(|line| line.len() <= 76));
    }
}
