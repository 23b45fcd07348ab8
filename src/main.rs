/// mimalloc instead of glibc's malloc: ingest allocates and frees many
/// small strings per post on several threads, and glibc's free (with its
/// fastbin consolidation) took a fifth of the poller's and the simulator's
/// CPU (perf, benches/ingest.rs).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    placewatch::cli::main()
}
