//! CATI with a server: importing the case lists and outcome tables the changes feed brought, leasing cases, and fetching quota totals.
//!
//! After every sync pass the device imports what the feed brought with the
//! same row checks as a local import (all of a list or none of it; a refused
//! list is kept with its reason), then asks the server for leases on the cases
//! of its server-managed studies that it is about to call (a batch per study,
//! reporting the cases whose attempts it has not pushed yet, so the server
//! never hands those to another device), then stores the server's quota totals
//! with the time they were counted.

use base64::Engine as _;
use canvass_protocol::{CaseList, LeaseRequest, OutcomeTable as WireOutcomes};
use canvass_store::CatiReceived;
use serde::Serialize;

use super::outcomes::Outcome;
use crate::interview::App;
use crate::sync::SyncError;

/// How many cases of a study one lease request asks for: a shift's worth of calls.
pub const LEASE_BATCH: i64 = 50;

/// What the CATI step after a sync pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CatiSyncSummary {
    /// Case lists and outcome tables imported.
    pub imported: usize,
    /// Refused ones, as `study: reason`.
    pub refused: Vec<String>,
    /// Cases leased to this device (new or extended).
    pub leased: usize,
    /// Cases the server refused because another device holds them.
    pub held_elsewhere: usize,
    /// Studies whose quota totals were refreshed.
    pub quota_studies: usize,
}

/// Whether an app error is the local store failing (then the whole step stops and says so).
fn storage_failure(e: crate::Error) -> Result<String, SyncError> {
    match e {
        crate::Error::Store(
            e @ (canvass_store::Error::DiskFull(_)
            | canvass_store::Error::ReadOnly(_)
            | canvass_store::Error::Corrupt(_)
            | canvass_store::Error::Sqlite(_)),
        ) => Err(SyncError::Store(e)),
        other => Ok(other.to_string()),
    }
}

impl App {
    /// Imports every received case list and outcome table not yet imported, oldest first.
    /// A list any row of which is wrong imports nothing and is kept `refused` with every problem.
    pub fn cati_import_received(&self) -> Result<CatiSyncSummary, SyncError> {
        let waiting = self.lock().store.cati_received(Some("received"))?;
        let mut summary = CatiSyncSummary::default();
        for r in waiting {
            let problem = match r.kind.as_str() {
                "case_list" => self.import_received_list(&r)?,
                _ => self.import_received_outcomes(&r)?,
            };
            let mut inner = self.lock();
            if problem.is_none() {
                summary.imported += 1;
                if r.kind == "case_list" {
                    inner.store.set_server_study(&r.study_id)?;
                }
            } else if let Some(p) = &problem {
                summary.refused.push(format!("{}: {p}", r.study_id));
            }
            inner.store.mark_cati_received(&r.id, problem.as_deref())?;
        }
        Ok(summary)
    }

    fn import_received_list(&self, r: &CatiReceived) -> Result<Option<String>, SyncError> {
        let list: CaseList = match serde_json::from_str(&r.body) {
            Ok(l) => l,
            Err(e) => {
                return Ok(Some(format!(
                    "the server sent a case list that is not readable: {e}"
                )))
            }
        };
        let bytes =
            match base64::engine::general_purpose::STANDARD.decode(list.source_base64.trim()) {
                Ok(b) => b,
                Err(e) => return Ok(Some(format!("{}: not valid base64: {e}", list.file_name))),
            };
        match self.import_cases(
            &list.study_id,
            &bytes,
            &list.file_name,
            list.default_timezone.as_deref(),
        ) {
            Ok(_) => Ok(None),
            Err(e) => storage_failure(e).map(Some),
        }
    }

    fn import_received_outcomes(&self, r: &CatiReceived) -> Result<Option<String>, SyncError> {
        let table: WireOutcomes = match serde_json::from_str(&r.body) {
            Ok(t) => t,
            Err(e) => {
                return Ok(Some(format!(
                    "the server sent an outcome table that is not readable: {e}"
                )))
            }
        };
        // Every outcome is checked before any is stored: a table is taken whole or not at all.
        let outcomes: Vec<Outcome> = match serde_json::from_value(table.outcomes) {
            Ok(o) => o,
            Err(e) => return Ok(Some(format!("the outcome table is not valid: {e}"))),
        };
        for o in &outcomes {
            if let Err(e) = self.set_outcome(&table.study_id, o) {
                return storage_failure(e).map(Some);
            }
        }
        Ok(None)
    }

    /// Asks the server for leases on the next cases of every server-managed study, extending the
    /// ones this device holds and reporting those with unpushed attempts; stores every answer.
    pub async fn cati_renew_leases(&self) -> Result<CatiSyncSummary, SyncError> {
        let mut summary = CatiSyncSummary::default();
        let Some((server, token, device)) = self.cati_server()? else {
            return Ok(summary);
        };
        let now = self.clock.now_ms();
        let studies = self.lock().store.server_studies()?;
        for study in studies {
            let wanted = self
                .lock()
                .store
                .lease_candidates(&study, &device, now, LEASE_BATCH)?;
            // A final case whose attempts all reached the server is given back; open cases,
            // and final ones with attempts still to push, are leased or extended.
            let (keep, release): (Vec<_>, Vec<_>) =
                wanted.into_iter().partition(|c| c.open || c.unsynced);
            let release: Vec<String> = release
                .into_iter()
                .filter(|c| c.own)
                .map(|c| c.case_id)
                .collect();
            if keep.is_empty() && release.is_empty() {
                continue;
            }
            let req = LeaseRequest {
                device_id: device.clone(),
                study_id: study.clone(),
                unsynced: keep
                    .iter()
                    .filter(|c| c.unsynced)
                    .map(|c| c.case_id.clone())
                    .collect(),
                case_ids: keep.into_iter().map(|c| c.case_id).collect(),
                release: release.clone(),
            };
            let resp = server.leases(&token, &req).await?;
            let rows: Vec<(String, String, i64)> = resp
                .leases
                .iter()
                .map(|l| (l.case_id.clone(), l.holder.clone(), l.expires_at))
                .collect();
            summary.leased += resp.leases.iter().filter(|l| l.granted).count();
            summary.held_elsewhere += resp.leases.iter().filter(|l| !l.granted).count();
            let mut inner = self.lock();
            inner.store.set_leases(&study, &rows)?;
            inner.store.clear_leases(&study, &release)?;
        }
        Ok(summary)
    }

    /// Fetches the server's quota totals of every server-managed study with quota cells and keeps
    /// them with the time the server counted them (cells the server has not seen count 0).
    pub async fn cati_fetch_quota_totals(&self) -> Result<usize, SyncError> {
        let Some((server, token, _)) = self.cati_server()? else {
            return Ok(0);
        };
        let studies = self.lock().store.server_studies()?;
        let mut n = 0;
        for study in studies {
            let cells = self.lock().store.quotas(&study)?;
            if cells.is_empty() {
                continue;
            }
            let totals = server.quota_totals(&token, &study).await?;
            let mut inner = self.lock();
            for q in cells {
                let count = totals.cells.get(&q.name).copied().unwrap_or(0);
                inner
                    .store
                    .set_quota_server_count(&study, &q.name, count, totals.counted_at)?;
            }
            n += 1;
        }
        Ok(n)
    }

    /// The CATI step after a sync pass: import, leases, quota totals.
    pub async fn cati_after_sync(&self) -> Result<CatiSyncSummary, SyncError> {
        let mut summary = self.cati_import_received()?;
        let leases = self.cati_renew_leases().await?;
        summary.leased = leases.leased;
        summary.held_elsewhere = leases.held_elsewhere;
        summary.quota_studies = self.cati_fetch_quota_totals().await?;
        Ok(summary)
    }

    /// [`App::cati_after_sync`], with its problems in the sync log: a refused list
    /// (`failed`: sending it again will not fix it) or a lease or quota call the
    /// server or network did not answer (`retry_later`: the next pass tries again,
    /// and meanwhile the call screen counts the cases waiting for a lease). Only a
    /// failing local database stops it.
    pub async fn cati_after_sync_logged(&self) -> Result<(), SyncError> {
        let started = self.clock.now_ms();
        let (outcome, error) = match self.cati_after_sync().await {
            Ok(s) if s.refused.is_empty() => return Ok(()),
            Ok(s) => (
                "failed",
                format!(
                    "CATI list refused, nothing of it imported: {}",
                    s.refused.join("; ")
                ),
            ),
            Err(SyncError::Store(e)) => return Err(SyncError::Store(e)),
            Err(e) => (
                "retry_later",
                format!("CATI leases or quota totals: {}", canvass_sync::chain(&e)),
            ),
        };
        let entry = canvass_store::SyncLogEntry {
            started_at: started,
            finished_at: self.clock.now_ms(),
            outcome: outcome.into(),
            error: Some(error),
            ..Default::default()
        };
        self.lock().store.add_sync_log(&entry)?;
        Ok(())
    }

    /// Received case lists and outcome tables with their state and problem: what the server sent and what became of it.
    pub fn cati_received(&self) -> crate::Result<Vec<CatiReceived>> {
        Ok(self.lock().store.cati_received(None)?)
    }

    /// The signed-in server, its token and this device's id, or `None` when not signed in.
    fn cati_server(&self) -> Result<Option<(canvass_sync::Server, String, String)>, SyncError> {
        let settings = self.lock().store.read_sync_settings()?;
        let Some(s) = settings else { return Ok(None) };
        let (Some(url), Some(token)) = (s.server_url, s.token) else {
            return Ok(None);
        };
        let server = canvass_sync::Server::new(&url, canvass_sync::DEFAULT_TIMEOUT)?;
        Ok(Some((server, token, s.device_id)))
    }
}
