//! The time after an order was delivered or collected: it stays open for
//! its refund window (`OrderTimings::refund_window_secs`) and its return
//! window (`return_window_secs`), taking in what its return workflows
//! report and the replacements exchanges sent, and closes once both
//! windows ended and no refund, payout, return or replacement is left half
//! done.

use std::time::Duration;

use futures::FutureExt;
use temporalio_sdk::workflows::select;

use orderly_domain::RefundStatus;

use super::lifecycle::{Ctx, now};
use super::state::OrderWorkflow;
use super::{exchanges, returns};

/// Patch: a completed order waits out its refund window before it closes.
const REFUND_WINDOW: &str = "refund-window";

/// Which window ends.
#[derive(Clone, Copy)]
enum Window {
    Refunds,
    Returns,
}

pub(super) async fn window(ctx: &mut Ctx) {
    let (refund_secs, return_secs) = ctx.state(|s| {
        (
            s.order.timings.refund_window_secs,
            s.order.timings.return_window_secs,
        )
    });
    let mut windows = [
        (refund_secs, Window::Refunds),
        (return_secs, Window::Returns),
    ];
    windows.sort_by_key(|(secs, _)| *secs);
    let waits = (refund_secs > 0 || return_secs > 0) && ctx.patched(REFUND_WINDOW);
    let started = now(ctx);
    for (secs, window) in windows {
        if waits {
            let elapsed = (now(ctx) - started).num_seconds().max(0).unsigned_abs();
            let left = secs.saturating_sub(elapsed);
            if left > 0 {
                follow_returns_for(ctx, Duration::from_secs(left)).await;
            }
        }
        ctx.state_mut(|s| match window {
            Window::Refunds => s.refunds_closed = true,
            Window::Returns => s.returns_closed = true,
        });
    }
    loop {
        take_news(ctx).await;
        let woke = ctx
            .wait_condition(|s: &OrderWorkflow| news(s) || settled(s))
            .await;
        if woke.is_err() || ctx.state(settled) {
            return;
        }
    }
}

/// Takes in the returns' steps until `wait` has passed. Each step taken
/// in starts a timer for what is left of the wait: an order nobody
/// returns anything of waits on one timer.
async fn follow_returns_for(ctx: &mut Ctx, wait: Duration) {
    let until = now(ctx) + chrono::Duration::from_std(wait).unwrap_or(chrono::TimeDelta::MAX);
    loop {
        let left = (until - now(ctx)).to_std().unwrap_or_default();
        if left.is_zero() {
            return;
        }
        let news = select! {
            _ = ctx.timer(left).fuse() => false,
            woke = ctx.wait_condition(news).fuse() => woke.is_ok(),
        };
        if !news {
            return;
        }
        take_news(ctx).await;
    }
}

/// A return took a step, or the carrier moved a replacement.
fn news(s: &OrderWorkflow) -> bool {
    !s.return_updates.is_empty() || !s.shipment_updates.is_empty()
}

async fn take_news(ctx: &mut Ctx) {
    returns::follow(ctx).await;
    exchanges::follow(ctx).await;
}

/// Nothing is left half done: no refund waits for its provider or its
/// update, no payout is owed, no return is open, no replacement is on its
/// way.
fn settled(s: &OrderWorkflow) -> bool {
    !s.refund_in_flight()
        && s.refund_handlers == 0
        && s.return_updates.is_empty()
        && !s.return_open()
        && !s.exchange_in_transit()
        && !s
            .refunds
            .iter()
            .any(|r| r.status == RefundStatus::PayoutDue)
}
