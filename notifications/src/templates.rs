//! The wording of every message, as templates an operator can change
//! without reading Rust.
//!
//! Each message is one file under `notifications/templates/` (minijinja,
//! Jinja's syntax) with up to three blocks: `subject`, `body` (the email
//! and the in-app entry) and `short` (SMS and push: one line). Files whose
//! names start with `_` are parts the messages include. The files are
//! compiled into the binary; `ORDERLY_TEMPLATES_DIR` names a folder whose
//! files of the same names replace them at start-up, and every template is
//! rendered once against sample values then, so a broken edit stops the
//! process with the file and line instead of failing a customer's message.

use std::path::Path;

use minijinja::{Environment, UndefinedBehavior, Value};

use crate::Rendered;

/// The environment variable naming a folder of replacement templates.
pub const TEMPLATES_DIR_ENV: &str = "ORDERLY_TEMPLATES_DIR";

/// The longest short text: one SMS segment, so a text is never split (and
/// billed) in parts. Longer renderings are cut to fit.
pub const SHORT_TEXT_MAX_CHARS: usize = 160;

/// (file name, built-in source), parts first.
const BUILT_IN: &[(&str, &str)] = &[
    (
        "_order_details.txt",
        include_str!("../templates/_order_details.txt"),
    ),
    ("_refund.txt", include_str!("../templates/_refund.txt")),
    (
        "_short_refund.txt",
        include_str!("../templates/_short_refund.txt"),
    ),
    (
        "order_confirmed.txt",
        include_str!("../templates/order_confirmed.txt"),
    ),
    (
        "payment_receipt.txt",
        include_str!("../templates/payment_receipt.txt"),
    ),
    (
        "ready_for_pickup.txt",
        include_str!("../templates/ready_for_pickup.txt"),
    ),
    ("shipped.txt", include_str!("../templates/shipped.txt")),
    (
        "out_for_delivery.txt",
        include_str!("../templates/out_for_delivery.txt"),
    ),
    ("delivered.txt", include_str!("../templates/delivered.txt")),
    ("cancelled.txt", include_str!("../templates/cancelled.txt")),
    (
        "payment_failed.txt",
        include_str!("../templates/payment_failed.txt"),
    ),
    (
        "shipment_returned.txt",
        include_str!("../templates/shipment_returned.txt"),
    ),
    ("refunded.txt", include_str!("../templates/refunded.txt")),
    (
        "order_edited.txt",
        include_str!("../templates/order_edited.txt"),
    ),
    (
        "return_updated.txt",
        include_str!("../templates/return_updated.txt"),
    ),
    (
        "cart_reminder.txt",
        include_str!("../templates/cart_reminder.txt"),
    ),
    ("low_stock.txt", include_str!("../templates/low_stock.txt")),
    (
        "spoilage_alert.txt",
        include_str!("../templates/spoilage_alert.txt"),
    ),
    (
        "password_reset.txt",
        include_str!("../templates/password_reset.txt"),
    ),
    (
        "staff_invitation.txt",
        include_str!("../templates/staff_invitation.txt"),
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("reading template {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("template {name}: {source:#}")]
    Render {
        name: String,
        source: minijinja::Error,
    },
    #[error("{kind} notifications are not about an order")]
    NotAboutAnOrder { kind: String },
}

/// One message rendered from its template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageText {
    pub rendered: Rendered,
    /// The SMS and push text, when the template has one.
    pub short: Option<String>,
}

impl MessageText {
    /// The SMS and push text, or the subject for a template without one.
    pub fn short_or_subject(&self) -> &str {
        self.short.as_deref().unwrap_or(&self.rendered.subject)
    }
}

/// Every message template, compiled.
#[derive(Debug)]
pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    /// The templates compiled into the binary.
    pub fn built_in() -> Self {
        let mut env = environment();
        for (name, source) in BUILT_IN {
            env.add_template_owned(*name, *source)
                .expect("a built-in template does not compile");
        }
        Self { env }
    }

    /// The built-in templates, each replaced by the file of the same name
    /// in `dir` when there is one; every template is checked by rendering
    /// it against sample values.
    pub fn with_overrides(dir: &Path) -> Result<Self, TemplateError> {
        let mut env = environment();
        for (name, source) in BUILT_IN {
            let path = dir.join(name);
            let source = match std::fs::read_to_string(&path) {
                Ok(replacement) => replacement,
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => (*source).to_owned(),
                Err(source) => {
                    return Err(TemplateError::Read {
                        path: path.display().to_string(),
                        source,
                    });
                }
            };
            env.add_template_owned(*name, source)
                .map_err(|source| TemplateError::Render {
                    name: (*name).to_owned(),
                    source,
                })?;
        }
        let templates = Self { env };
        templates.check()?;
        Ok(templates)
    }

    /// The built-in templates, or those of [`TEMPLATES_DIR_ENV`] when set.
    pub fn from_env() -> Result<Self, TemplateError> {
        match std::env::var_os(TEMPLATES_DIR_ENV) {
            Some(dir) => Self::with_overrides(Path::new(&dir)),
            None => Ok(Self::built_in()),
        }
    }

    /// Renders message `name` (a file name without `.txt`) with `context`.
    pub fn render(&self, name: &str, context: Value) -> Result<MessageText, TemplateError> {
        let file = format!("{name}.txt");
        let failed = |source| TemplateError::Render {
            name: file.clone(),
            source,
        };
        let template = self.env.get_template(&file).map_err(failed)?;
        let with_short = has_block(template.source(), "short");
        let mut captured = template.render_captured(context).map_err(failed)?;
        let (subject, body, short) = captured
            .with_state_mut(|state| {
                let subject = state.render_block("subject")?;
                let body = state.render_block("body")?;
                let short = if with_short {
                    Some(state.render_block("short")?)
                } else {
                    None
                };
                Ok((subject, body, short))
            })
            .map_err(failed)?;
        let short = short.as_deref().map(fit_short);
        Ok(MessageText {
            rendered: Rendered {
                subject: subject.trim().to_owned(),
                body,
            },
            short,
        })
    }

    /// Renders every message once against sample values.
    fn check(&self) -> Result<(), TemplateError> {
        for (name, context) in crate::samples::every_message() {
            self.render(name, context)?;
        }
        Ok(())
    }
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    // Tag-only lines vanish, as a reader of the template expects.
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    // A misspelt variable is an error at start-up, not a blank in an email.
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env
}

fn has_block(source: &str, block: &str) -> bool {
    source.contains(&format!("{{% block {block} %}}"))
}

/// One line of at most [`SHORT_TEXT_MAX_CHARS`] characters.
fn fit_short(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= SHORT_TEXT_MAX_CHARS {
        return line;
    }
    let mut cut: String = line.chars().take(SHORT_TEXT_MAX_CHARS - 3).collect();
    cut.push_str("...");
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_template_renders_its_sample() {
        Templates::built_in().check().unwrap();
    }

    #[test]
    fn a_replacement_file_changes_the_wording_and_the_others_stay() {
        let dir = std::env::temp_dir().join(format!("orderly-templates-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("delivered.txt"),
            "{% block subject %}Delivered: {{ order.id }}{% endblock %}\n\
             {% block body %}Here it is, {{ name }}.\n{% endblock %}\n",
        )
        .unwrap();
        let templates = Templates::with_overrides(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let (_, context) = crate::samples::every_message()
            .into_iter()
            .find(|(name, _)| *name == "delivered")
            .unwrap();
        let delivered = templates.render("delivered", context).unwrap();
        assert!(delivered.rendered.subject.starts_with("Delivered: "));
        assert!(delivered.rendered.body.starts_with("Here it is, "));
        assert_eq!(delivered.short, None);
        let (_, context) = crate::samples::every_message()
            .into_iter()
            .find(|(name, _)| *name == "shipped")
            .unwrap();
        let shipped = templates.render("shipped", context).unwrap();
        assert!(shipped.rendered.subject.ends_with("has shipped"));
    }

    #[test]
    fn a_replacement_that_names_an_unknown_value_is_refused_at_start() {
        let dir =
            std::env::temp_dir().join(format!("orderly-templates-broken-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("shipped.txt"),
            "{% block subject %}{{ order.nonsense }}{% endblock %}{% block body %}x{% endblock %}",
        )
        .unwrap();
        let refused = Templates::with_overrides(&dir).unwrap_err();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(refused.to_string().contains("shipped.txt"), "{refused}");
    }

    #[test]
    fn a_short_text_too_long_for_one_sms_is_cut_to_fit() {
        let text = fit_short(&"word ".repeat(100));
        assert_eq!(text.chars().count(), SHORT_TEXT_MAX_CHARS);
        assert!(text.ends_with("..."));
        assert_eq!(fit_short("one\n  line "), "one line");
    }
}
