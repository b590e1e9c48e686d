//! The vocabulary every other crate of orderly speaks.
//!
//! Types here are parsed, never merely validated: once a value of one of these
//! types exists it is known to be well formed, so workflows, activities and the
//! API never re-check it. Everything is plain serde data because the same
//! values travel through HTTP, the database and Temporal payloads.

mod address;
mod allocation;
mod coupon;
mod error;
mod events;
mod exchange;
mod ids;
mod money;
mod notification;
mod offer;
mod order;
mod order_actions;
mod order_edit;
mod parcel;
mod payment;
mod quantity;
mod refund;
mod returns;
mod role;
#[cfg(test)]
mod samples;
mod shipment;
mod stock;
mod view;
mod warehouse;

pub use address::{Address, Fulfillment};
pub use allocation::{
    AllocatedLine, Allocation, PostalRegionRanking, StockSource, WarehouseRanking, WarehouseSite,
};
pub use coupon::{
    Coupon, CouponCode, CouponProblem, CouponValue, DiscountLine, DiscountShare, discount_on_units,
};
pub use error::DomainError;
pub use events::{CarrierEvent, Location, PaymentWebhook, PaymentWebhookStatus};
pub use exchange::{ExchangeProblem, ExchangeStatus, ExchangeView, exchange_difference};
pub use ids::{EventId, OrderId, Sku, SupplierId, TrackingId, UserId, WarehouseId, new_v7};
pub use money::{Currency, Money};
pub use notification::NotificationKind;
pub use offer::{
    BulkTier, DEFAULT_POINTS_PER_100, FestivalOffer, POINT_VALUE_PAISE, POINTS_SOURCE,
    after_discounts, offer_discounts, points_refunded,
};
pub use order::{OrderLine, OrderStatus, TimelineEntry};
pub use order_actions::{OrderAction, OrderStage, pack_shipment_refusal};
pub use order_edit::{EditLine, EditProblem, EditSettlement, OrderVersion, edited_lines};
pub use parcel::{ParcelLine, ParcelStatus, ParcelView};
pub use payment::{
    CardFields, CardInstruction, CardNumber, CardPayment, CardToken, PaymentDetails,
    PaymentInstruction, PaymentMethod, PaymentStatus, card_brand,
};
pub use quantity::Quantity;
pub use refund::{
    RefundLine, RefundLineRequest, RefundProblem, RefundStatus, RefundView, price_refund,
    refunded_units,
};
pub use returns::{
    InspectedLine, ReturnLine, ReturnStatus, ReturnStep, ReturnView, ReturnWindows, return_refusal,
    units_in_open_returns,
};
pub use role::Role;
pub use shipment::ShipmentStatus;
pub use stock::{MAX_ON_HAND, ReserveOutcome, Shortage, check_on_hand};
pub use view::{LedgerKind, OrderView, PaymentView, Receipt, ReceiptEntry, ShipmentView};
pub use warehouse::{
    AgeBucket, BatchCode, DEFAULT_EXPIRY_WARNING, DEFAULT_WAREHOUSE, Freshness, StockReason,
    expiry_end, expiry_from_shelf_life, spoils_before, week_start,
};
mod rating;
pub use rating::Rating;
mod cart;
pub use cart::{CartStatus, PriceChange};
mod phone;
pub use phone::PhoneNumber;
mod preferences;
pub use preferences::{NotificationChannel, NotificationChannels, Preferences};
mod catalog;
pub use catalog::{CategorySlug, ImageUrl, ProductAttributes, UnitOfSale};
mod push;
pub use push::{DeviceToken, PushPlatform};
