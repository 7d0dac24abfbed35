//! Placeholder: filled in by the cgroup work.
