//! Reservation throughput where stock is spread thin: 5 warehouses with 50
//! batches of each SKU, against the same orders on one warehouse with one
//! batch per SKU measured in the same run, each on a fresh SQLite file.
//!
//! Demand is made larger than supply, so the run also checks the promise:
//! exactly the stock there is gets held (no more, no less), no batch holds
//! more than it has, and the stock ledger adds up to the stock.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{Days, Utc};
use futures::future::join_all;
use tokio::sync::Semaphore;

use orderly_domain::{
    Address, BatchCode, Currency, DEFAULT_WAREHOUSE, Money, OrderId, Quantity, Sku, WarehouseId,
};
use orderly_store::{BatchKey, GoodsReceipt, Product, Sourcing, Store, WarehouseSetup};

const SKUS: usize = 4;
const UNITS_PER_BATCH: i64 = 3;
const UNITS_PER_LINE: u32 = 2;

/// How stock is laid out for one run.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    pub warehouses: usize,
    pub batches_per_sku: usize,
}

/// What one run measured.
#[derive(Debug)]
pub struct ReservationRun {
    pub layout: Layout,
    pub orders: usize,
    pub held: usize,
    pub elapsed: Duration,
    /// Units held beyond a SKU's stock, summed: 0 unless something was
    /// oversold.
    pub oversold: i64,
}

impl ReservationRun {
    pub fn per_second(&self) -> f64 {
        self.orders as f64 / self.elapsed.as_secs_f64()
    }
}

/// Places `orders` two-line orders, `concurrency` at a time, against stock
/// laid out as `layout`, with the same total stock whatever the layout.
pub async fn run(
    layout: Layout,
    orders: usize,
    concurrency: usize,
) -> anyhow::Result<ReservationRun> {
    let dir = std::env::temp_dir().join(format!(
        "orderly-bench-reservations-{}",
        uuid::Uuid::now_v7().simple()
    ));
    std::fs::create_dir_all(&dir)?;
    let measured = measure(&dir, layout, orders, concurrency).await;
    let _ = std::fs::remove_dir_all(&dir);
    measured
}

async fn measure(
    dir: &std::path::Path,
    layout: Layout,
    orders: usize,
    concurrency: usize,
) -> anyhow::Result<ReservationRun> {
    let store = Store::connect(&format!(
        "sqlite://{}",
        dir.join("reservations.db").display()
    ))
    .await?;
    store.migrate().await?;
    let skus = stock(&store, layout).await?;
    let gate = Arc::new(Semaphore::new(concurrency.max(1)));
    let started = Instant::now();
    let outcomes = join_all((0..orders).map(|n| {
        let (store, gate) = (store.clone(), gate.clone());
        let lines: Vec<(Sku, Quantity)> = [n % SKUS, (n + 1) % SKUS]
            .into_iter()
            .map(|i| {
                let quantity = Quantity::parse(i64::from(UNITS_PER_LINE)).expect("a quantity");
                (skus[i].clone(), quantity)
            })
            .collect();
        async move {
            let _permit = gate.acquire().await?;
            store
                .inventory()
                .reserve(OrderId::new(), &lines, Utc::now(), &Sourcing::anywhere())
                .await
                .map_err(anyhow::Error::from)
        }
    }))
    .await;
    let elapsed = started.elapsed();
    let mut held = 0;
    for outcome in outcomes {
        if outcome?.is_held() {
            held += 1;
        }
    }
    let mut oversold = 0;
    let mut units_held = 0;
    for sku in &skus {
        let level = store.inventory().stock(sku).await?.expect("a stocked SKU");
        let totals = store.inventory().ledger_totals(sku).await?;
        anyhow::ensure!(
            (totals.on_hand, totals.reserved) == (level.on_hand, level.reserved),
            "the ledger of {sku} does not add up to its stock"
        );
        for batch in store.inventory().batches(sku).await? {
            anyhow::ensure!(
                batch.reserved <= batch.on_hand,
                "batch {} of {sku} holds more than it has",
                batch.key.batch_code
            );
        }
        oversold += (level.reserved - level.on_hand).max(0);
        units_held += level.reserved;
    }
    anyhow::ensure!(
        units_held == held as i64 * 2 * i64::from(UNITS_PER_LINE),
        "{held} orders were held but {units_held} units are reserved"
    );
    store.close().await;
    Ok(ReservationRun {
        layout,
        orders,
        held,
        elapsed,
        oversold,
    })
}

/// The same total stock per SKU, spread over `layout`.
async fn stock(store: &Store, layout: Layout) -> anyhow::Result<Vec<Sku>> {
    let mut warehouses: Vec<WarehouseId> = vec![DEFAULT_WAREHOUSE];
    for n in 1..layout.warehouses {
        let name = format!("Bench hub {n}");
        let warehouse = store
            .warehouses()
            .create(&WarehouseSetup {
                name: name.clone(),
                address: Address {
                    name,
                    line1: "1 Market Yard".into(),
                    line2: None,
                    city: "Pune".into(),
                    postal_code: format!("4110{n:02}"),
                    country: "IN".into(),
                },
                serves_pickup: false,
                cold_storage: true,
                active: true,
            })
            .await?;
        warehouses.push(warehouse.id);
    }
    let total_batches = 5 * 50;
    let per_batch = UNITS_PER_BATCH * total_batches as i64
        / (layout.warehouses * layout.batches_per_sku) as i64;
    let today = Utc::now().date_naive();
    let mut skus = Vec::new();
    for s in 0..SKUS {
        let sku = Sku::parse(&format!("BENCH-{s}"))?;
        store
            .catalog()
            .upsert_product(&Product {
                sku: sku.clone(),
                name: format!("Benchmark item {s}"),
                description: "stock for the reservation benchmark".into(),
                unit: "kg".into(),
                price: Money::new(10_000, Currency::INR),
                category: "Fruit".into(),
                active: true,
                ..Default::default()
            })
            .await?;
        for warehouse_id in &warehouses {
            for b in 0..layout.batches_per_sku {
                store
                    .inventory()
                    .receive(&GoodsReceipt {
                        key: BatchKey {
                            sku: sku.clone(),
                            warehouse_id: *warehouse_id,
                            batch_code: BatchCode::parse(&format!("B{b:03}"))?,
                        },
                        supplier_id: None,
                        received_on: today,
                        expires_on: today.checked_add_days(Days::new(10 + b as u64)),
                        unit_cost: Money::new(5_000, Currency::INR),
                        quantity: per_batch,
                    })
                    .await?;
            }
        }
        skus.push(sku);
    }
    Ok(skus)
}
