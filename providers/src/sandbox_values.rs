//! Every test value the sandbox providers react to, in one place.
//!
//! The sandboxes branch on these constants, the tests use them to pick an
//! outcome, and the README's sandbox tables are [`markdown_tables`]
//! rendered from [`TABLES`] (a test checks that the README holds them
//! verbatim), so a value and its documented behaviour cannot drift apart.

/// Always charged.
pub const CARD_APPROVED: &str = "4242424242424242";
/// Always declined.
pub const CARD_DECLINED: &str = "4000000000000002";
/// Fails transiently on the first [`FLAKY_ATTEMPTS`] attempts of a key.
pub const CARD_FLAKY: &str = "4000000000000119";
/// Charged, but for one minor unit less than asked: the order is put on
/// hold for an operator.
pub const CARD_SHORT_CAPTURE: &str = "4000000000000077";
/// Attempts of one key that fail before [`CARD_FLAKY`] succeeds.
pub const FLAKY_ATTEMPTS: i64 = 2;
/// A collect request the simulated customer approves.
pub const VPA_SUCCEEDS: &str = "success@upi";
/// A collect request the simulated customer declines.
pub const VPA_FAILS: &str = "fail@upi";
pub const BANK_SUCCEEDS: &str = "SUCCESS";
pub const BANK_FAILS: &str = "FAIL";

/// Parcels to this postal code are refused for good (undeliverable).
pub const POSTAL_CODE_UNDELIVERABLE: &str = "000000";
/// Bookings to this postal code fail transiently (a carrier outage).
pub const POSTAL_CODE_OUTAGE: &str = "999999";

/// SMS to this number are refused for good, as a provider refuses a number
/// that is not a mobile phone.
pub const SMS_INVALID_NUMBER: &str = "+15005550001";
/// SMS to this number fail transiently, as when the recipient's carrier does
/// not answer.
pub const SMS_UNREACHABLE_NUMBER: &str = "+15005550009";
/// Pushes to this device token are refused for good, as a push service
/// refuses a token of an uninstalled app.
pub const PUSH_INVALID_DEVICE: &str = "invalid-device";

/// One documented test value: what it is used as, the value, what happens.
pub struct TestValue {
    pub used_as: &'static str,
    /// Empty when the row is about every other value of its kind.
    pub value: &'static str,
    pub behaviour: &'static str,
}

/// A table of test values under its column headings.
pub struct Table {
    pub headings: [&'static str; 3],
    pub rows: &'static [TestValue],
}

/// The payment, carrier and message tables of the README, in that order.
pub const TABLES: [Table; 3] = [
    Table {
        headings: ["method", "test value", "behaviour"],
        rows: &[
            TestValue {
                used_as: "card",
                value: CARD_APPROVED,
                behaviour: "succeeds (any other Luhn-valid number too)",
            },
            TestValue {
                used_as: "card",
                value: CARD_DECLINED,
                behaviour: "declined (final: `payment_failed`)",
            },
            TestValue {
                used_as: "card",
                value: CARD_FLAKY,
                behaviour: "fails transiently twice, then succeeds (retried, charged once)",
            },
            TestValue {
                used_as: "card",
                value: CARD_SHORT_CAPTURE,
                behaviour: "charged one paisa less than the total: the order is put on hold for an operator",
            },
            TestValue {
                used_as: "upi",
                value: VPA_SUCCEEDS,
                behaviour: "collect request; the sandbox posts a signed `succeeded` webhook after 2 s",
            },
            TestValue {
                used_as: "upi",
                value: VPA_FAILS,
                behaviour: "the sandbox posts a `failed` webhook",
            },
            TestValue {
                used_as: "upi",
                value: "",
                behaviour: "any other VPA stays pending until it times out, unless you post a signed \
                            webhook yourself: `succeeded` pays it, `failed` fails it (the sandbox \
                            never confirms money for the failing VPA, whatever a webhook claims)",
            },
            TestValue {
                used_as: "netbanking (bank code)",
                value: BANK_SUCCEEDS,
                behaviour: "as the succeeding VPA",
            },
            TestValue {
                used_as: "netbanking (bank code)",
                value: BANK_FAILS,
                behaviour: "as the failing VPA; any other bank code stays pending",
            },
            TestValue {
                used_as: "cod",
                value: "",
                behaviour: "authorized at placement, captured when delivered",
            },
        ],
    },
    Table {
        headings: ["carrier", "test value", "behaviour"],
        rows: &[
            TestValue {
                used_as: "postal code",
                value: POSTAL_CODE_UNDELIVERABLE,
                behaviour: "refused (undeliverable): the order is cancelled and refunded",
            },
            TestValue {
                used_as: "postal code",
                value: POSTAL_CODE_OUTAGE,
                behaviour: "a carrier outage: booking is retried, then the order is cancelled and refunded",
            },
            TestValue {
                used_as: "postal code",
                value: "",
                behaviour: "any other is booked with a UUID tracking id",
            },
        ],
    },
    Table {
        headings: ["channel", "test value", "behaviour"],
        rows: &[
            TestValue {
                used_as: "SMS (phone)",
                value: SMS_INVALID_NUMBER,
                behaviour: "refused for good (invalid number): no SMS, the other channels are still delivered",
            },
            TestValue {
                used_as: "SMS (phone)",
                value: SMS_UNREACHABLE_NUMBER,
                behaviour: "fails transiently on every attempt: the relay retries with backoff, then \
                            marks it failed; the order never waits for it",
            },
            TestValue {
                used_as: "push (device token)",
                value: PUSH_INVALID_DEVICE,
                behaviour: "refused for good (unregistered): the registration is deleted, the \
                            customer's other devices still get the push",
            },
        ],
    },
];

/// [`TABLES`] as Markdown, each table followed by a blank line.
pub fn markdown_tables() -> String {
    let mut out = String::new();
    for table in &TABLES {
        let [a, b, c] = table.headings;
        out.push_str(&format!("| {a} | {b} | {c} |\n| --- | --- | --- |\n"));
        for row in table.rows {
            let value = if row.value.is_empty() {
                String::new()
            } else {
                format!("`{}`", row.value)
            };
            out.push_str(&format!(
                "| {} | {} | {} |\n",
                row.used_as, value, row.behaviour
            ));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_shows_every_sandbox_value_as_the_sandboxes_treat_it() {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
            .expect("the README");
        for table in markdown_tables().split("\n\n").filter(|t| !t.is_empty()) {
            assert!(
                readme.contains(table),
                "the README lacks this table (paste it from `markdown_tables()`):\n{table}"
            );
        }
    }
}
