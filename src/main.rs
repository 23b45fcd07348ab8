/// mimalloc instead of glibc's malloc: ingest allocates and frees many small
/// strings per post on several threads (simulator, HTTP, tagging), where
/// glibc's malloc and free (with its fastbin consolidation) took a fifth of
/// their CPU (perf, benches/ingest.rs). Version 3 returns freed memory to
/// the OS as glibc does, so the daemon's footprint stays where it was.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    placewatch::cli::main()
}
