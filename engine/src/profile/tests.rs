//! Tests of loading, validating, choosing and expanding profiles, on the shipped files and on
//! small profiles written into temporary directories.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::*;

const MIB: u64 = 1 << 20;

/// A minimal valid interpreted profile named `name`, with `extra` appended at the top level.
fn interp(name: &str, exts: &str, top_extra: &str, run_extra: &str) -> String {
    format!(
        "name = \"{name}\"\nextensions = [{exts}]\nsource_name = \"main.x\"\n{top_extra}\n\
         [run]\ncommand = [\"/usr/bin/env\", \"{{source}}\"]\nprocesses = 1\n{run_extra}\n"
    )
}

fn parse(name: &str, text: &str) -> Result<Profile, ProfileError> {
    Profile::from_toml(&format!("test/{name}.toml"), name, text)
}

fn write(dir: &Path, name: &str, text: &str) {
    fs::write(dir.join(format!("{name}.toml")), text).unwrap();
}

fn shipped() -> ProfileSet {
    ProfileSet::load_dir(&ProfileSet::shipped_dir()).expect("shipped profiles load")
}

#[test]
fn shipped_directory_and_builtin_agree() {
    let dir = shipped();
    let builtin = ProfileSet::builtin().expect("built-in profiles load");
    let names: Vec<&str> = dir.names().collect();
    // Every file of profiles/ is built in (the BUILTIN list), and nothing else.
    let mut files: Vec<String> = fs::read_dir(ProfileSet::shipped_dir())
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".toml").map(str::to_owned)
        })
        .collect();
    files.sort();
    assert_eq!(names, files);
    assert!(names.len() >= 28, "{names:?}");
    assert_eq!(builtin.names().collect::<Vec<_>>(), names);
    for p in dir.iter() {
        let b = builtin.get(p.name()).unwrap();
        // A program for each way of finding the class: Java's, Kotlin's, Scala's.
        let vars = p
            .prepare(
                "public class Main { public static void main(String[] a) {} }\n\
                 fun main() {}\nobject Main { def main(a: Array[String]) = {} }",
                256 * MIB,
            )
            .unwrap();
        assert_eq!(p.run_argv(&vars), b.run_argv(&vars), "{}", p.name());
        assert_eq!(p.compile_argv(&vars), b.compile_argv(&vars), "{}", p.name());
    }
    assert!(builtin
        .get("java")
        .unwrap()
        .origin()
        .ends_with("(built in)"));
}

#[test]
fn cpp_argv_and_limits() {
    let set = shipped();
    let cpp = set.for_source(Path::new("sol.cc"), None).unwrap();
    assert_eq!(cpp.name(), "cpp");
    let vars = cpp.prepare("int main() {}", 256 * MIB).unwrap();
    assert_eq!(vars.source_file_name(), "main.cpp");
    let argv = cpp.compile_argv(&vars).unwrap();
    assert_eq!(argv[0], "/usr/bin/g++");
    assert!(argv.contains(&"-std=gnu++17".to_string()));
    assert!(argv.ends_with(&["-o".into(), "/work/main".into(), "/work/main.cpp".into()]));
    assert_eq!(cpp.run_argv(&vars), vec!["/work/main"]);
    let env = cpp.compile_env(&vars).unwrap();
    assert!(env.contains(&("TMPDIR".to_string(), "/work".to_string())));
    let c = cpp.compile().unwrap();
    assert!(c.syscalls().allows("vfork"));
    assert!(cpp.run().syscalls().allows("clone"), "threads stay allowed");
    assert_eq!(
        cpp.run().limits().processes,
        64,
        "threads and processes share a cap"
    );
    assert!(cpp.run().limits().address_space_limit);
}

#[test]
fn cpp20_is_chosen_by_name_only() {
    let set = shipped();
    assert_eq!(
        set.for_source(Path::new("a.cpp"), None).unwrap().name(),
        "cpp"
    );
    let p = set.for_source(Path::new("a.cpp"), Some("cpp20")).unwrap();
    let argv = p.compile_argv(&p.prepare("", 256 * MIB).unwrap()).unwrap();
    assert!(argv.contains(&"-std=gnu++20".to_string()));
}

#[test]
fn python_runs_the_real_interpreter_after_a_syntax_check() {
    let set = shipped();
    let py = set.for_source(Path::new("x/sol.py"), None).unwrap();
    let vars = py.prepare("print(1)", 256 * MIB).unwrap();
    let check = py.compile_argv(&vars).unwrap();
    assert_eq!(check[0], "/usr/bin/python3");
    assert_eq!(check.last().map(String::as_str), Some("/work/main.py"));
    assert_eq!(py.run().memory_error(), Some("MemoryError"));
    assert_eq!(
        py.run_argv(&vars),
        vec!["/usr/bin/python3", "/work/main.py"]
    );
}

#[test]
fn java_class_heap_and_jvm_limits() {
    let set = shipped();
    let java = set.for_source(Path::new("Whatever.java"), None).unwrap();
    let src = "public final class Solution { public static void main(String... a) {} }";
    let vars = java.prepare(src, 256 * MIB).unwrap();
    assert_eq!(vars.class(), Some("Solution"));
    assert_eq!(vars.source_file_name(), "Solution.java");
    let run = java.run_argv(&vars);
    assert!(run.contains(&"-Xmx192m".to_string()), "{run:?}");
    assert_eq!(run.last().map(String::as_str), Some("Solution"));
    let compile = java.compile_argv(&vars).unwrap();
    assert_eq!(
        compile.last().map(String::as_str),
        Some("/work/Solution.java")
    );
    // javac's heap comes from the compile memory limit (2048) minus its headroom (256).
    assert!(compile.contains(&"-J-Xmx1792m".to_string()), "{compile:?}");
    assert!(!java.run().limits().address_space_limit);
    assert_eq!(java.run().limits().processes, 64);
    assert!(java.run().syscalls().allows("clone3"));
    let mounts = java.mounts();
    assert!(mounts
        .iter()
        .any(|m| m.sandbox == Path::new("/etc/java-17-openjdk")));
    assert!(mounts.iter().any(|m| m.sandbox == Path::new("/usr")));
}

#[test]
fn java_without_main_class_is_refused() {
    let java = shipped().get("java").unwrap().clone();
    let err = java.prepare("class A {}", 256 * MIB).unwrap_err();
    assert!(matches!(err, ProfileError::NoMainClass { .. }), "{err}");
}

#[test]
fn java_memory_below_headroom_is_refused() {
    let java = shipped().get("java").unwrap().clone();
    let src = "public class Main { public static void main(String[] a) {} }";
    let err = java.prepare(src, 64 * MIB).unwrap_err();
    assert!(
        matches!(
            err,
            ProfileError::MemoryBelowHeadroom {
                memory_mib: 64,
                headroom_mib: 64,
                ..
            }
        ),
        "{err}"
    );
    assert!(java.prepare(src, 65 * MIB).is_ok());
}

#[test]
fn rust_toolchain_is_mounted_elsewhere() {
    let rust = shipped().get("rust").unwrap().clone();
    let m = &rust.extra_mounts()[0];
    assert_eq!(m.sandbox, Path::new("/opt/rust"));
    assert!(m.host.ends_with("stable-x86_64-unknown-linux-gnu"));
    let vars = rust.prepare("fn main() {}", 256 * MIB).unwrap();
    assert_eq!(rust.compile_argv(&vars).unwrap()[0], "/opt/rust/bin/rustc");
}

#[test]
fn availability_matches_this_machine() {
    let set = shipped();
    let c = set.get("c").unwrap();
    assert_eq!(
        c.check_available().is_ok(),
        Path::new("/usr/bin/gcc").exists()
    );
    let py = set.get("python3").unwrap();
    assert_eq!(
        py.check_available().is_ok(),
        Path::new("/usr/bin/python3").exists()
    );
}

#[test]
fn missing_program_names_file_key_and_fix() {
    let p = parse(
        "ghost",
        &interp("ghost", "", "", "").replace("/usr/bin/env", "/usr/bin/no-such-interpreter-xyz"),
    )
    .unwrap();
    let err = p.check_available().unwrap_err().to_string();
    assert!(
        err.starts_with(
            "profile test/ghost.toml: run.command runs /usr/bin/no-such-interpreter-xyz"
        ),
        "{err}"
    );
    assert!(
        err.contains("install it") && err.contains("--profiles DIR"),
        "{err}"
    );
}

#[test]
fn program_resolving_outside_mounts_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/etc/hostname", tmp.path().join("prog")).unwrap();
    let mount = format!(
        "mounts = [{{ host = \"{}\", sandbox = \"/opt/t\" }}]",
        tmp.path().display()
    );
    let p = parse(
        "t",
        &interp("t", "", &mount, "").replace("/usr/bin/env", "/opt/t/prog"),
    )
    .unwrap();
    match p.check_available() {
        Err(ProfileError::ProgramOutsideMounts { target, .. }) => {
            assert_eq!(target, Path::new("/etc/hostname"))
        }
        other => panic!("expected ProgramOutsideMounts, got {other:?}"),
    }
}

#[test]
fn symlink_within_mounts_and_executable_bits() {
    let tmp = tempfile::tempdir().unwrap();
    let prog = tmp.path().join("real");
    fs::write(&prog, "#!/bin/sh\n").unwrap();
    fs::set_permissions(&prog, fs::Permissions::from_mode(0o644)).unwrap();
    std::os::unix::fs::symlink("real", tmp.path().join("link")).unwrap();
    let mount = format!(
        "mounts = [{{ host = \"{}\", sandbox = \"/opt/t\" }}]",
        tmp.path().display()
    );
    let p = parse(
        "t",
        &interp("t", "", &mount, "").replace("/usr/bin/env", "/opt/t/link"),
    )
    .unwrap();
    let err = p.check_available().unwrap_err();
    assert!(
        matches!(&err, ProfileError::ProgramMissing { host_path, .. } if host_path == &prog),
        "{err:?}"
    );
    fs::set_permissions(&prog, fs::Permissions::from_mode(0o755)).unwrap();
    p.check_available()
        .expect("relative symlink to an executable inside the mount");
}

#[test]
fn missing_mount_source_is_reported() {
    let p = parse("m", &interp("m", "", "mounts = [\"/no/such/dir-xyz\"]", "")).unwrap();
    let err = p.check_available().unwrap_err().to_string();
    assert!(
        err.contains("mount source /no/such/dir-xyz does not exist"),
        "{err}"
    );
}

#[test]
fn unknown_key_message_names_file_table_and_choices() {
    let text = interp("j", "", "", "").replace("[run]", "[compile]\ncompiel = 1\n[run]");
    let err = parse("j", &text).unwrap_err().to_string();
    assert_eq!(
        err,
        "profile test/j.toml: unknown key \"compiel\" in [compile]; expected one of: command, \
         time_limit_secs, memory_limit_mib, processes, output_limit_mib, address_space_limit, \
         heap_headroom_mib, env, syscalls, prepared"
    );
}

#[test]
fn a_prepared_file_needs_a_plain_output_a_build_from_source_to_exe_and_flags_naming_dir() {
    let with = |table: &str| {
        let text = format!(
            "name = \"h\"\nextensions = []\nsource_name = \"main.x\"\n\
             [compile]\ncommand = [\"/usr/bin/g++\", \"{{source}}\"]\ntime_limit_secs = 1\n\
             memory_limit_mib = 64\nprocesses = 1\noutput_limit_mib = 1\n{table}\n\
             [run]\ncommand = [\"{{exe}}\"]\nprocesses = 1\n"
        );
        parse("h", &text).map(|_| ()).unwrap_err().to_string()
    };
    let table = |output: &str, command: &str, flags: &str| {
        format!(
            "[compile.prepared]\ninput = \"x\"\noutput = \"{output}\"\n\
             command = [\"/usr/bin/g++\", {command}]\nflags = [{flags}]"
        )
    };
    let err = with(&table("../x.gch", "\"{source}\", \"{exe}\"", ""));
    assert!(
        err.contains("compile.prepared.output") && err.contains("relative file name"),
        "{err}"
    );
    let err = with(&table("x.gch", "\"{source}\"", ""));
    assert!(err.contains("must use {exe}"), "{err}");
    let err = with(&table("x.gch", "\"{source}\", \"{exe}\"", "\"{exe}\""));
    assert!(err.contains("may use only {dir}"), "{err}");
    let err = with("[compile.prepared]\ninput = \"x\"\noutput = \"x\"\nflags = []");
    assert!(
        err.contains("missing key \"command\" in [compile.prepared]"),
        "{err}"
    );
    // A run's prepared file is built with the compile step's limits: an interpreter has none.
    let text = interp("i", "", "", "")
        + "[run.prepared]\ninput = \"\"\noutput = \"a\"\n\
           command = [\"/usr/bin/env\", \"{source}\", \"{exe}\"]\nflags = []\n";
    let err = parse("i", &text).unwrap_err().to_string();
    assert!(
        err.contains("run.prepared") && err.contains("[compile]"),
        "{err}"
    );
}

#[test]
fn the_cpp_profiles_precompile_bits_stdcpp_and_java_archives_its_classes() {
    let set = crate::profile::ProfileSet::builtin().unwrap();
    for (name, std) in [("cpp", "-std=gnu++17"), ("cpp20", "-std=gnu++20")] {
        let profile = set.get(name).unwrap();
        let prepared = profile.prepared(super::Stage::Compile).unwrap();
        assert!(profile.prepared(super::Stage::Run).is_none());
        assert_eq!(prepared.input(), "#include <bits/stdc++.h>\n");
        assert_eq!(prepared.output(), "bits/stdc++.h.gch");
        let argv = prepared.build_argv("/work/in", "/work/out/bits/stdc++.h.gch");
        assert!(argv.iter().any(|a| a == std), "{argv:?}");
        assert!(argv.ends_with(&[
            "-o".into(),
            "/work/out/bits/stdc++.h.gch".into(),
            "/work/in".into()
        ]));
        assert_eq!(
            prepared.flags(),
            ["-I", crate::profile::PREPARED_DIR, "-Winvalid-pch"]
        );
    }
    let java = set.get("java").unwrap();
    let archive = java.prepared(super::Stage::Run).unwrap();
    assert_eq!(archive.output(), "classes.jsa");
    assert!(archive.input().lines().any(|l| l == "java/util/Scanner"));
    assert_eq!(
        archive.flags(),
        [format!(
            "-XX:SharedArchiveFile={}/classes.jsa",
            crate::profile::PREPARED_DIR
        )]
    );
}

#[test]
fn unknown_syscall_is_an_error() {
    let err = parse(
        "s",
        &interp(
            "s",
            "",
            "",
            "syscalls = { extra = [\"clone\", \"clonee\"] }",
        ),
    )
    .unwrap_err();
    match err {
        ProfileError::UnknownSyscall { name, key, .. } => {
            assert_eq!(name, "clonee");
            assert_eq!(key, "run.syscalls.extra");
        }
        other => panic!("expected UnknownSyscall, got {other:?}"),
    }
}

#[test]
fn base_false_gives_only_extra() {
    let p = parse(
        "s",
        &interp(
            "s",
            "",
            "",
            "syscalls = { base = false, extra = [\"read\", \"exit_group\"] }",
        ),
    )
    .unwrap();
    assert!(p.run().syscalls().allows("read"));
    assert!(p.run().syscalls().allows("exit_group"));
    assert!(!p.run().syscalls().allows("write"));
}

#[test]
fn a_forbidden_syscall_is_an_error_naming_it() {
    let err = parse(
        "s",
        &interp("s", "", "", "syscalls = { extra = [\"ptrace\"] }"),
    )
    .unwrap_err();
    assert!(
        matches!(&err, ProfileError::ForbiddenSyscall { name, key, .. }
            if name == "ptrace" && key == "run.syscalls.extra"),
        "{err}"
    );
}

#[test]
fn unknown_placeholder_is_an_error() {
    let text = interp("u", "", "", "").replace("{source}", "{sauce}");
    let err = parse("u", &text).unwrap_err().to_string();
    assert!(
        err.contains("unknown placeholder {sauce} in run.command[1]"),
        "{err}"
    );
    assert!(
        err.contains("{dir}, {source}, {sources}, {exe}, {class}, {heap_mib}, {memory_mib}"),
        "{err}"
    );
}

#[test]
fn sources_must_be_a_whole_command_argument() {
    for (from, to, key) in [
        ("\"{source}\"", "\"-x{sources}\"", "run.command[1]"),
        ("\"{source}\"", "\"{sources}\", \"{sources}\"", ""),
    ] {
        let text = interp("s", "", "", "").replace(from, to);
        let result = parse("s", &text);
        if key.is_empty() {
            assert!(result.is_ok(), "{to}: {result:?}");
        } else {
            let err = result.unwrap_err().to_string();
            assert!(
                err.contains(key) && err.contains("whole command argument"),
                "{err}"
            );
        }
    }
}

#[test]
fn a_directory_takes_the_language_most_of_its_files_have() {
    let set = shipped();
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("sol");
    let file = |name: &str| {
        let path = sub.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, "x\n").unwrap();
    };
    file("a.cpp");
    file("lib/b.cc");
    file("gen.py");
    file("notes.txt");
    assert_eq!(set.for_path(&sub, None).unwrap().name(), "cpp");
    file("tool.py");
    let err = set.for_path(&sub, None).unwrap_err();
    assert!(err.is_submission_fault());
    assert!(err.to_string().contains("2 cpp, 2 python3"), "{err}");
    // --lang decides.
    assert_eq!(
        set.for_path(&sub, Some("python3")).unwrap().name(),
        "python3"
    );
    // Scripts at the top make it a build-run program, whatever else it holds.
    file("build");
    assert_eq!(set.for_path(&sub, None).unwrap().name(), "build-run");

    let empty = dir.path().join("empty");
    fs::create_dir_all(&empty).unwrap();
    fs::write(empty.join("README"), "nothing\n").unwrap();
    let err = set.for_path(&empty, None).unwrap_err();
    assert!(matches!(err, ProfileError::NoLanguageInDir { .. }), "{err}");
}

#[test]
fn a_directory_fixes_its_entry_point_and_main_class() {
    let set = shipped();
    let dir = Path::new("/p/sol");
    let python = set.get("python3").unwrap();
    let two = [
        ("util.py".to_owned(), "X = 1\n"),
        ("main.py".to_owned(), "import util\n"),
    ];
    let vars = python.prepare_dir(dir, &two, None, 256 << 20).unwrap();
    assert_eq!(vars.source_file_name(), "main.py");
    assert_eq!(
        python.run_argv(&vars),
        ["/usr/bin/python3", "/work/main.py"]
    );
    let compile = python.compile_argv(&vars).unwrap();
    assert_eq!(
        compile[compile.len() - 2..],
        ["/work/util.py", "/work/main.py"]
    );
    let no_main = [("a.py".to_owned(), ""), ("b.py".to_owned(), "")];
    let err = python
        .prepare_dir(dir, &no_main, None, 256 << 20)
        .unwrap_err();
    assert!(matches!(err, ProfileError::NoEntryPoint { .. }), "{err}");
    let named = python
        .prepare_dir(dir, &no_main, Some("b.py"), 256 << 20)
        .unwrap();
    assert_eq!(named.source_file_name(), "b.py");
    assert!(python
        .prepare_dir(dir, &no_main, Some("c.py"), 256 << 20)
        .is_err());

    let java = set.get("java").unwrap();
    let main = "package p;\npublic class Main { public static void main(String[] a) {} }";
    let other = "package p;\npublic class Tool { public static void main(String[] a) {} }";
    let lib = "package p;\nclass Lib {}";
    let files = [
        ("p/Lib.java".to_owned(), lib),
        ("p/Main.java".to_owned(), main),
        ("p/Tool.java".to_owned(), other),
    ];
    let vars = java.prepare_dir(dir, &files, None, 256 << 20).unwrap();
    assert_eq!(vars.class(), Some("p.Main"));
    let compile = java.compile_argv(&vars).unwrap();
    assert!(compile.ends_with(&[
        "/work/p/Lib.java".to_owned(),
        "/work/p/Main.java".to_owned(),
        "/work/p/Tool.java".to_owned()
    ]));
    let no_main_class = [
        files[0].clone(),
        files[2].clone(),
        ("q/T.java".to_owned(), other),
    ];
    let err = java
        .prepare_dir(dir, &no_main_class, None, 256 << 20)
        .unwrap_err();
    assert!(
        matches!(err, ProfileError::SeveralMainClasses { .. }),
        "{err}"
    );
    let vars = java
        .prepare_dir(dir, &no_main_class, Some("Tool"), 256 << 20)
        .unwrap();
    assert_eq!(vars.class(), Some("p.Tool"));
}

#[test]
fn exe_without_compile_step_is_an_error() {
    let text = interp("e", "", "", "").replace("\"/usr/bin/env\", \"{source}\"", "\"{exe}\"");
    let err = parse("e", &text).unwrap_err();
    assert!(
        matches!(
            err,
            ProfileError::UnavailablePlaceholder { name: "exe", .. }
        ),
        "{err}"
    );
}

#[test]
fn relative_program_is_an_error() {
    let text = interp("r", "", "", "").replace("/usr/bin/env", "python3");
    let err = parse("r", &text).unwrap_err().to_string();
    assert!(
        err.contains("run.command") && err.contains("does not search PATH"),
        "{err}"
    );
}

#[test]
fn program_outside_every_mount_is_a_load_error() {
    let text = interp("o", "", "", "").replace("/usr/bin/env", "/root/bin/tool");
    let err = parse("o", &text).unwrap_err().to_string();
    assert!(err.contains("not under any mount"), "{err}");
}

#[test]
fn bad_values_are_reported_with_their_key() {
    let compile = "[compile]\ncommand = [\"/usr/bin/cc\"]\ntime_limit_secs = TIME\n\
                   memory_limit_mib = MEM\nprocesses = PROCS\noutput_limit_mib = 8\n[run]";
    let case = |time: &str, mem: &str, procs: &str| {
        let c = compile
            .replace("TIME", time)
            .replace("MEM", mem)
            .replace("PROCS", procs);
        parse("b", &interp("b", "", "", "").replace("[run]", &c)).map(|_| ())
    };
    assert!(case("10", "512", "4").is_ok());
    let key_of = |r: Result<(), ProfileError>| match r {
        Err(ProfileError::Limit(e)) => match e.at() {
            crate::limits::Source::Profile { origin, key } if origin == "test/b.toml" => *key,
            other => panic!("expected this profile as the source, got {other:?}"),
        },
        other => panic!("expected a limit error, got {other:?}"),
    };
    assert_eq!(key_of(case("-1", "512", "4")), "compile.time_limit_secs");
    assert_eq!(key_of(case("nan", "512", "4")), "compile.time_limit_secs");
    assert_eq!(key_of(case("inf", "512", "4")), "compile.time_limit_secs");
    assert_eq!(key_of(case("1e300", "512", "4")), "compile.time_limit_secs");
    assert_eq!(key_of(case("3601", "512", "4")), "compile.time_limit_secs");
    assert_eq!(key_of(case("10", "0", "4")), "compile.memory_limit_mib");
    assert_eq!(
        key_of(case("10", "99999999", "4")),
        "compile.memory_limit_mib"
    );
    assert_eq!(
        // TOML's largest integer.
        key_of(case("10", "9223372036854775807", "4")),
        "compile.memory_limit_mib"
    );
    assert_eq!(key_of(case("10", "512", "0")), "compile.processes");
    assert_eq!(key_of(case("10", "512", "4294967295")), "compile.processes");
}

#[test]
fn run_limits_beyond_their_bounds_are_refused_naming_the_profile() {
    let run = |extra: &str| parse("r", &interp("r", "", "", extra)).map(|_| ());
    assert!(run("time_factor = 100").is_ok());
    assert!(run("heap_headroom_mib = 0").is_ok());
    let err = run("time_factor = 1e300").unwrap_err().to_string();
    assert_eq!(
        err,
        "profile test/r.toml: run.time_factor: 1e300: a factor must be above 0 and at most 100"
    );
    for extra in ["time_factor = nan", "time_factor = 0", "time_factor = -inf"] {
        assert!(matches!(run(extra), Err(ProfileError::Limit(_))), "{extra}");
    }
    let err = run("heap_headroom_mib = 9223372036854775807")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("profile test/r.toml: run.heap_headroom_mib: 9223372036854775807 MiB"),
        "{err}"
    );
    let text = interp("r", "", "", "").replace("processes = 1", "processes = 100000");
    let err = parse("r", &text).unwrap_err().to_string();
    assert_eq!(
        err,
        "profile test/r.toml: run.processes: 100000: a process count must be at least 1 and at \
         most 32768"
    );
}

#[test]
fn bad_extension_and_file_names() {
    let err = parse("x", &interp("x", "\".cpp\"", "", ""))
        .unwrap_err()
        .to_string();
    assert!(err.contains("bad value for extensions"), "{err}");
    let text = interp("x", "", "", "").replace("main.x", "../main.x");
    let err = parse("x", &text).unwrap_err().to_string();
    assert!(err.contains("bad value for source_name"), "{err}");
    let text = interp("x", "", "", "").replace("main.x", "{heap_mib}.x");
    let err = parse("x", &text).unwrap_err().to_string();
    assert!(err.contains("only {class} may appear"), "{err}");
}

#[test]
fn mount_over_work_dir_is_refused() {
    let err = parse("w", &interp("w", "", "mounts = [\"/work\"]", ""))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("mounts[0]") && err.contains("work directory"),
        "{err}"
    );
    let err = parse("w", &interp("w", "", "mounts = [\"relative/dir\"]", ""))
        .unwrap_err()
        .to_string();
    assert!(err.contains("must be absolute"), "{err}");
}

#[test]
fn name_must_match_file() {
    let err = parse("other", &interp("x", "", "", ""))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("rename the file to x.toml or set name = \"other\""),
        "{err}"
    );
}

#[test]
fn compile_heap_headroom_must_fit() {
    let c = "[compile]\ncommand = [\"/usr/bin/javac\", \"-J-Xmx{heap_mib}m\"]\ntime_limit_secs = 1\n\
             memory_limit_mib = 128\nheap_headroom_mib = 128\nprocesses = 4\noutput_limit_mib = 8\n[run]";
    let err = parse("h", &interp("h", "", "", "").replace("[run]", c))
        .unwrap_err()
        .to_string();
    assert!(err.contains("compile.heap_headroom_mib"), "{err}");
}

#[test]
fn overrides_replace_by_name_and_take_extensions() {
    let tmp = tempfile::tempdir().unwrap();
    // A C++20 profile that now claims .cpp, replacing the shipped cpp20.
    let text = fs::read_to_string(ProfileSet::shipped_dir().join("cpp20.toml"))
        .unwrap()
        .replace("extensions = []", "extensions = [\"cpp\"]");
    write(tmp.path(), "cpp20", &text);
    write(tmp.path(), "lua", &interp("lua", "\"lua\"", "", ""));
    let set =
        ProfileSet::load_with_overrides(Some(&ProfileSet::shipped_dir()), &[tmp.path()]).unwrap();
    assert_eq!(
        set.for_source(Path::new("a.cpp"), None).unwrap().name(),
        "cpp20"
    );
    assert_eq!(
        set.for_source(Path::new("a.cc"), None).unwrap().name(),
        "cpp"
    );
    assert_eq!(
        set.for_source(Path::new("a.lua"), None).unwrap().name(),
        "lua"
    );
    assert!(set
        .get("cpp20")
        .unwrap()
        .origin()
        .starts_with(&tmp.path().display().to_string()));
    // Built-in base works the same way.
    let set = ProfileSet::load_with_overrides(None, &[tmp.path()]).unwrap();
    assert_eq!(
        set.for_source(Path::new("a.cpp"), None).unwrap().name(),
        "cpp20"
    );
}

#[test]
fn replaced_profile_gives_up_its_old_extensions() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "python3", &interp("python3", "\"py3\"", "", ""));
    let set = ProfileSet::load_with_overrides(None, &[tmp.path()]).unwrap();
    assert!(set.for_source(Path::new("a.py"), None).is_err());
    assert_eq!(
        set.for_source(Path::new("a.py3"), None).unwrap().name(),
        "python3"
    );
}

#[test]
fn duplicate_extension_in_one_layer_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "a", &interp("a", "\"x\"", "", ""));
    write(tmp.path(), "b", &interp("b", "\"x\"", "", ""));
    let err = ProfileSet::load_dir(tmp.path()).unwrap_err().to_string();
    assert!(
        err.starts_with("extension .x is claimed by both profile"),
        "{err}"
    );
}

#[test]
fn bad_file_in_override_dir_names_it() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "bad", "name = \"bad\"\nextensions = [\n");
    let err = ProfileSet::load_with_overrides(None, &[tmp.path()])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!("profile {}/bad.toml: line", tmp.path().display())),
        "{err}"
    );
}

#[test]
fn empty_and_missing_directories() {
    let tmp = tempfile::tempdir().unwrap();
    let err = ProfileSet::load_dir(tmp.path()).unwrap_err();
    assert!(matches!(err, ProfileError::NoProfiles { .. }), "{err}");
    let missing = tmp.path().join("nope");
    let err = ProfileSet::load_with_overrides(None, &[&missing])
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(&format!(
            "cannot read profiles directory {}",
            missing.display()
        )),
        "{err}"
    );
}

#[test]
fn unknown_language_and_extension_list_known_ones() {
    let set = shipped();
    let err = set
        .for_source(Path::new("a.cpp"), Some("cobol"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("unknown language \"cobol\"; known languages: ada, awk, bash, build-run, c,"),
        "{err}"
    );
    let err = set
        .for_source(Path::new("a.cob"), None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("no profile handles extension .cob"), "{err}");
    assert!(
        err.contains(".c (c)") && err.contains(".rs (rust)") && err.contains("--lang"),
        "{err}"
    );
    let err = set
        .for_source(Path::new("Makefile"), None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("files without an extension"), "{err}");
}

#[test]
fn env_values_are_templates() {
    let p = parse(
        "v",
        &interp(
            "v",
            "",
            "",
            "env = { HOME = \"{dir}\", MEM = \"{memory_mib}\" }",
        ),
    )
    .unwrap();
    let vars = p.prepare("", 300 * MIB).unwrap();
    let env = p.run_env(&vars);
    assert!(env.contains(&("HOME".into(), "/work".into())));
    assert!(env.contains(&("MEM".into(), "300".into())));
}

#[test]
fn normalize_handles_parent_components() {
    assert_eq!(
        normalize(Path::new("/usr/bin/../lib/./x")),
        Path::new("/usr/lib/x")
    );
    assert_eq!(normalize(Path::new("/../a")), Path::new("/a"));
}

#[test]
fn to_host_picks_the_longest_mount() {
    let mounts = vec![
        Mount::same("/usr"),
        Mount {
            host: "/h/jdk".into(),
            sandbox: "/usr/lib/jvm".into(),
        },
    ];
    assert_eq!(
        to_host(Path::new("/usr/lib/jvm/bin/java"), &mounts).unwrap(),
        Path::new("/h/jdk/bin/java")
    );
    assert_eq!(
        to_host(Path::new("/usr/bin/gcc"), &mounts).unwrap(),
        Path::new("/usr/bin/gcc")
    );
    assert_eq!(to_host(Path::new("/etc/x"), &mounts), None);
}
