//! Warehouses and suppliers: set-up, names unique, certifications
//! replaced, and a supplier's record of batches, spoilage and cost.

use chrono::NaiveDate;
use orderly_domain::{Address, BatchCode, DEFAULT_WAREHOUSE};
use orderly_store::{BatchKey, Certification, GoodsReceipt, SupplierSetup, WarehouseSetup};

use crate::support::*;

fn setup(name: &str, active: bool) -> WarehouseSetup {
    WarehouseSetup {
        name: name.into(),
        address: Address {
            name: name.into(),
            line1: "12 Ring Road".into(),
            line2: None,
            city: "Nagpur".into(),
            postal_code: "440001".into(),
            country: "IN".into(),
        },
        serves_pickup: false,
        cold_storage: true,
        active,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn warehouses_have_unique_names_and_inactive_ones_are_listed_only_on_request() {
    on_both(|store| async move {
        let nagpur = store
            .warehouses()
            .create(&setup("Nagpur", true))
            .await
            .unwrap();
        let closed = store
            .warehouses()
            .create(&setup("Old depot", false))
            .await
            .unwrap();
        let twin = store.warehouses().create(&setup("Nagpur", true)).await;
        let renamed_onto = store
            .warehouses()
            .update(closed.id, &setup("Nagpur", false))
            .await;

        let active: Vec<_> = store.warehouses().list(false).await.unwrap();
        let all: Vec<_> = store.warehouses().list(true).await.unwrap();

        assert!(matches!(twin, Err(StoreError::Conflict(_))), "{twin:?}");
        assert!(
            matches!(renamed_onto, Err(StoreError::Conflict(_))),
            "{renamed_onto:?}"
        );
        let names = |list: &[orderly_store::Warehouse]| {
            list.iter().map(|w| w.name.clone()).collect::<Vec<_>>()
        };
        assert_eq!(names(&active), vec!["Main warehouse", "Nagpur"]);
        assert_eq!(names(&all), vec!["Main warehouse", "Nagpur", "Old depot"]);
        assert_eq!(
            store.warehouses().get(nagpur.id).await.unwrap(),
            Some(nagpur)
        );
        assert!(
            store
                .warehouses()
                .get(DEFAULT_WAREHOUSE)
                .await
                .unwrap()
                .is_some()
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_supplier_record_shows_its_batches_spoilage_and_procurement_cost() {
    on_both(|store| async move {
        let organic = Certification {
            kind: "organic".into(),
            certificate_number: "NPOP-2291".into(),
            valid_until: NaiveDate::from_ymd_opt(2027, 3, 31).unwrap(),
        };
        let farm = store
            .suppliers()
            .create(&SupplierSetup {
                name: "Sahyadri Farms".into(),
                contact_email: "orders@sahyadri.example".into(),
                region: "Nashik".into(),
                certifications: vec![organic.clone()],
            })
            .await
            .unwrap();
        let key = BatchKey {
            sku: sku("GRAPES"),
            warehouse_id: DEFAULT_WAREHOUSE,
            batch_code: BatchCode::parse("SF-1").unwrap(),
        };
        store
            .inventory()
            .receive(&GoodsReceipt {
                key: key.clone(),
                supplier_id: Some(farm.id),
                received_on: Utc::now().date_naive(),
                expires_on: None,
                unit_cost: inr(6000),
                quantity: 10,
            })
            .await
            .unwrap();
        store.inventory().write_off(&key, 2).await.unwrap();

        let record = store.suppliers().record(farm.id).await.unwrap().unwrap();
        let recertified = store
            .suppliers()
            .set_certifications(farm.id, &[])
            .await
            .unwrap();

        assert_eq!(record.supplier.certifications, vec![organic]);
        assert_eq!(record.batches.len(), 1);
        assert_eq!(record.batches[0].on_hand, 8);
        assert_eq!((record.received_units, record.written_off_units), (10, 2));
        assert_eq!(record.procurement_cost, vec![inr(60_000)]);
        assert!(recertified.certifications.is_empty());
        assert!(matches!(
            store
                .suppliers()
                .set_certifications(orderly_domain::SupplierId::new(), &[])
                .await,
            Err(StoreError::NotFound)
        ));
    })
    .await;
}
