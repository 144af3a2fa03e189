fn main() {
    // sqlx::migrate! reads the migration folders at compile time; a new file must rebuild the crate.
    println!("cargo:rerun-if-changed=migrations");
}
