//! Reading the money that moved for an order out of its payment ledger.

use orderly_domain::LedgerKind;
use orderly_store::{LedgerEntry, LedgerStatus};

/// The refunds of the ledger that did not fail, oldest first.
pub fn refunds_in(ledger: &[LedgerEntry]) -> Vec<&LedgerEntry> {
    ledger
        .iter()
        .filter(|e| e.kind == LedgerKind::Refund && e.status != LedgerStatus::Failed)
        .collect()
}

/// What the ledger's refunds that did not fail add up to, in minor units.
pub fn refunded_total(ledger: &[LedgerEntry]) -> i64 {
    refunds_in(ledger).iter().map(|e| e.amount.amount).sum()
}

/// What the ledger's settled movements of `kind` add up to, in minor units.
pub fn settled_total(ledger: &[LedgerEntry], kind: LedgerKind) -> i64 {
    ledger
        .iter()
        .filter(|e| e.kind == kind && e.status == LedgerStatus::Settled)
        .map(|e| e.amount.amount)
        .sum()
}

/// What the ledger's settled captures add up to, in minor units.
pub fn captured_total(ledger: &[LedgerEntry]) -> i64 {
    settled_total(ledger, LedgerKind::Capture)
}
