//! What the expiry sweep does to stock: batches about to spoil are listed
//! until their one alert is recorded, expired free stock is written off
//! through the ledger once, holds on batches that end before delivery move
//! to fresher batches of the same warehouse (or stay when there are none),
//! ops alerts about stock belong to no order, and a product's organic
//! certification follows its suppliers' certificates.

use chrono::{Days, NaiveDate};
use orderly_domain::{BatchCode, DEFAULT_WAREHOUSE, StockReason, SupplierId, WarehouseId};
use orderly_store::{
    BatchKey, Certification, GoodsReceipt, HoldKey, HoldMove, OrganicCertification, SupplierSetup,
    WarehouseSetup,
};

use crate::batches::assert_ledger_matches;
use crate::support::*;

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn in_days(days: i64) -> NaiveDate {
    if days >= 0 {
        today().checked_add_days(Days::new(days as u64)).unwrap()
    } else {
        today().checked_sub_days(Days::new((-days) as u64)).unwrap()
    }
}

fn batch(raw_sku: &str, warehouse: WarehouseId, code: &str) -> BatchKey {
    BatchKey {
        sku: sku(raw_sku),
        warehouse_id: warehouse,
        batch_code: BatchCode::parse(code).unwrap(),
    }
}

/// Receives `quantity` of a batch a week ago that ends in `expires_in`
/// days (negative: it has ended).
async fn receive(
    store: &Store,
    key: &BatchKey,
    quantity: i64,
    expires_in: i64,
    supplier_id: Option<SupplierId>,
) {
    store
        .inventory()
        .receive(&GoodsReceipt {
            key: key.clone(),
            supplier_id,
            received_on: in_days(-7),
            expires_on: Some(in_days(expires_in)),
            unit_cost: inr(3_000),
            quantity,
        })
        .await
        .expect("receipt");
}

/// The rule reservations follow by default: delivery in a day, two more
/// days to use it up.
fn fresh_until() -> chrono::DateTime<Utc> {
    Utc::now() + Duration::days(3)
}

async fn batch_stock(store: &Store, key: &BatchKey) -> (i64, i64) {
    store
        .inventory()
        .batches(&key.sku)
        .await
        .unwrap()
        .into_iter()
        .find(|b| &b.key == key)
        .map_or((0, 0), |b| (b.on_hand, b.reserved))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_batch_about_to_spoil_is_listed_until_its_one_alert_is_recorded() {
    on_both(|store| async move {
        let seller = new_user(&store, "farm@example.test").await;
        store
            .catalog()
            .upsert_product(&Product {
                sku: sku("SPINACH"),
                name: "Spinach, 250 g".into(),
                price: inr(4_000),
                seller_id: Some(seller),
                ..Default::default()
            })
            .await
            .unwrap();
        let soon = batch("SPINACH", DEFAULT_WAREHOUSE, "SOON");
        let gone = batch("SPINACH", DEFAULT_WAREHOUSE, "GONE");
        receive(&store, &soon, 5, 1, None).await;
        receive(&store, &gone, 2, -1, None).await;
        receive(
            &store,
            &batch("SPINACH", DEFAULT_WAREHOUSE, "LATER"),
            5,
            10,
            None,
        )
        .await;
        let before = Utc::now() + Duration::days(3);

        let listed = store
            .inventory()
            .spoiling_batches(before, None, 100)
            .await
            .unwrap();
        let first_page = store
            .inventory()
            .spoiling_batches(before, None, 1)
            .await
            .unwrap();
        let second_page = store
            .inventory()
            .spoiling_batches(before, Some(&first_page[0].key), 1)
            .await
            .unwrap();
        let first = store
            .inventory()
            .record_spoilage_alert(&soon, in_days(1))
            .await
            .unwrap();
        let again = store
            .inventory()
            .record_spoilage_alert(&soon, in_days(1))
            .await
            .unwrap();
        let left = store
            .inventory()
            .spoiling_batches(before, None, 100)
            .await
            .unwrap();

        let codes: Vec<&str> = listed.iter().map(|b| b.key.batch_code.as_str()).collect();
        assert_eq!(codes, vec!["GONE", "SOON"]);
        assert_eq!(listed[1].product, "Spinach, 250 g");
        assert_eq!(listed[1].seller_id, Some(seller));
        assert_eq!(listed[1].warehouse, "Main warehouse");
        assert_eq!((listed[1].on_hand, listed[1].expires_on), (5, in_days(1)));
        assert_eq!(first_page[0].key, gone);
        assert_eq!(second_page[0].key, soon);
        assert!(first && !again, "one alert per batch, ever");
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].key, gone);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_expired_batch_loses_its_free_stock_once_and_what_orders_give_back_later() {
    on_both(|store| async move {
        let gone = batch("GUAVA", DEFAULT_WAREHOUSE, "GONE");
        let fresh = batch("GUAVA", DEFAULT_WAREHOUSE, "FRESH");
        receive(&store, &gone, 6, -1, None).await;
        receive(&store, &fresh, 4, 10, None).await;
        // An order placed while the batch was still good holds two of it.
        let order = OrderId::new();
        let long_ago = Utc::now() - Duration::days(30);
        assert!(
            store
                .inventory()
                .reserve(
                    order,
                    &[(sku("GUAVA"), qty(2))],
                    long_ago,
                    &Sourcing::anywhere()
                )
                .await
                .unwrap()
                .is_held()
        );
        assert_eq!(batch_stock(&store, &gone).await, (6, 2));
        let now = Utc::now();

        let listed = store
            .inventory()
            .expired_batches(now, None, 100)
            .await
            .unwrap();
        let written = store
            .inventory()
            .write_off_expired(&gone, now)
            .await
            .unwrap();
        let twice = store
            .inventory()
            .write_off_expired(&gone, now)
            .await
            .unwrap();
        let not_ended = store
            .inventory()
            .write_off_expired(&fresh, now)
            .await
            .unwrap();
        let after = batch_stock(&store, &gone).await;
        // The order is cancelled: the two units it gave back are expired
        // stock too, written off under the batch's next key.
        store
            .inventory()
            .release_reservation(order, None)
            .await
            .unwrap();
        let later = store
            .inventory()
            .write_off_expired(&gone, now)
            .await
            .unwrap();

        assert_eq!(listed, vec![gone.clone()]);
        assert_eq!((written, twice, not_ended, later), (4, 0, 0, 2));
        assert_eq!(after, (2, 2), "held stock is not written off");
        assert_eq!(batch_stock(&store, &gone).await, (0, 0));
        assert_eq!(stock_of(&store, "GUAVA").await, (4, 0));
        let mut keys: Vec<String> = store
            .inventory()
            .movements(&sku("GUAVA"))
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.reason == StockReason::WrittenOff)
            .map(|m| m.key)
            .collect();
        keys.sort();
        let base = format!("expiry:GUAVA:{DEFAULT_WAREHOUSE}:GONE");
        assert_eq!(keys, vec![base.clone(), format!("{base}:2")]);
        assert_ledger_matches(&store, "GUAVA").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hold_on_a_batch_ending_before_delivery_moves_to_fresher_stock_of_the_same_warehouse() {
    on_both(|store| async move {
        let pune = store
            .warehouses()
            .create(&WarehouseSetup {
                name: "Pune".into(),
                address: orderly_domain::Address {
                    name: "Pune".into(),
                    line1: "APMC Market".into(),
                    line2: None,
                    city: "Pune".into(),
                    postal_code: "411037".into(),
                    country: "IN".into(),
                },
                serves_pickup: true,
                cold_storage: true,
                active: true,
            })
            .await
            .unwrap();
        let soon = batch("MANGO", DEFAULT_WAREHOUSE, "SOON");
        receive(&store, &soon, 5, 1, None).await;
        receive(
            &store,
            &batch("MANGO", DEFAULT_WAREHOUSE, "NEXT"),
            2,
            6,
            None,
        )
        .await;
        receive(
            &store,
            &batch("MANGO", DEFAULT_WAREHOUSE, "LAST"),
            9,
            20,
            None,
        )
        .await;
        receive(&store, &batch("MANGO", pune.id, "ELSEWHERE"), 9, 5, None).await;
        // Free, but ended: never a batch to move a hold to.
        receive(
            &store,
            &batch("MANGO", DEFAULT_WAREHOUSE, "ROTTEN"),
            9,
            -1,
            None,
        )
        .await;
        // Reserved when a day's shelf life was enough; now it is not.
        let order = OrderId::new();
        store
            .inventory()
            .reserve(
                order,
                &[(sku("MANGO"), qty(4))],
                Utc::now(),
                &Sourcing::anywhere(),
            )
            .await
            .unwrap();
        let hold = HoldKey {
            order_id: order,
            batch: soon.clone(),
        };

        let stale = store
            .inventory()
            .stale_holds(fresh_until(), None, 100)
            .await
            .unwrap();
        let moved = store
            .inventory()
            .move_stale_hold(&hold, fresh_until())
            .await
            .unwrap();
        let again = store
            .inventory()
            .move_stale_hold(&hold, fresh_until())
            .await
            .unwrap();

        assert_eq!(stale.len(), 1);
        assert_eq!((stale[0].key.clone(), stale[0].quantity), (hold.clone(), 4));
        assert_eq!(
            moved,
            HoldMove::Moved(vec![
                (BatchCode::parse("NEXT").unwrap(), 2),
                (BatchCode::parse("LAST").unwrap(), 2)
            ])
        );
        assert_eq!(again, HoldMove::Settled);
        let mut held = store.inventory().reserved_batches(order).await.unwrap();
        held.sort();
        assert_eq!(
            held,
            vec![
                (batch("MANGO", DEFAULT_WAREHOUSE, "LAST"), 2),
                (batch("MANGO", DEFAULT_WAREHOUSE, "NEXT"), 2)
            ]
        );
        assert_eq!(batch_stock(&store, &soon).await, (5, 0));
        assert_eq!(stock_of(&store, "MANGO").await, (34, 4));
        assert!(
            store
                .inventory()
                .stale_holds(fresh_until(), None, 100)
                .await
                .unwrap()
                .is_empty()
        );
        let keys: Vec<String> = store
            .inventory()
            .movements(&sku("MANGO"))
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.key.contains(":moved:"))
            .map(|m| m.key)
            .collect();
        let released = format!("order:{order}:moved:MANGO:{DEFAULT_WAREHOUSE}:SOON");
        assert_eq!(keys.len(), 3, "{keys:?}");
        assert!(keys.contains(&released));
        assert!(keys.contains(&format!("{released}:to:NEXT")));
        assert_ledger_matches(&store, "MANGO").await;
        // Committing ships the fresher stock.
        store
            .inventory()
            .commit_reservation(order, None)
            .await
            .unwrap();
        assert_eq!(stock_of(&store, "MANGO").await, (30, 0));
        assert_ledger_matches(&store, "MANGO").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hold_stays_when_the_warehouse_has_no_fresher_stock_and_a_packed_order_is_left_alone() {
    on_both(|store| async move {
        let soon = batch("OKRA", DEFAULT_WAREHOUSE, "SOON");
        receive(&store, &soon, 6, 1, None).await;
        receive(
            &store,
            &batch("OKRA", DEFAULT_WAREHOUSE, "FRESH"),
            1,
            9,
            None,
        )
        .await;
        let (waiting, packed) = (OrderId::new(), OrderId::new());
        for order in [waiting, packed] {
            store
                .inventory()
                .reserve(
                    order,
                    &[(sku("OKRA"), qty(3))],
                    Utc::now(),
                    &Sourcing::anywhere(),
                )
                .await
                .unwrap();
        }
        let customer = new_user(&store, "asha@example.test").await;
        store
            .orders()
            .upsert_order(&order_view(packed, customer, OrderStatus::Packed, 3))
            .await
            .unwrap();
        let hold = HoldKey {
            order_id: waiting,
            batch: soon.clone(),
        };

        let stale = store
            .inventory()
            .stale_holds(fresh_until(), None, 100)
            .await
            .unwrap();
        let outcome = store
            .inventory()
            .move_stale_hold(&hold, fresh_until())
            .await
            .unwrap();

        assert_eq!(stale.len(), 1, "{stale:?}");
        assert_eq!(stale[0].key, hold);
        assert_eq!(outcome, HoldMove::NoFresherStock);
        assert_eq!(batch_stock(&store, &soon).await, (6, 6));
        assert_ledger_matches(&store, "OKRA").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_alert_about_stock_belongs_to_no_order_and_is_raised_once() {
    on_both(|store| async move {
        let alerts = store.ops_alerts();
        assert!(
            alerts
                .insert_stock_alert("spoilage", "batch SOON expires", "spoilage:X")
                .await
                .unwrap()
        );
        assert!(
            !alerts
                .insert_stock_alert("spoilage", "batch SOON expires", "spoilage:X")
                .await
                .unwrap()
        );
        let open = alerts.open_alerts(None, 10).await.unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(
            (open[0].order_id, open[0].kind.as_str()),
            (None, "spoilage")
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn organic_stock_is_verified_by_a_valid_certificate_and_otherwise_expired_or_missing() {
    on_both(|store| async move {
        let supplier = |name: &str, valid_until: Option<NaiveDate>| SupplierSetup {
            name: name.into(),
            contact_email: "farm@example.test".into(),
            region: "Nashik".into(),
            certifications: valid_until
                .map(|valid_until| Certification {
                    kind: "organic".into(),
                    certificate_number: format!("NPOP-{name}"),
                    valid_until,
                })
                .into_iter()
                .collect(),
        };
        let certified = store
            .suppliers()
            .create(&supplier("valid", Some(in_days(30))))
            .await
            .unwrap();
        let lapsed = store
            .suppliers()
            .create(&supplier("lapsed", Some(in_days(-2))))
            .await
            .unwrap();
        let plain = store
            .suppliers()
            .create(&supplier("plain", None))
            .await
            .unwrap();
        let certification = |raw: &'static str| {
            let store = store.clone();
            async move {
                store
                    .suppliers()
                    .organic_certification(&sku(raw), Utc::now())
                    .await
                    .unwrap()
            }
        };
        receive(
            &store,
            &batch("KALE", DEFAULT_WAREHOUSE, "A"),
            3,
            5,
            Some(lapsed.id),
        )
        .await;
        receive(
            &store,
            &batch("KALE", DEFAULT_WAREHOUSE, "B"),
            3,
            5,
            Some(certified.id),
        )
        .await;
        receive(
            &store,
            &batch("CHARD", DEFAULT_WAREHOUSE, "A"),
            3,
            5,
            Some(lapsed.id),
        )
        .await;
        receive(
            &store,
            &batch("BEET", DEFAULT_WAREHOUSE, "A"),
            3,
            5,
            Some(plain.id),
        )
        .await;
        // Certified stock that is all held, or that has ended, is not on sale.
        receive(
            &store,
            &batch("BEET", DEFAULT_WAREHOUSE, "B"),
            1,
            -1,
            Some(certified.id),
        )
        .await;
        receive(
            &store,
            &batch("BEET", DEFAULT_WAREHOUSE, "C"),
            2,
            3,
            Some(certified.id),
        )
        .await;
        store
            .inventory()
            .reserve(
                OrderId::new(),
                &[(sku("BEET"), qty(2))],
                Utc::now(),
                &Sourcing::anywhere(),
            )
            .await
            .unwrap();

        let OrganicCertification::Verified(kale) = certification("KALE").await else {
            panic!("KALE has certified stock on sale");
        };
        let OrganicCertification::Expired(chard) = certification("CHARD").await else {
            panic!("CHARD's only organic certificate ran out");
        };
        assert_eq!(
            (
                kale.supplier_id,
                kale.certificate_number.as_str(),
                kale.valid_until
            ),
            (certified.id, "NPOP-valid", in_days(30))
        );
        assert_eq!(kale.supplier_name, "valid");
        assert_eq!(
            (chard.supplier_id, chard.valid_until),
            (lapsed.id, in_days(-2))
        );
        assert_eq!(certification("BEET").await, OrganicCertification::Missing);
        assert_eq!(
            certification("NOTHING").await,
            OrganicCertification::Missing
        );
    })
    .await;
}
