//! The Aws provider. Not implemented yet: the feature compiles in an empty
//! module so that `full` builds; see the provider's issue for its status.
