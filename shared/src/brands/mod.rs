//! Brand records (spec §7): a named Brand DNA document owned by one organisation. The DNA's
//! keys and validation are the contract's (`contract::brand_dna`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::UnixSeconds;

/// A stored brand record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Brand {
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    pub domain: Option<String>,
    pub brand_dna: Map<String, Value>,
    pub created_at: UnixSeconds,
    pub updated_at: UnixSeconds,
}
