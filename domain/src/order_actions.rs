//! Which action an order allows, in one place: the order workflow's update
//! validators ask [`OrderAction::refusal`] and answer its reason as a 409.

use crate::{OrderStatus, ParcelStatus};

/// What a customer, an admin or the warehouse may ask of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderAction {
    Cancel,
    /// An operator lets an order on hold go on.
    ReleaseHold,
    Pack,
    ReadyForPickup,
    PickedUp,
    /// The customer or staff change the order's lines or address.
    Edit,
}

/// Where an order stands, as far as the rules about actions care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderStage {
    pub status: OrderStatus,
    /// Collected at the store rather than delivered.
    pub pickup: bool,
    /// The parcel is being handed to the carrier: past the point of no
    /// return, though the status still says `packed`.
    pub handing_over: bool,
    /// A cancel was asked for and is being carried out.
    pub cancel_requested: bool,
    /// A warehouse step asked for and not yet taken.
    pub pending_step: Option<OrderAction>,
}

impl OrderAction {
    /// `None` when the order allows this action now, else why not.
    ///
    /// Asking again for what is already under way is allowed, so a
    /// retried request gets the same answer as the first.
    pub fn refusal(self, stage: &OrderStage) -> Option<String> {
        match self {
            OrderAction::Cancel => cancel_refusal(stage),
            OrderAction::ReleaseHold => step_refusal(self, stage, OrderStatus::OnHold),
            OrderAction::Pack => step_refusal(self, stage, OrderStatus::Paid),
            OrderAction::ReadyForPickup if !stage.pickup => {
                Some("the order is for delivery, not pickup".into())
            }
            OrderAction::ReadyForPickup => step_refusal(self, stage, OrderStatus::Packed),
            OrderAction::PickedUp => step_refusal(self, stage, OrderStatus::ReadyForPickup),
            OrderAction::Edit => edit_refusal(stage),
        }
    }
}

/// A customer may cancel until the parcel starts leaving the warehouse;
/// pickup orders may be cancelled until collected.
fn cancel_refusal(stage: &OrderStage) -> Option<String> {
    if stage.cancel_requested {
        return None;
    }
    let status = stage.status;
    match status {
        OrderStatus::Placed
        | OrderStatus::AwaitingPayment
        | OrderStatus::OnHold
        | OrderStatus::Paid
        | OrderStatus::Packed
        | OrderStatus::ReadyForPickup => stage.handing_over.then(|| {
            "the order is being handed to the carrier; it can no longer be cancelled".into()
        }),
        OrderStatus::Shipped | OrderStatus::OutForDelivery => Some(format!(
            "the order is already {status}; it can no longer be cancelled"
        )),
        OrderStatus::Delivered
        | OrderStatus::PickedUp
        | OrderStatus::Cancelled
        | OrderStatus::PaymentFailed => Some(format!("the order is already {status}")),
    }
}

/// An order is edited once its payment has settled and before anything is
/// packed: until then the money moved for it is known, and afterwards the
/// goods are.
fn edit_refusal(stage: &OrderStage) -> Option<String> {
    if stage.cancel_requested {
        return Some("the order is being cancelled".into());
    }
    match stage.status {
        OrderStatus::Paid if stage.handing_over || stage.pending_step.is_some() => {
            Some("the order is being packed; it can no longer be edited".into())
        }
        OrderStatus::Paid => None,
        OrderStatus::Placed | OrderStatus::AwaitingPayment => Some(format!(
            "the order is {}: it can be edited once its payment has settled",
            stage.status
        )),
        OrderStatus::OnHold => {
            Some("the order is on hold for an operator; it cannot be edited".into())
        }
        status => Some(format!(
            "the order is already {status}; only an order not yet packed can be edited"
        )),
    }
}

/// Whether shipment `number` of an order split over warehouses may be
/// packed: `parcel` is its status (`None`: the order has no such
/// shipment), `requested` whether packing it was asked for already.
pub fn pack_shipment_refusal(
    stage: &OrderStage,
    number: u32,
    parcel: Option<ParcelStatus>,
    requested: bool,
) -> Option<String> {
    if stage.cancel_requested {
        return Some("the order is being cancelled".into());
    }
    let Some(parcel) = parcel else {
        return Some(format!("the order has no shipment {number}"));
    };
    if requested {
        return None;
    }
    if parcel != ParcelStatus::AwaitingPacking {
        return Some(format!(
            "shipment {number} is already {}",
            parcel.as_str().replace('_', " ")
        ));
    }
    match stage.status {
        OrderStatus::Paid
        | OrderStatus::Packed
        | OrderStatus::Shipped
        | OrderStatus::OutForDelivery => None,
        status => Some(format!(
            "the order is {status}; its shipments are packed once it is paid"
        )),
    }
}

/// A warehouse step (or an operator's release of a hold) needs the status
/// before it, and no cancel under way.
fn step_refusal(step: OrderAction, stage: &OrderStage, required: OrderStatus) -> Option<String> {
    if stage.cancel_requested {
        return Some("the order is being cancelled".into());
    }
    if stage.pending_step == Some(step) || stage.status == required {
        return None;
    }
    Some(format!(
        "the order is {}; this step needs it to be {required}",
        stage.status
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shipment_is_packed_once_the_order_is_paid_and_only_once() {
        let paid = stage(OrderStatus::Paid);
        assert_eq!(
            pack_shipment_refusal(&paid, 2, Some(ParcelStatus::AwaitingPacking), false),
            None
        );
        let shipped = stage(OrderStatus::Shipped);
        assert_eq!(
            pack_shipment_refusal(&shipped, 2, Some(ParcelStatus::AwaitingPacking), false),
            None
        );
        assert_eq!(
            pack_shipment_refusal(&paid, 1, Some(ParcelStatus::InTransit), false).unwrap(),
            "shipment 1 is already in transit"
        );
        assert_eq!(
            pack_shipment_refusal(&paid, 1, Some(ParcelStatus::Packed), true),
            None
        );
        assert_eq!(
            pack_shipment_refusal(&paid, 3, None, false).unwrap(),
            "the order has no shipment 3"
        );
        let placed = stage(OrderStatus::Placed);
        assert!(
            pack_shipment_refusal(&placed, 1, Some(ParcelStatus::AwaitingPacking), false)
                .unwrap()
                .contains("once it is paid")
        );
    }

    fn stage(status: OrderStatus) -> OrderStage {
        OrderStage {
            status,
            pickup: false,
            handing_over: false,
            cancel_requested: false,
            pending_step: None,
        }
    }

    #[test]
    fn an_order_is_edited_only_between_payment_and_packing() {
        assert_eq!(OrderAction::Edit.refusal(&stage(OrderStatus::Paid)), None);
        for status in [
            OrderStatus::Placed,
            OrderStatus::AwaitingPayment,
            OrderStatus::Packed,
            OrderStatus::Shipped,
            OrderStatus::Cancelled,
        ] {
            assert!(
                OrderAction::Edit.refusal(&stage(status)).is_some(),
                "{status}"
            );
        }
        let packing = OrderStage {
            pending_step: Some(OrderAction::Pack),
            ..stage(OrderStatus::Paid)
        };
        assert!(OrderAction::Edit.refusal(&packing).is_some());
        let cancelling = OrderStage {
            cancel_requested: true,
            ..stage(OrderStatus::Paid)
        };
        assert!(OrderAction::Edit.refusal(&cancelling).is_some());
    }

    #[test]
    fn cancelling_is_refused_once_shipped() {
        assert!(
            OrderAction::Cancel
                .refusal(&stage(OrderStatus::Packed))
                .is_none()
        );
        assert!(
            OrderAction::Cancel
                .refusal(&stage(OrderStatus::Shipped))
                .is_some()
        );
        assert!(
            OrderAction::Cancel
                .refusal(&stage(OrderStatus::Delivered))
                .is_some()
        );
    }

    #[test]
    fn cancelling_is_refused_while_the_parcel_is_handed_to_the_carrier() {
        let handing_over = OrderStage {
            handing_over: true,
            ..stage(OrderStatus::Packed)
        };
        let refusal = OrderAction::Cancel.refusal(&handing_over).unwrap();
        assert!(refusal.contains("handed to the carrier"), "{refusal}");
    }

    #[test]
    fn a_repeated_cancel_is_allowed_while_the_first_is_carried_out() {
        let cancelling = OrderStage {
            cancel_requested: true,
            ..stage(OrderStatus::Cancelled)
        };
        assert!(OrderAction::Cancel.refusal(&cancelling).is_none());
    }

    #[test]
    fn a_warehouse_step_needs_the_status_before_it() {
        assert!(
            OrderAction::Pack
                .refusal(&stage(OrderStatus::Paid))
                .is_none()
        );
        let refusal = OrderAction::Pack
            .refusal(&stage(OrderStatus::Placed))
            .unwrap();
        assert_eq!(
            refusal,
            "the order is placed; this step needs it to be paid"
        );
    }

    #[test]
    fn a_warehouse_step_already_asked_for_is_allowed_again() {
        let pending = OrderStage {
            pending_step: Some(OrderAction::Pack),
            ..stage(OrderStatus::Packed)
        };
        assert!(OrderAction::Pack.refusal(&pending).is_none());
        assert!(OrderAction::PickedUp.refusal(&pending).is_some());
    }

    #[test]
    fn no_warehouse_step_is_taken_while_a_cancel_is_under_way() {
        let cancelling = OrderStage {
            cancel_requested: true,
            ..stage(OrderStatus::Paid)
        };
        assert_eq!(
            OrderAction::Pack.refusal(&cancelling).as_deref(),
            Some("the order is being cancelled")
        );
    }

    #[test]
    fn only_an_order_on_hold_is_released_and_it_may_be_cancelled_instead() {
        assert!(
            OrderAction::ReleaseHold
                .refusal(&stage(OrderStatus::OnHold))
                .is_none()
        );
        assert!(
            OrderAction::ReleaseHold
                .refusal(&stage(OrderStatus::Paid))
                .is_some()
        );
        assert!(
            OrderAction::Cancel
                .refusal(&stage(OrderStatus::OnHold))
                .is_none()
        );
        assert!(
            OrderAction::Pack
                .refusal(&stage(OrderStatus::OnHold))
                .is_some()
        );
    }

    #[test]
    fn only_pickup_orders_are_made_ready_for_pickup() {
        let delivery = stage(OrderStatus::Packed);
        assert_eq!(
            OrderAction::ReadyForPickup.refusal(&delivery).as_deref(),
            Some("the order is for delivery, not pickup")
        );
        let pickup = OrderStage {
            pickup: true,
            ..delivery
        };
        assert!(OrderAction::ReadyForPickup.refusal(&pickup).is_none());
    }
}
