//! The `sohoa` command: see `sohoa --help`.

fn main() -> std::process::ExitCode {
    sohoa::cli::main()
}
