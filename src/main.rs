fn main() -> std::process::ExitCode {
    placewatch::cli::main()
}
