/// mimalloc instead of glibc's malloc, for the memory of a login flood: each
/// password check takes argon2's 19 MiB, and glibc keeps those blocks in its
/// per-thread arenas once freed (`cargo bench --bench login_flood`: 200
/// wrong passwords at once peaked at 118.6 MB RSS, and at 445 MB from 200
/// addresses, against 75.9 and 81.7 MB with mimalloc). Ingest runs as fast
/// with either (`cargo bench --bench ingest`: 7,362 posts/s with glibc,
/// 7,188 with mimalloc).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    placewatch::cli::main()
}
