//! Plays the sandbox carrier's couriers: moves every open sandbox shipment,
//! and every return pickup on its way back to a warehouse, one step along
//! booked → in transit → out for delivery → delivered, by posting the
//! signed webhook a real carrier would send.
//!
//! The simulator keeps no state of its own. Each round it reads the status
//! orderly has accepted (the shipment workflow writes it to `shipments`, the
//! return workflow to `return_pickups`) and posts the event after it. A webhook that was lost or refused is therefore
//! simply sent again next round, and since the event id is derived from
//! (tracking id, status), a resend that did arrive is recognised as a
//! duplicate.

use std::future::Future;
use std::time::Duration;

use chrono::Utc;
use orderly_domain::{CarrierEvent, EventId, Location, ShipmentStatus, TrackingId};
use reqwest::Client;
use url::Url;

use crate::webhook_delivery::{client, post_signed};
use orderly_store::Store;

const CARRIER: &str = "sandbox";

pub struct CarrierSimulator {
    pub store: Store,
    /// Full URL of `POST /v1/webhooks/carriers/sandbox`.
    pub webhook_url: Url,
    /// Shared secret the receiver verifies signatures with.
    pub secret: String,
    /// Time between rounds: how long each leg of the journey takes.
    pub interval: Duration,
}

impl CarrierSimulator {
    /// Runs rounds every `interval` until `shutdown` completes.
    pub async fn run(self, shutdown: impl Future) {
        let client = client();
        let mut ticker = tokio::time::interval(self.interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => return,
                _ = ticker.tick() => self.round(&client).await,
            }
        }
    }

    async fn round(&self, client: &Client) {
        let orders = self.store.orders();
        let parcels = match orders.open_shipments(CARRIER).await {
            Ok(shipments) => shipments
                .into_iter()
                .map(|s| (s.tracking_id, s.status, Journey::Delivery))
                .collect::<Vec<_>>(),
            Err(error) => {
                tracing::warn!(%error, "carrier simulator could not list open shipments");
                return;
            }
        };
        let pickups = match orders.open_return_pickups(CARRIER).await {
            Ok(pickups) => pickups
                .into_iter()
                .map(|p| (p.tracking_id, p.status, Journey::Pickup))
                .collect::<Vec<_>>(),
            Err(error) => {
                tracing::warn!(%error, "carrier simulator could not list open return pickups");
                return;
            }
        };
        for (tracking_id, status, journey) in parcels.into_iter().chain(pickups) {
            if let Err(error) = self.advance(client, tracking_id, status, journey).await {
                tracing::warn!(%error, %tracking_id, "carrier simulator event not delivered; resending next round");
            }
        }
    }

    async fn advance(
        &self,
        client: &Client,
        tracking_id: TrackingId,
        status: ShipmentStatus,
        journey: Journey,
    ) -> anyhow::Result<()> {
        let Some((status, location)) = next_leg(status, journey) else {
            return Ok(());
        };
        let event = CarrierEvent {
            event_id: EventId::parse(&format!("sandbox-{tracking_id}-{}", status.as_str()))?,
            tracking_id,
            status,
            occurred_at: Utc::now(),
            location: Some(Location::parse(location)?),
        };
        let body = serde_json::to_vec(&event)?;
        post_signed(client, &self.webhook_url, self.secret.as_bytes(), body).await?;
        tracing::debug!(%tracking_id, status = status.as_str(), "carrier simulator event delivered");
        Ok(())
    }
}

/// Where a parcel is going: to the customer, or back from them to a
/// warehouse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Journey {
    Delivery,
    Pickup,
}

/// The event after `status`, with where the parcel is then. A failed
/// attempt (only ever injected from outside) is followed by a successful
/// redelivery, which also keeps event ids unique per shipment.
fn next_leg(status: ShipmentStatus, journey: Journey) -> Option<(ShipmentStatus, &'static str)> {
    let destination = match journey {
        Journey::Delivery => "customer's door",
        Journey::Pickup => "warehouse returns desk",
    };
    match status {
        ShipmentStatus::Booked => Some((ShipmentStatus::InTransit, "sandbox sorting hub")),
        ShipmentStatus::InTransit => Some((ShipmentStatus::OutForDelivery, "sandbox delivery van")),
        ShipmentStatus::OutForDelivery | ShipmentStatus::FailedAttempt => {
            Some((ShipmentStatus::Delivered, destination))
        }
        ShipmentStatus::Delivered | ShipmentStatus::Returned => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_simulated_leg_is_accepted_by_the_shipment_it_follows() {
        let mut status = ShipmentStatus::Booked;
        let mut legs = vec![];
        while let Some((next, _)) = next_leg(status, Journey::Delivery) {
            assert!(status.accepts(next), "{status:?} -> {next:?}");
            legs.push(next);
            status = next;
        }
        assert_eq!(
            legs,
            [
                ShipmentStatus::InTransit,
                ShipmentStatus::OutForDelivery,
                ShipmentStatus::Delivered
            ]
        );
        assert!(
            ShipmentStatus::FailedAttempt.accepts(
                next_leg(ShipmentStatus::FailedAttempt, Journey::Pickup)
                    .map(|(s, _)| s)
                    .unwrap_or(ShipmentStatus::Booked)
            )
        );
    }
}
