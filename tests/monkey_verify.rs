//! `sprout::monkey::verify()` passes in a program built with the `monkey`
//! feature. Run with `cargo test --features monkey --test monkey_verify`.

#![cfg(feature = "monkey")]

#[test]
fn verify_through_the_facade() {
    sprout::monkey::verify().expect("hooks in effect");
}
