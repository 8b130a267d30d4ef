//! A flat table of what a provider supports.

use serde::{Deserialize, Serialize};

macro_rules! capabilities {
    ($( $(#[$doc:meta])* $field:ident ),* $(,)?) => {
        /// Which operations a provider implements, one flag per operation
        /// (OpenDAL's `Capability` model). A `false` flag means the call returns
        /// [`ErrorKind::Unsupported`](crate::ErrorKind::Unsupported); the
        /// provider's doc page says why.
        #[non_exhaustive]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
        pub struct Capabilities {
            $( $(#[$doc])* pub $field: bool, )*
        }

        impl Capabilities {
            /// Every flag set.
            pub const fn all() -> Self {
                Capabilities { $( $field: true, )* }
            }

            /// No flag set.
            pub const fn none() -> Self {
                Capabilities { $( $field: false, )* }
            }

            /// `(name, supported)` for every flag, in declaration order.
            pub fn iter(&self) -> impl Iterator<Item = (&'static str, bool)> {
                [ $( (stringify!($field), self.$field), )* ].into_iter()
            }

            /// Look a flag up by its field name.
            pub fn get(&self, name: &str) -> Option<bool> {
                self.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
            }
        }
    };
}

capabilities! {
    /// `Provider::regions`.
    regions,
    /// `Provider::zones`.
    zones,
    /// `Compute::instances` / `instance`.
    list_instances,
    /// `Compute::create_instance`.
    create_instance,
    /// `Compute::start_instance`, `stop_instance`, `reboot_instance`.
    power_instance,
    /// `StopOptions::stop_charging` is honoured.
    stop_charging,
    /// `Compute::delete_instance`.
    delete_instance,
    /// `Compute::volumes` / `volume`.
    list_volumes,
    /// `Compute::create_volume`, `delete_volume`.
    manage_volumes,
    /// `Compute::attach_volume`, `detach_volume`.
    attach_volumes,
    /// `Compute::images`.
    list_images,
    /// `Compute::instance_types`.
    list_instance_types,
    /// `Network::vpcs`, `subnets`.
    list_vpcs,
    /// `Network::create_vpc`, `delete_vpc`, `create_subnet`, `delete_subnet`.
    manage_vpcs,
    /// `Network::security_groups`.
    list_security_groups,
    /// `Network::create_security_group`, `delete_security_group`,
    /// `authorize_rule`, `revoke_rule`.
    manage_security_groups,
    /// Deny rules can be written.
    deny_rules,
    /// `Network::public_ips`.
    list_public_ips,
    /// `Network::allocate_public_ip`, `associate_public_ip`,
    /// `disassociate_public_ip`, `release_public_ip`.
    manage_public_ips,
    /// `Storage::buckets`, `bucket_location`.
    list_buckets,
    /// `Storage::create_bucket`, `delete_bucket`.
    manage_buckets,
    /// `Storage::objects`, `head_object`, `get_object`.
    read_objects,
    /// `Storage::put_object`, `delete_object`, `copy_object`.
    write_objects,
    /// Puts above the threshold go up in parts.
    multipart_upload,
    /// `Storage::presign`.
    presign,
    /// `Billing::balance` returns a figure (not `None`).
    balance,
    /// `Billing::cost_lines`.
    cost_lines,
    /// Cost lines can be resource-level.
    resource_costs,
    /// `Iam::users`, `groups`, `roles`, `policies`.
    list_iam,
    /// `Iam::create_user`, `delete_user`.
    manage_users,
    /// `Iam::attached_policies`, `attach_policy`, `detach_policy`.
    manage_policies,
    /// `Iam::access_keys`.
    list_access_keys,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_none_and_lookup() {
        assert!(Capabilities::all().iter().all(|(_, v)| v));
        assert!(Capabilities::none().iter().all(|(_, v)| !v));
        let mut c = Capabilities::none();
        c.presign = true;
        assert_eq!(c.get("presign"), Some(true));
        assert_eq!(c.get("balance"), Some(false));
        assert_eq!(c.get("no_such_flag"), None);
    }
}
