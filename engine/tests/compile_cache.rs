//! The engine's cache: a submission's files compiled once by content, and a profile's
//! prepared files (a precompiled header, a class-data archive) built once, offered read-only,
//! and rebuilt when what they read changes.

mod common;

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::Arc;

use common::root;
use judge_engine::judge::{Cache, Options, Problem, Report};
use judge_engine::profile::{Profile, ProfileSet, Stage};
use judge_engine::testset;
use judge_engine::verdict::Verdict;

const AB_C: &str = "#include <stdio.h>\nint main(void){long a,b;scanf(\"%ld %ld\",&a,&b);\
                    printf(\"%ld\\n\",a+b);return 0;}\n";
const AB_CPP: &str = "#include <bits/stdc++.h>\nint main(){long long a,b;std::cin>>a>>b;\
                      std::cout<<a+b<<'\\n';}\n";

struct Judge {
    tests: tempfile::TempDir,
    sources: tempfile::TempDir,
    problem: Arc<Problem>,
    pool: judge_engine::pool::Pool,
}

impl Judge {
    fn new(profiles: &ProfileSet) -> Judge {
        let tests = tempfile::tempdir().unwrap();
        fs::write(tests.path().join("1.in"), "3 5\n").unwrap();
        fs::write(tests.path().join("1.ans"), "8\n").unwrap();
        let problem = Problem::prepare(
            common::sandbox(),
            profiles,
            testset::discover(tests.path()).unwrap(),
        )
        .unwrap();
        Judge {
            tests,
            sources: tempfile::tempdir().unwrap(),
            problem: Arc::new(problem),
            pool: common::pool(2, true),
        }
    }

    fn judge(&self, profile: &Profile, name: &str, source: &str, cache: &Arc<Cache>) -> Report {
        let path = self.sources.path().join(name);
        fs::write(&path, source).unwrap();
        let options = Options {
            cache: Some(cache.clone()),
            ..Options::default()
        };
        let _ = &self.tests;
        self.problem
            .judge(&self.pool, profile, &path, &options, &|_| {})
            .unwrap()
    }
}

/// An empty cache in a temporary directory.
fn fresh_cache() -> (tempfile::TempDir, Arc<Cache>) {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(dir.path()).unwrap();
    (dir, cache)
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    names
}

#[test]
fn the_same_source_is_compiled_once_and_a_changed_one_again() {
    if !root() {
        return;
    }
    let profiles = ProfileSet::builtin().unwrap();
    let c = profiles.get("c").unwrap();
    let j = Judge::new(&profiles);
    let (dir, cache) = fresh_cache();
    let first = j.judge(c, "a.c", AB_C, &cache);
    assert_eq!(first.verdict, Verdict::AC, "{first:?}");
    assert!(!first.compile.cached);
    assert_eq!(entries(&dir.path().join("compiled")).len(), 1);
    // Another file name, the same text: a single-file submission is saved as main.c anyway.
    let again = j.judge(c, "b.c", AB_C, &cache);
    assert_eq!(again.verdict, Verdict::AC, "{again:?}");
    assert!(again.compile.cached, "the same source was compiled again");
    assert_eq!(again.compile.time, first.compile.time);
    let changed = j.judge(c, "a.c", &AB_C.replace("a+b", "b+a"), &cache);
    assert_eq!(changed.verdict, Verdict::AC, "{changed:?}");
    assert!(
        !changed.compile.cached,
        "a changed source came from the cache"
    );
    // A compile error is not kept: it is compiled (and refused) each time.
    let broken = j.judge(c, "a.c", "int main(void) { return }\n", &cache);
    assert_eq!(broken.verdict, Verdict::CE);
    let broken = j.judge(c, "a.c", "int main(void) { return }\n", &cache);
    assert_eq!(broken.verdict, Verdict::CE);
    assert!(!broken.compile.cached);
    assert_eq!(entries(&dir.path().join("compiled")).len(), 2);
    // The entries are the engine's alone.
    for part in ["", "compiled", "prepared"] {
        let meta = fs::metadata(dir.path().join(part)).unwrap();
        assert_eq!(meta.mode() & 0o777, 0o700, "{part}");
    }
}

#[test]
fn a_cached_binary_that_does_the_wrong_thing_stays_wrong_and_a_run_cannot_change_the_entry() {
    if !root() {
        return;
    }
    // A program that tries to replace its own executable and then answers wrong: were the work
    // directory writable, or shared with the cache, the next judgement would run the plant.
    let source = r##"#include <stdio.h>
int main(void) {
    FILE *f = fopen("/work/main", "w");
    if (f) { fputs("#!/bin/sh\necho 8\n", f); fclose(f); }
    puts("0");
    return 0;
}
"##;
    let profiles = ProfileSet::builtin().unwrap();
    let c = profiles.get("c").unwrap();
    let j = Judge::new(&profiles);
    let (_dir, cache) = fresh_cache();
    for round in 0..3 {
        let report = j.judge(c, "plant.c", source, &cache);
        assert_eq!(report.verdict, Verdict::WA, "round {round}: {report:?}");
        assert_eq!(report.compile.cached, round > 0);
    }
}

#[test]
fn identical_sources_judged_at_once_compile_once() {
    if !root() {
        return;
    }
    let profiles = ProfileSet::builtin().unwrap();
    let c = profiles.get("c").unwrap();
    let j = Judge::new(&profiles);
    let (_dir, cache) = fresh_cache();
    let source = AB_C.replace("return 0", "return 0*4");
    let reports: Vec<Report> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let (j, cache, source) = (&j, &cache, &source);
                s.spawn(move || j.judge(c, &format!("{i}.c"), source, cache))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(reports.iter().all(|r| r.verdict == Verdict::AC));
    let compiled = reports.iter().filter(|r| !r.compile.cached).count();
    assert_eq!(
        compiled, 1,
        "four identical sources were compiled {compiled} times"
    );
}

#[test]
fn past_its_limit_the_cache_drops_the_least_recently_used() {
    if !root() {
        return;
    }
    let profiles = ProfileSet::builtin().unwrap();
    let c = profiles.get("c").unwrap();
    let j = Judge::new(&profiles);
    // Measure one entry, then allow about one and a half.
    let probe = tempfile::tempdir().unwrap();
    let probe_cache = Cache::open(probe.path()).unwrap();
    j.judge(c, "a.c", AB_C, &probe_cache);
    let one = size(&probe.path().join("compiled"));
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open_with_limit(dir.path(), one * 3 / 2).unwrap();
    let a = AB_C.to_owned();
    let b = AB_C.replace("a+b", "b+a");
    assert!(!j.judge(c, "a.c", &a, &cache).compile.cached);
    assert!(!j.judge(c, "b.c", &b, &cache).compile.cached);
    assert_eq!(entries(&dir.path().join("compiled")).len(), 1);
    assert!(
        j.judge(c, "b.c", &b, &cache).compile.cached,
        "the newer entry went"
    );
    assert!(
        !j.judge(c, "a.c", &a, &cache).compile.cached,
        "the older entry stayed"
    );
}

fn size(path: &Path) -> u64 {
    let meta = fs::symlink_metadata(path).unwrap();
    if meta.is_dir() {
        fs::read_dir(path)
            .unwrap()
            .map(|e| size(&e.unwrap().path()))
            .sum()
    } else {
        meta.len()
    }
}

#[test]
fn a_cache_directory_of_another_user_is_refused() {
    if !root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let theirs = dir.path().join("theirs");
    fs::create_dir(&theirs).unwrap();
    std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).unwrap();
    let err = Cache::open(&theirs).unwrap_err().to_string();
    assert!(
        err.contains("belongs to uid 65534") && err.contains("theirs"),
        "{err}"
    );
}

#[test]
fn bits_stdcpp_is_precompiled_once_and_gcc_uses_it() {
    if !root() {
        return;
    }
    let profiles = ProfileSet::builtin().unwrap();
    let cpp = profiles.get("cpp").unwrap();
    let j = Judge::new(&profiles);
    let (dir, cache) = fresh_cache();
    let report = j.judge(cpp, "a.cpp", AB_CPP, &cache);
    assert_eq!(report.verdict, Verdict::AC, "{report:?}");
    // -Winvalid-pch is on: a precompiled header found and refused would be a warning.
    assert_eq!(report.compile.message, "", "{report:?}");
    let built = entries(&dir.path().join("prepared"));
    assert_eq!(built.len(), 1, "{built:?}");
    assert!(built[0].starts_with("cpp-compile-"), "{built:?}");
    let entry = dir.path().join("prepared").join(&built[0]);
    let gch = entry.join("bits/stdc++.h.gch");
    let made = fs::metadata(&gch).unwrap();
    assert!(made.len() > 1 << 20, "a {} byte header", made.len());
    let manifest = fs::read_to_string(entry.join("manifest")).unwrap();
    assert!(
        manifest.contains("/usr/include/c++/12/iostream"),
        "{manifest}"
    );
    // Offered to the compiler: with a macro that changes the header, g++ says it found it and
    // could not use it (and compiles from the header, right).
    let debug = format!("#define _GLIBCXX_DEBUG\n{AB_CPP}");
    let report = j.judge(cpp, "debug.cpp", &debug, &cache);
    assert_eq!(report.verdict, Verdict::AC, "{report:?}");
    assert!(
        report
            .compile
            .message
            .contains("/judge/prepared/bits/stdc++.h.gch: not used because `_GLIBCXX_DEBUG'"),
        "{}",
        report.compile.message
    );
    // Built once: the same file, not written again.
    let other = AB_CPP.replace("a+b", "b+a");
    assert_eq!(j.judge(cpp, "b.cpp", &other, &cache).verdict, Verdict::AC);
    let after = fs::metadata(&gch).unwrap();
    assert_eq!(
        (after.ino(), after.mtime_nsec()),
        (made.ino(), made.mtime_nsec())
    );
}

/// A profile whose "compiler" is the shell. Its precompiled header `x.h.gch` holds "8" and
/// its dependency file lists `dep`, a host file (or, when `broken`, its build fails). Its flags
/// replace the compile's script (`sh -c SCRIPT sh -c ...`): that script tries to write into the
/// header's directory, then writes a program printing the header's content. Without the flags
/// the compile writes a program printing 8 all the same.
fn shell_profile(dir: &Path, dep: &Path, broken: bool) -> ProfileSet {
    let build = if broken {
        "echo cannot precompile; exit 1".to_owned()
    } else {
        format!(
            r#"cat "$2" > "$1" && echo "$1: {}" > "$1.d""#,
            dep.display()
        )
    };
    let text = format!(
        r##"
name = "shellpch"
extensions = ["shpch"]
source_name = "main.shpch"
exe_name = "main"

[compile]
command = ["/bin/sh", "-c", 'printf "#!/bin/sh\necho 8\n" > {{exe}} && chmod +x {{exe}}', "{{source}}"]
time_limit_secs = 10
memory_limit_mib = 256
processes = 8
output_limit_mib = 16
env = {{ PATH = "/usr/bin:/bin" }}

[compile.prepared]
input = "8\n"
output = "x.h.gch"
command = ["/bin/sh", "-c", '{build}', "sh", "{{exe}}", "{{source}}"]
flags = ["-c", 'if echo planted > {{dir}}/x.h.gch 2>/dev/null; then echo wrote the header; exit 1; fi; printf "#!/bin/sh\necho %s\n" "$(cat {{dir}}/x.h.gch)" > /work/main && chmod +x /work/main && echo used the header', "sh"]

[run]
command = ["{{exe}}"]
processes = 8
"##
    );
    fs::write(dir.join("shellpch.toml"), text).unwrap();
    ProfileSet::load_with_overrides(None, &[dir]).unwrap()
}

#[test]
fn a_precompiled_header_is_read_only_to_compiles_and_rebuilt_when_what_it_read_changes() {
    if !root() {
        return;
    }
    let profiles_dir = tempfile::tempdir().unwrap();
    let dep = profiles_dir.path().join("dep.h");
    fs::write(&dep, "one").unwrap();
    let profiles = shell_profile(profiles_dir.path(), &dep, false);
    let shell = profiles.get("shellpch").unwrap();
    let j = Judge::new(&profiles);
    let (dir, cache) = fresh_cache();
    let report = j.judge(shell, "a.shpch", "first\n", &cache);
    assert_eq!(report.verdict, Verdict::AC, "{report:?}");
    // The write was refused by the mount, and the header was read.
    let refused = "cannot create /judge/prepared/x.h.gch: Read-only file system\n";
    assert!(
        report
            .compile
            .message
            .ends_with(&format!("{refused}used the header\n")),
        "{:?}",
        report.compile.message
    );
    let built = entries(&dir.path().join("prepared"));
    assert_eq!(built.len(), 1, "{built:?}");
    let entry = dir.path().join("prepared").join(&built[0]);
    let gch = entry.join("x.h.gch");
    assert_eq!(fs::read_to_string(&gch).unwrap(), "8\n");
    assert_eq!(fs::metadata(&gch).unwrap().mode() & 0o777, 0o644);
    let manifest = fs::read_to_string(entry.join("manifest")).unwrap();
    assert!(
        manifest.ends_with(&format!(" {}\n", dep.display())),
        "{manifest}"
    );
    let first = fs::metadata(&gch).unwrap().ino();
    // Nothing changed: the same header.
    assert!(!j.judge(shell, "b.shpch", "second\n", &cache).compile.cached);
    assert_eq!(fs::metadata(&gch).unwrap().ino(), first);
    // What it read changed: built again before the next compile.
    fs::write(&dep, "three").unwrap();
    let report = j.judge(shell, "c.shpch", "third\n", &cache);
    assert!(report.compile.message.ends_with("used the header\n"));
    assert_ne!(fs::metadata(&gch).unwrap().ino(), first, "not rebuilt");
    assert_eq!(entries(&dir.path().join("prepared")), built);
}

#[test]
fn a_precompiled_header_that_cannot_be_built_leaves_compiles_as_they_were() {
    if !root() {
        return;
    }
    let profiles_dir = tempfile::tempdir().unwrap();
    let dep = profiles_dir.path().join("dep.h");
    let profiles = shell_profile(profiles_dir.path(), &dep, true);
    let shell = profiles.get("shellpch").unwrap();
    let j = Judge::new(&profiles);
    let (dir, cache) = fresh_cache();
    let report = j.judge(shell, "a.shpch", "first\n", &cache);
    assert_eq!(report.verdict, Verdict::AC, "{report:?}");
    assert_eq!(
        report.compile.message, "",
        "the flags were given without a header"
    );
    let why = cache
        .prepared_failure(shell, Stage::Compile)
        .expect("the failure is kept");
    assert!(why.contains("cannot precompile"), "{why}");
    assert!(entries(&dir.path().join("prepared")).is_empty());
}

#[test]
fn java_runs_share_the_class_data_archive_built_once_per_jdk() {
    if !root() {
        return;
    }
    // Answers right only if the JVM maps an archive (its "sharing" mode) and the archive is
    // the engine's: without the flag, or with an archive the JVM refused, it answers -1.
    let source = r#"import java.lang.management.ManagementFactory;
import java.util.Scanner;
public class Main {
    public static void main(String[] args) {
        Scanner in = new Scanner(System.in);
        long a = in.nextLong(), b = in.nextLong();
        boolean sharing = System.getProperty("java.vm.info", "").contains("sharing");
        boolean ours = ManagementFactory.getRuntimeMXBean().getInputArguments()
            .contains("-XX:SharedArchiveFile=/judge/prepared/classes.jsa");
        System.out.println(sharing && ours ? a + b : -1);
    }
}
"#;
    let profiles = ProfileSet::builtin().unwrap();
    let java = profiles.get("java").unwrap();
    let j = Judge::new(&profiles);
    let (dir, cache) = fresh_cache();
    let report = j.judge(java, "Main.java", source, &cache);
    assert_eq!(report.verdict, Verdict::AC, "{report:?}");
    let built = entries(&dir.path().join("prepared"));
    assert_eq!(built.len(), 1, "{built:?}");
    assert!(built[0].starts_with("java-run-"), "{built:?}");
    let entry = dir.path().join("prepared").join(&built[0]);
    assert!(fs::metadata(entry.join("classes.jsa")).unwrap().len() > 1 << 20);
    let manifest = fs::read_to_string(entry.join("manifest")).unwrap();
    assert!(manifest.contains("/lib/server/libjvm.so"), "{manifest}");
    // Without a cache the run gets no flag: the same program answers -1.
    let path = j.sources.path().join("Main.java");
    let bare = j
        .problem
        .judge(&j.pool, java, &path, &Options::default(), &|_| {})
        .unwrap();
    assert_eq!(bare.verdict, Verdict::WA, "{bare:?}");
}
