//! Pagers for the five cursor styles (written by the paging work item).
