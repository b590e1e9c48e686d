//! Faults injected where the outside world would cause them: a card
//! provider whose answers are lost on the way back, one whose refunds keep
//! failing, one that declines what an edit adds, a slow UPI provider, and
//! a ledger whose writes of settled money fail.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sqlx::Connection;

use orderly_domain::{LedgerKind, PaymentMethod};
use orderly_providers::payments::{PaymentError, PaymentProvider, PaymentRequest, ProviderReceipt};

use crate::app::TestApp;
use crate::database::uses_postgres;

/// What goes wrong with the card provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PaymentFault {
    /// Every charge goes through at the provider, but the answer never
    /// reaches the worker (a timeout after the money moved).
    LoseChargeAnswers,
    /// Every refund fails as if the provider were down.
    FailRefunds,
    /// UPI collect requests take seconds to start, so an order stays
    /// `placed` a while before it awaits payment.
    SlowCollectRequests,
    /// The issuer declines every charge on top of the order's own: the
    /// difference of an edit (keys `…:edit-{n}`) or of an exchange
    /// (`…:exchange-{n}`). The order's own charge goes through.
    DeclineAddedCharges,
}

impl PaymentFault {
    /// The method whose provider the fault is in.
    pub fn method(self) -> PaymentMethod {
        match self {
            PaymentFault::LoseChargeAnswers
            | PaymentFault::FailRefunds
            | PaymentFault::DeclineAddedCharges => PaymentMethod::Card,
            PaymentFault::SlowCollectRequests => PaymentMethod::Upi,
        }
    }
}

/// How long a slow collect request takes to start: longer than a workflow
/// task may stay open (80% of its 10 s timeout), so the worker hands the
/// workflow its signals while the request is still under way.
const SLOW_COLLECT: Duration = Duration::from_secs(9);

/// A sandbox provider behind a fault.
pub struct FaultyProvider {
    pub inner: Arc<dyn PaymentProvider>,
    pub fault: PaymentFault,
}

#[async_trait]
impl PaymentProvider for FaultyProvider {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    async fn charge(&self, req: &PaymentRequest) -> Result<ProviderReceipt, PaymentError> {
        let added = [":edit-", ":exchange-"]
            .iter()
            .any(|part| req.idempotency_key.contains(part));
        if self.fault == PaymentFault::DeclineAddedCharges && added {
            return Err(PaymentError::Declined(
                "injected: the issuer declined the difference".into(),
            ));
        }
        let answer = self.inner.charge(req).await;
        match self.fault {
            PaymentFault::LoseChargeAnswers => Err(PaymentError::Transient(
                "injected: the provider's answer was lost".into(),
            )),
            PaymentFault::FailRefunds
            | PaymentFault::SlowCollectRequests
            | PaymentFault::DeclineAddedCharges => answer,
        }
    }

    async fn authorize(&self, req: &PaymentRequest) -> Result<ProviderReceipt, PaymentError> {
        self.inner.authorize(req).await
    }

    async fn capture(&self, req: &PaymentRequest) -> Result<ProviderReceipt, PaymentError> {
        self.inner.capture(req).await
    }

    async fn initiate(&self, req: &PaymentRequest) -> Result<ProviderReceipt, PaymentError> {
        if self.fault == PaymentFault::SlowCollectRequests {
            tokio::time::sleep(SLOW_COLLECT).await;
        }
        self.inner.initiate(req).await
    }

    async fn void(&self, req: &PaymentRequest) -> Result<ProviderReceipt, PaymentError> {
        self.inner.void(req).await
    }

    async fn refund(&self, req: &PaymentRequest) -> Result<ProviderReceipt, PaymentError> {
        match self.fault {
            PaymentFault::FailRefunds => Err(PaymentError::Transient(
                "injected: the provider is down for refunds".into(),
            )),
            PaymentFault::LoseChargeAnswers
            | PaymentFault::SlowCollectRequests
            | PaymentFault::DeclineAddedCharges => self.inner.refund(req).await,
        }
    }

    async fn lookup(
        &self,
        kind: LedgerKind,
        idempotency_key: &str,
    ) -> Result<Option<ProviderReceipt>, PaymentError> {
        self.inner.lookup(kind, idempotency_key).await
    }
}

/// A trigger that makes the database refuse a write, and how to drop it.
struct InjectedTrigger {
    name: &'static str,
    table: &'static str,
    sqlite: &'static str,
    /// The trigger function, then the trigger.
    postgres: [&'static str; 2],
}

const LEDGER_SETTLEMENTS: InjectedTrigger = InjectedTrigger {
    name: "injected_ledger_fault",
    table: "payment_ledger",
    sqlite: "CREATE TRIGGER injected_ledger_fault
    BEFORE UPDATE OF status ON payment_ledger WHEN NEW.status = 'settled'
    BEGIN SELECT RAISE(ABORT, 'injected ledger fault'); END",
    postgres: [
        "CREATE OR REPLACE FUNCTION injected_ledger_fault() RETURNS trigger AS $$
     BEGIN RAISE EXCEPTION 'injected ledger fault'; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER injected_ledger_fault BEFORE UPDATE ON payment_ledger
     FOR EACH ROW WHEN (NEW.status = 'settled') EXECUTE FUNCTION injected_ledger_fault()",
    ],
};

const POINTS_ENTRIES: InjectedTrigger = InjectedTrigger {
    name: "injected_points_fault",
    table: "loyalty_points",
    sqlite: "CREATE TRIGGER injected_points_fault
    BEFORE INSERT ON loyalty_points
    BEGIN SELECT RAISE(ABORT, 'injected points fault'); END",
    postgres: [
        "CREATE OR REPLACE FUNCTION injected_points_fault() RETURNS trigger AS $$
     BEGIN RAISE EXCEPTION 'injected points fault'; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER injected_points_fault BEFORE INSERT ON loyalty_points
     FOR EACH ROW EXECUTE FUNCTION injected_points_fault()",
    ],
};

impl TestApp {
    /// From now on the points ledger refuses every new entry, as a
    /// database that fails the write after the money moved.
    pub async fn break_points_ledger(&self) {
        self.inject(&POINTS_ENTRIES).await;
    }

    /// The points ledger takes entries again.
    pub async fn mend_points_ledger(&self) {
        self.remove(&POINTS_ENTRIES).await;
    }

    /// From now on the ledger refuses to record money as settled, as a
    /// database that fails every write after the provider answered.
    pub async fn break_ledger_settlements(&self) {
        self.inject(&LEDGER_SETTLEMENTS).await;
    }

    /// The ledger records settled money again.
    pub async fn mend_ledger_settlements(&self) {
        self.remove(&LEDGER_SETTLEMENTS).await;
    }

    async fn inject(&self, trigger: &InjectedTrigger) {
        if uses_postgres() {
            self.run_sql(&trigger.postgres).await;
        } else {
            self.run_sql(&[trigger.sqlite]).await;
        }
    }

    async fn remove(&self, trigger: &InjectedTrigger) {
        let statement = if uses_postgres() {
            format!("DROP TRIGGER {} ON {}", trigger.name, trigger.table)
        } else {
            format!("DROP TRIGGER {}", trigger.name)
        };
        self.run_sql(&[&statement]).await;
    }

    async fn run_sql(&self, statements: &[&str]) {
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&self.database_url)
            .await
            .expect("a connection to the test database");
        for statement in statements {
            sqlx::query(statement)
                .execute(&mut conn)
                .await
                .unwrap_or_else(|e| panic!("{statement}: {e}"));
        }
        conn.close().await.expect("closing the connection");
    }
}
