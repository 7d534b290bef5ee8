//! `canvass review`: the supervisor's review desk without a window: list the team's interviews, show one, approve or reject.
//!
//! Decisions are written with their outbox rows like in the window; `canvass
//! sync` sends them (and pulls the team's interviews for a supervisor).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use canvass_app::review::ReviewFilter;
use canvass_app::{App, SystemClock};
use clap::Subcommand;

use crate::describe;

#[derive(Debug, Subcommand)]
pub enum ReviewCommand {
    /// The team's interviews pulled for review, one JSON object per line (latest revision of each).
    List {
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
        /// Only this interviewer's.
        #[arg(long)]
        interviewer: Option<String>,
        /// Only `waiting`, `approved` or `rejected` ones.
        #[arg(long)]
        state: Option<String>,
        /// Only this study's.
        #[arg(long)]
        study: Option<String>,
    },
    /// One interview as the viewer shows it (answers, timeline, flags, decisions), as JSON.
    Show {
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
        id: String,
    },
    /// Approve the interview's current revision.
    Approve {
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
        id: String,
    },
    /// Send the interview back to its interviewer with a comment, optionally naming question paths.
    Reject {
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
        id: String,
        #[arg(long)]
        comment: String,
        /// A question path the comment is about (`/data/nps`); may be repeated.
        #[arg(long = "path")]
        paths: Vec<String>,
    },
}

fn open(db: &Path) -> Result<App, String> {
    if !db.exists() {
        return Err(format!("no database at {}", db.display()));
    }
    App::open(db, Arc::new(SystemClock::new())).map_err(|e| describe(&e))
}

fn print<T: serde::Serialize>(out: &mut dyn Write, v: &T) -> Result<(), String> {
    let text = serde_json::to_string(v).map_err(|e| e.to_string())?;
    writeln!(out, "{text}").map_err(|e| e.to_string())
}

pub fn review(cmd: ReviewCommand, out: &mut dyn Write) -> Result<u8, String> {
    match cmd {
        ReviewCommand::List {
            db,
            interviewer,
            state,
            study,
        } => {
            let app = open(&db)?;
            let filter = ReviewFilter {
                interviewer,
                review: state,
                study_id: study,
                ..ReviewFilter::default()
            };
            for row in app.review_list(&filter).map_err(|e| describe(&e))? {
                print(out, &row)?;
            }
        }
        ReviewCommand::Show { db, id } => {
            let app = open(&db)?;
            print(out, &app.review_detail(&id).map_err(|e| describe(&e))?)?;
        }
        ReviewCommand::Approve { db, id } => {
            let app = open(&db)?;
            print(
                out,
                &app.decide(&id, "approved", None, &[])
                    .map_err(|e| describe(&e))?,
            )?;
        }
        ReviewCommand::Reject {
            db,
            id,
            comment,
            paths,
        } => {
            let app = open(&db)?;
            print(
                out,
                &app.decide(&id, "rejected", Some(&comment), &paths)
                    .map_err(|e| describe(&e))?,
            )?;
        }
    }
    Ok(0)
}
