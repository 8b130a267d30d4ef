//! Shared by the examples: where the accounts come from. With `--config`,
//! the accounts file; without it, the built-in simulator of every
//! compiled-in provider, reached through each provider's real code path
//! (real host names over HTTPS, signing, paging).

use std::path::Path;

use multicloud::config::AccountsFile;

/// A running simulator and the files it needs; dropping it stops the sim.
pub struct Demo {
    /// The simulator (kept alive while the example runs).
    _sim: multicloud_sim::SimHandle,
    /// Holds the simulator's CA certificate file.
    _dir: tempfile::TempDir,
}

/// Size of the demo estate.
pub struct DemoSize {
    /// Seed of the generator.
    pub seed: u64,
    /// Regions per provider.
    pub regions: usize,
    /// Instances per region.
    pub instances_per_region: usize,
}

/// The accounts to work on: the file when given, else a fresh simulator
/// (told on stderr unless `quiet`).
pub async fn accounts(
    config: Option<&Path>,
    size: DemoSize,
    quiet: bool,
) -> Result<(AccountsFile, Option<Demo>), String> {
    if let Some(path) = config {
        return AccountsFile::load(path)
            .map(|f| (f, None))
            .map_err(|e| e.to_string());
    }
    let providers: Vec<String> = multicloud::Cloud::implemented()
        .into_iter()
        .map(|p| p.as_str().to_string())
        .collect();
    if providers.is_empty() {
        return Err("no provider is compiled in: build with --features full \
                    (or tencent, alibaba, aws, ...)"
            .into());
    }
    if !quiet {
        eprintln!(
            "note: no --config given: using the built-in SIMULATOR (simulated data, \
             not a real cloud) for providers [{}].\n\
             note: to use real accounts, write a multicloud.toml (see \
             examples/multicloud.example.toml) and pass --config multicloud.toml.",
            providers.join(", ")
        );
    }
    let names: Vec<&str> = providers.iter().map(String::as_str).collect();
    let mut sim = multicloud_sim::Sim::builder()
        .seed(size.seed)
        .providers(&names)
        .regions(size.regions)
        .instances_per_region(size.instances_per_region)
        .https(true)
        .start()
        .await
        .map_err(|e| format!("cannot start the simulator: {e}"))?;
    // The providers trust the simulator's CA through the accounts file.
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    sim.write_ca_file(&dir.path().join("sim-ca.pem"))
        .map_err(|e| e.to_string())?;
    let file = AccountsFile::parse(&sim.accounts_toml()).map_err(|e| e.to_string())?;
    Ok((
        file,
        Some(Demo {
            _sim: sim,
            _dir: dir,
        }),
    ))
}
