//! The cogs built into the binary (the five bundled ones under `plugins/`), so a bot
//! works with no files to copy. `build.rs` compiles them to WebAssembly components and
//! generates the table included here.

include!(concat!(env!("OUT_DIR"), "/bundled_cogs.rs"));

/// `(name, component bytes)` of every bundled cog.
pub fn bundled() -> &'static [(&'static str, &'static [u8])] {
    BUNDLED
}

/// Folder holding every cog component the build produced (bundled and test cogs).
pub fn build_dir() -> &'static str {
    COG_BUILD_DIR
}
