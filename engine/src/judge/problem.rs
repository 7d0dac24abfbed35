//! A test set prepared for judging ([`Problem::prepare`]: flags checked, validators built), and
//! judging one submission against it ([`Problem::judge`]): read the source, compile, hand the
//! tests to the schedule, conclude.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::Arc;
use std::time::Duration;

use super::check::{Checking, Points};
use super::schedule::TestRun;
use super::{
    compile, score, source, step, CompileReport, Event, JudgeError, Options, Report, TestLimits,
};
use crate::checker::Checker;
use crate::limits::{self, LimitError};
use crate::pool::Pool;
use crate::profile::{Profile, ProfileSet};
use crate::sandbox::Sandbox;
use crate::testset::{TestSet, Validation};
use crate::verdict::Verdict;

/// A test set ready to judge submissions against.
#[derive(Debug)]
pub struct Problem {
    pub(super) tests: TestSet,
    pub(super) checking: Checking,
    /// A multi-pass problem's most passes per test.
    pub(super) passes: Option<u32>,
}

impl Problem {
    /// Check the test set's flags and build its validators.
    pub fn prepare(
        sandbox: &Sandbox,
        profiles: &ProfileSet,
        tests: TestSet,
    ) -> Result<Problem, JudgeError> {
        let checking = match &tests.validation {
            Validation::Default => Checking::Builtin(
                tests
                    .tests
                    .iter()
                    .map(|t| Checker::from_name("default", &t.validator_flags.join(" ")))
                    .collect::<Result<_, _>>()?,
            ),
            Validation::Custom { validators, score } => Checking::Validators {
                validators: validators
                    .iter()
                    .map(|v| compile::validator(sandbox, profiles, v, &tests.constants))
                    .collect::<Result<_, _>>()?,
                limits: limits::validator(&tests.limits),
                points: tests.scoring.as_ref().map(|scoring| {
                    Box::new(Points {
                        score_files: *score,
                        bases: score::multiplier_bases(scoring, tests.tests.len()),
                    })
                }),
            },
            Validation::Interactive { validators, score } => {
                let [interactor] = validators.as_slice() else {
                    return Err(JudgeError::Interactors {
                        root: tests.root.clone(),
                        count: validators.len(),
                    });
                };
                Checking::Interactive {
                    interactor: compile::validator(
                        sandbox,
                        profiles,
                        interactor,
                        &tests.constants,
                    )?,
                    limits: limits::validator(&tests.limits),
                    points: tests.scoring.as_ref().map(|scoring| {
                        Box::new(Points {
                            score_files: *score,
                            bases: score::multiplier_bases(scoring, tests.tests.len()),
                        })
                    }),
                }
            }
        };
        let passes = match (&tests.validation, tests.multi_pass) {
            (_, false) => None,
            (Validation::Custom { validators, .. }, true) if validators.len() != 1 => {
                return Err(JudgeError::MultiPassValidators {
                    root: tests.root.clone(),
                    count: validators.len(),
                })
            }
            (_, true) => Some(tests.limits.validation_passes),
        };
        Ok(Problem {
            tests,
            checking,
            passes,
        })
    }

    pub fn tests(&self) -> &TestSet {
        &self.tests
    }

    /// The package's interactor talks to the submission while it runs.
    pub fn is_interactive(&self) -> bool {
        matches!(self.checking, Checking::Interactive { .. })
    }

    /// Check with the built-in checker `name` (`default`, `exact`, `lines`) instead of the
    /// package's default validator; each test keeps its validator flags. A package with its own
    /// output validator keeps it: that is an error.
    pub fn use_checker(&mut self, name: &str) -> Result<(), JudgeError> {
        if !matches!(self.checking, Checking::Builtin(_)) {
            return Err(JudgeError::CheckerWithValidator {
                root: self.tests.root.clone(),
                checker: name.to_owned(),
            });
        }
        let checkers = self
            .tests
            .tests
            .iter()
            .map(|t| {
                let flags = t.validator_flags.join(" ");
                // Flags belong to the default validator; the others take none.
                Checker::from_name(name, if name == "default" { &flags } else { "" })
            })
            .collect::<Result<_, _>>()?;
        self.checking = Checking::Builtin(checkers);
        Ok(())
    }

    /// The limits `options` and the package give; an error if an option is out of bounds.
    pub fn limits(&self, options: &Options) -> Result<TestLimits, LimitError> {
        limits::test_limits(options, &self.tests.limits)
    }

    /// The report of a submission that is a compile error before any compiler ran: its
    /// language cannot be told, it is no program text (`why` says what is wrong).
    pub fn compile_error(&self, options: &Options, why: String) -> Result<Report, JudgeError> {
        let limits = self.limits(options)?;
        Ok(self.failed_compile(limits, CompileReport::failed(why)))
    }

    fn failed_compile(&self, limits: TestLimits, compile: CompileReport) -> Report {
        let scoring = self.tests.scoring.as_ref();
        Report {
            verdict: Verdict::CE,
            compile,
            tests: Vec::new(),
            time: Duration::ZERO,
            memory: 0,
            limits,
            score: scoring.map(|_| 0.0),
            groups: scoring.map(score::unjudged).unwrap_or_default(),
        }
    }

    /// The package's files for every submission in `profile`'s language:
    /// `include/<language code>/`, else `include/default/` (2025-09 format).
    fn include_dir(&self, profile: &Profile) -> Option<std::path::PathBuf> {
        if self.tests.format == crate::testset::Format::Flat {
            return None;
        }
        let include = self.tests.root.join("include");
        [profile.language_code(), "default"]
            .iter()
            .map(|code| include.join(code))
            .find(|dir| dir.is_dir())
    }

    /// Judge the submission at `source` (a file, or a directory of files) written in
    /// `profile`'s language, its tests on `pool`.
    pub fn judge(
        self: &Arc<Self>,
        pool: &Pool,
        profile: &Profile,
        source: &Path,
        options: &Options,
        events: &(dyn Fn(Event) + Sync),
    ) -> Result<Report, JudgeError> {
        let sandbox = pool.sandbox();
        let limits = self.limits(options)?;
        let scoring = self.tests.scoring.as_ref();
        // A toolchain missing here is said as a compile error, as a judge host says it.
        if let Err(e) = profile.check_available() {
            let Some(why) = profile.not_installed_because(&e) else {
                return Err(e.into());
            };
            let compile = CompileReport::failed(why);
            events(Event::Compiled(&compile));
            return Ok(self.failed_compile(limits, compile));
        }
        let failed_compile = |compile: CompileReport| self.failed_compile(limits, compile);
        let constants = options.constants.then_some(&self.tests.constants);
        let entry = options.entry_point.as_deref();
        // Files that are no program, or no way to run them, are the submission's fault: CE.
        let include = self.include_dir(profile);
        let include = include.as_deref().map(|dir| source::Included {
            dir,
            constants: &self.tests.constants,
        });
        let (given, vars) =
            match source::prepare(source, profile, constants, entry, limits.memory, include)? {
                Ok(prepared) => prepared,
                Err(why) => {
                    let compile = CompileReport::failed(why);
                    events(Event::Compiled(&compile));
                    return Ok(failed_compile(compile));
                }
            };
        let work = step::sandbox_dir(sandbox, "work", Some(compile::work_cap(profile)))?;
        let scratch = step::scratch_dir(sandbox)?;
        let compile = compile::submission(
            sandbox,
            profile,
            &vars,
            &given,
            work.path(),
            options.cache.as_ref(),
        )?;
        events(Event::Compiled(&compile));
        if options.cancelled() {
            return Err(JudgeError::Cancelled);
        }
        if !compile.ok {
            return Ok(failed_compile(compile));
        }
        let run = Arc::new(TestRun {
            profile: profile.clone(),
            vars,
            problem: self.clone(),
            limits,
            cgroups: sandbox.has_cgroups(),
            work,
            prepared: options
                .cache
                .as_ref()
                .and_then(|c| c.prepared(sandbox, profile, crate::profile::Stage::Run)),
            stage_key: crate::pool::stage_key(),
            scratch,
            run_all: options.run_all,
            wall_limit: options.wall_limit,
            transcript: options.transcript,
            first_failure: AtomicUsize::new(usize::MAX),
            failed: (0..self.tests.tests.len())
                .map(|_| AtomicBool::new(false))
                .collect(),
            cancel: options.cancel.clone(),
            network: options.network.unwrap_or(profile.run().limits().network),
        });
        let ran = TestRun::all(&run, pool, events);
        if options.cancelled() {
            return Err(JudgeError::Cancelled);
        }
        let outcome = score::conclude(scoring, ran, self.tests.tests.len(), options.run_all);
        let tests = outcome.tests;
        Ok(Report {
            verdict: outcome.verdict,
            compile,
            time: tests.iter().map(|t| t.time).max().unwrap_or_default(),
            memory: tests.iter().map(|t| t.memory).max().unwrap_or_default(),
            tests,
            limits,
            score: outcome.score,
            groups: outcome.groups,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::{DEFAULT_MEMORY_LIMIT, DEFAULT_OUTPUT_LIMIT, DEFAULT_TIME_LIMIT};
    use super::*;
    use crate::testset::{Format, PackageLimits};

    fn problem(limits: PackageLimits) -> Problem {
        Problem {
            tests: TestSet {
                root: "/p".into(),
                format: Format::LegacyPackage,
                format_version: None,
                tests: Vec::new(),
                validation: Validation::Default,
                multi_pass: false,
                limits,
                scoring: None,
                constants: Default::default(),
                notes: Vec::new(),
            },
            checking: Checking::Builtin(Vec::new()),
            passes: None,
        }
    }

    #[test]
    fn limits_come_from_options_then_the_package_then_defaults() {
        let none = problem(PackageLimits::default());
        assert_eq!(
            none.limits(&Options::default()).unwrap(),
            TestLimits {
                time: DEFAULT_TIME_LIMIT,
                memory: DEFAULT_MEMORY_LIMIT,
                output: DEFAULT_OUTPUT_LIMIT,
            }
        );
        let package = problem(PackageLimits {
            time_limit: Some(Duration::from_secs(3)),
            memory_mib: Some(512),
            output_mib: Some(8),
            ..PackageLimits::default()
        });
        assert_eq!(
            package.limits(&Options::default()).unwrap(),
            TestLimits {
                time: Duration::from_secs(3),
                memory: 512 << 20,
                output: 8 << 20,
            }
        );
        let flags = Options {
            time_limit: Some(Duration::from_millis(500)),
            memory_limit: Some(64 << 20),
            output_limit: Some(1 << 20),
            ..Options::default()
        };
        assert_eq!(
            package.limits(&flags).unwrap(),
            TestLimits {
                time: Duration::from_millis(500),
                memory: 64 << 20,
                output: 1 << 20,
            }
        );
    }

    #[test]
    fn options_out_of_bounds_are_refused_naming_the_field() {
        let p = problem(PackageLimits::default());
        let refused = |options: Options| p.limits(&options).unwrap_err().to_string();
        let err = refused(Options {
            time_limit: Some(Duration::from_secs(3601)),
            ..Options::default()
        });
        assert_eq!(
            err,
            "Options::time_limit: 3601 s: a time limit must be above 0 and at most an hour"
        );
        let err = refused(Options {
            memory_limit: Some(u64::MAX),
            ..Options::default()
        });
        assert!(
            err.starts_with("Options::memory_limit: 16777216 TiB: a size"),
            "{err}"
        );
        let err = refused(Options {
            output_limit: Some(0),
            ..Options::default()
        });
        assert!(
            err.starts_with("Options::output_limit: 0 bytes: a size"),
            "{err}"
        );
        let err = refused(Options {
            wall_limit: Some(Duration::ZERO),
            ..Options::default()
        });
        assert!(err.starts_with("Options::wall_limit: 0 s: a time"), "{err}");
    }
}
