//! Stock activities: holding an order's stock in the warehouses that should
//! send it, releasing, committing and restocking it (all of it, or one
//! parcel's), and telling sellers when a reservation took a SKU below its
//! low-stock threshold.

use std::sync::Arc;

use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

use chrono::Utc;
use orderly_domain::{
    Freshness, OrderId, PostalRegionRanking, ReserveOutcome, StockSource, WarehouseRanking,
    WarehouseSite,
};
use orderly_notifications::Notifier;
use orderly_store::{Holder, ReturnedLine, Sourcing, Store, StoreError};
use orderly_workflows::contract::definitions::{
    CommitParcel, CommitStock, ReleaseParcel, ReleaseStock, ReserveStock, Restock, RestockParcel,
    ReviseStock, TakeBackReturn,
};
use orderly_workflows::contract::{ParcelStock, ReserveInput, ReturnedStock, ReviseInput};

use crate::{final_failure, retryable};

/// The rules stock is held by: how fresh it must be, and which warehouse
/// is nearest a customer.
#[derive(Clone)]
pub struct StockPolicy {
    pub freshness: Freshness,
    pub ranking: Arc<dyn WarehouseRanking>,
}

impl StockPolicy {
    /// Nearest by postal-code region.
    pub fn new(freshness: Freshness) -> Self {
        StockPolicy {
            freshness,
            ranking: Arc::new(PostalRegionRanking),
        }
    }

    /// Another rule of nearness (coordinates, a carrier's zones).
    pub fn with_ranking(self, ranking: Arc<dyn WarehouseRanking>) -> Self {
        StockPolicy { ranking, ..self }
    }
}

pub struct StockActivities {
    store: Store,
    notifier: Notifier,
    policy: StockPolicy,
}

impl StockActivities {
    pub fn new(store: Store, notifier: Notifier, policy: StockPolicy) -> Self {
        Self {
            store,
            notifier,
            policy,
        }
    }

    /// The warehouses an order may be filled from, best first.
    async fn sourcing(&self, source: Option<&StockSource>) -> Result<Sourcing, StoreError> {
        let Some(source) = source else {
            return Ok(Sourcing::anywhere());
        };
        let warehouses = self.store.warehouses().list(false).await?;
        Ok(match source {
            StockSource::NearestTo { postal_code } | StockSource::OneParcelTo { postal_code } => {
                let sites: Vec<WarehouseSite> = warehouses
                    .iter()
                    .map(|w| WarehouseSite {
                        id: w.id,
                        postal_code: w.address.postal_code.clone(),
                    })
                    .collect();
                Sourcing {
                    warehouses: self.policy.ranking.rank(postal_code, &sites),
                    one_warehouse: matches!(source, StockSource::OneParcelTo { .. }),
                }
            }
            StockSource::Pickup {
                warehouse_id: Some(id),
            } => Sourcing {
                warehouses: vec![*id],
                one_warehouse: true,
            },
            StockSource::Pickup { warehouse_id: None } => {
                let counters: Vec<_> = warehouses
                    .iter()
                    .filter(|w| w.serves_pickup)
                    .map(|w| w.id)
                    .collect();
                Sourcing {
                    // A shop with no counter set up collects from the
                    // default warehouse, as before warehouses existed.
                    warehouses: if counters.is_empty() {
                        vec![orderly_domain::DEFAULT_WAREHOUSE]
                    } else {
                        counters
                    },
                    one_warehouse: true,
                }
            }
        })
    }

    /// Held stock may have taken SKUs below their threshold; each crossing
    /// is told to its seller once, retries included.
    async fn tell_low_stock(
        &self,
        outcome: &ReserveOutcome,
        lines: &[(orderly_domain::Sku, orderly_domain::Quantity)],
    ) -> Result<(), ActivityError> {
        if !matches!(outcome, ReserveOutcome::Allocated(_)) {
            return Ok(());
        }
        let skus: Vec<_> = lines.iter().map(|(sku, _)| sku.clone()).collect();
        let alerts = self
            .store
            .inventory()
            .low_stock_alerts(&skus)
            .await
            .map_err(retryable)?;
        for alert in &alerts {
            self.notifier
                .notify_low_stock(alert)
                .await
                .map_err(retryable)?;
        }
        Ok(())
    }
}

#[activities]
impl StockActivities {
    #[activity(definition = ReserveStock)]
    pub async fn reserve_stock(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: ReserveInput,
    ) -> Result<ReserveOutcome, ActivityError> {
        let lines: Vec<_> = input
            .lines
            .iter()
            .map(|l| (l.sku.clone(), l.quantity))
            .collect();
        let sourcing = self
            .sourcing(input.source.as_ref())
            .await
            .map_err(retryable)?;
        let outcome = self
            .store
            .inventory()
            .reserve(
                Holder {
                    order_id: input.order_id,
                    part: input.part,
                },
                &lines,
                self.policy.freshness.good_until(Utc::now()),
                &sourcing,
            )
            .await
            .map_err(retryable)?;
        self.tell_low_stock(&outcome, &lines).await?;
        Ok(outcome)
    }

    #[activity(definition = ReviseStock)]
    pub async fn revise_stock(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: ReviseInput,
    ) -> Result<ReserveOutcome, ActivityError> {
        let lines: Vec<_> = input
            .lines
            .iter()
            .map(|l| (l.sku.clone(), l.quantity))
            .collect();
        let sourcing = self
            .sourcing(Some(&input.source))
            .await
            .map_err(retryable)?;
        let outcome = self
            .store
            .inventory()
            .revise(
                input.order_id,
                input.revision,
                &lines,
                self.policy.freshness.good_until(Utc::now()),
                &sourcing,
            )
            .await
            .map_err(|err| match err {
                StoreError::Conflict(_) => final_failure(err),
                other => retryable(other),
            })?;
        self.tell_low_stock(&outcome, &lines).await?;
        Ok(outcome)
    }

    #[activity(definition = ReleaseStock)]
    pub async fn release_stock(
        self: Arc<Self>,
        _ctx: ActivityContext,
        order_id: OrderId,
    ) -> Result<(), ActivityError> {
        self.store
            .inventory()
            .release_reservation(order_id, None)
            .await
            .map(drop)
            .map_err(retryable)
    }

    #[activity(definition = CommitStock)]
    pub async fn commit_stock(
        self: Arc<Self>,
        _ctx: ActivityContext,
        order_id: OrderId,
    ) -> Result<(), ActivityError> {
        self.store
            .inventory()
            .commit_reservation(order_id, None)
            .await
            .map(drop)
            .map_err(retryable)
    }

    #[activity(definition = Restock)]
    pub async fn restock(
        self: Arc<Self>,
        _ctx: ActivityContext,
        order_id: OrderId,
    ) -> Result<(), ActivityError> {
        self.store
            .inventory()
            .restock_reservation(order_id, None)
            .await
            .map(drop)
            .map_err(retryable)
    }

    #[activity(definition = ReleaseParcel)]
    pub async fn release_parcel(
        self: Arc<Self>,
        _ctx: ActivityContext,
        parcel: ParcelStock,
    ) -> Result<(), ActivityError> {
        self.store
            .inventory()
            .release_reservation(holder(&parcel), Some(parcel.warehouse_id))
            .await
            .map(drop)
            .map_err(retryable)
    }

    #[activity(definition = CommitParcel)]
    pub async fn commit_parcel(
        self: Arc<Self>,
        _ctx: ActivityContext,
        parcel: ParcelStock,
    ) -> Result<(), ActivityError> {
        self.store
            .inventory()
            .commit_reservation(holder(&parcel), Some(parcel.warehouse_id))
            .await
            .map(drop)
            .map_err(retryable)
    }

    #[activity(definition = RestockParcel)]
    pub async fn restock_parcel(
        self: Arc<Self>,
        _ctx: ActivityContext,
        parcel: ParcelStock,
    ) -> Result<(), ActivityError> {
        self.store
            .inventory()
            .restock_reservation(holder(&parcel), Some(parcel.warehouse_id))
            .await
            .map(drop)
            .map_err(retryable)
    }

    #[activity(definition = TakeBackReturn)]
    pub async fn take_back_return(
        self: Arc<Self>,
        _ctx: ActivityContext,
        stock: ReturnedStock,
    ) -> Result<(), ActivityError> {
        let lines: Vec<ReturnedLine> = stock
            .lines
            .into_iter()
            .map(|line| ReturnedLine {
                sku: line.sku,
                restocked: line.restocked,
                written_off: line.written_off,
            })
            .collect();
        match self
            .store
            .inventory()
            .take_back_return(stock.order_id, stock.number, &lines)
            .await
        {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) => Err(final_failure(
                "the order holds no batch of a returned line to restock",
            )),
            Err(err) => Err(retryable(err)),
        }
    }
}

/// Whose stock a parcel is: the order's own, or an exchange's replacement.
fn holder(parcel: &ParcelStock) -> Holder {
    Holder {
        order_id: parcel.order_id,
        part: parcel.part,
    }
}
