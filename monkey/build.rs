//! No build step: the script exists because `links = "sprout_monkey"` (which
//! keeps two copies of the hooks out of one program) requires one.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
}
