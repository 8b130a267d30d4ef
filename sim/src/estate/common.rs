//! The frames every kind of record shares: where a kind lives, listing,
//! lookup, create (with client-token replay) and remove-with-invariants.
//! The per-kind modules keep only what differs (validation, the record's
//! fields, what blocks a delete).

use std::collections::BTreeMap;

use super::compute::settle_region;
use super::model::*;
use super::{
    Estate, EstateError, EstateResult, Filter, Listed, Listing, PageReq, Scope, find_account,
    find_account_mut, find_region, find_region_mut, paginate, token_get, token_put,
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

/// A kind of record held by id (or name) in a map of a container `C`
/// (a [`RegionState`] or an [`IamState`]).
pub(crate) trait Held<C>: Clone + Sized {
    /// Its kind (errors, client tokens, ids).
    const KIND: ResourceKind;
    /// The map holding it.
    fn map(c: &C) -> &BTreeMap<String, Self>;
    /// The map holding it, to change.
    fn map_mut(c: &mut C) -> &mut BTreeMap<String, Self>;
}

macro_rules! held {
    ($c:ty: $($ty:ident => $field:ident;)*) => {
        $(impl Held<$c> for $ty {
            const KIND: ResourceKind = ResourceKind::$ty;
            fn map(c: &$c) -> &BTreeMap<String, Self> {
                &c.$field
            }
            fn map_mut(c: &mut $c) -> &mut BTreeMap<String, Self> {
                &mut c.$field
            }
        })*
    };
}

held! { RegionState:
    Instance => instances;
    Volume => volumes;
    Image => images;
    Vpc => vpcs;
    Subnet => subnets;
    SecurityGroup => security_groups;
    PublicIp => public_ips;
    Bucket => buckets;
}

held! { IamState:
    User => users;
    Group => groups;
    Role => roles;
    Policy => policies;
}

/// A `T` in `c` by id (or name); `NotFound` when missing.
pub(crate) fn lookup<'a, T: Held<C>, C>(c: &'a C, id: &str) -> EstateResult<&'a T> {
    T::map(c)
        .get(id)
        .ok_or_else(|| EstateError::not_found(T::KIND, id))
}

/// A `T` in `c` by id (or name), to change; `NotFound` when missing.
pub(crate) fn lookup_mut<'a, T: Held<C>, C>(c: &'a mut C, id: &str) -> EstateResult<&'a mut T> {
    T::map_mut(c)
        .get_mut(id)
        .ok_or_else(|| EstateError::not_found(T::KIND, id))
}

/// A region to change, settled to `now` first when `settle`.
fn settled<'a>(
    d: &'a mut EstateData,
    scope: &Scope,
    settle: bool,
    now: Time,
) -> EstateResult<&'a mut RegionState> {
    let t = d.timings;
    let r = find_region_mut(d, scope)?;
    if settle {
        settle_region(r, now, &t);
    }
    Ok(r)
}

/// How a stored record reads at a time: `None` when it is gone.
pub(crate) type View<T> = fn(&T, Time, &Timings) -> Option<T>;

/// A record that has no timed states reads as stored.
pub(crate) fn as_stored<T: Clone>(v: &T, _: Time, _: &Timings) -> Option<T> {
    Some(v.clone())
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
    /// Run `f` on a region under the read lock, with the time and the
    /// timings (to read timed states lazily).
    pub(crate) fn view_region<R>(
        &self,
        scope: &Scope,
        f: impl FnOnce(&RegionState, Time, &Timings) -> R,
    ) -> EstateResult<R> {
        let now = self.now();
        let d = self.inner.data.read();
        Ok(f(find_region(&d, scope)?, now, &d.timings))
    }

    /// Run `f` on a region under the write lock, with the time; the region
    /// is settled first when `settle`.
    pub(crate) fn change_region<R>(
        &self,
        scope: &Scope,
        settle: bool,
        f: impl FnOnce(&mut RegionState, Time) -> EstateResult<R>,
    ) -> EstateResult<R> {
        let now = self.now();
        let mut d = self.inner.data.write();
        f(settled(&mut d, scope, settle, now)?, now)
    }

    /// Run `f` on an account's IAM state under the write lock.
    pub(crate) fn change_iam<R>(
        &self,
        provider: &str,
        account: &str,
        f: impl FnOnce(&mut IamState) -> EstateResult<R>,
    ) -> EstateResult<R> {
        let mut d = self.inner.data.write();
        f(&mut find_account_mut(&mut d, provider, account)?.iam)
    }

    /// One page of a region's `T`s matching `filter`, as stored.
    pub(crate) fn list_in<T: Held<RegionState> + Listed>(
        &self,
        scope: &Scope,
        filter: &Filter,
        page: &PageReq,
    ) -> EstateResult<Listing<T>> {
        self.with_region(scope, |r| list_stored(T::map(r).values(), filter, page))
    }

    /// One `T` as `view` reads it now; `NotFound` when missing or gone.
    pub(crate) fn get_in<T: Held<RegionState>>(
        &self,
        scope: &Scope,
        id: &str,
        view: View<T>,
    ) -> EstateResult<T> {
        self.view_region(scope, |r, now, t| {
            T::map(r).get(id).and_then(|v| view(v, now, t))
        })?
        .ok_or_else(|| EstateError::not_found(T::KIND, id))
    }

    /// Create a `T` in a region: settle it first when `settle`; with a
    /// client token already used there, the record it made; otherwise
    /// `build` validates against the data and draws ids, returning the new
    /// record's id and the record, which is stored with the token.
    pub(crate) fn create_in<T: Held<RegionState>>(
        &self,
        scope: &Scope,
        token: Option<String>,
        settle: bool,
        build: impl FnOnce(&mut EstateData, Time) -> EstateResult<(String, T)>,
    ) -> EstateResult<T> {
        let now = self.now();
        let mut d = self.inner.data.write();
        let r = settled(&mut d, scope, settle, now)?;
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
    pub(crate) fn remove_in<T: Held<RegionState>>(
        &self,
        scope: &Scope,
        id: &str,
        settle: bool,
        check: impl FnOnce(&RegionState, &T) -> EstateResult<()>,
    ) -> EstateResult<()> {
        self.change_region(scope, settle, |r, _| {
            check(r, lookup::<T, _>(r, id)?)?;
            T::map_mut(r).remove(id);
            Ok(())
        })
    }

    /// Create a named IAM `T`: an existing name is `AlreadyExists`, then
    /// `invalid` (when set) is the error; otherwise `build` makes it from a
    /// fresh id, its name and the time.
    pub(crate) fn create_named<T: Held<IamState>>(
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
    pub(crate) fn get_named<T: Held<IamState>>(
        &self,
        provider: &str,
        account: &str,
        name: &str,
    ) -> EstateResult<T> {
        self.iam(provider, account, |i| lookup::<T, _>(i, name).cloned())?
    }
}
