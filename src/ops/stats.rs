//! Interaction statistics (SPEC §2.8): per template, group, contact, salesperson or campaign,
//! the number of interactions, total cost, total duration and the last interaction date,
//! counting only entries that are neither canceled nor postponed.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::OpError;
use crate::domain::*;
use crate::storage::Store;

/// What statistics are grouped by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum StatsBy {
    /// Per interaction template.
    #[default]
    Template,
    /// Per interaction group.
    Group,
    /// Per contact.
    Contact,
    /// Per salesperson.
    Salesperson,
    /// Per campaign (entries without a campaign are not counted).
    Campaign,
}

/// One line of statistics.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatsRow {
    /// The template, group, contact, salesperson or campaign.
    pub key: String,
    /// Number of interactions.
    pub interactions: u64,
    /// Total cost, exact (a 128-bit sum, never saturated).
    pub cost: MoneySum,
    /// Total duration in minutes.
    pub duration_min: u64,
    /// Date of the last interaction.
    pub last_date: Option<NaiveDate>,
}

fn key_of<E: EntryRead + ?Sized>(by: StatsBy, e: &E) -> Option<String> {
    Some(match by {
        StatsBy::Template => e.template_code().to_string(),
        StatsBy::Group => e.group_code().to_string(),
        StatsBy::Contact => e.contact_no().to_string(),
        StatsBy::Salesperson => e.salesperson_code().to_string(),
        StatsBy::Campaign => e.campaign_no()?.to_string(),
    })
}

/// Statistics over every visible entry, sorted by key.
pub fn stats(store: &Store, by: StatsBy) -> Result<Vec<StatsRow>, OpError> {
    let mut acc: BTreeMap<String, StatsRow> = BTreeMap::new();
    store.for_each_entry(&EntrySelection::all(), |e| {
        if e.canceled() || e.postponed() {
            return Ok::<bool, OpError>(true);
        }
        let Some(key) = key_of(by, e) else {
            return Ok(true);
        };
        let row = acc.entry(key.clone()).or_insert_with(|| StatsRow {
            key,
            interactions: 0,
            cost: MoneySum::ZERO,
            duration_min: 0,
            last_date: None,
        });
        row.interactions += 1;
        row.cost.add(e.cost());
        row.duration_min += e.duration_min() as u64;
        row.last_date = row.last_date.max(Some(e.date()));
        Ok(true)
    })?;
    Ok(acc.into_values().collect())
}
