//! The orders read model and the shipments booked for orders.

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_older_order_version_never_overwrites_a_newer_one() {
    on_both(|store| async move {
        let id = OrderId::new();
        let customer = UserId::new();
        store
            .orders()
            .upsert_order(&order_view(id, customer, OrderStatus::Paid, 3))
            .await
            .unwrap();
        store
            .orders()
            .upsert_order(&order_view(id, customer, OrderStatus::Placed, 1))
            .await
            .unwrap();
        store
            .orders()
            .upsert_order(&order_view(id, customer, OrderStatus::Cancelled, 3))
            .await
            .unwrap();
        let stored = store
            .orders()
            .order(id)
            .await
            .unwrap()
            .expect("stored order");
        assert_eq!((stored.status, stored.version), (OrderStatus::Paid, 3));

        store
            .orders()
            .upsert_order(&order_view(id, customer, OrderStatus::Packed, 4))
            .await
            .unwrap();
        let stored = store
            .orders()
            .order(id)
            .await
            .unwrap()
            .expect("stored order");
        assert_eq!(stored, order_view(id, customer, OrderStatus::Packed, 4));
        let by_status = store
            .orders()
            .list_orders(&OrderFilter {
                status: Some(OrderStatus::Packed),
                limit: 10,
                ..OrderFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(by_status.len(), 1, "the status column follows the body");
        assert!(
            store
                .orders()
                .order(OrderId::new())
                .await
                .unwrap()
                .is_none()
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn orders_are_listed_newest_first_page_by_page_and_filtered() {
    on_both(|store| async move {
        let alice = UserId::new();
        let bob = UserId::new();
        let mut alices = Vec::new();
        for i in 0..5 {
            let id = OrderId::new();
            let status = if i % 2 == 0 {
                OrderStatus::Paid
            } else {
                OrderStatus::Delivered
            };
            store
                .orders()
                .upsert_order(&order_view(id, alice, status, 1))
                .await
                .unwrap();
            alices.push(id);
            store
                .orders()
                .upsert_order(&order_view(OrderId::new(), bob, OrderStatus::Paid, 1))
                .await
                .unwrap();
        }
        let newest_first: Vec<OrderId> = alices.iter().rev().copied().collect();

        let mut seen = Vec::new();
        let mut before = None;
        loop {
            let page = store
                .orders()
                .list_orders(&OrderFilter {
                    customer: Some(alice),
                    warehouse: None,
                    status: None,
                    before,
                    limit: 2,
                    open_returns: false,
                })
                .await
                .unwrap();
            if page.is_empty() {
                break;
            }
            assert!(page.len() <= 2);
            assert!(page.iter().all(|o| o.customer_id == alice));
            before = page.last().map(|o| o.id);
            seen.extend(page.iter().map(|o| o.id));
        }
        assert_eq!(seen, newest_first);

        let delivered = store
            .orders()
            .list_orders(&OrderFilter {
                customer: Some(alice),
                warehouse: None,
                status: Some(OrderStatus::Delivered),
                before: None,
                limit: 10,
                open_returns: false,
            })
            .await
            .unwrap();
        let delivered: Vec<OrderId> = delivered.iter().map(|o| o.id).collect();
        assert_eq!(delivered, vec![alices[3], alices[1]]);

        let everyone = store
            .orders()
            .list_orders(&OrderFilter {
                limit: 100,
                ..OrderFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(everyone.len(), 10);
        let paid = store
            .orders()
            .list_orders(&OrderFilter {
                status: Some(OrderStatus::Paid),
                limit: 100,
                ..OrderFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(paid.len(), 8);
    })
    .await;
}

fn parcel(order_id: OrderId, shipment_number: u32) -> ParcelBooking {
    ParcelBooking {
        order_id,
        shipment_number,
        warehouse_id: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_parcel_of_an_order_is_booked_onto_one_shipment_only() {
    on_both(|store| async move {
        let order = OrderId::new();
        let first_tracking = TrackingId::new();
        let booked = store
            .orders()
            .book_shipment(parcel(order, 1), "sandbox", first_tracking)
            .await
            .unwrap();
        let expected = ShipmentRecord {
            tracking_id: first_tracking,
            order_id: order,
            carrier: "sandbox".into(),
            status: ShipmentStatus::Booked,
            shipment_number: 1,
            warehouse_id: None,
        };
        assert_eq!(booked, expected);
        assert_eq!(
            store
                .orders()
                .book_shipment(parcel(order, 1), "sandbox", TrackingId::new())
                .await
                .unwrap(),
            expected
        );
        assert_eq!(
            store
                .orders()
                .shipment_by_tracking(first_tracking)
                .await
                .unwrap(),
            Some(expected.clone())
        );
        let second = store
            .orders()
            .book_shipment(parcel(order, 2), "sandbox", TrackingId::new())
            .await
            .unwrap();
        assert_ne!(second.tracking_id, first_tracking);
        assert_eq!(
            store.orders().shipments_for_order(order).await.unwrap(),
            vec![expected, second]
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn open_shipments_leave_out_delivered_and_returned_ones() {
    on_both(|store| async move {
        let mut tracking = Vec::new();
        for _ in 0..3 {
            let booked = store
                .orders()
                .book_shipment(parcel(OrderId::new(), 1), "sandbox", TrackingId::new())
                .await
                .unwrap();
            tracking.push(booked.tracking_id);
        }
        store
            .orders()
            .book_shipment(
                parcel(OrderId::new(), 1),
                "other-carrier",
                TrackingId::new(),
            )
            .await
            .unwrap();
        store
            .orders()
            .set_shipment_status(tracking[0], ShipmentStatus::Delivered)
            .await
            .unwrap();
        store
            .orders()
            .set_shipment_status(tracking[1], ShipmentStatus::InTransit)
            .await
            .unwrap();
        store
            .orders()
            .set_shipment_status(tracking[2], ShipmentStatus::Returned)
            .await
            .unwrap();

        let open = store.orders().open_shipments("sandbox").await.unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(
            (open[0].tracking_id, open[0].status),
            (tracking[1], ShipmentStatus::InTransit)
        );
        let unknown = store
            .orders()
            .set_shipment_status(TrackingId::new(), ShipmentStatus::Delivered)
            .await;
        assert!(matches!(unknown, Err(StoreError::NotFound)), "{unknown:?}");
    })
    .await;
}
