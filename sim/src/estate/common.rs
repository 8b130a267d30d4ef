//! The frames every kind of record shares: where a kind lives, listing,
//! lookup, create (with client-token replay) and remove-with-invariants.
//! The per-kind modules keep only what differs (validation, the record's
//! fields, what blocks a delete).

use std::collections::BTreeMap;

use super::compute::settle_region;
use super::model::*;
use super::{
    Estate, EstateError, EstateResult, Filter, Listed, Listing, PageReq, Scope, find_account,
    find_account_mut, find_region_mut, paginate, token_get, token_put,
};

/// `impl Listed` for a record keyed by its `id` field and carrying `tags`:
/// each `method => some(field)` answers `Some(&self.field)`, each
/// `method => opt(field)` answers `self.field.as_deref()`.
macro_rules! listed {
    ($ty:ty $(, $m:ident => $how:ident($f:ident))* $(,)?) => {
        impl $crate::estate::Listed for $ty {
            fn key(&self) -> &str {
                &self.id
            }
            fn tags(&self) -> Option<&Tags> {
                Some(&self.tags)
            }
            $(listed!(@fn $m $how $f);)*
        }
    };
    (@fn $m:ident some $f:ident) => {
        fn $m(&self) -> Option<&str> {
            Some(&self.$f)
        }
    };
    (@fn $m:ident opt $f:ident) => {
        fn $m(&self) -> Option<&str> {
            self.$f.as_deref()
        }
    };
}
pub(crate) use listed;

/// A kind of regional record: what it is called and which map of a
/// [`RegionState`] holds it (by id).
pub(crate) trait InRegion: Clone + Sized {
    /// Its kind (errors, client tokens, ids).
    const KIND: ResourceKind;
    /// The map holding it.
    fn map(r: &RegionState) -> &BTreeMap<String, Self>;
    /// The map holding it, to change.
    fn map_mut(r: &mut RegionState) -> &mut BTreeMap<String, Self>;
}

macro_rules! in_region {
    ($($ty:ty => $kind:ident, $field:ident;)*) => {
        $(impl InRegion for $ty {
            const KIND: ResourceKind = ResourceKind::$kind;
            fn map(r: &RegionState) -> &BTreeMap<String, Self> {
                &r.$field
            }
            fn map_mut(r: &mut RegionState) -> &mut BTreeMap<String, Self> {
                &mut r.$field
            }
        })*
    };
}

in_region! {
    Instance => Instance, instances;
    Volume => Volume, volumes;
    Image => Image, images;
    Vpc => Vpc, vpcs;
    Subnet => Subnet, subnets;
    SecurityGroup => SecurityGroup, security_groups;
    PublicIp => PublicIp, public_ips;
}

/// A kind of account-wide IAM record, keyed by name.
pub(crate) trait InIam: Clone + Sized {
    /// Its kind (errors, ids).
    const KIND: ResourceKind;
    /// The map holding it.
    fn map(iam: &IamState) -> &BTreeMap<String, Self>;
    /// The map holding it, to change.
    fn map_mut(iam: &mut IamState) -> &mut BTreeMap<String, Self>;
}

macro_rules! in_iam {
    ($($ty:ty => $kind:ident, $field:ident;)*) => {
        $(impl InIam for $ty {
            const KIND: ResourceKind = ResourceKind::$kind;
            fn map(iam: &IamState) -> &BTreeMap<String, Self> {
                &iam.$field
            }
            fn map_mut(iam: &mut IamState) -> &mut BTreeMap<String, Self> {
                &mut iam.$field
            }
        })*
    };
}

in_iam! {
    User => User, users;
    Group => Group, groups;
    Role => Role, roles;
    Policy => Policy, policies;
}

/// One page of `items` matching `filter`, as stored.
pub(crate) fn list_stored<'a, T: Listed + Clone + 'a>(
    items: impl Iterator<Item = &'a T>,
    filter: &Filter,
    page: &PageReq,
) -> Listing<T> {
    paginate(
        items.filter(|v| filter.matches(*v)),
        |v| v.key(),
        page,
        T::clone,
    )
}

/// Drop the items `gone` picks; `false` when none was.
pub(crate) fn remove_matching<T>(v: &mut Vec<T>, gone: impl Fn(&T) -> bool) -> bool {
    let before = v.len();
    v.retain(|x| !gone(x));
    v.len() != before
}

impl EstateError {
    pub(crate) fn already_exists(kind: ResourceKind, id: impl Into<String>) -> Self {
        EstateError::AlreadyExists {
            kind,
            id: id.into(),
        }
    }

    pub(crate) fn in_use(kind: ResourceKind, id: impl Into<String>, by: &str) -> Self {
        EstateError::InUse {
            kind,
            id: id.into(),
            by: by.into(),
        }
    }

    pub(crate) fn invalid_state(
        kind: ResourceKind,
        id: impl Into<String>,
        state: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        EstateError::InvalidState {
            kind,
            id: id.into(),
            state: state.into(),
            message: message.into(),
        }
    }

    pub(crate) fn dependency(
        kind: ResourceKind,
        id: impl Into<String>,
        dependent: ResourceKind,
        dependent_id: &str,
    ) -> Self {
        EstateError::DependencyViolation {
            kind,
            id: id.into(),
            dependent,
            dependent_id: dependent_id.into(),
        }
    }
}

impl Estate {
    /// One page of a region's `T`s matching `filter`, as stored.
    pub(crate) fn list_in<T: InRegion + Listed>(
        &self,
        scope: &Scope,
        filter: &Filter,
        page: &PageReq,
    ) -> EstateResult<Listing<T>> {
        self.with_region(scope, |r| list_stored(T::map(r).values(), filter, page))
    }

    /// One `T` as stored; `NotFound` when missing.
    pub(crate) fn get_in<T: InRegion>(&self, scope: &Scope, id: &str) -> EstateResult<T> {
        self.with_region(scope, |r| T::map(r).get(id).cloned())?
            .ok_or_else(|| EstateError::not_found(T::KIND, id))
    }

    /// Create a `T` in a region: settle it first when `settle`; with a
    /// client token already used there, the record it made; otherwise
    /// `build` validates against the data and draws ids, returning the new
    /// record's id and the record, which is stored with the token.
    pub(crate) fn create_in<T: InRegion>(
        &self,
        scope: &Scope,
        token: Option<String>,
        settle: bool,
        build: impl FnOnce(&mut EstateData, Time) -> EstateResult<(String, T)>,
    ) -> EstateResult<T> {
        let now = self.now();
        let mut d = self.inner.data.write();
        let t = d.timings;
        let r = find_region_mut(&mut d, scope)?;
        if settle {
            settle_region(r, now, &t);
        }
        if let Some(v) = token_get(r, T::KIND, &token).and_then(|id| T::map(r).get(&id)) {
            return Ok(v.clone());
        }
        let (id, v) = build(&mut d, now)?;
        let r = find_region_mut(&mut d, scope)?;
        token_put(r, T::KIND, &token, &id);
        T::map_mut(r).insert(id, v.clone());
        Ok(v)
    }

    /// Remove a `T` from a region: settle it first when `settle`; `NotFound`
    /// when missing, `check`'s error when something still holds it.
    pub(crate) fn remove_in<T: InRegion>(
        &self,
        scope: &Scope,
        id: &str,
        settle: bool,
        check: impl FnOnce(&RegionState, &T) -> EstateResult<()>,
    ) -> EstateResult<()> {
        let now = self.now();
        let mut d = self.inner.data.write();
        let t = d.timings;
        let r = find_region_mut(&mut d, scope)?;
        if settle {
            settle_region(r, now, &t);
        }
        let v = T::map(r)
            .get(id)
            .ok_or_else(|| EstateError::not_found(T::KIND, id))?;
        check(r, v)?;
        T::map_mut(r).remove(id);
        Ok(())
    }

    /// Create a named IAM `T`: an existing name is `AlreadyExists`, then
    /// `invalid` (when set) is the error; otherwise `build` makes it from a
    /// fresh id, its name and the time.
    pub(crate) fn create_named<T: InIam>(
        &self,
        provider: &str,
        account: &str,
        name: String,
        invalid: Option<EstateError>,
        build: impl FnOnce(String, String, Time) -> T,
    ) -> EstateResult<T> {
        let now = self.now();
        let mut d = self.inner.data.write();
        if T::map(&find_account(&d, provider, account)?.iam).contains_key(&name) {
            return Err(EstateError::already_exists(T::KIND, name));
        }
        if let Some(e) = invalid {
            return Err(e);
        }
        let id = self.next_id(&mut d, provider, T::KIND);
        let v = build(id, name.clone(), now);
        T::map_mut(&mut find_account_mut(&mut d, provider, account)?.iam).insert(name, v.clone());
        Ok(v)
    }

    /// One named IAM `T`; `NotFound` when missing.
    pub(crate) fn get_named<T: InIam>(
        &self,
        provider: &str,
        account: &str,
        name: &str,
    ) -> EstateResult<T> {
        self.iam(provider, account, |i| T::map(i).get(name).cloned())?
            .ok_or_else(|| EstateError::not_found(T::KIND, name))
    }
}
