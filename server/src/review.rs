//! Interview revisions and supervisors' decisions: which stored record is an interview's latest revision, and `POST /v1/decisions`.
//!
//! Every revision of an interview is its own record (its own item id), so the
//! server keeps them all and `canvass-server export interviews` prints one line
//! per revision; lists show each interview's latest revision only. A record
//! names its interview and revision in its payload (`interview_id`,
//! `revision`); records sent before revisions existed are revision 1 of the
//! interview whose id they carry.
//!
//! A decision is checked (role, team, the interview and revision exist), then
//! stored and published to the interviewer's team in one storage transaction,
//! keyed by the decision's id, so a supervisor's device may resend it safely.

use canvass_protocol::{Decision, Published};
use sha2::{Digest, Sha256};

use crate::auth::{hex, Caller, Role};
use crate::db::{NewDecision, Stored, StoredRecord};
use crate::error::ApiError;
use crate::AppState;

/// The interview id and revision a stored record carries.
pub fn revision_of(r: &StoredRecord) -> (String, i64) {
    #[derive(serde::Deserialize)]
    struct Head {
        #[serde(default)]
        interview_id: Option<String>,
        #[serde(default)]
        revision: Option<i64>,
    }
    // A payload that does not parse was refused at ingest; the fallback only keeps old rows readable.
    let head: Option<Head> = serde_json::from_str(&r.payload).ok();
    let interview = head
        .as_ref()
        .and_then(|h| h.interview_id.clone())
        .unwrap_or_else(|| r.id.clone());
    let revision = head.and_then(|h| h.revision).unwrap_or(1);
    (interview, revision)
}

/// Each interview's latest revision, in the order the interviews were first received.
pub fn latest_revisions(rows: Vec<StoredRecord>) -> Vec<StoredRecord> {
    let mut order: Vec<String> = Vec::new();
    let mut latest: std::collections::HashMap<String, (i64, StoredRecord)> =
        std::collections::HashMap::new();
    for r in rows {
        let (interview, revision) = revision_of(&r);
        match latest.get_mut(&interview) {
            Some((have, row)) => {
                if revision > *have {
                    *have = revision;
                    *row = r;
                }
            }
            None => {
                order.push(interview.clone());
                latest.insert(interview, (revision, r));
            }
        }
    }
    order
        .into_iter()
        .filter_map(|id| latest.remove(&id).map(|(_, r)| r))
        .collect()
}

/// `POST /v1/decisions`: a supervisor approves or rejects an interview of their team (admins: any).
pub async fn publish_decision(
    s: &AppState,
    caller: &Caller,
    mut d: Decision,
) -> Result<Published, ApiError> {
    caller.require(&[Role::Supervisor, Role::Admin], "decide on interviews")?;
    if d.decision != "approved" && d.decision != "rejected" {
        return Err(ApiError::BadRequest {
            code: "bad_decision",
            message: format!(
                "decision must be approved or rejected, not {:?}",
                d.decision
            ),
        });
    }
    if d.decision == "rejected" && d.comment.as_deref().is_none_or(|c| c.trim().is_empty()) {
        return Err(ApiError::BadRequest {
            code: "bad_decision",
            message: "a rejection needs a comment that tells the interviewer what to correct"
                .into(),
        });
    }
    let team = match caller.role {
        Role::Admin => None,
        _ => Some(
            caller
                .team
                .as_deref()
                .ok_or_else(|| ApiError::Forbidden("this supervisor has no team".into()))?,
        ),
    };
    // A linear scan is fine at survey sizes (a team's interviews).
    let revisions: Vec<(i64, StoredRecord)> =
        s.db.records("interview", team, None)
            .await?
            .into_iter()
            .filter_map(|r| {
                let (interview, revision) = revision_of(&r);
                (interview == d.interview_id).then_some((revision, r))
            })
            .collect();
    let latest = revisions.iter().map(|(n, _)| *n).max();
    let Some(latest) = latest else {
        // Another team's interview answers like a missing one, so ids of other teams do not leak.
        return Err(ApiError::NotFound(format!(
            "no interview {} in your scope",
            d.interview_id
        )));
    };
    let revision = d.revision.unwrap_or(latest);
    let Some((_, record)) = revisions.iter().find(|(n, _)| *n == revision) else {
        return Err(ApiError::NotFound(format!(
            "interview {} has no revision {revision}",
            d.interview_id
        )));
    };
    d.revision = Some(revision);
    d.decided_by = Some(caller.user.clone());
    let body = serde_json::to_string(&d)
        .map_err(|e| ApiError::Internal(format!("cannot serialize a decision: {e}")))?;
    let id = match &d.id {
        Some(id) => {
            let ok = uuid::Uuid::parse_str(id).is_ok_and(|u| u.get_version_num() == 7);
            if !ok {
                return Err(ApiError::BadRequest {
                    code: "bad_decision",
                    message: format!("decision id {id:?} is not a UUID v7"),
                });
            }
            id.clone()
        }
        // Older clients send no id: the content names the decision, so their resends stay duplicates.
        None => format!("derived-{}", hex(&Sha256::digest(body.as_bytes()))),
    };
    let (stored, seq) =
        s.db.record_decision(NewDecision {
            id: id.clone(),
            interview_id: d.interview_id.clone(),
            revision: Some(revision),
            decision: d.decision.clone(),
            body_hash: hex(&Sha256::digest(body.as_bytes())),
            body,
            decided_by: caller.user.clone(),
            team: record.team.clone(),
            received_at: (s.clock)(),
        })
        .await?;
    if let Stored::OtherHash { .. } = stored {
        return Err(ApiError::Conflict(format!(
            "decision {id} was already recorded with other content"
        )));
    }
    tracing::info!(by = %caller.user, interview = %d.interview_id, revision, decision = %d.decision, "decision");
    Ok(Published {
        cursor: seq.to_string(),
    })
}
