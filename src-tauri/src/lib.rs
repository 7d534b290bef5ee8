//! The desktop shell: builds the Tauri app, manages the state and registers the commands. No logic.

mod commands;
mod error;
mod state;

use tauri::Manager;

/// Starts the desktop app and blocks until its window is closed.
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    let started = std::time::Instant::now();
    #[cfg(target_os = "linux")]
    choose_painting();
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .setup(move |app| {
            let state = state::AppState::open(app.handle(), started);
            let monitor = std::sync::Arc::new(commands::sync::SyncMonitor::default());
            if let Ok(a) = &state.app {
                commands::sync::start_background(a.clone(), monitor.clone());
            }
            app.manage(state);
            app.manage(commands::export::ExportControl::default());
            app.manage(monitor);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::interview::app_status,
            commands::interview::list_studies,
            commands::interview::list_interviews,
            commands::interview::start_interview,
            commands::interview::get_screen,
            commands::interview::record_answer,
            commands::interview::next_item,
            commands::interview::previous_item,
            commands::interview::resume_interview,
            commands::interview::pause_interview,
            commands::lifecycle::set_language,
            commands::lifecycle::add_repeat,
            commands::lifecycle::remove_repeat,
            commands::lifecycle::break_off_interview,
            commands::lifecycle::newer_versions,
            commands::lifecycle::move_to_version,
            commands::export::export_paradata,
            commands::export::cancel_export,
            commands::export::export_data,
            commands::export::export_languages,
            commands::export::export_calls,
            commands::dashboard::dashboard_report,
            commands::dashboard::dashboard_save,
            commands::capi::capi_dashboard,
            commands::capi::capi_assignment,
            commands::capi::capi_interview_assignment,
            commands::capi::capi_start_interview,
            commands::capi::capi_record_visit,
            commands::capi::capi_record_consent,
            commands::capi::capi_respondent_mode,
            commands::capi::capi_show_card,
            commands::capi::capi_respondent_lock,
            commands::capi::capi_jump_to_item,
            commands::attachments::attach_file,
            commands::attachments::clear_attachment,
            commands::attachments::attachment,
            commands::attachments::record_geopoint,
            commands::sync::sync_status,
            commands::sync::sync_sign_in,
            commands::sync::sync_now,
            commands::sync::sync_log,
            commands::sync::sync_waiting,
            commands::cati::cati_setup,
            commands::cati::cati_next,
            commands::cati::cati_case,
            commands::cati::cati_record,
            commands::cati::cati_appointments,
            commands::cati::cati_start_interview,
            commands::review::review_is_supervisor,
            commands::review::review_list,
            commands::review::review_detail,
            commands::review::review_decide,
            commands::review::review_notes,
            commands::review::review_set_speeding,
            commands::interview::interview_outline,
            commands::interview::jump_to,
            commands::interview::set_zoom,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("canvass: the window could not be started: {e}");
        std::process::exit(1);
    }
}

/// Makes the window paint with the CPU unless `CANVASS_GPU=1` is set.
///
/// WebKitGTK composites through OpenGL by default. Where the machine has no
/// usable GPU (the virtual desktops call centres run on, and X servers without
/// GL such as Xvfb) that GL is Mesa's software renderer, and every frame of a
/// screen change costs tens of milliseconds: keypress to the next question
/// painted measured p95 56 ms with it and 21–23 ms with CPU painting
/// (`cargo bench --bench paint`). A screen of text and buttons gains nothing
/// from the GPU, so CPU painting is the default everywhere, and the variable
/// gives a machine whose GPU helps a way back.
///
/// WebKit reads its compositing switch from the environment when the web view
/// and its web process start. Switching the view's acceleration policy after
/// the window exists (the other way in) changes mode while the page loads, and
/// left a window that never answered a screenshot, so the switch is made here,
/// before any window.
#[cfg(target_os = "linux")]
fn choose_painting() {
    const SWITCH: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";
    if std::env::var("CANVASS_GPU").is_ok_and(|v| v == "1") || std::env::var_os(SWITCH).is_some() {
        return;
    }
    // `run` calls this first, before Tauri, GTK or WebKit start a thread, so no
    // other thread can be reading the environment while it changes.
    std::env::set_var(SWITCH, "1");
}
