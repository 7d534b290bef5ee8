//! `canvass export data`: a study's interviews as CSV, XLSX, SPSS `.sav`, Stata `.dta`, JSON Lines or ODK submission XML.

use std::io::Write;
use std::path::PathBuf;

use canvass_app::export::data::{
    day_start_ms, export_data_with_progress, DataExportOptions, DataFormat,
};

/// Arguments of `canvass export data`.
#[derive(Debug, clap::Args)]
pub struct DataArgs {
    /// The database file.
    #[arg(long, value_name = "FILE")]
    pub db: PathBuf,
    /// The study (questionnaire id) to export.
    #[arg(long, value_name = "ID")]
    pub study: String,
    /// csv, xlsx, sav, dta, jsonl or xml (one ODK submission per interview).
    #[arg(long, value_parser = ["csv", "xlsx", "sav", "dta", "jsonl", "xml"])]
    pub format: String,
    /// The folder to write into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Write choice labels instead of codes (CSV, XLSX, JSON Lines).
    #[arg(long)]
    pub labels: bool,
    /// Language of labels, as named in the form, e.g. "Ukrainian (uk)".
    #[arg(long, value_name = "L")]
    pub language: Option<String>,
    /// Only interviews with this status (repeatable); completed ones when absent.
    #[arg(long = "status", value_name = "S")]
    pub statuses: Vec<String>,
    /// Only interviews completed on or after this date (YYYY-MM-DD, UTC).
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Only interviews completed before this date (YYYY-MM-DD, UTC).
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
}

pub fn export_data(args: &DataArgs, out: &mut dyn Write) -> Result<u8, String> {
    // clap has already limited the value to the names parse() knows.
    let format =
        DataFormat::parse(&args.format).ok_or_else(|| format!("unknown format {}", args.format))?;
    let mut options = DataExportOptions::new(&args.study, format);
    options.labels = args.labels;
    options.language = args.language.clone();
    options.statuses = args.statuses.clone();
    options.from_ms = args
        .from
        .as_deref()
        .map(|d| day_start_ms("from", d))
        .transpose()?;
    options.to_ms = args
        .to
        .as_deref()
        .map(|d| day_start_ms("to", d))
        .transpose()?;
    let app = super::open_existing(&args.db)?;
    let summary = export_data_with_progress(&app, &options, &args.out, &mut |_, _| true)
        .map_err(|e| super::describe(&e))?;
    write!(out, "{}", summary.report(&args.out)).map_err(|e| e.to_string())?;
    Ok(0)
}

/// `canvass report ...`.
#[derive(Debug, clap::Subcommand)]
pub enum ReportCommand {
    /// A study's dashboard: completes and response rates per interviewer and day, median
    /// interview length, NPS, CSAT and CES overall, per segment and per wave.
    Cx {
        /// The database file.
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
        /// The study (questionnaire id).
        #[arg(long, value_name = "ID")]
        study: String,
        /// Language of segment and wave labels, as named in the form.
        #[arg(long, value_name = "L")]
        language: Option<String>,
        /// Print the whole report as JSON.
        #[arg(long)]
        json: bool,
    },
}

pub fn report(cmd: ReportCommand, out: &mut dyn Write) -> Result<u8, String> {
    let ReportCommand::Cx {
        db,
        study,
        language,
        json,
    } = cmd;
    let app = super::open_existing(&db)?;
    let r = app
        .cx_report(&study, language.as_deref())
        .map_err(|e| super::describe(&e))?;
    let io = |e: std::io::Error| e.to_string();
    if json {
        let text = serde_json::to_string_pretty(&r).map_err(|e| e.to_string())?;
        writeln!(out, "{text}").map_err(io)?;
        return Ok(0);
    }
    let f = |x: Option<f64>| x.map(|v| format!("{v:.1}")).unwrap_or_else(|| "-".into());
    writeln!(
        out,
        "{} ({}): {} completes, median {} min",
        r.title,
        r.study,
        r.completes,
        f(r.median_minutes)
    )
    .map_err(io)?;
    writeln!(
        out,
        "NPS {} (n={}), CSAT {}% (n={}), CES {} (n={})",
        f(r.overall.nps.score),
        r.overall.nps.responses,
        f(r.overall.csat.score),
        r.overall.csat.responses,
        r.overall
            .ces
            .mean
            .map(|v| format!("{v:.2}"))
            .unwrap_or_else(|| "-".into()),
        r.overall.ces.responses
    )
    .map_err(io)?;
    for (title, rows) in [("interviewer", &r.by_interviewer), ("day", &r.by_day)] {
        writeln!(out, "{title:<24} completes  worked  response%  median_min").map_err(io)?;
        for w in rows {
            let key = if w.key.is_empty() {
                "(this device)"
            } else {
                &w.key
            };
            writeln!(
                out,
                "{key:<24} {:>9}  {:>6}  {:>9}  {:>10}",
                w.completes,
                w.units_worked,
                f(w.response_rate),
                f(w.median_minutes)
            )
            .map_err(io)?;
        }
    }
    for (title, groups) in [("segment", &r.by_segment), ("wave", &r.by_wave)] {
        if groups.is_empty() {
            continue;
        }
        writeln!(out, "{title:<24} n     NPS    CSAT%  CES   ΔNPS").map_err(io)?;
        for g in groups {
            writeln!(
                out,
                "{:<24} {:<5} {:>6} {:>6} {:>5} {:>6}",
                g.label,
                g.scores.interviews,
                f(g.scores.nps.score),
                f(g.scores.csat.score),
                g.scores
                    .ces
                    .mean
                    .map(|v| format!("{v:.2}"))
                    .unwrap_or_else(|| "-".into()),
                f(g.change.as_ref().and_then(|c| c.nps))
            )
            .map_err(io)?;
        }
    }
    Ok(0)
}
