//! The OpenAPI 3.1 description of the whole API, served at `/openapi.json`.
//!
//! It is generated from the handlers' `#[utoipa::path]` attributes and the
//! request and response types, so it cannot drift from the code: a route
//! missing here is a route missing from this list.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::auth::password_reset;
use crate::auth::routes as auth;
use crate::routes::me::{addresses, notifications, points, profile, push_devices};
use crate::routes::{
    cart, categories, checkout, codec, coupons, edits, expiry_sweep, inventory, offers, ops,
    ops_alerts, orders, products, recommendations, refunds, reports, returns, reviews,
    sandbox_cards, sandbox_outbox, search, staff, suppliers, warehouse_shipments, warehouses,
    webhooks,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "orderly",
        description = "Order platform: catalogue, orders with payment and fulfilment run as \
                       durable workflows, tracking, and notifications. Errors are RFC 9457 \
                       `application/problem+json` documents."
    ),
    paths(
        auth::register,
        auth::login,
        auth::refresh,
        auth::logout,
        profile::me,
        products::list_products,
        products::get_product,
        inventory::get_inventory,
        inventory::set_inventory,
        inventory::list_movements,
        warehouses::list_warehouses,
        warehouses::create_warehouse,
        warehouses::get_warehouse,
        warehouses::update_warehouse,
        warehouses::receive_batch,
        warehouses::write_off,
        warehouse_shipments::list_shipments,
        suppliers::list_suppliers,
        suppliers::create_supplier,
        suppliers::get_supplier,
        suppliers::set_certifications,
        reports::spoilage,
        reports::inventory_aging,
        expiry_sweep::run_expiry_sweep,
        staff::list_staff,
        staff::invite_staff,
        staff::get_staff,
        staff::change_staff,
        notifications::list_notifications,
        orders::place_order,
        orders::get_order,
        orders::list_orders,
        orders::get_tracking,
        orders::cancel_order,
        orders::pack_order,
        orders::pack_shipment,
        orders::ready_for_pickup,
        orders::picked_up,
        orders::release_hold,
        refunds::refund_order,
        points::my_points,
        coupons::create_coupon,
        coupons::list_coupons,
        coupons::apply_to_cart,
        coupons::remove_from_cart,
        offers::get_bulk_tiers,
        offers::set_bulk_tiers,
        offers::create_offer,
        offers::list_offers,
        refunds::record_payout,
        edits::edit_order,
        returns::request_return,
        returns::review_return,
        returns::receive_return,
        returns::inspect_return,
        webhooks::carrier_webhook,
        webhooks::payment_webhook,
        ops::healthz,
        ops::readyz,
        ops::metrics,
        ops::openapi_json,
        ops_alerts::list_alerts,
        codec::encode,
        codec::decode,
        ops_alerts::resolve_alert,
        password_reset::request_password_reset,
        password_reset::confirm_password_reset,
        profile::update_me,
        addresses::create_address,
        addresses::list_addresses,
        addresses::get_address,
        addresses::update_address,
        addresses::delete_address,
        addresses::make_default,
        push_devices::register_push_device,
        push_devices::list_push_devices,
        push_devices::delete_push_device,
        cart::view_cart,
        cart::add_item,
        cart::set_quantity,
        cart::remove_item,
        cart::empty_cart,
        checkout::checkout,
        search::search,
        search::suggest,
        reviews::list_reviews,
        reviews::get_my_review,
        reviews::put_my_review,
        reviews::vote_helpful,
        recommendations::product_recommendations,
        recommendations::my_recommendations,
        categories::list_categories,
        categories::create_category,
        products::create_product,
        products::update_product,
        sandbox_outbox::list_sandbox_messages,
        sandbox_cards::tokenize_card,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Accounts and sessions"),
        (name = "catalog", description = "Products and stock"),
        (name = "orders", description = "Placing, following and fulfilling orders"),
        (name = "inbox", description = "In-app notifications"),
        (name = "webhooks", description = "Signed callbacks from carriers and payment providers"),
        (name = "ops", description = "Health, readiness, metrics, the sandbox gateways' outbox"),
        (name = "accounts", description = "The caller's address book and push devices"),
        (name = "cart", description = "The shopping cart and checkout"),
        (name = "search", description = "Full-text product search and search-box suggestions"),
        (name = "reviews", description = "Ratings and reviews of received products"),
        (name = "recommendations", description = "Bought together, and picks for a customer"),
        (name = "payments", description = "The sandbox provider's card tokenization"),
        (name = "warehouses", description = "Warehouses, goods receipts, write-offs, suppliers and the expiry sweep"),
    )
)]
struct ApiDoc;

/// Declares the `bearer` scheme the handlers' `security(("bearer" = []))` name.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The generated document.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_lists_every_area_and_the_bearer_scheme() {
        let json = serde_json::to_value(document()).unwrap();
        for path in [
            "/v1/auth/register",
            "/v1/products/{sku}",
            "/v1/inventory/{sku}",
            "/v1/me/notifications",
            "/v1/me/push-devices",
            "/v1/me/push-devices/{id}",
            "/v1/ops/sandbox/messages",
            "/v1/orders",
            "/v1/orders/{id}/cancel",
            "/v1/admin/expiry-sweep",
            "/v1/webhooks/payments/{provider}",
            "/readyz",
        ] {
            assert!(json["paths"].get(path).is_some(), "{path} is missing");
        }
        assert_eq!(
            json["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
        assert!(json["components"]["schemas"].get("Problem").is_some());
    }
}
