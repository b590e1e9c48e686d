//! Who an account is to the shop.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Customer,
    Seller,
    Admin,
    Delivery,
    /// Staff of one warehouse: packs that warehouse's orders.
    Warehouse,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Seller => "seller",
            Role::Admin => "admin",
            Role::Delivery => "delivery",
            Role::Warehouse => "warehouse",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            Role::Customer,
            Role::Seller,
            Role::Admin,
            Role::Delivery,
            Role::Warehouse,
        ]
        .into_iter()
        .find(|r| r.as_str() == raw)
    }
}
