//! Placeholder: the sandbox core.
