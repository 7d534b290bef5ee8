//! Entry point of the desktop app: hands over to `canvass_desktop::run`.

// Release builds on Windows must not open a console window next to the app.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    canvass_desktop::run()
}
