//! Resource limits set in the child: the per-process limits the kernel enforces without a cgroup.
//!
//! The parent turns [`Limits`] into a fixed list (prepared before clone); the child applies each
//! with `setrlimit`, soft and hard alike, so the program cannot raise them back. `RLIMIT_CORE` is
//! always 0 (no core dumps in the work directory). With a cgroup, `RLIMIT_CPU` is a backstop a
//! second above the CPU limit: the cgroup timer normally kills first, and this still ends a run
//! whose supervisor is gone. Without one it is the only CPU enforcement, so it sits at the limit
//! rounded up to whole seconds (the kernel's granularity).

use super::spec::Limits;

/// One limit to set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Rlimit {
    pub resource: libc::__rlimit_resource_t,
    pub value: libc::rlim_t,
}

impl Rlimit {
    /// The name for error messages.
    pub(crate) fn name(&self) -> &'static str {
        match self.resource {
            libc::RLIMIT_CPU => "RLIMIT_CPU",
            libc::RLIMIT_FSIZE => "RLIMIT_FSIZE",
            libc::RLIMIT_STACK => "RLIMIT_STACK",
            libc::RLIMIT_CORE => "RLIMIT_CORE",
            libc::RLIMIT_NOFILE => "RLIMIT_NOFILE",
            libc::RLIMIT_AS => "RLIMIT_AS",
            libc::RLIMIT_DATA => "RLIMIT_DATA",
            libc::RLIMIT_MEMLOCK => "RLIMIT_MEMLOCK",
            libc::RLIMIT_MSGQUEUE => "RLIMIT_MSGQUEUE",
            _ => "rlimit",
        }
    }

    /// Child side: set soft and hard limit.
    pub(crate) fn apply(&self) -> Result<(), i32> {
        let value = libc::rlimit {
            rlim_cur: self.value,
            rlim_max: self.value,
        };
        // SAFETY: `value` is a valid rlimit; setrlimit does not keep the pointer.
        let rc = unsafe { libc::setrlimit(self.resource, &value) };
        super::sys::check(rc as libc::c_long).map(|_| ())
    }
}

/// Lower each limit to this process's hard limit: an unprivileged engine (rootless mode) may
/// lower limits but never raise them.
pub(crate) fn within_hard_limits(limits: &mut [Rlimit]) {
    for limit in limits {
        if let Ok((_, hard)) = nix::sys::resource::getrlimit(resource_of(limit.resource)) {
            limit.value = limit.value.min(hard);
        }
    }
}

fn resource_of(resource: libc::__rlimit_resource_t) -> nix::sys::resource::Resource {
    use nix::sys::resource::Resource;
    match resource {
        libc::RLIMIT_CPU => Resource::RLIMIT_CPU,
        libc::RLIMIT_FSIZE => Resource::RLIMIT_FSIZE,
        libc::RLIMIT_STACK => Resource::RLIMIT_STACK,
        libc::RLIMIT_CORE => Resource::RLIMIT_CORE,
        libc::RLIMIT_NOFILE => Resource::RLIMIT_NOFILE,
        libc::RLIMIT_AS => Resource::RLIMIT_AS,
        libc::RLIMIT_DATA => Resource::RLIMIT_DATA,
        libc::RLIMIT_MEMLOCK => Resource::RLIMIT_MEMLOCK,
        _ => Resource::RLIMIT_MSGQUEUE,
    }
}

/// The limits to set for a run, in the order they are applied. `backstop` is true when a cgroup
/// timer enforces the CPU limit and `RLIMIT_CPU` only backs it up.
pub(crate) fn plan(limits: &Limits, backstop: bool) -> Vec<Rlimit> {
    let mut out = vec![
        Rlimit {
            resource: libc::RLIMIT_CORE,
            value: 0,
        },
        Rlimit {
            resource: libc::RLIMIT_NOFILE,
            value: limits.open_files,
        },
        // Locked memory escapes the memory limit's reclaim; POSIX queues are kernel memory.
        Rlimit {
            resource: libc::RLIMIT_MEMLOCK,
            value: 64 << 10,
        },
        Rlimit {
            resource: libc::RLIMIT_MSGQUEUE,
            value: 800 << 10,
        },
    ];
    if let Some(cpu) = limits.cpu_time {
        // Whole seconds, rounded up (plus one as a backstop): never the measurement.
        let secs = cpu.as_secs() + u64::from(cpu.subsec_nanos() > 0) + u64::from(backstop);
        out.push(Rlimit {
            resource: libc::RLIMIT_CPU,
            value: secs,
        });
    }
    let optional = [
        (libc::RLIMIT_FSIZE, limits.output),
        (libc::RLIMIT_STACK, limits.stack),
        (libc::RLIMIT_AS, limits.address_space),
        (libc::RLIMIT_DATA, limits.data_segment),
    ];
    for (resource, value) in optional {
        if let Some(value) = value {
            out.push(Rlimit { resource, value });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn find(list: &[Rlimit], resource: libc::__rlimit_resource_t) -> Option<u64> {
        list.iter()
            .find(|r| r.resource == resource)
            .map(|r| r.value)
    }

    #[test]
    fn core_dumps_are_always_off() {
        assert_eq!(
            find(&plan(&Limits::default(), true), libc::RLIMIT_CORE),
            Some(0)
        );
    }

    #[test]
    fn cpu_backstop_is_rounded_up_plus_one_second() {
        let limits = Limits {
            cpu_time: Some(Duration::from_millis(1500)),
            ..Limits::default()
        };
        assert_eq!(find(&plan(&limits, true), libc::RLIMIT_CPU), Some(3));
        let limits = Limits {
            cpu_time: Some(Duration::from_secs(2)),
            ..Limits::default()
        };
        assert_eq!(find(&plan(&limits, true), libc::RLIMIT_CPU), Some(3));
    }

    #[test]
    fn without_a_cgroup_the_cpu_rlimit_is_the_limit_rounded_up() {
        let limits = Limits {
            cpu_time: Some(Duration::from_millis(1500)),
            ..Limits::default()
        };
        assert_eq!(find(&plan(&limits, false), libc::RLIMIT_CPU), Some(2));
    }

    #[test]
    fn output_stack_address_space_and_data_follow_the_limits() {
        let limits = Limits {
            output: Some(1 << 20),
            stack: Some(8 << 20),
            address_space: None,
            data_segment: Some(64 << 20),
            ..Limits::default()
        };
        let p = plan(&limits, true);
        assert_eq!(find(&p, libc::RLIMIT_FSIZE), Some(1 << 20));
        assert_eq!(find(&p, libc::RLIMIT_STACK), Some(8 << 20));
        assert_eq!(find(&p, libc::RLIMIT_AS), None);
        assert_eq!(find(&p, libc::RLIMIT_DATA), Some(64 << 20));
        assert_eq!(
            find(&plan(&Limits::default(), true), libc::RLIMIT_DATA),
            None
        );
        assert_eq!(find(&p, libc::RLIMIT_NOFILE), Some(limits.open_files));
    }
}
