//! One instance's life on every provider: create, stop, start, reboot and
//! delete, printing each state transition as the cloud reports it.
//!
//! ```sh
//! cargo run --features full --example lifecycle                     # simulator
//! cargo run --features full --example lifecycle -- --config multicloud.toml --yes-create-real-instances
//! ```
//!
//! Against real accounts it creates (and deletes) a billable instance, so it
//! refuses to run there without `--yes-create-real-instances`.

#[path = "common/demo.rs"]
mod demo;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Instant;

use clap::Parser;
use futures::TryStreamExt;
use multicloud::model::{
    ImageOwner, InstanceSpec, InstanceState, ListImages, ListNetwork, StopOptions, WaitOptions,
};
use multicloud::{Cloud, Compute, Error, Provider, Result};

/// Create, stop, start, reboot and delete one instance per account.
#[derive(Debug, Parser)]
#[command(name = "lifecycle", about)]
struct Args {
    /// Accounts file; without it the built-in simulator is used.
    #[arg(long, short = 'c')]
    config: Option<PathBuf>,
    /// Needed with --config: this creates real, billable instances.
    #[arg(long)]
    yes_create_real_instances: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    if args.config.is_some() && !args.yes_create_real_instances {
        eprintln!("lifecycle: this creates real instances; add --yes-create-real-instances");
        return ExitCode::from(1);
    }
    let size = demo::DemoSize {
        seed: 7,
        regions: 1,
        instances_per_region: 3,
    };
    let (accounts, _demo) = match demo::accounts(args.config.as_deref(), size, false).await {
        Ok(a) => a,
        Err(e) => {
            eprintln!("lifecycle: {e}");
            return ExitCode::from(1);
        }
    };
    let mut failed = false;
    for account in &accounts.accounts {
        println!("\n== {} ({})", account.name, account.provider);
        let result = match Cloud::connect(account).await {
            Ok(p) => run(&*p).await,
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            failed = true;
            println!("   FAILED: {e}");
        }
    }
    if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

async fn run(p: &dyn Provider) -> Result<()> {
    let compute = p
        .compute()
        .ok_or_else(|| Error::unsupported("no compute service"))?;
    let network = p
        .network()
        .ok_or_else(|| Error::unsupported("no network service"))?;
    let region = p
        .regions()
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| Error::not_found("the account has no region"))?
        .id;
    let zone = p.zones(&region).await?.into_iter().next().map(|z| z.id);
    let instance_type = compute
        .instance_types(&region)
        .try_next()
        .await?
        .ok_or_else(|| Error::not_found("no instance type"))?
        .id;
    let mut image = None;
    for owner in [ImageOwner::Own, ImageOwner::Public] {
        let q = ListImages {
            region: region.clone(),
            owner,
            ..Default::default()
        };
        if let Some(i) = compute.images(&q).try_next().await? {
            image = Some(i.id);
            break;
        }
    }
    let image_id = image.ok_or_else(|| Error::not_found("no image"))?;
    let q = ListNetwork {
        region: region.clone(),
        ..Default::default()
    };
    let subnet = network
        .subnets(&q)
        .try_filter(|s| futures::future::ready(zone.is_none() || s.zone == zone))
        .try_next()
        .await?;
    let group = match &subnet {
        Some(s) => {
            let q = ListNetwork {
                region: region.clone(),
                vpc_id: Some(s.vpc_id.clone()),
                ..Default::default()
            };
            network.security_groups(&q).try_next().await?
        }
        None => None,
    };
    let spec = InstanceSpec {
        region: region.clone(),
        zone: subnet.as_ref().and_then(|s| s.zone.clone()).or(zone),
        name: "multicloud-lifecycle-demo".into(),
        instance_type,
        image_id,
        subnet_id: subnet.map(|s| s.id),
        security_group_ids: group.map(|g| vec![g.id]).unwrap_or_default(),
        ..Default::default()
    };
    let started = Instant::now();
    let vm = compute.create_instance(&spec).await?;
    println!(
        "   created {} in {region} ({}), state {:?} [{}]",
        vm.id, spec.instance_type, vm.state, vm.raw_state
    );
    let id = vm.id.clone();
    let watch = Watch::new(started, vm.state);
    wait(compute, &region, &id, InstanceState::Running, &watch).await?;
    compute
        .stop_instance(&region, &id, StopOptions::default())
        .await?;
    println!("   stop requested");
    wait(compute, &region, &id, InstanceState::Stopped, &watch).await?;
    compute.start_instance(&region, &id).await?;
    println!("   start requested");
    wait(compute, &region, &id, InstanceState::Running, &watch).await?;
    compute.reboot_instance(&region, &id).await?;
    println!("   reboot requested");
    wait(compute, &region, &id, InstanceState::Running, &watch).await?;
    compute.delete_instance(&region, &id).await?;
    println!("   delete requested");
    let gone = compute
        .wait_for_instance(
            &region,
            &id,
            &|i| watch.see(i.state, &i.raw_state) && i.state == InstanceState::Terminated,
            opts(),
        )
        .await?;
    if gone.is_none() {
        println!("   {:>7.1}s  gone (no longer listed)", watch.elapsed());
    }
    Ok(())
}

fn opts() -> WaitOptions {
    WaitOptions {
        timeout_ms: 600_000,
        interval_ms: 200,
        max_interval_ms: 2_000,
    }
}

async fn wait(
    c: &dyn Compute,
    region: &str,
    id: &str,
    want: InstanceState,
    w: &Watch,
) -> Result<()> {
    c.wait_for_instance(
        region,
        id,
        &|i| w.see(i.state, &i.raw_state) && i.state == want,
        opts(),
    )
    .await?
    .map(|_| ())
    .ok_or_else(|| {
        Error::not_found(format!(
            "instance {id} disappeared while waiting for {want:?}"
        ))
    })
}

/// Prints a line whenever the observed state changes.
struct Watch {
    started: Instant,
    last: Mutex<InstanceState>,
}

impl Watch {
    fn new(started: Instant, state: InstanceState) -> Self {
        Watch {
            started,
            last: Mutex::new(state),
        }
    }

    fn elapsed(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// Note a state; always true so it can sit in a predicate chain.
    fn see(&self, state: InstanceState, raw: &str) -> bool {
        if let Ok(mut last) = self.last.lock() {
            if *last != state {
                println!(
                    "   {:>7.1}s  {:?} -> {:?} [{raw}]",
                    self.elapsed(),
                    *last,
                    state
                );
                *last = state;
            }
        }
        true
    }
}
