//! The demo shop `orderly dev` starts with: a category tree, a small
//! grocery catalog, one seller who lists the farm produce, the admin
//! account, two warehouses in different cities (Mumbai and Pune) and an
//! organic-certified supplier (who supplies the farm produce, so the pages
//! of the organic products show their certification as verified), and each
//! product's stock as two batches, one per warehouse, received on different
//! days and so expiring on different days (the spinach within the expiry
//! sweep's warning period). Re-running it changes nothing that exists already
//! except to top the catalog up, so restarting `dev` is safe.
//!
//! The demo seller (`farm@orderly.local`) has its own password: `orderly
//! dev` generates it once, keeps it beside the other dev secrets and prints
//! it, so signing in as the seller never needs the admin's.

use anyhow::Context;

use chrono::{Days, NaiveDate, Utc};
use orderly_domain::{
    Address, BatchCode, CategorySlug, Currency, DEFAULT_WAREHOUSE, Money, ProductAttributes, Role,
    Sku, SupplierId, UserId, WarehouseId, expiry_from_shelf_life,
};
use orderly_store::{
    BatchKey, Certification, GoodsReceipt, NewCategory, NewUser, Product, Store, StoreError,
    SupplierSetup, WarehouseSetup,
};

/// (slug, name, parent slug), parents first.
const CATEGORIES: [(&str, &str, Option<&str>); 6] = [
    ("fruit", "Fruit", None),
    ("citrus", "Citrus", Some("fruit")),
    ("vegetables", "Vegetables", None),
    ("organic", "Organic", None),
    ("imported", "Imported", None),
    ("dairy", "Dairy", None),
];

pub const SELLER_EMAIL: &str = "farm@orderly.local";
const SELLER_NAME: &str = "Green Valley Farms";

struct DemoProduct {
    sku: &'static str,
    name: &'static str,
    /// The slug of its category; products in `organic` are organic.
    category: &'static str,
    unit: &'static str,
    price_paise: i64,
    stock: i64,
    origin: &'static str,
    shelf_life_days: u32,
    /// Listed by the demo seller rather than by the shop itself.
    from_the_farm: bool,
}

const CATALOG: [DemoProduct; 12] = [
    DemoProduct {
        sku: "APPLE-SHIMLA-1KG",
        name: "Shimla apples",
        category: "fruit",
        unit: "kg",
        price_paise: 18_000,
        stock: 200,
        origin: "Shimla, India",
        shelf_life_days: 30,
        from_the_farm: true,
    },
    DemoProduct {
        sku: "BANANA-ROBUSTA-DOZ",
        name: "Robusta bananas (dozen)",
        category: "fruit",
        unit: "each",
        price_paise: 6000,
        stock: 300,
        origin: "Jalgaon, India",
        shelf_life_days: 5,
        from_the_farm: false,
    },
    DemoProduct {
        sku: "MANGO-ALPHONSO-1KG",
        name: "Alphonso mangoes",
        category: "fruit",
        unit: "kg",
        price_paise: 45_000,
        stock: 80,
        origin: "Ratnagiri, India",
        shelf_life_days: 7,
        from_the_farm: true,
    },
    DemoProduct {
        sku: "ORANGE-NAGPUR-1KG",
        name: "Nagpur oranges",
        category: "citrus",
        unit: "kg",
        price_paise: 9000,
        stock: 150,
        origin: "Nagpur, India",
        shelf_life_days: 14,
        from_the_farm: false,
    },
    DemoProduct {
        sku: "TOMATO-1KG",
        name: "Tomatoes",
        category: "vegetables",
        unit: "kg",
        price_paise: 4000,
        stock: 400,
        origin: "Nashik, India",
        shelf_life_days: 7,
        from_the_farm: false,
    },
    DemoProduct {
        sku: "ONION-1KG",
        name: "Onions",
        category: "vegetables",
        unit: "kg",
        price_paise: 3500,
        stock: 500,
        origin: "Lasalgaon, India",
        shelf_life_days: 60,
        from_the_farm: false,
    },
    DemoProduct {
        sku: "POTATO-1KG",
        name: "Potatoes",
        category: "vegetables",
        unit: "kg",
        price_paise: 3000,
        stock: 500,
        origin: "Agra, India",
        shelf_life_days: 45,
        from_the_farm: false,
    },
    DemoProduct {
        sku: "SPINACH-ORGANIC-250G",
        name: "Organic spinach",
        category: "organic",
        unit: "each",
        price_paise: 4500,
        stock: 120,
        origin: "Pune, India",
        shelf_life_days: 3,
        from_the_farm: true,
    },
    DemoProduct {
        sku: "CARROT-ORGANIC-500G",
        name: "Organic carrots",
        category: "organic",
        unit: "each",
        price_paise: 5500,
        stock: 120,
        origin: "Ooty, India",
        shelf_life_days: 14,
        from_the_farm: true,
    },
    DemoProduct {
        sku: "AVOCADO-HASS-EACH",
        name: "Hass avocado (imported)",
        category: "imported",
        unit: "each",
        price_paise: 15_000,
        stock: 60,
        origin: "Tanzania",
        shelf_life_days: 7,
        from_the_farm: false,
    },
    DemoProduct {
        sku: "KIWI-NZ-3PACK",
        name: "New Zealand kiwis, pack of 3",
        category: "imported",
        unit: "each",
        price_paise: 12_000,
        stock: 90,
        origin: "New Zealand",
        shelf_life_days: 21,
        from_the_farm: false,
    },
    DemoProduct {
        sku: "MILK-TONED-1L",
        name: "Toned milk",
        category: "dairy",
        unit: "litre",
        price_paise: 5400,
        stock: 250,
        origin: "Anand, India",
        shelf_life_days: 2,
        from_the_farm: false,
    },
];

/// A low-stock notice when a tenth of the opening stock is left.
const LOW_STOCK_FRACTION: i64 = 10;

const MAIN_WAREHOUSE_NAME: &str = "Main warehouse";
const SECOND_WAREHOUSE_NAME: &str = "Pune cold store";
const SUPPLIER_NAME: &str = "Sahyadri Farmers' Cooperative";
/// Of each product's stock, this share (in fifths) is in the main
/// warehouse, received today; the rest is in Pune, received yesterday.
const MAIN_WAREHOUSE_FIFTHS: i64 = 3;
/// What a unit costs the shop, as a share (in fifths) of its price.
const COST_FIFTHS: i64 = 3;

pub async fn seed(
    store: &Store,
    admin_email: &str,
    admin_password: &str,
    seller_password: &str,
) -> anyhow::Result<()> {
    orderly_api::auth::ensure_admin(store, admin_email, admin_password)
        .await
        .context("creating the admin account")?;
    seed_categories(store).await?;
    let seller = ensure_seller(store, seller_password).await?;
    let pune = ensure_warehouses(store).await?;
    let supplier = ensure_supplier(store).await?;
    for demo in &CATALOG {
        let sku = Sku::parse(demo.sku).context("demo SKU")?;
        if store.catalog().product(&sku).await?.is_some() {
            continue;
        }
        let slug = CategorySlug::parse(demo.category).context("demo category slug")?;
        let category = store
            .catalog()
            .category_by_slug(&slug)
            .await?
            .context("a demo category was not seeded")?;
        store
            .catalog()
            .upsert_product(&Product {
                sku: sku.clone(),
                name: demo.name.to_owned(),
                description: format!("{}, fresh from the demo shop", demo.name),
                unit: demo.unit.to_owned(),
                price: Money::new(demo.price_paise, Currency::INR),
                category: category.name,
                active: true,
                seller_id: demo.from_the_farm.then_some(seller),
                category_id: Some(category.id),
                images: vec![format!(
                    "https://orderly.dev/demo/images/{}.jpg",
                    demo.sku.to_lowercase()
                )],
                attributes: ProductAttributes {
                    origin: Some(demo.origin.to_owned()),
                    organic: demo.category == "organic",
                    nutrition: None,
                    shelf_life_days: Some(demo.shelf_life_days),
                },
                low_stock_threshold: demo.stock / LOW_STOCK_FRACTION,
            })
            .await?;
        let today = Utc::now().date_naive();
        let yesterday = today.checked_sub_days(Days::new(1)).unwrap_or(today);
        let main_units = demo.stock * MAIN_WAREHOUSE_FIFTHS / 5;
        for batch in [
            DemoBatch {
                warehouse_id: DEFAULT_WAREHOUSE,
                received_on: today,
                units: main_units,
            },
            DemoBatch {
                warehouse_id: pune,
                received_on: yesterday,
                units: demo.stock - main_units,
            },
        ] {
            receive(store, demo, &sku, supplier, batch).await?;
        }
    }
    Ok(())
}

/// Where and when one demo batch arrived.
struct DemoBatch {
    warehouse_id: WarehouseId,
    received_on: NaiveDate,
    units: i64,
}

/// Books one demo batch in.
async fn receive(
    store: &Store,
    demo: &DemoProduct,
    sku: &Sku,
    supplier: SupplierId,
    batch: DemoBatch,
) -> anyhow::Result<()> {
    let DemoBatch {
        warehouse_id,
        received_on,
        units,
    } = batch;
    let batch_code = BatchCode::parse(&format!("DEMO-{}", received_on.format("%Y%m%d")))
        .context("demo batch code")?;
    let received = store
        .inventory()
        .receive(&GoodsReceipt {
            key: BatchKey {
                sku: sku.clone(),
                warehouse_id,
                batch_code,
            },
            supplier_id: demo.from_the_farm.then_some(supplier),
            received_on,
            expires_on: expiry_from_shelf_life(received_on, Some(demo.shelf_life_days)),
            unit_cost: Money::new(demo.price_paise * COST_FIFTHS / 5, Currency::INR),
            quantity: units,
        })
        .await;
    match received {
        // Another replica booked it in between.
        Ok(_) | Err(StoreError::Conflict(_)) => Ok(()),
        Err(other) => Err(other).context("receiving a demo batch"),
    }
}

fn demo_address(name: &str, line1: &str, city: &str, postal_code: &str) -> Address {
    Address {
        name: name.to_owned(),
        line1: line1.to_owned(),
        line2: None,
        city: city.to_owned(),
        postal_code: postal_code.to_owned(),
        country: "IN".to_owned(),
    }
}

/// Gives the default warehouse its Mumbai address and opens the Pune one;
/// the Pune warehouse's id.
async fn ensure_warehouses(store: &Store) -> anyhow::Result<WarehouseId> {
    let main = store
        .warehouses()
        .get(DEFAULT_WAREHOUSE)
        .await?
        .context("the default warehouse is missing")?;
    if main.name == MAIN_WAREHOUSE_NAME && main.address.city == "-" {
        store
            .warehouses()
            .update(
                DEFAULT_WAREHOUSE,
                &WarehouseSetup {
                    name: MAIN_WAREHOUSE_NAME.to_owned(),
                    address: demo_address(
                        MAIN_WAREHOUSE_NAME,
                        "Sector 19, APMC Market, Vashi",
                        "Navi Mumbai",
                        "400703",
                    ),
                    serves_pickup: true,
                    cold_storage: false,
                    active: true,
                },
            )
            .await?;
    }
    let existing = store.warehouses().list(true).await?;
    if let Some(pune) = existing.iter().find(|w| w.name == SECOND_WAREHOUSE_NAME) {
        return Ok(pune.id);
    }
    let created = store
        .warehouses()
        .create(&WarehouseSetup {
            name: SECOND_WAREHOUSE_NAME.to_owned(),
            address: demo_address(
                SECOND_WAREHOUSE_NAME,
                "Gultekdi Market Yard",
                "Pune",
                "411037",
            ),
            serves_pickup: true,
            cold_storage: true,
            active: true,
        })
        .await;
    match created {
        Ok(pune) => Ok(pune.id),
        Err(StoreError::Conflict(_)) => store
            .warehouses()
            .list(true)
            .await?
            .into_iter()
            .find(|w| w.name == SECOND_WAREHOUSE_NAME)
            .map(|w| w.id)
            .context("the Pune warehouse exists but could not be read back"),
        Err(other) => Err(other).context("opening the Pune warehouse"),
    }
}

/// The demo supplier of the farm produce, certified organic for a year.
async fn ensure_supplier(store: &Store) -> anyhow::Result<SupplierId> {
    if let Some(existing) = store
        .suppliers()
        .list()
        .await?
        .into_iter()
        .find(|s| s.name == SUPPLIER_NAME)
    {
        return Ok(existing.id);
    }
    let valid_until = Utc::now()
        .date_naive()
        .checked_add_days(Days::new(365))
        .context("a date a year from now")?;
    let created = store
        .suppliers()
        .create(&SupplierSetup {
            name: SUPPLIER_NAME.to_owned(),
            contact_email: "orders@sahyadri.example".to_owned(),
            region: "Nashik, Maharashtra".to_owned(),
            certifications: vec![Certification {
                kind: "organic".to_owned(),
                certificate_number: "NPOP/NAB/0019".to_owned(),
                valid_until,
            }],
        })
        .await?;
    Ok(created.id)
}

async fn seed_categories(store: &Store) -> anyhow::Result<()> {
    for (slug, name, parent) in CATEGORIES {
        let slug = CategorySlug::parse(slug).context("demo category slug")?;
        if store.catalog().category_by_slug(&slug).await?.is_some() {
            continue;
        }
        let parent_id = match parent {
            Some(parent) => {
                let parent = CategorySlug::parse(parent).context("demo category slug")?;
                let found = store.catalog().category_by_slug(&parent).await?;
                Some(found.context("a parent category comes first")?.id)
            }
            None => None,
        };
        match store
            .catalog()
            .insert_category(&NewCategory {
                parent_id,
                name: name.to_owned(),
                slug,
            })
            .await
        {
            // Another replica seeded it between our read and our insert.
            Ok(_) | Err(StoreError::Conflict(_)) => {}
            Err(other) => return Err(other).context("seeding a category"),
        }
    }
    Ok(())
}

async fn ensure_seller(store: &Store, password: &str) -> anyhow::Result<UserId> {
    if let Some(existing) = store.accounts().user_by_email(SELLER_EMAIL).await? {
        return Ok(existing.user.id);
    }
    let password_hash = orderly_api::auth::hash_password(password.to_owned())
        .await
        .context("hashing the demo seller's password")?;
    let created = store
        .accounts()
        .insert_user(&NewUser {
            email: SELLER_EMAIL.to_owned(),
            name: SELLER_NAME.to_owned(),
            password_hash,
            role: Role::Seller,
        })
        .await;
    match created {
        Ok(user) => Ok(user.id),
        Err(StoreError::Conflict(_)) => store
            .accounts()
            .user_by_email(SELLER_EMAIL)
            .await?
            .map(|existing| existing.user.id)
            .context("the demo seller exists but could not be read back"),
        Err(other) => Err(other).context("creating the demo seller"),
    }
}
