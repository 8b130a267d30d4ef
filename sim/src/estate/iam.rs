//! IAM: users, groups, roles, policies, attachments, access keys.

use super::common::{lookup, lookup_mut, remove_matching};
use super::model::*;
use super::{Estate, EstateError, EstateResult, find_account, find_account_mut};

/// What user to create.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewIamUser {
    /// Login name.
    pub name: String,
    /// Display name.
    pub display_name: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Tags.
    pub tags: Tags,
}

/// `NotFound` unless the principal exists.
fn check_principal(iam: &IamState, p: &Principal) -> EstateResult<()> {
    match p {
        Principal::User(n) => lookup::<User, _>(iam, n).map(|_| ()),
        Principal::Group(n) => lookup::<Group, _>(iam, n).map(|_| ()),
        Principal::Role(n) => lookup::<Role, _>(iam, n).map(|_| ()),
    }
}

impl Estate {
    /// Run `f` on an account's IAM state (read-only).
    pub fn iam<R>(
        &self,
        provider: &str,
        account: &str,
        f: impl FnOnce(&IamState) -> R,
    ) -> EstateResult<R> {
        let d = self.inner.data.read();
        Ok(f(&find_account(&d, provider, account)?.iam))
    }

    /// Users, by name.
    pub fn users(&self, provider: &str, account: &str) -> EstateResult<Vec<User>> {
        self.iam(provider, account, |i| i.users.values().cloned().collect())
    }

    /// One user.
    pub fn user(&self, provider: &str, account: &str, name: &str) -> EstateResult<User> {
        self.get_named(provider, account, name)
    }

    /// Create a user; an existing name is `AlreadyExists`.
    pub fn create_user(
        &self,
        provider: &str,
        account: &str,
        spec: NewIamUser,
    ) -> EstateResult<User> {
        let empty = spec.name.is_empty();
        let invalid = empty.then(|| EstateError::InvalidArgument("user name is empty".into()));
        self.create_named(provider, account, spec.name, invalid, |id, name, now| {
            User {
                id,
                name,
                display_name: spec.display_name,
                email: spec.email,
                created_at: now,
                tags: spec.tags,
                groups: Vec::new(),
                access_keys: Vec::new(),
            }
        })
    }

    /// Delete a user. Without `cleanup`, a user with attached policies,
    /// access keys or groups is `DependencyViolation`.
    pub fn delete_user(
        &self,
        provider: &str,
        account: &str,
        name: &str,
        cleanup: bool,
    ) -> EstateResult<()> {
        self.change_iam(provider, account, |iam| {
            let u = lookup::<User, _>(iam, name)?;
            let principal = Principal::User(name.into());
            if !cleanup {
                let dep = if let Some(a) = iam.attachments.iter().find(|a| a.principal == principal)
                {
                    Some((ResourceKind::Policy, a.policy.clone()))
                } else if let Some(k) = u.access_keys.first() {
                    Some((ResourceKind::AccessKey, k.id.clone()))
                } else {
                    u.groups.first().map(|g| (ResourceKind::Group, g.clone()))
                };
                if let Some((dependent, dependent_id)) = dep {
                    let kind = ResourceKind::User;
                    return Err(EstateError::dependency(
                        kind,
                        name,
                        dependent,
                        &dependent_id,
                    ));
                }
            }
            iam.attachments.retain(|a| a.principal != principal);
            iam.users.remove(name);
            Ok(())
        })
    }

    /// Create a group.
    pub fn create_group(
        &self,
        provider: &str,
        account: &str,
        name: &str,
        description: Option<String>,
    ) -> EstateResult<Group> {
        self.create_named(provider, account, name.into(), None, |id, name, now| {
            Group {
                id,
                name,
                description,
                created_at: now,
            }
        })
    }

    /// Put a user in a group.
    pub fn add_user_to_group(
        &self,
        provider: &str,
        account: &str,
        user: &str,
        group: &str,
    ) -> EstateResult<()> {
        self.membership(provider, account, user, group, |groups| {
            if !groups.iter().any(|g| g == group) {
                groups.push(group.into());
            }
        })
    }

    /// Take a user out of a group. The user and the group must exist; a
    /// user that is not a member is left as it is.
    pub fn remove_user_from_group(
        &self,
        provider: &str,
        account: &str,
        user: &str,
        group: &str,
    ) -> EstateResult<()> {
        self.membership(provider, account, user, group, |groups| {
            groups.retain(|g| g != group)
        })
    }

    /// Change a user's group list; the user and the group must exist.
    fn membership(
        &self,
        provider: &str,
        account: &str,
        user: &str,
        group: &str,
        change: impl FnOnce(&mut Vec<String>),
    ) -> EstateResult<()> {
        self.change_iam(provider, account, |iam| {
            if !iam.groups.contains_key(group) {
                return Err(EstateError::not_found(ResourceKind::Group, group));
            }
            let u = lookup_mut::<User, _>(iam, user)?;
            change(&mut u.groups);
            Ok(())
        })
    }

    /// Create a role.
    pub fn create_role(
        &self,
        provider: &str,
        account: &str,
        name: &str,
        description: Option<String>,
        trust_policy: Option<String>,
    ) -> EstateResult<Role> {
        self.create_named(provider, account, name.into(), None, |id, name, now| Role {
            id,
            name,
            description,
            trust_policy,
            created_at: now,
        })
    }

    /// Create a policy.
    pub fn create_policy(
        &self,
        provider: &str,
        account: &str,
        name: &str,
        kind: PolicyKind,
        description: Option<String>,
        document: Option<String>,
    ) -> EstateResult<Policy> {
        self.create_named(provider, account, name.into(), None, |id, name, now| {
            Policy {
                id,
                name,
                kind,
                description,
                document,
                created_at: now,
            }
        })
    }

    /// Attach a policy (by name) to a principal; attaching twice is `AlreadyExists`.
    pub fn attach_policy(
        &self,
        provider: &str,
        account: &str,
        principal: &Principal,
        policy: &str,
    ) -> EstateResult<()> {
        self.for_principal(provider, account, principal, |iam| {
            if !iam.policies.contains_key(policy) {
                return Err(EstateError::not_found(ResourceKind::Policy, policy));
            }
            let a = Attachment {
                principal: principal.clone(),
                policy: policy.into(),
            };
            if iam.attachments.contains(&a) {
                return Err(EstateError::already_exists(ResourceKind::Policy, policy));
            }
            iam.attachments.push(a);
            Ok(())
        })
    }

    /// Detach a policy; not attached is `NotFound`.
    pub fn detach_policy(
        &self,
        provider: &str,
        account: &str,
        principal: &Principal,
        policy: &str,
    ) -> EstateResult<()> {
        self.for_principal(provider, account, principal, |iam| {
            let gone = |a: &Attachment| a.principal == *principal && a.policy == policy;
            if !remove_matching(&mut iam.attachments, gone) {
                return Err(EstateError::not_found(ResourceKind::Policy, policy));
            }
            Ok(())
        })
    }

    /// Change an account's IAM state on behalf of a principal, which must exist.
    fn for_principal(
        &self,
        provider: &str,
        account: &str,
        principal: &Principal,
        f: impl FnOnce(&mut IamState) -> EstateResult<()>,
    ) -> EstateResult<()> {
        self.change_iam(provider, account, |iam| {
            check_principal(iam, principal)?;
            f(iam)
        })
    }

    /// Policies attached to a principal.
    pub fn attached_policies(
        &self,
        provider: &str,
        account: &str,
        principal: &Principal,
    ) -> EstateResult<Vec<Policy>> {
        let d = self.inner.data.read();
        let iam = &find_account(&d, provider, account)?.iam;
        check_principal(iam, principal)?;
        Ok(iam
            .attachments
            .iter()
            .filter(|a| a.principal == *principal)
            .filter_map(|a| iam.policies.get(&a.policy).cloned())
            .collect())
    }

    /// Create an access key for a user (returned with its secret).
    pub fn create_access_key(
        &self,
        provider: &str,
        account: &str,
        user: &str,
    ) -> EstateResult<AccessKey> {
        let now = self.now();
        let mut d = self.inner.data.write();
        lookup::<User, _>(&find_account(&d, provider, account)?.iam, user)?;
        let id = self.next_id(&mut d, provider, ResourceKind::AccessKey);
        let secret = self.next_with(&mut d, |r| r.mixed_alnum(32));
        let k = AccessKey {
            id,
            secret: SecretString(secret),
            active: true,
            created_at: now,
        };
        let iam = &mut find_account_mut(&mut d, provider, account)?.iam;
        lookup_mut::<User, _>(iam, user)?
            .access_keys
            .push(k.clone());
        Ok(k)
    }

    /// Delete a user's access key.
    pub fn delete_access_key(
        &self,
        provider: &str,
        account: &str,
        user: &str,
        key_id: &str,
    ) -> EstateResult<()> {
        self.change_iam(provider, account, |iam| {
            let u = lookup_mut::<User, _>(iam, user)?;
            if !remove_matching(&mut u.access_keys, |k| k.id == key_id) {
                return Err(EstateError::not_found(ResourceKind::AccessKey, key_id));
            }
            Ok(())
        })
    }
}
