//! Placeholder: filled in by the testset work.
