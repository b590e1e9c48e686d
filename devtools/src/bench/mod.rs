//! `orderly bench`: the performance figures of the README, measured.
//!
//! It starts its own Temporal dev server (SQLite file, like `orderly dev`),
//! database, API (in this process) and worker (a child `orderly worker`
//! process, so its memory can be read apart), then:
//! 1. the ceiling: no-op workflows with an order's messages and activities,
//!    once with ordinary activities (each a server round trip: the ceiling
//!    the issue defines) and once with local activities like an order's
//!    (a stricter one);
//! 2. full order lifecycles through the REST API (place, pay, pack, three
//!    carrier webhooks, delivered) at the given concurrency;
//! 3. `POST /orders` latency with orders arriving at half the ceiling rate;
//! 4. `GET /orders/{id}` throughput with 50 keep-alive connections, and
//!    the same load on a bare axum handler serving a body of the same size
//!    in the same process, as the same-run baseline it is a ratio to;
//! 5. the history events one delivered order leaves (order and shipment);
//! 6. optionally, the worker's memory with many orders open.

mod baseline;
pub mod ceiling;
mod history;
mod lifecycle;
mod reads;
pub mod reservations;
mod rss;
mod stack;
mod stats;

use std::time::Duration;

use clap::Args;

use orderly_domain::OrderId;

use crate::ceiling::CeilingActivityKind;
use stats::ms;

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Full order lifecycles to run (and ceiling workflows to compare with).
    #[arg(long, default_value_t = 200)]
    pub orders: usize,
    /// Orders in flight at once.
    #[arg(long, default_value_t = 20)]
    pub concurrency: usize,
    /// Orders to place and leave waiting to be packed before reading the
    /// worker's memory (0 skips this step).
    #[arg(long, default_value_t = 0)]
    pub open_orders: usize,
    /// Seconds of `GET /orders/{id}` load.
    #[arg(long, default_value_t = 10)]
    pub read_seconds: u64,
    /// Connections of the `GET /orders/{id}` load.
    #[arg(long, default_value_t = 50)]
    pub read_connections: usize,
    /// Orders of the reservation runs (stock in 5 warehouses of 50 batches
    /// per SKU, and the same stock in one batch of one warehouse).
    #[arg(long, default_value_t = 2000)]
    pub reservations: usize,
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let stack = stack::Stack::start().await?;
    let outcome = measure(&stack, &args).await;
    stack.stop().await;
    let report = outcome?;
    println!("{report}");
    Ok(())
}

async fn measure(stack: &stack::Stack, args: &BenchArgs) -> anyhow::Result<String> {
    let concurrency = args.concurrency.max(1);
    eprintln!(
        "bench: ceiling with server activities, {} workflows, {concurrency} at a time",
        args.orders
    );
    let ceiling = ceiling::run(
        &stack.client,
        stack::CEILING_QUEUE,
        args.orders,
        concurrency,
        CeilingActivityKind::Server,
    )
    .await?;
    eprintln!(
        "bench: ceiling with local activities, {} workflows, {concurrency} at a time",
        args.orders
    );
    let local_ceiling = ceiling::run(
        &stack.client,
        stack::CEILING_QUEUE,
        args.orders,
        concurrency,
        CeilingActivityKind::Local,
    )
    .await?;

    let api = lifecycle::Api::new(stack.api_addr, stack.carrier_secret.clone());
    let mut tokens = Vec::with_capacity(concurrency);
    for n in 0..concurrency {
        tokens.push(api.register(n).await?);
    }
    let admin = api.login(stack::ADMIN_EMAIL, &stack.admin_password).await?;

    eprintln!(
        "bench: lifecycle, {} orders, {concurrency} at a time",
        args.orders
    );
    let lifecycle = lifecycle::run(&api, &tokens, &admin, args.orders).await?;
    let peak_after_lifecycle = stack.worker_rss();

    // Half of the higher ceiling: the stricter pace.
    let rate = ceiling.max(local_ceiling) / 2.0;
    let paced_count = ((rate * 20.0) as usize).clamp(20, 400);
    eprintln!("bench: {paced_count} orders arriving at {rate:.1}/s");
    let paced = lifecycle::paced(&api, &tokens, rate, paced_count).await?;

    let order_id: OrderId = lifecycle.last_order.parse()?;
    let history = history::of_order(&stack.client, order_id).await?;

    eprintln!("bench: GET /orders/{{id}} for {}s", args.read_seconds);
    let order_path = format!("/v1/orders/{}", lifecycle.last_order);
    let reads = reads::run(
        stack.api_addr,
        order_path.clone(),
        lifecycle.last_token.clone(),
        args.read_connections,
        Duration::from_secs(args.read_seconds),
    )
    .await;
    let body = api.order_body(&order_path, &lifecycle.last_token).await?;
    let body_len = body.len();
    eprintln!(
        "bench: a bare axum handler serving the same {body_len} bytes for {}s",
        args.read_seconds
    );
    let bare = baseline::BareServer::start(body).await?;
    let bare_reads = reads::run(
        bare.addr,
        baseline::PATH.to_owned(),
        lifecycle.last_token.clone(),
        args.read_connections,
        Duration::from_secs(args.read_seconds),
    )
    .await;
    drop(bare);

    let open = if args.open_orders > 0 {
        eprintln!(
            "bench: placing {} orders left waiting to be packed",
            args.open_orders
        );
        lifecycle::open_orders(&api, &tokens, args.open_orders).await?;
        // Let the last payments settle so every order is waiting at `paid`.
        tokio::time::sleep(Duration::from_secs(5)).await;
        Some((args.open_orders + paced_count, stack.worker_rss()))
    } else {
        None
    };

    // `--reservations 0` skips these runs and their rows.
    let reserved = if args.reservations > 0 {
        eprintln!(
            "bench: {} reservations against 5 warehouses x 50 batches, then 1 x 1",
            args.reservations
        );
        let spread = reservations::run(
            reservations::Layout {
                warehouses: 5,
                batches_per_sku: 50,
            },
            args.reservations,
            concurrency,
        )
        .await?;
        let single = reservations::run(
            reservations::Layout {
                warehouses: 1,
                batches_per_sku: 1,
            },
            args.reservations,
            concurrency,
        )
        .await?;
        Some((spread, single))
    } else {
        None
    };

    let mut out = String::new();
    let line = |out: &mut String, s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    line(
        &mut out,
        format!(
            "orderly bench --orders {} --concurrency {} --open-orders {} --read-seconds {} --reservations {}",
            args.orders, concurrency, args.open_orders, args.read_seconds, args.reservations
        ),
    );
    line(
        &mut out,
        format!(
            "machine: {} cores",
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        ),
    );
    line(&mut out, String::new());
    line(&mut out, "| measure | result |".into());
    line(&mut out, "| --- | --- |".into());
    line(
        &mut out,
        format!(
            "| ceiling (no-op workflow, same messages, same activities through the server) | {ceiling:.2} workflows/s |"
        ),
    );
    line(
        &mut out,
        format!(
            "| stricter ceiling (the same, activities local like an order's) | {local_ceiling:.2} workflows/s |"
        ),
    );
    line(
        &mut out,
        format!(
            "| order lifecycles through the API | {:.2} orders/s |",
            lifecycle.orders_per_second
        ),
    );
    line(
        &mut out,
        format!(
            "| history events per delivered order | {} ({} order, {} shipment) |",
            history.total(),
            history.order,
            history.shipment
        ),
    );
    line(
        &mut out,
        format!(
            "| ratio to the ceiling | {:.2} |",
            lifecycle.orders_per_second / ceiling
        ),
    );
    line(
        &mut out,
        format!(
            "| ratio to the stricter ceiling | {:.2} |",
            lifecycle.orders_per_second / local_ceiling
        ),
    );
    line(
        &mut out,
        format!(
            "| POST /orders under full load | {} |",
            lifecycle.post_latency.summary()
        ),
    );
    line(
        &mut out,
        format!(
            "| POST /orders at half the ceiling rate ({rate:.1}/s) | {} |",
            paced.summary()
        ),
    );
    line(
        &mut out,
        format!(
            "| GET /orders/{{id}}, {} connections | {:.0} requests/s, {} errors, p50 {:.2} ms, p99 {:.2} ms |",
            args.read_connections,
            reads.requests as f64 / reads.elapsed.as_secs_f64(),
            reads.errors,
            ms(reads.latencies.percentile(50.0)),
            ms(reads.latencies.percentile(99.0)),
        ),
    );
    line(
        &mut out,
        format!(
            "| bare axum JSON handler, same {body_len}-byte body, {} connections | {:.0} requests/s, {} errors, p50 {:.2} ms, p99 {:.2} ms |",
            args.read_connections,
            bare_reads.requests as f64 / bare_reads.elapsed.as_secs_f64(),
            bare_reads.errors,
            ms(bare_reads.latencies.percentile(50.0)),
            ms(bare_reads.latencies.percentile(99.0)),
        ),
    );
    line(
        &mut out,
        format!(
            "| GET /orders/{{id}} as a ratio to the bare handler | {:.2} |",
            (reads.requests as f64 / reads.elapsed.as_secs_f64())
                / (bare_reads.requests as f64 / bare_reads.elapsed.as_secs_f64()).max(1.0)
        ),
    );
    if let Some((spread, single)) = &reserved {
        for run in [spread, single] {
            line(
                &mut out,
                format!(
                    "| reserve, stock in {} warehouse(s) x {} batch(es) per SKU, {concurrency} at a time | {:.0} orders/s; {} of {} held, {} units oversold |",
                    run.layout.warehouses,
                    run.layout.batches_per_sku,
                    run.per_second(),
                    run.held,
                    run.orders,
                    run.oversold,
                ),
            );
        }
        line(
            &mut out,
            format!(
                "| reserve across 5 x 50 batches as a ratio to 1 x 1 | {:.2} |",
                spread.per_second() / single.per_second().max(f64::MIN_POSITIVE)
            ),
        );
    }
    if let Some((current, peak)) = peak_after_lifecycle {
        line(
            &mut out,
            format!("| worker RSS after the lifecycles | {current:.0} MiB (peak {peak:.0} MiB) |"),
        );
    }
    if let Some((count, Some((current, peak)))) = open {
        line(
            &mut out,
            format!(
                "| worker RSS with {count} orders open | {current:.0} MiB (peak {peak:.0} MiB) |"
            ),
        );
    }
    Ok(out)
}
