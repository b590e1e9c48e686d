//! How many history events one delivered order costs the Temporal server:
//! the order workflow's and its shipment child's, read back from the server
//! after the lifecycle run. Every event is a write on the server, so this
//! is what throughput is made of.

use temporalio_client::{Client, UntypedWorkflow};

use orderly_domain::OrderId;
use orderly_workflows::{order_workflow_id, shipment_workflow_id};

pub struct HistorySize {
    pub order: usize,
    pub shipment: usize,
}

impl HistorySize {
    pub fn total(&self) -> usize {
        self.order + self.shipment
    }
}

pub async fn of_order(client: &Client, order_id: OrderId) -> anyhow::Result<HistorySize> {
    Ok(HistorySize {
        order: events(client, &order_workflow_id(order_id)).await?,
        shipment: events(client, &shipment_workflow_id(order_id, 1)).await?,
    })
}

async fn events(client: &Client, workflow_id: &str) -> anyhow::Result<usize> {
    let json = client
        .get_workflow_handle::<UntypedWorkflow>(workflow_id)
        .fetch_history(Default::default())
        .to_json()
        .await?;
    let history: serde_json::Value = serde_json::from_slice(&json)?;
    Ok(history["events"].as_array().map_or(0, Vec::len))
}
