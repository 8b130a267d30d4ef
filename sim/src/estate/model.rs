//! The records of the estate: plain data, serializable, vendor-neutral.
//!
//! Every record lives inside an [`AccountState`] (provider + account) and,
//! for regional resources, a [`RegionState`]. Frontends render these in the
//! vendor's shapes; nothing here carries a vendor's wire names.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Resource tags, sorted by key.
pub type Tags = BTreeMap<String, String>;

/// A point in time, UTC.
pub type Time = DateTime<Utc>;

/// A secret string stored in the estate: serialized in clear (the estate file
/// must carry it), but `Debug` prints `***`.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretString(pub String);

impl SecretString {
    /// The secret value.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Kinds of resources; used in errors, ids and client tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    /// An account.
    Account,
    /// A region.
    Region,
    /// A zone.
    Zone,
    /// A virtual machine.
    Instance,
    /// A block volume (disk).
    Volume,
    /// A machine image.
    Image,
    /// An instance type.
    InstanceType,
    /// A VPC.
    Vpc,
    /// A subnet.
    Subnet,
    /// A security group.
    SecurityGroup,
    /// A security group rule.
    SecurityRule,
    /// A public (elastic) IP.
    PublicIp,
    /// A bucket.
    Bucket,
    /// An object.
    Object,
    /// A multipart upload.
    Upload,
    /// An IAM user.
    User,
    /// An IAM group.
    Group,
    /// An IAM role.
    Role,
    /// An IAM policy.
    Policy,
    /// An access key (of the account or of a user).
    AccessKey,
    /// A request id.
    Request,
}

impl ResourceKind {
    /// Short lower-case name (`instance`, `vpc`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Account => "account",
            ResourceKind::Region => "region",
            ResourceKind::Zone => "zone",
            ResourceKind::Instance => "instance",
            ResourceKind::Volume => "volume",
            ResourceKind::Image => "image",
            ResourceKind::InstanceType => "instance_type",
            ResourceKind::Vpc => "vpc",
            ResourceKind::Subnet => "subnet",
            ResourceKind::SecurityGroup => "security_group",
            ResourceKind::SecurityRule => "security_rule",
            ResourceKind::PublicIp => "public_ip",
            ResourceKind::Bucket => "bucket",
            ResourceKind::Object => "object",
            ResourceKind::Upload => "upload",
            ResourceKind::User => "user",
            ResourceKind::Group => "group",
            ResourceKind::Role => "role",
            ResourceKind::Policy => "policy",
            ResourceKind::AccessKey => "access_key",
            ResourceKind::Request => "request",
        }
    }
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The sim's normalized instance state; frontends render vendor strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstanceState {
    /// Being created; becomes `Running`.
    Pending,
    /// Booting; becomes `Running`.
    Starting,
    /// Running.
    Running,
    /// Shutting down; becomes `Stopped`.
    Stopping,
    /// Stopped.
    Stopped,
    /// Rebooting; becomes `Running`.
    Rebooting,
    /// Being deleted; becomes `Terminated`.
    Terminating,
    /// Deleted; disappears after a further delay.
    Terminated,
}

impl InstanceState {
    /// Whether the state changes by itself after a delay.
    pub fn is_transitional(self) -> bool {
        matches!(
            self,
            InstanceState::Pending
                | InstanceState::Starting
                | InstanceState::Stopping
                | InstanceState::Rebooting
                | InstanceState::Terminating
        )
    }
}

/// The sim's normalized volume state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VolumeState {
    /// Being created; becomes `Available`.
    Creating,
    /// Unattached and ready.
    Available,
    /// Being attached; becomes `InUse`.
    Attaching,
    /// Attached.
    InUse,
    /// Being detached; becomes `Available`.
    Detaching,
}

/// How a resource is paid for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ChargeType {
    /// Pay as you go.
    #[default]
    PostPaid,
    /// Subscription.
    PrePaid,
    /// Spot.
    Spot,
}

/// A virtual machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    /// Native id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Zone.
    pub zone: String,
    /// Instance type name.
    pub instance_type: String,
    /// Virtual CPUs.
    pub vcpus: u32,
    /// Memory, MiB.
    pub memory_mib: u64,
    /// Image id.
    pub image_id: String,
    /// VPC id.
    pub vpc_id: Option<String>,
    /// Subnet id.
    pub subnet_id: Option<String>,
    /// Security group ids.
    pub security_group_ids: Vec<String>,
    /// Primary private IPv4 address.
    pub private_ip: String,
    /// Billing model.
    pub charge_type: ChargeType,
    /// State as of `state_since` (reads return the lazily advanced state).
    pub state: InstanceState,
    /// When the instance entered `state`.
    pub state_since: Time,
    /// Stopped without charging (Alibaba StopCharging, Azure deallocated, ...).
    pub stopped_charging: bool,
    /// Creation time.
    pub created_at: Time,
    /// Subscription expiry.
    pub expires_at: Option<Time>,
    /// Key pair name.
    pub key_name: Option<String>,
    /// User data, as given.
    pub user_data: Option<String>,
    /// Tags.
    pub tags: Tags,
}

/// A block volume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Volume {
    /// Native id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Zone.
    pub zone: String,
    /// Size, GiB.
    pub size_gib: u64,
    /// Volume type (sim-neutral: `ssd`, `hdd`, or a vendor name given at create).
    pub volume_type: String,
    /// State as of `state_since`.
    pub state: VolumeState,
    /// When the volume entered `state`.
    pub state_since: Time,
    /// System (boot) disk of its instance.
    pub is_system: bool,
    /// Instance it is attached to (also while attaching/detaching).
    pub instance_id: Option<String>,
    /// Device name inside the guest.
    pub device: Option<String>,
    /// Billing model.
    pub charge_type: ChargeType,
    /// Creation time.
    pub created_at: Time,
    /// Tags.
    pub tags: Tags,
}

/// Who owns an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageOwner {
    /// A public image of the cloud.
    System,
    /// The account's own image.
    Own,
    /// Shared with the account.
    Shared,
}

/// A machine image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    /// Native id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Owner.
    pub owner: ImageOwner,
    /// OS name.
    pub os: String,
    /// Architecture (`x86_64`, `arm64`).
    pub architecture: String,
    /// Size, GiB.
    pub size_gib: u64,
    /// Creation time.
    pub created_at: Time,
    /// Tags.
    pub tags: Tags,
}

/// An instance type offered in a region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceType {
    /// Type name (vendor style).
    pub id: String,
    /// Family.
    pub family: String,
    /// Virtual CPUs.
    pub vcpus: u32,
    /// Memory, MiB.
    pub memory_mib: u64,
    /// GPUs.
    pub gpus: u32,
}

/// A VPC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vpc {
    /// Native id.
    pub id: String,
    /// Name.
    pub name: String,
    /// IPv4 CIDR.
    pub cidr: String,
    /// The region's default VPC.
    pub is_default: bool,
    /// Creation time.
    pub created_at: Time,
    /// Tags.
    pub tags: Tags,
}

/// A subnet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subnet {
    /// Native id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Parent VPC.
    pub vpc_id: String,
    /// Zone.
    pub zone: String,
    /// IPv4 CIDR.
    pub cidr: String,
    /// Creation time.
    pub created_at: Time,
    /// Tags.
    pub tags: Tags,
}

/// Direction of a security rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Inbound.
    Ingress,
    /// Outbound.
    Egress,
}

/// Action of a security rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleAction {
    /// Allow.
    Allow,
    /// Deny.
    Deny,
}

/// Peer of a security rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Peer {
    /// A CIDR block.
    Cidr(String),
    /// Another security group.
    SecurityGroup(String),
}

/// A security group rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityRule {
    /// Native rule id.
    pub id: String,
    /// Direction.
    pub direction: Direction,
    /// Allow or deny.
    pub action: RuleAction,
    /// Protocol, lower case: `tcp`, `udp`, `icmp`, `all`, or a number.
    pub protocol: String,
    /// First port (none = all).
    pub port_from: Option<u16>,
    /// Last port.
    pub port_to: Option<u16>,
    /// Source (ingress) or destination (egress).
    pub peer: Peer,
    /// Priority (lower first), where the cloud has one.
    pub priority: Option<u32>,
    /// Description.
    pub description: Option<String>,
}

/// A security group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityGroup {
    /// Native id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// VPC, when VPC-scoped.
    pub vpc_id: Option<String>,
    /// Rules.
    pub rules: Vec<SecurityRule>,
    /// Creation time.
    pub created_at: Time,
    /// Tags.
    pub tags: Tags,
}

/// A public (elastic / floating) IP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicIp {
    /// Native allocation id.
    pub id: String,
    /// The address.
    pub address: String,
    /// Name.
    pub name: Option<String>,
    /// Bandwidth cap, Mbit/s.
    pub bandwidth_mbps: Option<u32>,
    /// Bound instance.
    pub instance_id: Option<String>,
    /// Billing model.
    pub charge_type: ChargeType,
    /// Allocation time.
    pub created_at: Time,
    /// Tags.
    pub tags: Tags,
}

/// An object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Object {
    /// Key.
    pub key: String,
    /// Contents (base64 in estate files).
    #[serde(with = "crate::estate::b64")]
    pub data: Vec<u8>,
    /// Entity tag, no quotes (MD5 hex for simple puts, `<md5>-<parts>` for multipart).
    pub etag: String,
    /// Content type.
    pub content_type: Option<String>,
    /// Storage class.
    pub storage_class: String,
    /// User metadata (lower-case keys, no vendor prefix).
    pub metadata: Tags,
    /// Last modification.
    pub last_modified: Time,
}

/// One uploaded part of a multipart upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    /// Part number (1-based).
    pub number: u32,
    /// Bytes.
    #[serde(with = "crate::estate::b64")]
    pub data: Vec<u8>,
    /// MD5 hex of the part.
    pub etag: String,
}

/// A multipart upload in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upload {
    /// Upload id.
    pub id: String,
    /// Target key.
    pub key: String,
    /// Start time.
    pub initiated: Time,
    /// Content type.
    pub content_type: Option<String>,
    /// User metadata.
    pub metadata: Tags,
    /// Parts, sorted by number.
    pub parts: Vec<Part>,
}

/// A bucket (Azure: container).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bucket {
    /// Name.
    pub name: String,
    /// Creation time.
    pub created_at: Time,
    /// Default storage class.
    pub storage_class: String,
    /// Tags.
    pub tags: Tags,
    /// Objects by key.
    pub objects: BTreeMap<String, Object>,
    /// Multipart uploads by id.
    pub uploads: BTreeMap<String, Upload>,
}

/// An access key (of the account root or of a user).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKey {
    /// Access key id.
    pub id: String,
    /// Secret.
    pub secret: SecretString,
    /// Active.
    pub active: bool,
    /// Creation time.
    pub created_at: Time,
}

/// An IAM user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Native id.
    pub id: String,
    /// Login name.
    pub name: String,
    /// Display name.
    pub display_name: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Creation time.
    pub created_at: Time,
    /// Tags.
    pub tags: Tags,
    /// Group names the user belongs to.
    pub groups: Vec<String>,
    /// Access keys.
    pub access_keys: Vec<AccessKey>,
}

/// An IAM group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// Native id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Creation time.
    pub created_at: Time,
}

/// An IAM role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    /// Native id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Trust policy document (JSON text).
    pub trust_policy: Option<String>,
    /// Creation time.
    pub created_at: Time,
}

/// System (cloud-managed) or custom policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyKind {
    /// Managed by the cloud.
    System,
    /// Written by the account.
    Custom,
}

/// An IAM policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Native id.
    pub id: String,
    /// Name (unique per account and kind).
    pub name: String,
    /// System or custom.
    pub kind: PolicyKind,
    /// Description.
    pub description: Option<String>,
    /// Document (JSON text).
    pub document: Option<String>,
    /// Creation time.
    pub created_at: Time,
}

/// Something a policy attaches to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Principal {
    /// A user by name.
    User(String),
    /// A group by name.
    Group(String),
    /// A role by name.
    Role(String),
}

/// A policy attached to a principal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Attachment {
    /// Who.
    pub principal: Principal,
    /// Policy name.
    pub policy: String,
}

/// The IAM state of an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct IamState {
    /// Users by name.
    pub users: BTreeMap<String, User>,
    /// Groups by name.
    pub groups: BTreeMap<String, Group>,
    /// Roles by name.
    pub roles: BTreeMap<String, Role>,
    /// Policies by name.
    pub policies: BTreeMap<String, Policy>,
    /// Attachments.
    pub attachments: Vec<Attachment>,
}

/// Granularity of a cost line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    /// One day.
    Daily,
    /// One calendar month.
    #[default]
    Monthly,
}

/// One bill line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostLine {
    /// First day (inclusive).
    pub period_start: NaiveDate,
    /// Last day (exclusive).
    pub period_end: NaiveDate,
    /// Daily or monthly.
    pub granularity: Granularity,
    /// Region.
    pub region: Option<String>,
    /// Resource id.
    pub resource_id: Option<String>,
    /// Service / product code (sim-neutral: `compute`, `block_storage`,
    /// `public_ip`, `object_storage`).
    pub service_code: String,
    /// Billing model.
    pub charge_type: ChargeType,
    /// Price before discount.
    pub list_amount: Decimal,
    /// Discount.
    pub discount: Decimal,
    /// Payable: `list_amount - discount`.
    pub payable_amount: Decimal,
    /// ISO 4217 currency.
    pub currency: String,
    /// Usage quantity.
    pub usage_quantity: Option<Decimal>,
    /// Usage unit.
    pub usage_unit: Option<String>,
    /// Tags.
    pub tags: Tags,
}

/// An account balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balance {
    /// Available cash.
    pub available: Decimal,
    /// Credit line.
    pub credit: Decimal,
    /// ISO 4217 currency.
    pub currency: String,
}

/// One region of an account, with its regional resources.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct RegionState {
    /// Region id.
    pub id: String,
    /// Zone ids.
    pub zones: Vec<String>,
    /// Instances by id.
    pub instances: BTreeMap<String, Instance>,
    /// Volumes by id.
    pub volumes: BTreeMap<String, Volume>,
    /// Images by id.
    pub images: BTreeMap<String, Image>,
    /// Instance types offered.
    pub instance_types: Vec<InstanceType>,
    /// VPCs by id.
    pub vpcs: BTreeMap<String, Vpc>,
    /// Subnets by id.
    pub subnets: BTreeMap<String, Subnet>,
    /// Security groups by id.
    pub security_groups: BTreeMap<String, SecurityGroup>,
    /// Public IPs by id.
    pub public_ips: BTreeMap<String, PublicIp>,
    /// Buckets located in this region, by name.
    pub buckets: BTreeMap<String, Bucket>,
    /// Client tokens: kind -> token -> resource id.
    pub client_tokens: BTreeMap<String, BTreeMap<String, String>>,
}

/// Root credentials of an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    /// Access key id (secret id, AK, client id, user name).
    pub access_key_id: String,
    /// Secret.
    pub secret_access_key: SecretString,
}

/// One account of one provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountState {
    /// Provider name (`tencent`, `alibaba`, ... or any string).
    pub provider: String,
    /// The cloud's account id (UIN, UID, 12-digit id, domain id, subscription, project).
    pub id: String,
    /// A label (`tencent-1`).
    pub name: String,
    /// Root credentials.
    pub credentials: Credentials,
    /// Provider extras (`app_id`, `uid`, `account_id`, `project_id`, ...).
    pub extras: BTreeMap<String, String>,
    /// Regions by id.
    pub regions: BTreeMap<String, RegionState>,
    /// IAM.
    pub iam: IamState,
    /// Bill lines.
    pub costs: Vec<CostLine>,
    /// Balance.
    pub balance: Balance,
}

/// How long simulated transitions take, in milliseconds of the sim clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Timings {
    /// Pending -> Running.
    pub create_ms: u64,
    /// Starting -> Running.
    pub start_ms: u64,
    /// Stopping -> Stopped.
    pub stop_ms: u64,
    /// Rebooting -> Running.
    pub reboot_ms: u64,
    /// Terminating -> Terminated.
    pub terminate_ms: u64,
    /// Terminated -> gone.
    pub gone_ms: u64,
    /// Volume Creating -> Available.
    pub volume_create_ms: u64,
    /// Volume Attaching -> InUse.
    pub attach_ms: u64,
    /// Volume Detaching -> Available.
    pub detach_ms: u64,
}

impl Default for Timings {
    fn default() -> Self {
        Timings {
            create_ms: 500,
            start_ms: 300,
            stop_ms: 300,
            reboot_ms: 300,
            terminate_ms: 300,
            gone_ms: 5_000,
            volume_create_ms: 200,
            attach_ms: 200,
            detach_ms: 200,
        }
    }
}

impl Timings {
    /// Every transition immediate (state changes are visible on the next read).
    pub fn instant() -> Self {
        Timings {
            create_ms: 0,
            start_ms: 0,
            stop_ms: 0,
            reboot_ms: 0,
            terminate_ms: 0,
            gone_ms: 0,
            volume_create_ms: 0,
            attach_ms: 0,
            detach_ms: 0,
        }
    }
}

/// The whole estate as data: what estate files hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct EstateData {
    /// Seed of id generation.
    pub seed: u64,
    /// Ids generated so far (the id stream continues from here).
    pub id_counter: u64,
    /// Transition delays.
    pub timings: Timings,
    /// Accounts of every provider.
    pub accounts: Vec<AccountState>,
}
