//! The sim's own certificate authority and server certificate.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A generated CA and a server configuration whose certificate it signed.
pub struct SimTls {
    /// The CA certificate, PEM (hand it to clients).
    pub ca_pem: String,
    /// The server certificate, PEM.
    pub cert_pem: String,
    /// rustls server configuration (HTTP/1.1).
    pub server_config: Arc<rustls::ServerConfig>,
}

impl std::fmt::Debug for SimTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimTls").finish_non_exhaustive()
    }
}

/// Generate a CA and a server certificate for `names` (DNS names, wildcards
/// and IP addresses; `localhost` and `127.0.0.1` are always added).
pub fn generate(names: &[String]) -> Result<SimTls, String> {
    let err = |e: rcgen::Error| format!("certificate generation: {e}");
    let ca_key = KeyPair::generate().map_err(err)?;
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "multicloud-sim local CA");
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca.self_signed(&ca_key).map_err(err)?;
    let issuer = Issuer::new(ca, ca_key);

    let mut all: Vec<String> = vec!["localhost".into(), "127.0.0.1".into()];
    for n in names {
        let n = n.to_ascii_lowercase();
        if !all.contains(&n) {
            all.push(n);
        }
    }
    let key = KeyPair::generate().map_err(err)?;
    let mut p = CertificateParams::new(all).map_err(err)?;
    p.distinguished_name
        .push(DnType::CommonName, "multicloud-sim");
    p.use_authority_key_identifier_extension = true;
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    p.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    let cert = p.signed_by(&key, &issuer).map_err(err)?;

    let chain: Vec<CertificateDer<'static>> = vec![cert.der().clone(), ca_cert.der().clone()];
    let pk = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS versions: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, pk)
        .map_err(|e| format!("TLS certificate: {e}"))?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(SimTls {
        ca_pem: ca_cert.pem(),
        cert_pem: cert.pem(),
        server_config: Arc::new(cfg),
    })
}

/// Host-name wildcards of a cloud's public endpoints for some regions, so
/// the certificate covers a provider even before (or beside) its frontend's
/// own [`crate::Frontend::cert_names`]. A wildcard matches one label only,
/// hence the per-region entries.
pub fn default_cert_names(provider: &str, regions: &[String]) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    match provider {
        "tencent" => {
            v.extend(["tencentcloudapi.com".into(), "*.tencentcloudapi.com".into()]);
            for r in regions {
                v.push(format!("*.{r}.tencentcloudapi.com"));
                v.push(format!("*.cos.{r}.myqcloud.com"));
                v.push(format!("cos.{r}.myqcloud.com"));
            }
        }
        "alibaba" => {
            v.extend(["aliyuncs.com".into(), "*.aliyuncs.com".into()]);
            for r in regions {
                v.push(format!("*.{r}.aliyuncs.com"));
                v.push(format!("*.oss-{r}.aliyuncs.com"));
            }
        }
        "aws" => {
            v.extend([
                "amazonaws.com".into(),
                "*.amazonaws.com".into(),
                "*.s3.amazonaws.com".into(),
            ]);
            for r in regions {
                v.push(format!("*.{r}.amazonaws.com"));
                v.push(format!("*.s3.{r}.amazonaws.com"));
            }
        }
        "huawei" => {
            v.extend(["myhuaweicloud.com".into(), "*.myhuaweicloud.com".into()]);
            for r in regions {
                v.push(format!("*.{r}.myhuaweicloud.com"));
                v.push(format!("*.obs.{r}.myhuaweicloud.com"));
            }
        }
        "azure" => {
            v.extend([
                "management.azure.com".into(),
                "login.microsoftonline.com".into(),
                "*.blob.core.windows.net".into(),
                "management.chinacloudapi.cn".into(),
                "login.chinacloudapi.cn".into(),
                "*.blob.core.chinacloudapi.cn".into(),
            ]);
        }
        _ => {}
    }
    v
}
