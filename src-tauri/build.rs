//! Build script: generates Tauri's context (config, icon, capabilities) for the desktop package.

fn main() {
    // Capabilities live under src-tauri/ to keep the repository root to the
    // design card's layout. With a custom pattern tauri-build does not watch
    // the folder itself, so we ask cargo to rerun when it changes.
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    println!("cargo:rerun-if-changed=tauri.conf.json");
    let attrs = tauri_build::Attributes::new()
        .capabilities_path_pattern("src-tauri/capabilities/**/*.json");
    tauri_build::try_build(attrs).expect("tauri build script failed");
}
