//! Transport (written by the transport work item).
