//! Region include/exclude globs.

use std::fmt;

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};

use super::RegionFilter;
use crate::error::{Error, Result};
use crate::model::Region;

/// Compile one case-insensitive glob.
pub(super) fn glob(pattern: &str) -> std::result::Result<Glob, globset::Error> {
    GlobBuilder::new(pattern)
        .case_insensitive(true)
        .literal_separator(false)
        .build()
}

/// A glob, or (when it does not compile) the literal text.
fn glob_or_literal(pattern: &str) -> Option<Glob> {
    glob(pattern)
        .or_else(|_| glob(&globset::escape(pattern)))
        .ok()
}

fn set(globs: impl IntoIterator<Item = Glob>) -> Option<GlobSet> {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        b.add(g);
    }
    b.build().ok()
}

/// A compiled [`RegionFilter`], for filtering many regions.
#[derive(Debug, Clone)]
pub struct RegionMatcher {
    /// `None` means "every region".
    include: Option<GlobSet>,
    exclude: GlobSet,
}

impl RegionMatcher {
    /// Whether `region` is selected: it matches an include glob (or there
    /// are none) and no exclude glob.
    pub fn matches(&self, region: &str) -> bool {
        let included = self.include.as_ref().is_none_or(|s| s.is_match(region));
        included && !self.exclude.is_match(region)
    }

    /// Keep the selected regions, in order.
    pub fn filter(&self, regions: Vec<Region>) -> Vec<Region> {
        regions
            .into_iter()
            .filter(|r| self.matches(&r.id))
            .collect()
    }

    /// Keep the selected region ids, in order.
    pub fn filter_ids<S: AsRef<str>>(&self, ids: impl IntoIterator<Item = S>) -> Vec<String> {
        ids.into_iter()
            .filter(|id| self.matches(id.as_ref()))
            .map(|id| id.as_ref().to_string())
            .collect()
    }
}

impl RegionFilter {
    /// Every region.
    pub fn all() -> Self {
        RegionFilter::default()
    }

    /// A filter from include and exclude globs.
    pub fn new<I, E, S, T>(include: I, exclude: E) -> Self
    where
        I: IntoIterator<Item = S>,
        E: IntoIterator<Item = T>,
        S: Into<String>,
        T: Into<String>,
    {
        RegionFilter {
            include: include.into_iter().map(Into::into).collect(),
            exclude: exclude.into_iter().map(Into::into).collect(),
        }
    }

    /// Whether the filter selects every region.
    pub fn is_all(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }

    /// Compile the globs; an invalid glob is a `Config` error naming it.
    pub fn compile(&self) -> Result<RegionMatcher> {
        let compile_all = |field: &str, list: &[String]| -> Result<Vec<Glob>> {
            list.iter()
                .enumerate()
                .map(|(i, p)| {
                    glob(p).map_err(|e| {
                        Error::config(format!(
                            "regions.{field}[{i}]: invalid glob `{p}`: {}",
                            e.kind()
                        ))
                    })
                })
                .collect()
        };
        let include = compile_all("include", &self.include)?;
        let exclude = compile_all("exclude", &self.exclude)?;
        Self::assemble(include, exclude)
            .ok_or_else(|| Error::config("regions: the globs could not be combined"))
    }

    fn assemble(include: Vec<Glob>, exclude: Vec<Glob>) -> Option<RegionMatcher> {
        let include = if include.is_empty() {
            None
        } else {
            Some(set(include)?)
        };
        Some(RegionMatcher {
            include,
            exclude: set(exclude)?,
        })
    }

    /// A matcher that never fails: a glob that does not compile matches its
    /// literal text. (Files read through [`AccountsFile::parse`](super::AccountsFile::parse)
    /// have valid globs.)
    pub fn matcher(&self) -> RegionMatcher {
        let include: Vec<Glob> = self
            .include
            .iter()
            .filter_map(|p| glob_or_literal(p))
            .collect();
        let exclude: Vec<Glob> = self
            .exclude
            .iter()
            .filter_map(|p| glob_or_literal(p))
            .collect();
        let include_was_set = !self.include.is_empty();
        match Self::assemble(include, exclude) {
            // An include list whose every glob vanished must not widen to "all".
            Some(m) if include_was_set && m.include.is_none() => RegionMatcher {
                include: Some(GlobSet::empty()),
                ..m
            },
            Some(m) => m,
            None => RegionMatcher {
                include: Some(GlobSet::empty()),
                exclude: GlobSet::empty(),
            },
        }
    }

    /// Whether `region` is selected: it matches an include glob (or
    /// `include` is empty) and no exclude glob. Compiles the globs on each
    /// call: use [`matcher`](Self::matcher) to test many regions.
    pub fn matches(&self, region: &str) -> bool {
        self.matcher().matches(region)
    }

    /// Keep the selected regions, in order.
    pub fn filter(&self, regions: Vec<Region>) -> Vec<Region> {
        self.matcher().filter(regions)
    }
}

/// `ap-*,eu-* minus eu-central-2`, or `all`.
impl fmt::Display for RegionFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.include.is_empty() {
            f.write_str("all")?;
        } else {
            f.write_str(&self.include.join(","))?;
        }
        if !self.exclude.is_empty() {
            write!(f, " minus {}", self.exclude.join(","))?;
        }
        Ok(())
    }
}
