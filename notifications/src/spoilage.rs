//! Telling a seller and ops that a batch is about to spoil, or has.
//!
//! The alert goes to each recipient's in-app inbox and to the other
//! channels they chose, like an order notification, under a dedupe key per
//! (batch, recipient, channel): however often the sweep runs, each of them
//! reads it once.

use orderly_domain::NotificationKind;
use orderly_store::SpoilingBatch;

use crate::delivery::Message;
use crate::render::spoilage_values;
use crate::{Notifier, NotifyError, Recipient};

impl Notifier {
    /// Tells `to` that `batch` is about to spoil (or, when `expired`,
    /// that it has).
    pub async fn notify_spoilage(
        &self,
        batch: &SpoilingBatch,
        expired: bool,
        to: &Recipient,
    ) -> Result<(), NotifyError> {
        let text = self
            .templates
            .render("spoilage_alert", spoilage_values(batch, expired, &to.name))?;
        self.deliver(&Message {
            to,
            order_id: None,
            kind: NotificationKind::SpoilageAlert,
            short: text.short_or_subject(),
            rendered: &text.rendered,
            key: alert_key(batch, to),
        })
        .await
    }
}

/// Names one recipient's alert about one batch; each channel's dedupe key
/// adds the channel.
fn alert_key(batch: &SpoilingBatch, to: &Recipient) -> String {
    format!(
        "spoilage:{}:{}:{}:{}",
        batch.key.sku, batch.key.warehouse_id, batch.key.batch_code, to.user_id
    )
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use orderly_domain::{BatchCode, DEFAULT_WAREHOUSE, Sku, UserId};
    use orderly_store::BatchKey;

    use super::*;
    use crate::{MessageText, Templates};

    fn batch() -> SpoilingBatch {
        SpoilingBatch {
            key: BatchKey {
                sku: Sku::parse("SPINACH-250G").unwrap(),
                warehouse_id: DEFAULT_WAREHOUSE,
                batch_code: BatchCode::parse("PUNE-12").unwrap(),
            },
            product: "Spinach, 250 g".into(),
            seller_id: None,
            warehouse: "Main warehouse".into(),
            expires_on: NaiveDate::from_ymd_opt(2026, 12, 3).unwrap(),
            on_hand: 9,
            reserved: 2,
        }
    }

    fn recipient() -> Recipient {
        Recipient {
            user_id: UserId::new(),
            name: "Farm Fresh".into(),
            email: "farm@example.com".into(),
        }
    }

    fn alert(expired: bool) -> MessageText {
        Templates::built_in()
            .render(
                "spoilage_alert",
                spoilage_values(&batch(), expired, &recipient().name),
            )
            .unwrap()
    }

    #[test]
    fn the_alert_names_the_batch_where_it_is_and_what_is_left_of_it() {
        let text = alert(false);
        assert_eq!(
            text.rendered.subject,
            "Expiring soon: Spinach, 250 g, batch PUNE-12"
        );
        assert!(
            text.rendered.body.contains(
                "Batch PUNE-12 of Spinach, 250 g (SPINACH-250G) at Main warehouse is good only until 2026-12-03."
            ),
            "{}",
            text.rendered.body
        );
        assert!(
            text.rendered
                .body
                .contains("9 units of it are on the shelf, 2 of them held for orders.")
        );
        assert_eq!(
            text.short.as_deref(),
            Some("orderly: batch PUNE-12 of SPINACH-250G at Main warehouse expires 2026-12-03.")
        );
    }

    #[test]
    fn an_expired_batch_is_told_as_written_off() {
        let text = alert(true);
        assert_eq!(
            text.rendered.subject,
            "Expired: Spinach, 250 g, batch PUNE-12"
        );
        assert!(
            text.rendered.body.contains("expired on 2026-12-03")
                && text.rendered.body.contains("written off"),
            "{}",
            text.rendered.body
        );
    }

    #[test]
    fn each_recipient_has_their_own_key_for_a_batch() {
        let (seller, admin) = (recipient(), recipient());
        assert_ne!(alert_key(&batch(), &seller), alert_key(&batch(), &admin));
        assert!(alert_key(&batch(), &seller).starts_with(&format!(
            "spoilage:SPINACH-250G:{DEFAULT_WAREHOUSE}:PUNE-12:"
        )));
    }
}
