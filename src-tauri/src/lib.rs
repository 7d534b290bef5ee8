//! The desktop shell: builds the Tauri app, manages the state and registers the commands. No logic.

mod commands;
mod error;
mod state;

use tauri::Manager;

/// Starts the desktop app and blocks until its window is closed.
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    let started = std::time::Instant::now();
    let result = tauri::Builder::default()
        .setup(move |app| {
            let state = state::AppState::open(app.handle(), started);
            let monitor = std::sync::Arc::new(commands::sync::SyncMonitor::default());
            if let Ok(a) = &state.app {
                commands::sync::start_background(a.clone(), monitor.clone());
            }
            app.manage(state);
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
            commands::sync::sync_status,
            commands::sync::sync_sign_in,
            commands::sync::sync_now,
            commands::sync::sync_log,
            commands::sync::sync_waiting,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("canvass: the window could not be started: {e}");
        std::process::exit(1);
    }
}
