//! CATI on the server: supervisors publish case lists and outcome tables to a team, devices lease the cases they call, and quota totals are summed over received calls.
//!
//! Case lists and outcome tables travel through the changes feed (kinds
//! `case_list` and `outcome_table`) to the devices of the team, which check
//! every row with the device's own import rules and import all or nothing.
//! A study is server-managed for a team once a case list of it was published
//! to that team; its cases are then called only under a lease from here.
//!
//! Lease rule ([`decide`]): a case is granted to the asking device when nobody
//! holds it, when the asker already holds it (then it is extended), or when
//! the holder's lease ran out and the holder did not report unsynced attempts
//! on it. A holder that reported unsynced attempts keeps the case, expired or
//! not, until it reports them pushed: two laptops never call the same person,
//! and no attempt is orphaned on a case that moved.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Query, State};
use axum::Json;
use canvass_protocol::{
    CaseList, LeaseRequest, LeaseResponse, OutcomeTable, Published, QuotaTotals,
};

use crate::auth::{Caller, Role};
use crate::db::{Database, LeaseBatch};
use crate::error::ApiError;
use crate::routes::Body;
use crate::AppState;

/// How long a lease lasts without renewal: a working shift.
pub const LEASE_MS: i64 = 4 * 60 * 60 * 1000;

/// Most cases one lease request may name.
pub const MAX_LEASE_CASES: usize = 1000;

/// A stored lease, as the rule sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub device_id: String,
    pub expires_at: i64,
    /// The holder reported attempts on this case that it has not pushed yet.
    pub unsynced: bool,
}

/// The lease rule (see the module docs): the lease after the request, and whether it is the asker's.
pub fn decide(
    existing: Option<&Lease>,
    device: &str,
    unsynced: bool,
    now: i64,
    ttl_ms: i64,
) -> (Lease, bool) {
    let grant = Lease {
        device_id: device.to_owned(),
        expires_at: now + ttl_ms,
        unsynced,
    };
    match existing {
        None => (grant, true),
        Some(l) if l.device_id == device => (grant, true),
        Some(l) if l.expires_at > now || l.unsynced => (l.clone(), false),
        Some(_) => (grant, true),
    }
}

/// The team a publication goes to: a supervisor's own (naming another is refused), any for an admin.
fn target_team(
    caller: &Caller,
    asked: Option<String>,
    what: &str,
) -> Result<Option<String>, ApiError> {
    match caller.role {
        Role::Admin => Ok(asked),
        _ => {
            let own = caller
                .team
                .clone()
                .ok_or_else(|| ApiError::Forbidden("this supervisor has no team".into()))?;
            if asked.as_ref().is_some_and(|t| *t != own) {
                return Err(ApiError::Forbidden(format!(
                    "a supervisor of team {own} may not {what} for another team"
                )));
            }
            Ok(Some(own))
        }
    }
}

fn bad(code: &'static str, message: String) -> ApiError {
    tracing::warn!(code, %message, "refused CATI upload");
    ApiError::BadRequest { code, message }
}

/// Checks what the server can check of a case list without the device's row rules:
/// a study, a known file type, and a non-empty file that decodes.
pub fn check_case_list(list: &CaseList) -> Result<(), String> {
    if list.study_id.trim().is_empty() {
        return Err("the case list names no study".into());
    }
    let lower = list.file_name.to_ascii_lowercase();
    if ![".csv", ".xlsx", ".xls"].iter().any(|e| lower.ends_with(e)) {
        return Err(format!(
            "{} is not a .csv, .xlsx or .xls file",
            list.file_name
        ));
    }
    let bytes = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        list.source_base64.trim(),
    )
    .map_err(|e| format!("{}: the file is not valid base64: {e}", list.file_name))?;
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(format!("{} is empty", list.file_name));
    }
    Ok(())
}

/// Checks an outcome table: a study and an array of outcomes, each with a name.
pub fn check_outcomes(t: &OutcomeTable) -> Result<(), String> {
    if t.study_id.trim().is_empty() {
        return Err("the outcome table names no study".into());
    }
    let list = t
        .outcomes
        .as_array()
        .ok_or("outcomes must be a JSON array of outcomes")?;
    for (i, o) in list.iter().enumerate() {
        if o.get("name")
            .and_then(|n| n.as_str())
            .is_none_or(str::is_empty)
        {
            return Err(format!("outcome {} has no name", i + 1));
        }
    }
    Ok(())
}

async fn publish_json<T: serde::Serialize>(
    db: &dyn Database,
    kind: &str,
    team: Option<&str>,
    body: &T,
) -> Result<i64, ApiError> {
    let text = serde_json::to_string(body)
        .map_err(|e| ApiError::Internal(format!("cannot serialize a {kind}: {e}")))?;
    Ok(db.publish_change(kind, team, &text).await?)
}

/// Publishes a case list (supervisors for their team, admins for any): the CLI's `cases import` and `POST /v1/cases`.
pub async fn publish_case_list_to(
    db: &dyn Database,
    mut list: CaseList,
    team: Option<String>,
) -> Result<i64, ApiError> {
    check_case_list(&list).map_err(|m| bad("bad_case_list", m))?;
    if list.id.trim().is_empty() {
        list.id = uuid::Uuid::now_v7().to_string();
    }
    list.team = team.clone();
    let seq = publish_json(db, "case_list", team.as_deref(), &list).await?;
    tracing::info!(study = %list.study_id, team = ?team, file = %list.file_name, "case list published");
    Ok(seq)
}

/// `POST /v1/cases`.
pub async fn publish_case_list(
    State(s): State<AppState>,
    caller: Caller,
    Body(list): Body<CaseList>,
) -> Result<Json<Published>, ApiError> {
    caller.require(&[Role::Supervisor, Role::Admin], "publish case lists")?;
    let team = target_team(&caller, list.team.clone(), "publish a case list")?;
    let seq = publish_case_list_to(s.db.as_ref(), list, team).await?;
    Ok(Json(Published {
        cursor: seq.to_string(),
    }))
}

/// `POST /v1/outcomes`.
pub async fn publish_outcomes(
    State(s): State<AppState>,
    caller: Caller,
    Body(mut t): Body<OutcomeTable>,
) -> Result<Json<Published>, ApiError> {
    caller.require(&[Role::Supervisor, Role::Admin], "publish outcome tables")?;
    let team = target_team(&caller, t.team.clone(), "publish an outcome table")?;
    check_outcomes(&t).map_err(|m| bad("bad_outcomes", m))?;
    if t.id.trim().is_empty() {
        t.id = uuid::Uuid::now_v7().to_string();
    }
    t.team = team.clone();
    let seq = publish_json(s.db.as_ref(), "outcome_table", team.as_deref(), &t).await?;
    tracing::info!(study = %t.study_id, team = ?team, "outcome table published");
    Ok(Json(Published {
        cursor: seq.to_string(),
    }))
}

/// Whether a case list of `study` was published to `team` (or to every team).
async fn study_is_teams(
    db: &dyn Database,
    study: &str,
    team: Option<&str>,
) -> Result<bool, ApiError> {
    let mut since = 0;
    loop {
        let page = db.changes_since(since, team, false).await?;
        let Some(last) = page.last() else {
            return Ok(false);
        };
        since = last.seq;
        for c in &page {
            if c.kind == "case_list"
                && serde_json::from_str::<CaseList>(&c.body).is_ok_and(|l| l.study_id == study)
            {
                return Ok(true);
            }
        }
    }
}

/// `POST /v1/leases`: interviewers and supervisors lease cases of their team's studies for the device they signed in on.
pub async fn leases(
    State(s): State<AppState>,
    caller: Caller,
    Body(req): Body<LeaseRequest>,
) -> Result<Json<LeaseResponse>, ApiError> {
    caller.require(&[Role::Interviewer, Role::Supervisor], "lease cases")?;
    if req.device_id != caller.device_id {
        return Err(ApiError::Forbidden(
            "this token was issued to another device; sign in on this one".into(),
        ));
    }
    if req.case_ids.len() + req.release.len() > MAX_LEASE_CASES {
        return Err(bad(
            "too_many_cases",
            format!("a lease request may name at most {MAX_LEASE_CASES} cases"),
        ));
    }
    let team = caller
        .team
        .clone()
        .ok_or_else(|| ApiError::Forbidden("this account has no team".into()))?;
    if !study_is_teams(s.db.as_ref(), &req.study_id, Some(&team)).await? {
        return Err(ApiError::Forbidden(format!(
            "study {} has no case list for team {team}",
            req.study_id
        )));
    }
    let leases =
        s.db.lease_cases(LeaseBatch {
            study_id: req.study_id.clone(),
            team: Some(team),
            device_id: caller.device_id.clone(),
            user: caller.user.clone(),
            case_ids: req.case_ids,
            unsynced: req.unsynced,
            release: req.release,
            now: (s.clock)(),
            ttl_ms: LEASE_MS,
        })
        .await?;
    let granted = leases.iter().filter(|l| l.granted).count();
    tracing::info!(user = %caller.user, device = %caller.device_id, study = %req.study_id, asked = leases.len(), granted, "leases");
    Ok(Json(LeaseResponse { leases }))
}

/// Sums the quota cells of completes over call-attempt payloads of one study.
pub fn sum_quota_cells<'a>(
    payloads: impl Iterator<Item = &'a str>,
    study: &str,
) -> BTreeMap<String, i64> {
    let mut cells = BTreeMap::new();
    for p in payloads {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(p) else {
            continue;
        };
        if v.get("study_id").and_then(|s| s.as_str()) != Some(study) {
            continue;
        }
        for c in v
            .get("quota_cells")
            .and_then(|c| c.as_array())
            .into_iter()
            .flatten()
            .filter_map(|c| c.as_str())
        {
            *cells.entry(c.to_owned()).or_default() += 1;
        }
    }
    cells
}

/// `GET /v1/quotas?study=S`: quota-cell totals over the call attempts of the caller's team (admins: all
/// teams) received from devices other than the caller's.
pub async fn quota_totals(
    State(s): State<AppState>,
    caller: Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<QuotaTotals>, ApiError> {
    let study = q
        .get("study")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad("bad_study", "name the study: ?study=ID".into()))?
        .clone();
    let team = match caller.role {
        Role::Admin => None,
        _ => {
            let own = caller
                .team
                .clone()
                .ok_or_else(|| ApiError::Forbidden("this account has no team".into()))?;
            if !study_is_teams(s.db.as_ref(), &study, Some(&own)).await? {
                return Err(ApiError::Forbidden(format!(
                    "study {study} has no case list for team {own}"
                )));
            }
            Some(own)
        }
    };
    let rows = s.db.records("call_attempt", team.as_deref(), None).await?;
    // The asking device counts its own completes locally; the server adds everyone else's,
    // so local plus server is the study's total without counting a pushed complete twice.
    let others = rows.iter().filter(|r| r.device_id != caller.device_id);
    let cells = sum_quota_cells(others.map(|r| r.payload.as_str()), &study);
    Ok(Json(QuotaTotals {
        study_id: study,
        cells,
        counted_at: (s.clock)(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    /// (existing lease, asking device, asker reports unsynced, granted, holder after, expiry after)
    type Row = (Option<Lease>, &'static str, bool, bool, &'static str, i64);

    fn lease(device: &str, expires_at: i64, unsynced: bool) -> Lease {
        Lease {
            device_id: device.into(),
            expires_at,
            unsynced,
        }
    }

    #[test]
    fn leases_go_to_one_device_and_never_leave_one_with_unsynced_attempts() {
        let now = 100 * H;
        let table: &[Row] = &[
            (None, "a", false, true, "a", now + LEASE_MS),
            (
                Some(lease("a", now + H, false)),
                "a",
                false,
                true,
                "a",
                now + LEASE_MS,
            ),
            (
                Some(lease("a", now + H, false)),
                "b",
                false,
                false,
                "a",
                now + H,
            ),
            (
                Some(lease("a", now - H, false)),
                "b",
                false,
                true,
                "b",
                now + LEASE_MS,
            ),
            // Expired, but its holder has attempts not yet pushed: never stolen.
            (
                Some(lease("a", now - H, true)),
                "b",
                false,
                false,
                "a",
                now - H,
            ),
            // The holder itself renews, expired or not, and reports it pushed them.
            (
                Some(lease("a", now - H, true)),
                "a",
                false,
                true,
                "a",
                now + LEASE_MS,
            ),
            (
                Some(lease("a", now + 1, false)),
                "b",
                true,
                false,
                "a",
                now + 1,
            ),
            (
                Some(lease("a", now, false)),
                "b",
                false,
                true,
                "b",
                now + LEASE_MS,
            ),
        ];
        for (i, (existing, asker, unsynced, granted, holder, expires)) in table.iter().enumerate() {
            let (after, ok) = decide(existing.as_ref(), asker, *unsynced, now, LEASE_MS);
            assert_eq!(
                (ok, after.device_id.as_str(), after.expires_at),
                (*granted, *holder, *expires),
                "row {i}"
            );
        }
    }

    #[test]
    fn quota_totals_count_cells_of_the_study_only() {
        let payloads = [
            r#"{"study_id":"s","quota_cells":["men","young"]}"#,
            r#"{"study_id":"s","quota_cells":["men"]}"#,
            r#"{"study_id":"t","quota_cells":["men"]}"#,
            r#"{"study_id":"s"}"#,
            "not json",
        ];
        let cells = sum_quota_cells(payloads.iter().copied(), "s");
        assert_eq!(cells.get("men"), Some(&2));
        assert_eq!(cells.get("young"), Some(&1));
        assert_eq!(cells.len(), 2);
    }
}
