//! Placeholder: filled in by the profile work.
