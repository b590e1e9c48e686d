//! Notification activities: an order's customer notifications and the
//! reminder of a cart left alone.

use std::sync::Arc;

use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

use orderly_domain::CartStatus;
use orderly_notifications::{Focus, Notifier, NotifyError, Recipient};
use orderly_store::Store;
use orderly_workflows::contract::definitions::{Notify, RemindCart};
use orderly_workflows::contract::{CartReminderRequest, NotifyInput};

use crate::{final_failure, retryable};

pub struct NotificationActivities {
    store: Store,
    notifier: Notifier,
}

impl NotificationActivities {
    pub fn new(store: Store, notifier: Notifier) -> Self {
        Self { store, notifier }
    }
}

/// A refused recipient or a broken setting fails for good: retrying
/// cannot help.
fn notify_failure(err: NotifyError) -> ActivityError {
    if err.is_retryable() {
        retryable(err)
    } else {
        final_failure(err)
    }
}

#[activities]
impl NotificationActivities {
    #[activity(definition = Notify)]
    pub async fn notify(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: NotifyInput,
    ) -> Result<(), ActivityError> {
        let recipient = Recipient {
            user_id: input.recipient.user_id,
            name: input.recipient.name,
            email: input.recipient.email,
        };
        let focus = match (input.return_number, input.refund, input.shipment) {
            (Some(number), _, _) => Focus::Return(number),
            (None, Some(number), _) => Focus::Refund(number),
            (None, None, Some(number)) => Focus::Shipment(number),
            (None, None, None) => Focus::Order,
        };
        self.notifier
            .notify_about(input.kind, &input.order, focus, &recipient)
            .await
            .map_err(notify_failure)
    }

    /// None goes out for a cart that has been checked out, emptied or
    /// changed since the workflow's last touch (a touch on its way will
    /// start the wait again).
    #[activity(definition = RemindCart)]
    pub async fn remind_cart(
        self: Arc<Self>,
        _ctx: ActivityContext,
        request: CartReminderRequest,
    ) -> Result<bool, ActivityError> {
        let Some(cart) = self
            .store
            .carts()
            .cart(request.cart_id)
            .await
            .map_err(retryable)?
        else {
            return Ok(false);
        };
        let current = cart.status == CartStatus::Active
            && cart.version == request.version
            && !cart.items.is_empty();
        if !current {
            return Ok(false);
        }
        let Some(user) = self
            .store
            .accounts()
            .user_by_id(request.user_id)
            .await
            .map_err(retryable)?
        else {
            return Ok(false);
        };
        let recipient = Recipient {
            user_id: user.id,
            name: user.name,
            email: user.email,
        };
        self.notifier
            .remind_cart(&cart, &recipient)
            .await
            .map_err(notify_failure)?;
        self.store
            .carts()
            .mark_cart_reminded(cart.id, cart.version)
            .await
            .map_err(retryable)?;
        Ok(true)
    }
}
