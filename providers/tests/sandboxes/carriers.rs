//! The sandbox carrier's bookings and the simulator's signed tracking
//! events.

use std::time::Duration;

use orderly_domain::{Address, CarrierEvent, OrderId, ShipmentStatus};
use orderly_providers::carriers::{
    BookingRequest, Carrier, CarrierError, CarrierSimulator, PickupRequest, SandboxCarrier,
};
use orderly_providers::sandbox_values::{POSTAL_CODE_OUTAGE, POSTAL_CODE_UNDELIVERABLE};
use orderly_store::Store;
use tokio::sync::oneshot;

use crate::databases::on_every_backend;
use crate::listener::{Listener, SECRET};

fn booking(order_id: OrderId, postal_code: &str) -> BookingRequest {
    BookingRequest {
        order_id,
        shipment_number: 1,
        warehouse_id: None,
        address: Address {
            name: "Asha Rao".into(),
            line1: "1 MG Road".into(),
            line2: None,
            city: "Bengaluru".into(),
            postal_code: postal_code.into(),
            country: "IN".into(),
        },
        idempotency_key: format!("order:{order_id}:book"),
    }
}

#[tokio::test]
async fn booking_an_order_twice_returns_its_one_shipment() {
    on_every_backend(|store| async move {
        let carrier = SandboxCarrier::new(store.clone());
        assert_eq!(carrier.name(), "sandbox");
        let order_id = OrderId::new();
        let first = carrier
            .book(&booking(order_id, "560001"))
            .await
            .expect("booked");
        let again = carrier
            .book(&booking(order_id, "560001"))
            .await
            .expect("booked again");
        assert_eq!(first, again);
        assert_eq!(first.order_id, order_id);
        assert_eq!(first.carrier, "sandbox");
        assert_eq!(first.status, ShipmentStatus::Booked);

        let other = carrier
            .book(&booking(OrderId::new(), "560001"))
            .await
            .expect("booked");
        assert_ne!(other.tracking_id, first.tracking_id);
        assert_eq!(
            store
                .orders()
                .open_shipments("sandbox")
                .await
                .expect("listed")
                .len(),
            2
        );
    })
    .await;
}

#[tokio::test]
async fn an_undeliverable_postal_code_is_rejected_and_nothing_is_booked() {
    on_every_backend(|store| async move {
        let carrier = SandboxCarrier::new(store.clone());
        let order_id = OrderId::new();
        let answer = carrier
            .book(&booking(order_id, POSTAL_CODE_UNDELIVERABLE))
            .await;
        assert_eq!(
            answer,
            Err(CarrierError::Rejected("undeliverable address".into()))
        );
        assert_eq!(
            store
                .orders()
                .shipments_for_order(order_id)
                .await
                .expect("read"),
            Vec::new()
        );
    })
    .await;
}

#[tokio::test]
async fn the_outage_postal_code_fails_transiently_on_every_attempt() {
    on_every_backend(|store| async move {
        let carrier = SandboxCarrier::new(store.clone());
        let order_id = OrderId::new();
        for _ in 0..3 {
            let answer = carrier.book(&booking(order_id, POSTAL_CODE_OUTAGE)).await;
            assert!(
                matches!(answer, Err(CarrierError::Transient(_))),
                "{answer:?}"
            );
        }
        assert_eq!(
            store
                .orders()
                .shipments_for_order(order_id)
                .await
                .expect("read"),
            Vec::new()
        );
    })
    .await;
}

#[tokio::test]
async fn a_booked_shipment_can_be_cancelled_once_but_not_after_it_left() {
    on_every_backend(|store| async move {
        let carrier = SandboxCarrier::new(store.clone());
        let booked = carrier
            .book(&booking(OrderId::new(), "560001"))
            .await
            .expect("booked");
        carrier.cancel(booked.tracking_id).await.expect("cancelled");
        carrier
            .cancel(booked.tracking_id)
            .await
            .expect("cancelling again is a no-op");
        assert!(
            store
                .orders()
                .open_shipments("sandbox")
                .await
                .expect("listed")
                .is_empty()
        );

        let moving = carrier
            .book(&booking(OrderId::new(), "560001"))
            .await
            .expect("booked");
        store
            .orders()
            .set_shipment_status(moving.tracking_id, ShipmentStatus::InTransit)
            .await
            .expect("in transit");
        let answer = carrier.cancel(moving.tracking_id).await;
        assert!(
            matches!(answer, Err(CarrierError::Rejected(_))),
            "{answer:?}"
        );
    })
    .await;
}

const LEGS: [ShipmentStatus; 3] = [
    ShipmentStatus::InTransit,
    ShipmentStatus::OutForDelivery,
    ShipmentStatus::Delivered,
];

/// Every event received so far, each checked for a valid signature.
fn events(listener: &Listener) -> Vec<CarrierEvent> {
    listener
        .accepted()
        .iter()
        .map(|received| {
            assert!(
                received.is_signed_with(SECRET),
                "unsigned event {:?}",
                received.signature
            );
            serde_json::from_slice(&received.body).expect("a carrier event body")
        })
        .collect()
}

/// Waits until `copies` events with `status` arrived; returns all events.
async fn events_until(
    listener: &Listener,
    status: ShipmentStatus,
    copies: usize,
) -> Vec<CarrierEvent> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let events = events(listener);
        if events.iter().filter(|e| e.status == status).count() >= copies {
            return events;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no {copies} {status:?} events: {events:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn the_simulator_walks_a_shipment_to_delivery_one_accepted_step_at_a_time() {
    on_every_backend(|store: Store| async move {
        let listener = Listener::start().await;
        let booked = SandboxCarrier::new(store.clone())
            .book(&booking(OrderId::new(), "560001"))
            .await
            .expect("booked");
        let (stop, stopped) = oneshot::channel::<()>();
        let simulator = tokio::spawn(
            CarrierSimulator {
                store: store.clone(),
                webhook_url: listener.url(),
                secret: SECRET.to_owned(),
                interval: Duration::from_millis(30),
            }
            .run(stopped),
        );

        for (step, expected) in LEGS.into_iter().enumerate() {
            // Until orderly accepts an event, the simulator resends it under
            // the same event id, and it never runs ahead of what was accepted.
            let events = events_until(&listener, expected, 2).await;
            let copies: Vec<_> = events.iter().filter(|e| e.status == expected).collect();
            assert!(copies.iter().all(|e| e.event_id == copies[0].event_id));
            assert!(events.iter().all(|e| e.tracking_id == booked.tracking_id));
            assert!(events.iter().all(|e| e.location.is_some()));
            assert!(
                events.iter().all(|e| LEGS[..=step].contains(&e.status)),
                "the simulator ran ahead of {expected:?}: {events:?}"
            );
            store
                .orders()
                .set_shipment_status(booked.tracking_id, expected)
                .await
                .expect("accepted");
        }

        // Delivered is final: once a round in flight has finished, nothing
        // more is sent.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let settled = listener.accepted().len();
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(listener.accepted().len(), settled);

        stop.send(()).expect("the simulator is running");
        tokio::time::timeout(Duration::from_secs(5), simulator)
            .await
            .expect("the simulator stops when told")
            .expect("the simulator did not panic");
    })
    .await;
}

#[tokio::test]
async fn the_simulator_brings_a_return_pickup_back_to_the_warehouse() {
    on_every_backend(|store: Store| async move {
        let listener = Listener::start().await;
        let order_id = OrderId::new();
        let pickup = SandboxCarrier::new(store.clone())
            .book_return(&PickupRequest {
                order_id,
                return_number: 1,
                warehouse_id: None,
                address: booking(order_id, "560001").address,
                idempotency_key: format!("order:{order_id}:return-1:pickup"),
            })
            .await
            .expect("booked");
        let (stop, stopped) = oneshot::channel::<()>();
        let simulator = tokio::spawn(
            CarrierSimulator {
                store: store.clone(),
                webhook_url: listener.url(),
                secret: SECRET.to_owned(),
                interval: Duration::from_millis(30),
            }
            .run(stopped),
        );
        for expected in LEGS {
            let events = events_until(&listener, expected, 1).await;
            assert!(events.iter().all(|e| e.tracking_id == pickup.tracking_id));
            store
                .orders()
                .set_return_pickup_status(pickup.tracking_id, expected)
                .await
                .expect("accepted");
        }
        let arrived = events(&listener)
            .into_iter()
            .find(|e| e.status == ShipmentStatus::Delivered)
            .expect("delivered");
        assert_eq!(
            arrived.location.map(|l| l.as_str().to_owned()).as_deref(),
            Some("warehouse returns desk")
        );
        stop.send(()).expect("the simulator is running");
        tokio::time::timeout(Duration::from_secs(5), simulator)
            .await
            .expect("the simulator stops when told")
            .expect("the simulator did not panic");
    })
    .await;
}
