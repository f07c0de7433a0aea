//! `qiantang` binary: see the `qiantang` library crate.
fn main() -> std::process::ExitCode {
    qiantang::main_entry()
}
