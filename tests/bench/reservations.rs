//! The reservation benchmark: its runs hold exactly the stock there is,
//! however thinly it is spread, so its throughput figures are of correct
//! reservations.

use orderly_devtools::bench::reservations::{Layout, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reservations_across_many_batches_sell_out_without_overselling() {
    // 4 SKUs x 750 units, 2 units of two SKUs per order: at most 750
    // orders fit, so of 1,000 some are refused. The run itself checks that
    // every held order holds exactly its units and the ledger adds up.
    let spread = run(
        Layout {
            warehouses: 5,
            batches_per_sku: 50,
        },
        1_000,
        4,
    )
    .await
    .expect("the spread run");
    let single = run(
        Layout {
            warehouses: 1,
            batches_per_sku: 1,
        },
        1_000,
        4,
    )
    .await
    .expect("the single-batch run");

    for outcome in [&spread, &single] {
        assert_eq!(outcome.oversold, 0, "{outcome:?}");
        assert!(
            (700..=750).contains(&outcome.held),
            "nearly every unit sold, none twice: {outcome:?}"
        );
    }
}
