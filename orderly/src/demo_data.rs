//! The demo shop `orderly dev` starts with: a small grocery catalog with
//! stock, and the admin account. Re-running it changes nothing that exists
//! already except to top the catalog up, so restarting `dev` is safe.

use anyhow::Context;

use orderly_activities::store::{Product, Store};
use orderly_domain::{Currency, Money, Sku};

/// (sku, name, category, unit, price in paise, stock)
const CATALOG: [(&str, &str, &str, &str, i64, i64); 12] = [
    (
        "APPLE-SHIMLA-1KG",
        "Shimla apples",
        "Fruit",
        "kg",
        18_000,
        200,
    ),
    (
        "BANANA-ROBUSTA-DOZ",
        "Robusta bananas (dozen)",
        "Fruit",
        "each",
        6_000,
        300,
    ),
    (
        "MANGO-ALPHONSO-1KG",
        "Alphonso mangoes",
        "Fruit",
        "kg",
        45_000,
        80,
    ),
    (
        "ORANGE-NAGPUR-1KG",
        "Nagpur oranges",
        "Fruit",
        "kg",
        9_000,
        150,
    ),
    ("TOMATO-1KG", "Tomatoes", "Vegetables", "kg", 4_000, 400),
    ("ONION-1KG", "Onions", "Vegetables", "kg", 3_500, 500),
    ("POTATO-1KG", "Potatoes", "Vegetables", "kg", 3_000, 500),
    (
        "SPINACH-ORGANIC-250G",
        "Organic spinach",
        "Organic",
        "each",
        4_500,
        120,
    ),
    (
        "CARROT-ORGANIC-500G",
        "Organic carrots",
        "Organic",
        "each",
        5_500,
        120,
    ),
    (
        "AVOCADO-HASS-EACH",
        "Hass avocado (imported)",
        "Imported",
        "each",
        15_000,
        60,
    ),
    (
        "KIWI-NZ-3PACK",
        "New Zealand kiwis, pack of 3",
        "Imported",
        "each",
        12_000,
        90,
    ),
    ("MILK-TONED-1L", "Toned milk", "Dairy", "litre", 5_400, 250),
];

pub async fn seed(store: &Store, admin_email: &str, admin_password: &str) -> anyhow::Result<()> {
    for (sku, name, category, unit, price, stock) in CATALOG {
        let sku = Sku::parse(sku).context("demo SKU")?;
        if store.product(&sku).await?.is_some() {
            continue;
        }
        store
            .upsert_product(&Product {
                sku: sku.clone(),
                name: name.to_owned(),
                description: format!("{name}, fresh from the demo shop"),
                unit: unit.to_owned(),
                price: Money::new(price, Currency::INR),
                category: category.to_owned(),
                active: true,
            })
            .await?;
        store.set_on_hand(&sku, stock).await?;
    }
    orderly_api::auth::ensure_admin(store, admin_email, admin_password)
        .await
        .context("creating the admin account")?;
    Ok(())
}
