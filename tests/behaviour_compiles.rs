//! Compiles the shared behaviour suite (no provider needs to exist) and
//! checks the parts of it that need none: the estate helpers and the
//! accounts file the simulator prints.

mod behaviour;

use multicloud::config::{AccountsFile, CredentialSourceKind};
use multicloud::model::ProviderKind;
use multicloud_sim::{Filter, PageReq, Scope, Sim};

#[tokio::test]
async fn estate_count_helper_matches_the_estate() {
    let sim = Sim::builder()
        .seed(3)
        .providers(&["tencent", "aws"])
        .regions(2)
        .instances_per_region(7)
        .start()
        .await
        .unwrap();
    let a = sim.accounts("aws").remove(0);
    let n = behaviour::estate_instance_count(&sim, "aws", &a.id, &a.regions[1]);
    assert_eq!(n, 7);
    let s = Scope::new("aws", &a.id, &a.regions[1]);
    let listed = sim
        .estate()
        .instances(&s, &Filter::default(), &PageReq::All)
        .unwrap();
    assert_eq!(listed.total, n);
    // A missing scope counts zero.
    assert_eq!(
        behaviour::estate_instance_count(&sim, "aws", "nobody", "nowhere"),
        0
    );
    assert!(behaviour::requests_of(&sim, "aws").is_empty());
    sim.shutdown().await;
}

#[tokio::test]
async fn printed_accounts_file_parses_as_the_sdk_config() {
    let mut sim = Sim::builder()
        .seed(4)
        .providers(&["tencent", "alibaba", "aws", "huawei", "azure", "openstack"])
        .regions(1)
        .instances_per_region(1)
        .https(true)
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    sim.write_ca_file(&ca).unwrap();
    let text = sim.accounts_toml();
    let file: AccountsFile = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(file.accounts.len(), 6);
    let t = file
        .accounts
        .iter()
        .find(|a| a.provider == ProviderKind::Tencent)
        .unwrap();
    let info = &sim.accounts("tencent")[0];
    assert_eq!(t.name, info.name);
    assert_eq!(t.credentials.source, CredentialSourceKind::Static);
    assert_eq!(
        t.credentials.access_key_id.as_deref(),
        Some(info.access_key_id.as_str())
    );
    assert_eq!(
        t.credentials.secret_access_key.as_ref().map(|s| s.expose()),
        Some(info.secret_access_key.expose())
    );
    assert_eq!(t.transport.resolve.get("*"), Some(&sim.addr().to_string()));
    assert_eq!(t.transport.ca_file.as_deref(), Some(ca.to_str().unwrap()));
    assert!(
        !t.endpoints.allow_http,
        "HTTPS sims do not ask for plain http"
    );
    assert_eq!(t.regions.include, info.regions);
    assert_eq!(t.options.get("app_id"), info.extras.get("app_id"));
    let pem = std::fs::read_to_string(&ca).unwrap();
    assert_eq!(Some(pem.as_str()), sim.ca_pem());
    sim.shutdown().await;
}
